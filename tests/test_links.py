"""Hand-written pages that link to cases (site/links.py), and the shipped 全市概况 as a map of the
shipped library: every case linked from its place in the speech, the two seed methods first."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest

from casebook.site.links import case_target, unlink_missing_cases
from conftest import REPO, SHIPPED, check

OVERVIEW = REPO / "docs" / "city-overview.md"


def unlink(markdown: str, page: str = "city-overview.md", existing: tuple[str, ...] = ("cases/a.md",)) -> tuple[str, list[str]]:
    return unlink_missing_cases(markdown, page, lambda uri: uri in existing)


@pytest.mark.parametrize(
    ("markdown", "expected", "missing"),
    [
        ("见[甲](cases/a.md)。", "见[甲](cases/a.md)。", []),  # a case of this library: kept
        ("见[乙](cases/b.md)。", "见乙。", ["cases/b.md"]),  # not in this library: its text
        ("见[乙](cases/b.md#做法 \"标题\")和[甲](<cases/a.md>)。", "见乙和[甲](<cases/a.md>)。", ["cases/b.md"]),
        ("见[“乙”工作法](cases/b.md)。", "见“乙”工作法。", ["cases/b.md"]),
        ("![图](cases/assets/b.png)", "![图](cases/assets/b.png)", []),  # images: MkDocs checks them
        ("[站外](https://example.org/cases/b.md)", "[站外](https://example.org/cases/b.md)", []),
        ("[指南](guide/codes.md)", "[指南](guide/codes.md)", []),  # not a case page: MkDocs checks it
        ("```\n[乙](cases/b.md)\n```", "```\n[乙](cases/b.md)\n```", []),  # code is left alone
        ("`[乙](cases/b.md)` 即 [乙](cases/b.md)", "`[乙](cases/b.md)` 即 乙", ["cases/b.md"]),  # inline code too
        ("见[乙]( <cases/b.md> )。", "见乙。", ["cases/b.md"]),
        ("[乙](cases/b.md)与[丙](cases/c.md)\n\n[甲](cases/a.md)", "乙与丙\n\n[甲](cases/a.md)", ["cases/b.md", "cases/c.md"]),
    ],
)
def test_links_to_missing_cases_become_text(markdown: str, expected: str, missing: list[str]) -> None:
    assert unlink(markdown) == (expected, missing)


def test_a_long_line_that_never_closes_a_link_is_read_in_linear_time() -> None:
    # Blanks after `](` that both the destination and the blanks before it could take: tried every
    # way, 100,000 of them were minutes (20,000: 8.7 s); now a few milliseconds.
    for line in ("见 cases/ 与[乙](" + " " * 100_000, "[乙](cases/b.md" + " " * 100_000):  # (with cases/: read at all)
        started = time.perf_counter()
        assert unlink(line) == (line, [])
        assert time.perf_counter() - started < 5


def test_links_are_resolved_from_the_page_folder() -> None:
    assert case_target("../cases/b.md", "guide/x.md") == "cases/b.md"
    assert case_target("cases/b.md", "guide/x.md") is None  # guide/cases/b.md: not a case page
    assert unlink("[乙](../cases/b.md)", page="guide/x.md") == ("乙", ["cases/b.md"])


def test_links_are_resolved_as_every_relative_address_is() -> None:
    """Percent-encoded, with an anchor or a query: the case MkDocs links to (it decodes the path),
    by the one rule for relative addresses (rules.library_path); out of the docs: no case."""
    assert case_target("../cases/yang%67uang.md#zuofa", "guide/a.md") == "cases/yangguang.md"
    assert case_target("<../cases/b.md?x=1>", "guide/a.md") == "cases/b.md"
    assert case_target("../../cases/b.md", "guide/a.md") is None
    line = "见[阳光车队](../cases/yang%67uang.md)。"
    assert unlink(line, page="guide/a.md", existing={"cases/yangguang.md"}) == (line, [])


# -- the shipped overview --------------------------------------------------------------------------

_CASE_LINK = re.compile(r"\]\((cases/[^)#\s]+\.md)")


@pytest.fixture(scope="module")
def shipped_ids() -> set[str]:
    library = check(SHIPPED, dt.date.today())  # the shipped cases are dated up to today
    return {c.id for c in library.published}


def overview_links() -> list[str]:
    return [m.group(1)[len("cases/"):-3] for m in _CASE_LINK.finditer(OVERVIEW.read_text("utf-8"))]


def test_overview_links_only_to_shipped_cases(shipped_ids: set[str]) -> None:
    links = overview_links()
    assert links and set(links) <= shipped_ids, sorted(set(links) - shipped_ids)


def test_overview_links_every_shipped_case(shipped_ids: set[str]) -> None:
    assert shipped_ids <= set(overview_links()), sorted(shipped_ids - set(overview_links()))


def test_overview_introduces_the_two_seed_methods_first() -> None:
    assert overview_links()[:2] == ["kangdi-yangguang-chedui", "gangtaochang-wenqing-gongzuofa"]
