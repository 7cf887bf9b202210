"""core/rules.py: each rule written once and used by the validator, the draft makers, site and book."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

from casebook.contrib.drafts import checked_values, recognise
from casebook.contrib.errors import DraftError
from casebook.core.rules import (
    honor_text,
    honor_year_ok,
    kept_link,
    library_path,
    off_site,
    summary_problem,
    url_kind,
    vocabulary_problem,
)
from casebook.core.schema import FIELD_BY_KEY, HONOR_YEAR_MIN, SUMMARY_MAX

from conftest import check, VALID
from test_index import TAXONOMY


@pytest.mark.parametrize(("url", "kind"), [
    ("javascript:alert(1)", "script"), ("JaVa&#115;cript:x", "script"), (" data:text/html,x", "script"),
    ("https://example.org/a", "web"), ("http://x", "web"), ("//cdn.example/x.png", "host"), ("\\\\host/x", "host"),
    ("mailto:a@b.c", "scheme"), ("tel:123", "scheme"), ("#anchor", "fragment"), ("?q=1", "fragment"), ("", "fragment"),
    ("/etc/passwd", "absolute"), ("assets/x.png", "relative"), ("../other.md", "relative"),
])
def test_url_kinds(url, kind):
    assert url_kind(url) == kind
    assert off_site(url) == (kind in ("script", "web", "host", "scheme"))


def test_kept_links_are_the_sanitisers_schemes():
    """One list of link schemes: what the site's sanitiser keeps is what the book and import keep."""
    from casebook.core.sanitize import URL_SCHEMES, clean

    for url in ("https://example.org", "HTTP://x", "mailto:a@b.c", "tel:1", "javascript:x", "ftp://x", "other.md", "data:x"):
        site_keeps = 'href="' in clean(f'<a href="{url}">x</a>')
        assert kept_link(url) == (site_keeps and url_kind(url) in ("web", "scheme")), url
    assert set(URL_SCHEMES) == {"http", "https", "mailto", "tel"}


@pytest.mark.parametrize(("base", "url", "path"), [
    ("", "assets/x.png", "assets/x.png"),
    ("", "assets/%E5%9B%BE.png", "assets/图.png"),  # percent-encoded: the file it names
    ("", "assets/a%20b.png#x", "assets/a b.png"),
    ("", "assets/a b.png?v=1", "assets/a b.png"),
    ("sub", "../assets/x.png", "assets/x.png"),
    ("sub", "./x.md", "sub/x.md"),
    ("", "../x.png", None),  # leaves the library
    ("", "assets/..%2F..%2Fx.png", None),  # a percent-encoded slash leaves it too
    ("", "%2Fetc%2Fpasswd", None),
    ("", "/abs.png", None), ("", "https://x/y.png", None), ("", "#top", None), ("", "javascript:x", None),
])
def test_library_path_is_the_one_resolution(base, url, path):
    assert library_path(base, url) == path


def test_honours_read_the_same_everywhere():
    assert honor_text("先进基层党组织", "省级", 2023) == "先进基层党组织（省级，2023 年）"


def test_one_vocabulary_message_for_the_validator_and_the_drafts():
    field = FIELD_BY_KEY["region"]
    message = vocabulary_problem(field, "东城", TAXONOMY)
    assert message == "`region`（地区）：“东城” 不在词表 `region` 中（可选：东城街道、西城街道、东城街道二；是否想写“东城街道”？）"
    assert vocabulary_problem(field, "东城街道", TAXONOMY) is None
    assert vocabulary_problem(field, "东城", None) is None  # no usable taxonomy: nothing to check against
    assert recognise(field, "东城", TAXONOMY) == (None, [message])
    with pytest.raises(DraftError, match="不在词表 `region` 中"):
        checked_values({"region": "东城"}, TAXONOMY)


def test_summary_limit_and_honour_years():
    assert summary_problem("字" * SUMMARY_MAX) is None
    assert f"超过 {SUMMARY_MAX} 字上限" in summary_problem("字" * (SUMMARY_MAX + 1))
    assert f"不超过 {SUMMARY_MAX} 字" in FIELD_BY_KEY["summary"].rule
    assert honor_year_ok(HONOR_YEAR_MIN, 2026) and honor_year_ok(2026, 2026)
    assert not honor_year_ok(HONOR_YEAR_MIN - 1, 2026) and not honor_year_ok(2027, 2026)


def test_an_empty_cover_means_no_cover(tmp_path):
    """Like every optional field, `cover:` left empty is no cover (contrib/drafts.py says the same)."""
    source = next(p for p in sorted(VALID.glob("*.md")) if "\ncover:" in p.read_text(encoding="utf-8"))
    lines = source.read_text(encoding="utf-8").split("\n")
    (tmp_path / source.name).write_text("\n".join("cover:" if ln.startswith("cover:") else ln for ln in lines), encoding="utf-8")
    shutil.copyfile(VALID / "taxonomy.yml", tmp_path / "taxonomy.yml")
    shutil.copytree(VALID / "assets", tmp_path / "assets")  # the body still shows the picture
    library = check(tmp_path, today=dt.date(2026, 11, 27))
    assert library.errors == () and len(library.cases) == 1 and library.cases[0].cover is None
