"""docs/guide/codes.md lists every finding code as schema.py defines it, and every code is tested
(by a fixture in tests/fixtures/invalid/ or by a test in test_validate.py that asserts it)."""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import textwrap

import pytest
import yaml

import test_validate
from casebook.core.schema import CODE_BY_ID, CODES
from conftest import INVALID, REPO

PAGE = REPO / "docs" / "guide" / "codes.md"
HEADING = re.compile(r"^### ([EW]\d{3}) (.+)$", re.M)
SEVERITY = {"error": "错误", "warning": "警告"}

# Codes that need a library of their own (a broken taxonomy.yml, a file over 1 MB): tested in
# tests/test_validate.py with libraries built in tmp_path instead of committed fixtures.
TESTED_IN_TMP_PATH = {
    "E111": ["test_e111_file_too_large"],
    "E417": ["test_e417_page_too_slow_to_render"],
    "E421": ["test_e421_an_image_file_whose_bytes_are_not_its_format"],  # image files of every format
    "E422": ["test_publish_check.test_e422_nesting_past_the_recursion_limit_at_its_line"],
    "E423": ["test_e423_an_image_whose_header_claims_an_impossible_or_enormous_size"],
    "E424": ["test_e424_a_picture_the_books_typesetter_cannot_decode"],
    # real file-system objects (symbolic links, colliding names, unreadable folders): tests/test_filesystem.py
    "E701": ["test_filesystem.test_a_symlink_out_of_the_library_is_refused_and_never_read"],
    "E704": ["test_filesystem.test_names_that_collide_on_windows_and_macos"],
    "E705": ["test_filesystem.test_unreadable_folder_and_file_are_findings"],
    "E706": ["test_filesystem.test_names_windows_cannot_hold_are_refused_and_not_published"],
    "E707": ["test_filesystem.test_a_file_where_a_page_is_written_is_refused"],
    "E601": ["test_e601_missing_taxonomy_skips_vocabulary_checks", "test_e601_taxonomy_not_utf8", "test_e601_taxonomy_yaml_error_at_its_line"],
    "E602": ["test_e602_taxonomy_structure"],
    "E603": ["test_e603_e606_unsafe_vocabulary_values"],
    "E604": ["test_e603_e606_unsafe_vocabulary_values"],
    "E605": ["test_e603_e606_unsafe_vocabulary_values"],
    "E606": ["test_e603_e606_unsafe_vocabulary_values"],
    "W601": ["test_w601_duplicate_value_and_unknown_vocabulary", "test_w601_alone_fails_only_with_strict"],
}


def sections() -> dict[str, tuple[str, str]]:
    """code -> (heading title, text up to the next heading)."""
    text = PAGE.read_text("utf-8")
    heads = list(HEADING.finditer(text))
    out = {}
    for m, nxt in zip(heads, [*heads[1:], None]):
        end = nxt.start() if nxt else len(text)
        body = text[m.end():end]
        body = re.split(r"^## ", body, flags=re.M)[0]  # stop at the next group heading
        assert m[1] not in out, f"{m[1]} appears twice"
        out[m[1]] = (m[2], body)
    return out


def test_page_lists_exactly_the_schema_codes() -> None:
    assert set(sections()) == set(CODE_BY_ID)


def test_page_follows_schema_order() -> None:
    assert list(sections()) == [c.code for c in CODES]


@pytest.mark.parametrize("code", [c.code for c in CODES])
def test_entry_matches_schema(code: str) -> None:
    entry = sections().get(code)
    assert entry, f"{code} missing from {PAGE.relative_to(REPO)}"
    title, body = entry
    spec = CODE_BY_ID[code]
    assert title == spec.title
    assert f"- 级别：{SEVERITY[spec.severity]}" in body
    assert re.search(r"^- 含义：\S", body, re.M)
    assert f"- 修改方法：{spec.fix}" in body


def test_every_code_is_exercised() -> None:
    expected = yaml.safe_load((INVALID.parent / "invalid-expected.yml").read_text("utf-8"))
    by_fixture = {e["code"] for findings in expected.values() for e in findings}
    assert by_fixture.isdisjoint(TESTED_IN_TMP_PATH), "listed twice: drop it from TESTED_IN_TMP_PATH"
    assert by_fixture | set(TESTED_IN_TMP_PATH) == set(CODE_BY_ID)
    for code, tests in TESTED_IN_TMP_PATH.items():
        for name in tests:
            module, _, name = name.rpartition(".")
            test = getattr(importlib.import_module(module) if module else test_validate, name, None)
            assert name.startswith("test_") and callable(test), f"{code}: {name} not found in {module or 'test_validate'}.py"
            assert code in asserted_codes(test), f"{code}: {name} never asserts it (in an assert or its parameters)"


def asserted_codes(test) -> set[str]:
    """Finding codes written as string literals in the test's assert statements or its decorators
    (pytest.mark.parametrize cases): a test named for a code must check that code."""
    node = ast.parse(textwrap.dedent(inspect.getsource(test))).body[0]
    places = [n for n in ast.walk(node) if isinstance(n, ast.Assert)] + list(node.decorator_list)
    return {c.value for place in places for c in ast.walk(place)
            if isinstance(c, ast.Constant) and isinstance(c.value, str) and re.fullmatch(r"[EW]\d{3}", c.value)}


def _listed_tags(text: str, opening: str) -> set[str]:
    """The tags a sentence names, `a、abbr、…、h1–h6、…、ul`, h1–h6 spelled out."""
    listed = re.search(re.escape(opening) + r"([a-z0-9、\s–]+?)(?:（|。)", text)
    assert listed, opening
    names = {n.strip() for n in listed.group(1).replace("\n", "").split("、") if n.strip()}
    return (names - {"h1–h6"}) | ({f"h{k}" for k in range(1, 7)} if "h1–h6" in names else set())


@pytest.mark.parametrize(("page", "opening"), [("CONTRIBUTING.md", "但只能用这些标签："), ("docs/guide/codes.md", "只能用白名单中的标签：")])
def test_the_tags_the_guides_allow_are_the_sanitisers(page: str, opening: str) -> None:
    from casebook.core.sanitize import CONTRIBUTOR_TAGS

    text = re.sub(r"\n\s*", "", (REPO / page).read_text("utf-8"))  # CONTRIBUTING wraps its lines
    assert _listed_tags(text, opening) == set(CONTRIBUTOR_TAGS)


def test_the_attributes_and_schemes_contributing_allows_are_the_sanitisers() -> None:
    from casebook.core.rules import LINK_SCHEMES
    from casebook.core.sanitize import ATTRIBUTES

    text = re.sub(r"\n\s*", "", (REPO / "CONTRIBUTING.md").read_text("utf-8"))
    rule = text[text.index("**属性也有白名单。**"):text.index("`style`、`on...` 事件")]
    named = set(re.findall(r"`([a-z-]+)`", rule))
    shown = {attr for tag, attrs in ATTRIBUTES.items() if tag not in ("svg", "path", "div") for attr in attrs}  # (the site's own)
    assert named - {"a", "img", "ol", "details", "th"} == shown, named ^ shown  # (the tags named beside them aside)
    links = text[text.index("**地址。**"):]
    assert set(re.findall(r"`([a-z]+):(?://)?`", links[:200])) == set(LINK_SCHEMES)
