"""The validator against the fixture libraries, taxonomy problems, and the `casebook validate` CLI."""

from __future__ import annotations

import codecs
import datetime as dt
import json
import re
import shutil
from collections import defaultdict
from pathlib import Path

import pytest
import yaml

from casebook import cli
from casebook.core.model import Finding, Honor, Library
from casebook.core.schema import CODE_BY_ID, MAX_FILE_BYTES
from conftest import (
    check,
    INVALID,
    MINIMAL_CASE,
    PICTURES,
    REPO,
    SHIPPED,
    TODAY,
    VALID,
    line_of,
    make_library,
    relative,
)

EXPECTED: dict[str, list[dict]] = yaml.safe_load((INVALID.parent / "invalid-expected.yml").read_text("utf-8"))


def pairs(findings) -> list[tuple[str, int]]:
    return sorted((f.code, f.line) for f in findings)


def by_file(library: Library) -> dict[str, list[Finding]]:
    out: dict[str, list[Finding]] = defaultdict(list)
    for f in library.findings:
        out[relative(f.path, library.root)].append(f)
    return out


def show(findings) -> str:
    return "\n".join(f.text() for f in findings) or "(no findings)"


# ==================================================================================================
# The invalid library: one problem per file, exactly the expected findings
# ==================================================================================================


@pytest.fixture(scope="module")
def invalid_library() -> Library:
    return check(INVALID, today=TODAY)


@pytest.fixture(scope="module")
def invalid_findings(invalid_library: Library) -> dict[str, list[Finding]]:
    return by_file(invalid_library)


@pytest.mark.parametrize("rel", sorted(EXPECTED))
def test_invalid_fixture_findings(rel: str, invalid_findings: dict[str, list[Finding]]) -> None:
    expected = sorted((e["code"], e["line"]) for e in EXPECTED[rel])
    found = invalid_findings.get(rel, [])
    assert pairs(found) == expected, f"{rel}:\n{show(found)}"


def test_expected_lists_every_invalid_file() -> None:
    # Case files, and the library files that are fixtures themselves (SVG, HTML).
    files = {p.relative_to(INVALID).as_posix() for p in INVALID.rglob("*") if p.suffix in (".md", ".MD", ".svg", ".html", ".rtf")}
    assert files == set(EXPECTED)
    assert len(files) >= 45


def test_no_findings_outside_the_listed_files(invalid_findings: dict[str, list[Finding]]) -> None:
    # In particular: the copied taxonomy.yml is clean, so no E6xx/W601 leaks into the fixtures.
    assert set(invalid_findings) <= set(EXPECTED)


# Invalid-library files that are valid on their own and exist for another fixture's sake.
CLEAN_HELPERS = {
    "dup/a/e208-dup.md",  # the first of a duplicate pair
    "e407-draft-target.md",  # a draft that e407-link-to-draft.md links to
}


def test_fixture_names_match_their_codes() -> None:
    """`e203-...md` must expect E203 (the file name says what the fixture is about)."""
    for rel, expected in EXPECTED.items():
        stem = Path(rel).name
        code = stem.split("-")[0].upper()
        if expected:
            assert code in {e["code"] for e in expected}, rel
        else:
            assert rel in CLEAN_HELPERS, rel


def test_fixture_ids_equal_file_names() -> None:
    """Each fixture's `id:` is its file name, except where the fixture is about the id."""
    about_id = {"e206-uppercase-id.md", "e206-underscore-id.md", "e206-index-id.md", "e207-id-not-file-name.md"}
    for path in INVALID.rglob("*.md"):
        try:
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            continue
        ids = re.findall(r"^id: (.*)$", text, re.M)
        if path.name in about_id:
            assert ids and ids[0] != path.stem, path
        elif ids:
            assert ids == [path.stem], path


def test_severities_come_from_the_schema(invalid_library: Library) -> None:
    for f in invalid_library.findings:
        assert f.severity == CODE_BY_ID[f.code].severity, f


# Checked across the library after each case is validated on its own: the case itself still loads.
LIBRARY_LEVEL = {"E208", "E407"}


def test_no_invalid_case_is_loaded(invalid_library: Library) -> None:
    """A file with an error yields no case; the warning-only files and the clean helpers do."""
    error_files = {rel for rel, exp in EXPECTED.items() if any(e["code"].startswith("E") for e in exp)}
    library_level = {rel for rel, exp in EXPECTED.items() if {e["code"] for e in exp} <= LIBRARY_LEVEL}
    loaded = {c.rel for c in invalid_library.cases}
    assert not (loaded & (error_files - library_level))
    assert {"w301-incomplete-section.md", "w301-incomplete-bold.md", *CLEAN_HELPERS} <= loaded


# Messages: did-you-mean hints and the other details a contributor needs to fix the file.
MESSAGE_HINTS = [
    ("e202-typo-titel.md", "E202", "`title`"),
    ("e202-chinese-key.md", "E202", "`title`"),
    ("e202-typo-optional.md", "E202", "`featured`"),
    ("e203-region-not-in-vocab.md", "E203", "永康市"),
    ("e203-tag-block-list.md", "E203", "阳光车队"),
    ("e203-honor-level.md", "E203", "全国级"),
    ("e203-status-unknown.md", "E203", "published"),
    ("e203-category-not-in-vocab.md", "E203", "不存在的类别"),
    ("e101-gbk.md", "E101", "GBK"),
    ("e101-utf16.md", "E101", "UTF-16"),
    ("e102-blank-line-before.md", "E102", "空行"),
    ("e104-quote-then-text.md", "E104", "'“阳光车队”工作法'"),
    ("e106-duplicate-key.md", "E106", "第 3 行"),
    ("e107-fullwidth-colon.md", "E107", "`title: ...`"),
    ("e108-fullwidth-comma.md", "E108", "[党员教育, 品牌创建]"),
    ("e109-python-tag.md", "E109", "!!python/object/apply:os.system"),
    ("e204-category-string.md", "E204", "`category: [党建工作法]`"),
    ("e207-id-not-file-name.md", "E207", "e207-id-not-file-name.md"),
    ("e211-future-date.md", "E211", "2026-11-27"),
    ("e212-long-summary.md", "E212", "150"),
    ("e213-missing-cover.md", "E213", "assets/missing.png"),
    ("e214-honor-missing-key.md", "E214", "year"),
    ("e214-honor-extra-key.md", "E214", "url"),
    ("e215-title-no.md", "E215", "'no'"),
    ("e215-organization-octal.md", "E215", "'010'"),
    ("e215-featured-yes.md", "E215", "yes"),
    ("e301-missing-section.md", "E301", "## 取得成效"),
    ("e302-out-of-order.md", "E302", "## 主要做法"),
    ("e401-script.md", "E401", "<script>"),
    ("e402-img-onerror.md", "E402", "onerror="),
    ("e403-mixed-case-scheme.md", "E403", "javascript:"),
    ("e403-entity-encoded.md", "E403", "javascript:"),
    ("e406-wrong-case.md", "E406", "assets/X.PNG"),
    ("w216-summary-figure-not-in-body.md", "W216", "“12”"),
    ("w217-unpaired-quote-in-title.md", "W217", "`title`（标题）中的 `“` 没有配对的 `”`"),
    ("w218-source-names-nothing.md", "W218", "《……》"),
    ("w302-plan-in-results.md", "W302", "成效应写已经取得的结果；计划写在主要做法或经验启示中"),
    ("w302-plan-in-results.md", "W302", "“将”"),
    ("w303-unpaired-bracket-in-body.md", "W303", "`《` 没有配对的 `》`"),
]


@pytest.mark.parametrize(("rel", "code", "needle"), MESSAGE_HINTS)
def test_message_helps_fix_the_problem(rel: str, code: str, needle: str, invalid_findings) -> None:
    messages = [f.message for f in invalid_findings[rel] if f.code == code]
    assert messages and any(needle in m for m in messages), messages


PERSONAL = {
    "e501-id-number.md": "11010519491231002X",
    "e501-id-number-lowercase-x.md": "11010519491231002x",
    "e502-mobile-body.md": "13812345678",
    "e502-mobile-in-summary.md": "13812345678",
    "e502-mobile-with-dashes.md": "138-1234-5678",
}


@pytest.mark.parametrize("rel", sorted(PERSONAL))
def test_personal_data_is_masked_in_messages(rel: str, invalid_findings) -> None:
    """Findings end up in CI logs: they must not repeat the number they complain about."""
    number = PERSONAL[rel]
    assert number in (INVALID / rel).read_text("utf-8")
    for f in invalid_findings[rel]:
        assert number not in f.message and number.replace("-", "") not in f.message
        assert "*" in f.message


def test_encoding_fixtures_kept_their_bytes() -> None:
    """Guard against an editor or git "fixing" the binary fixtures."""
    gbk = (INVALID / "e101-gbk.md").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        gbk.decode("utf-8")
    assert "示例工作法" in gbk.decode("gbk")
    assert (INVALID / "e101-utf16.md").read_bytes().startswith(codecs.BOM_UTF16_LE)
    assert (INVALID / "e101-binary.md").read_bytes().startswith(b"\x89PNG")
    assert b"\x00" in (INVALID / "e101-nul-byte.md").read_bytes()


# ==================================================================================================
# The valid library
# ==================================================================================================


@pytest.fixture(scope="module")
def valid_library() -> Library:
    return check(VALID, today=TODAY)


def test_valid_library_has_no_errors(valid_library: Library) -> None:
    assert not valid_library.errors, show(valid_library.errors)


def test_valid_library_warnings_are_the_incomplete_sections(valid_library: Library) -> None:
    expected = sorted([
        ("2024/shili-dangjian-tepaiyuan.md", "W301", line_of(VALID / "2024/shili-dangjian-tepaiyuan.md", "## 取得成效")),
        ("shili-linlibang.md", "W301", line_of(VALID / "shili-linlibang.md", "## 经验启示")),
    ])
    found = sorted((relative(f.path, VALID), f.code, f.line) for f in valid_library.warnings)
    assert found == expected


def test_valid_library_loads_every_case(valid_library: Library) -> None:
    files = sorted(p.relative_to(VALID).as_posix() for p in VALID.rglob("*.md"))
    assert sorted(c.rel for c in valid_library.cases) == files
    assert len(files) >= 6
    assert [c.id for c in valid_library.cases] == sorted(c.id for c in valid_library.cases)
    for case in valid_library.cases:
        assert case.id == Path(case.rel).stem


def test_valid_library_optional_fields(valid_library: Library) -> None:
    cases = {c.id: c for c in valid_library.cases}
    chedui = cases["shili-yangguang-chedui"]
    assert chedui.title == "“阳光车队”工作法"
    assert chedui.featured and chedui.party_org == "党支部" and chedui.industry == "交通运输"
    assert chedui.honors == (Honor("省级", "示例先进基层党组织", 2023), Honor("市级", "示例党建品牌", 2022))
    assert chedui.tags == ("阳光车队", "党员挂牌", "出租车")  # block list
    assert [s.title for s in chedui.sections] == ["基本情况", "主要做法", "取得成效", "经验启示", "其他"]

    wenqing = cases["ceshichang-wenqing-gongzuofa"]
    assert wenqing.featured and wenqing.cover == "assets/cover.png"
    assert wenqing.date == dt.date(2024, 3, 18)  # quoted date string
    assert "](assets/cover.png)" in wenqing.body

    draft = cases["shili-xuexi-xiaozu"]
    assert draft.status == "draft" and not draft.published and not draft.featured
    assert draft.tags == () and draft.honors == ()
    assert draft not in valid_library.published
    assert len(valid_library.published) == len(valid_library.cases) - 1

    tepaiyuan = cases["shili-dangjian-tepaiyuan"]
    assert tepaiyuan.rel == "2024/shili-dangjian-tepaiyuan.md"
    assert tepaiyuan.incomplete_sections == ("取得成效",)
    assert "](../assets/cover.png)" in tepaiyuan.body  # relative to the subfolder, inside the library

    assert cases["shili-linlibang"].incomplete_sections == ("经验启示",)
    assert len(cases["shili-linlibang"].summary) == 150  # the limit itself is allowed

    assert sum(c.featured for c in valid_library.cases) == 2


def test_bom_and_crlf_are_accepted(valid_library: Library) -> None:
    data = (VALID / "shili-hongse-yizhan.md").read_bytes()
    assert data.startswith(codecs.BOM_UTF8) and b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")
    case = next(c for c in valid_library.cases if c.id == "shili-hongse-yizhan")
    assert case.title == "“红色驿站”服务法"
    assert "\r" not in case.body and "\r" not in case.summary
    assert [s.title for s in case.sections] == ["基本情况", "主要做法", "取得成效", "经验启示"]


def test_fenced_and_inline_code_are_not_html(valid_library: Library) -> None:
    text = (VALID / "shili-yangguang-chedui.md").read_text("utf-8")
    fence = text.split("```html", 1)[1].split("```", 1)[0]
    assert "<script>" in fence and "<iframe" in fence
    assert "`<style>" in text
    assert not [f for f in valid_library.findings if f.path.endswith("shili-yangguang-chedui.md")]


def test_id_number_with_wrong_check_digit_is_not_personal_data(valid_library: Library) -> None:
    assert "110105194912310021" in (VALID / "shili-xuexi-xiaozu.md").read_text("utf-8")
    assert not any(f.code == "E501" for f in valid_library.findings)


def test_valid_fixtures_share_facets(valid_library: Library) -> None:
    """Related-case ranking and facet counts need overlaps (site tests rely on these)."""
    def count(values) -> int:
        return max(sum(v in c for c in values) for v in {x for c in values for x in c})

    assert count([c.category for c in valid_library.cases]) >= 3
    assert count([c.tags for c in valid_library.cases]) >= 2
    assert count([(c.region,) for c in valid_library.cases]) >= 2


# ==================================================================================================
# Libraries built in tmp_path: taxonomy problems (E601, E602, W601), file size (E111), hostile tags
# ==================================================================================================


def case_text(case_id: str, **replace: str) -> str:
    text = MINIMAL_CASE.format(id=case_id)
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    return text


def findings_of(root: Path) -> list[tuple[str, str, int]]:
    library = check(root, today=TODAY)
    return sorted((relative(f.path, root), f.code, f.line) for f in library.findings)


def taxonomy_text(**changes: str | None) -> str:
    """The valid taxonomy with whole vocabularies replaced (YAML text) or removed (None)."""
    data = yaml.safe_load((VALID / "taxonomy.yml").read_text("utf-8"))
    lines = []
    for name, values in data.items():
        if name in changes:
            if changes[name] is not None:
                lines.append(f"{name}: {changes[name]}")
        else:
            lines.append(f"{name}: [{', '.join(values)}]")
    lines += [f"{name}: {value}" for name, value in changes.items() if name not in data and value is not None]
    return "\n".join(lines) + "\n"


def test_e601_missing_taxonomy_skips_vocabulary_checks(tmp_path: Path) -> None:
    make_library(tmp_path, {"a.md": case_text("a", **{"region: 永康市": "region: 不存在的地区"})})
    (tmp_path / "taxonomy.yml").unlink()
    assert findings_of(tmp_path) == [("taxonomy.yml", "E601", 1)]
    # ...but every other check still runs
    (tmp_path / "b.md").write_text(case_text("b", **{"date: 2024-01-05": "date: 2024-02-30"}), "utf-8")
    assert findings_of(tmp_path) == [("b.md", "E210", 9), ("taxonomy.yml", "E601", 1)]


def test_e601_taxonomy_not_utf8(tmp_path: Path) -> None:
    make_library(tmp_path, {"a.md": case_text("a")}, taxonomy=taxonomy_text().encode("gbk"))
    found = findings_of(tmp_path)
    assert [(p, c) for p, c, _ in found] == [("taxonomy.yml", "E601")]


def test_e601_taxonomy_yaml_error_at_its_line(tmp_path: Path) -> None:
    text = taxonomy_text(region='["永康市", "东城街道"')  # unclosed flow list
    make_library(tmp_path, {"a.md": case_text("a")}, taxonomy=text)
    bad = next(i for i, ln in enumerate(text.split("\n"), 1) if ln.startswith("region:"))
    found = findings_of(tmp_path)
    assert [(p, c) for p, c, _ in found] == [("taxonomy.yml", "E601")]
    assert found[0][2] in (bad, bad + 1)  # the parser may notice on the next line


def test_e601_taxonomy_with_python_tag(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    text = taxonomy_text() + f'extra: !!python/object/apply:os.system ["touch {marker}"]\n'
    make_library(tmp_path, {"a.md": case_text("a")}, taxonomy=text)
    assert [c for _, c, _ in findings_of(tmp_path)] == ["E601"]
    assert not marker.exists()


@pytest.mark.parametrize(
    ("taxonomy", "needle"),
    [
        ("- 永康市\n- 东城街道\n", "映射"),  # a list, not a mapping
        ("只有一行文字\n", "映射"),
        (taxonomy_text(honor_level=None), "honor_level"),  # a vocabulary missing
        (taxonomy_text(region="永康市"), "region"),  # a string, not a list
        (taxonomy_text(tags="[1, 2]"), "tags"),  # not text
        (taxonomy_text(category='[党建工作法, ""]'), "category"),  # an empty value
    ],
)
def test_e602_taxonomy_structure(tmp_path: Path, taxonomy: str, needle: str) -> None:
    # The case uses a region outside the valid vocabulary: with an unusable taxonomy it is not judged.
    make_library(tmp_path, {"a.md": case_text("a", **{"region: 永康市": "region: 不存在的地区"})}, taxonomy=taxonomy)
    library = check(tmp_path, today=TODAY)
    assert {f.code for f in library.findings} == {"E602"}
    assert all(relative(f.path, tmp_path) == "taxonomy.yml" and f.line == 1 for f in library.findings)
    assert any(needle in f.message for f in library.findings)


@pytest.mark.parametrize(("value", "code"), [
    ("'<img src=x onerror=alert(1)>'", "E603"),
    ("'示例&#x0A;javascript:alert(1)'", "E604"),
    ('"示例\\x07镇"', "E605"),
    ('"\\u2066示例镇\\u2069"', "E606"),
])
def test_e603_e606_unsafe_vocabulary_values(tmp_path: Path, value: str, code: str) -> None:
    # A block list, so the value has its own line (line 8 of the file); the taxonomy stays usable:
    # the case's vocabulary values are still checked (E203 for 永康).
    text = taxonomy_text(region=None) + "# 地区\nregion:\n  - 永康市\n  - " + value + "\n"
    make_library(tmp_path, {"a.md": case_text("a", **{"region: 永康市": "region: 永康"})}, taxonomy=text)
    found = sorted((relative(f.path, tmp_path), f.code) for f in check(tmp_path, today=TODAY).findings)
    assert found == [("a.md", "E203"), ("taxonomy.yml", code)]
    (finding,) = [f for f in check(tmp_path, today=TODAY).findings if f.code == code]
    assert finding.line == line_of(tmp_path / "taxonomy.yml", value.strip("'\""))
    assert not re.search(r"[\x00-\x1f\x7f\u202a-\u202e\u2066-\u2069]", finding.message)


def test_w601_duplicate_value_and_unknown_vocabulary(tmp_path: Path) -> None:
    text = taxonomy_text(region="[永康市, 东城街道, 永康市]", tag="[多余]")
    make_library(tmp_path, {"a.md": case_text("a", **{"region: 永康市": "region: 永康"})}, taxonomy=text)
    library = check(tmp_path, today=TODAY)
    found = sorted((relative(f.path, tmp_path), f.code, f.severity) for f in library.findings)
    # warnings only: the taxonomy stays usable, so vocabulary checks still run (E203)
    assert found == [
        ("a.md", "E203", "error"),
        ("taxonomy.yml", "W601", "warning"),
        ("taxonomy.yml", "W601", "warning"),
    ]
    messages = " ".join(f.message for f in library.warnings)
    assert "永康市" in messages and "`tag`" in messages and "`tags`" in messages


def test_w601_values_that_look_the_same(tmp_path: Path) -> None:
    """Two values a reader cannot tell apart (a zero-width space inside one, or the same letter
    written decomposed): a case may pick either, and each gets its own browse page. W601 names
    both, the invisible parts written as \\uXXXX."""
    text = taxonomy_text(region='[永康市, "永\\u200b康市"]', industry='[制造业, "Café", "Cafe\\u0301"]')
    make_library(tmp_path, {"a.md": case_text("a")}, taxonomy=text)
    library = check(tmp_path, today=TODAY)
    warnings = [f.message for f in library.findings if f.code == "W601"]
    assert len(warnings) == 2 and not library.errors, [f.text() for f in library.findings]
    region, industry = (next(w for w in warnings if f"`{name}`" in w) for name in ("region", "industry"))
    assert "永康市、永\\u200b康市" in region and "Café、Cafe\\u0301" in industry, warnings


def test_w601_alone_fails_only_with_strict(run_cli, tmp_path: Path) -> None:
    make_library(tmp_path, {"a.md": case_text("a")}, taxonomy=taxonomy_text(region="[永康市, 永康市]"))
    assert run_cli("validate", "--cases", str(tmp_path)).returncode == 0
    result = run_cli("validate", "--cases", str(tmp_path), "--strict")
    assert result.returncode == 1 and "W601" in result.stdout


def test_e111_file_too_large(tmp_path: Path) -> None:
    base = case_text("big").encode("utf-8")
    exact = base + b"a" * (MAX_FILE_BYTES - len(base))
    assert len(exact) == MAX_FILE_BYTES
    make_library(tmp_path, {"big.md": exact})
    assert findings_of(tmp_path) == []  # the limit itself is fine
    (tmp_path / "big.md").write_bytes(exact + b"a")
    assert findings_of(tmp_path) == [("big.md", "E111", 1)]


def test_e109_python_tags_are_never_executed(run_cli, tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    tags = [
        f'!!python/object/apply:os.system ["touch {marker}"]',
        f'!!python/object/new:os.system ["touch {marker}"]',
        f"!!python/object/apply:subprocess.check_call [[touch, {marker}]]",
        "!!python/name:os.system",
    ]
    cases = {f"t{i}.md": case_text(f"t{i}", **{"title: 示例工作法": f"title: {tag}"}) for i, tag in enumerate(tags)}
    make_library(tmp_path, cases)
    assert findings_of(tmp_path) == [(f"t{i}.md", "E109", 3) for i in range(len(tags))]
    result = run_cli("validate", "--cases", str(tmp_path))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert not marker.exists()


def test_e208_duplicate_id_reported_once_per_extra_copy(tmp_path: Path) -> None:
    make_library(tmp_path, {f"{d}/same.md": case_text("same") for d in ("a", "b", "c")})
    assert findings_of(tmp_path) == [("b/same.md", "E208", 2), ("c/same.md", "E208", 2)]


def with_aliases(case_id: str, aliases: str) -> str:
    """A minimal case with an `aliases:` line (line 11, after `source`)."""
    return case_text(case_id, **{"source: 测试资料\n": f"source: 测试资料\naliases: {aliases}\n"})


def test_aliases_are_former_ids_in_the_id_namespace(tmp_path: Path) -> None:
    make_library(tmp_path, {
        "new.md": with_aliases("new", "[old-one, old-two]"),  # fine
        "own.md": with_aliases("own", "[own]"),  # its own id
        "taken.md": with_aliases("taken", "[new]"),  # another case's id
        "twice.md": with_aliases("twice", "[old-one]"),  # another case's alias
        "bad.md": with_aliases("bad", "[Old_One]"),  # not an id
        "folder.md": with_aliases("folder", "[index]"),  # MkDocs' name for a folder's page
        "long.md": with_aliases("long", "[" + "b" * 101 + "]"),  # a page name too long to write
        f"{'a' * 100}.md": case_text("a" * 100),  # as long as an id may be
        f"{'a' * 101}.md": case_text("a" * 101),  # its offline page a-….html: too long at 251
        "draft.md": case_text("draft", **{"source: 测试资料": "source: 测试资料\nstatus: draft"}),
        "draftish.md": with_aliases("draftish", "[draft]"),  # a draft's id is taken too
    })
    assert findings_of(tmp_path) == [
        (f"{'a' * 101}.md", "E206", 2), ("bad.md", "E206", 11), ("draftish.md", "E208", 11), ("folder.md", "E206", 11),
        ("long.md", "E206", 11), ("own.md", "E208", 11), ("taken.md", "E208", 11), ("twice.md", "E208", 11),
    ]
    library = check(tmp_path, today=TODAY)
    assert {c.id: c.aliases for c in library.cases} == {"new": ("old-one", "old-two"), "draft": (), "a" * 100: ()}
    assert "最多 100 个" in next(f.message for f in library.findings if f.path.endswith("long.md"))


def test_aliases_messages_name_the_value_and_the_other_case(tmp_path: Path) -> None:
    make_library(tmp_path, {"a.md": with_aliases("a", "[b]"), "b.md": case_text("b")})
    (f,) = check(tmp_path, today=TODAY).findings
    assert f.code == "E208" and "“b”" in f.message and "b.md" in f.message and "曾用编号" in f.message


# ==================================================================================================
# Messages: one clean line, whatever the value held (escaped line breaks and controls).
# ==================================================================================================


@pytest.mark.parametrize(("value", "code"), [('"永康\\n市"', "E203"), ('"\\e[31m永康"', "E218")])
def test_messages_are_one_clean_line(tmp_path: Path, value: str, code: str) -> None:
    make_library(tmp_path, {"a.md": case_text("a", **{"region: 永康市": f"region: {value}"})})
    library = check(tmp_path, today=TODAY)
    assert [f.code for f in library.findings] == [code]
    assert not re.search(r"[\x00-\x1f\x7f]", library.findings[0].message)



def test_e421_an_image_file_whose_bytes_are_not_its_format(tmp_path: Path) -> None:
    png = (VALID / "assets" / "cover.png").read_bytes()
    make_library(tmp_path, {"a.md": case_text("a")})
    files = {"text.png": b"not a png", "jpeg-named.png": b"\xff\xd8\xff\xe0" + bytes(20), "empty.gif": b"",
             "ihdr-later.png": png[:12] + b"abCd" + png[16:],  # a PNG's first chunk must be its header
             "riff.webp": b"RIFF\x00\x00\x00\x00WAVEfmt ", "ok.png": png, "ok.JPG": (PICTURES / "tiny.jpg").read_bytes(),
             "ok.gif": (PICTURES / "tiny.gif").read_bytes(), "ok.webp": (PICTURES / "tiny.webp").read_bytes(),
             "lossy.webp": (PICTURES / "tiny-lossy.webp").read_bytes(), "notes.pdf": b"not checked"}
    for name, data in files.items():
        (tmp_path / "assets" / name).write_bytes(data)
    found = sorted((relative(f.path, tmp_path), f.code, f.line) for f in check(tmp_path, today=TODAY).findings if f.severity == "error")
    assert found == [(f"assets/{n}", "E421", 1) for n in ("empty.gif", "ihdr-later.png", "jpeg-named.png", "riff.webp", "text.png")], found


def _png_header(width: int, height: int) -> bytes:
    import struct
    import zlib

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr)) + bytes(12)


def _jpeg_header(width: int, height: int) -> bytes:
    app0 = b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    dqt = b"\xff\xdb\x00\x04\x00\x00"
    sof = b"\xff\xc2\x00\x11\x08" + height.to_bytes(2, "big") + width.to_bytes(2, "big") + bytes(10)
    return b"\xff\xd8" + app0 + dqt + sof + b"\xff\xd9"


def _webp_vp8x(width: int, height: int) -> bytes:
    return (b"RIFF\x00\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00\x00\x00\x00\x00"
            + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little"))


def test_e423_an_image_whose_header_claims_an_impossible_or_enormous_size(tmp_path: Path, run_cli) -> None:
    """A picture of no pixels, or of more than 100 million (a PNG of a few hundred bytes claiming
    100,000 × 100,000 made the book's typesetter abort, asking for 30 GB): E423, in every raster
    format, read from the header (a JPEG's frame header after its other segments)."""
    make_library(tmp_path, {"a.md": case_text("a")})
    refused = {"bomb.png": _png_header(100_000, 100_000), "flat.png": _png_header(0, 4), "none.gif": b"GIF89a\x00\x00\x00\x00" + bytes(10),
               "wide.jpg": _jpeg_header(20_000, 6_000), "huge.webp": _webp_vp8x(20_000, 20_000),
               "just-over.png": _png_header(10_001, 10_000), "panorama.jpg": _jpeg_header(20_000, 16),
               "filled.jpg": _jpeg_header(20_000, 20_000).replace(b"\xff\xc2", b"\xff\xff\xff\xc2")}
    passing = {"photo.jpg": _jpeg_header(4_000, 3_000), "at-the-limit.png": _png_header(10_000, 10_000),
               "banner.webp": _webp_vp8x(3_000, 200), "small.gif": b"GIF89a\x20\x00\x10\x00" + bytes(10),
               "cover.png": (VALID / "assets" / "cover.png").read_bytes()}
    for name, data in {**refused, **passing}.items():
        (tmp_path / "assets" / name).write_bytes(data)
    found = sorted((relative(f.path, tmp_path), f.code, f.line) for f in check(tmp_path, today=TODAY).findings if f.code == "E423")
    assert found == sorted((f"assets/{n}", "E423", 1) for n in refused), found  # (the headers alone are E424)
    message = next(f.message for f in check(tmp_path, today=TODAY).findings if f.path.endswith("bomb.png"))
    assert "100,000 × 100,000" in message
    result = run_cli("book", "--cases", tmp_path, "--out", tmp_path.parent / "book-out")
    assert result.returncode == 1 and "E423" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path.parent / "book-out").exists()


def test_e424_a_picture_the_books_typesetter_cannot_decode(tmp_path: Path, run_cli) -> None:
    """Pictures whose headers pass E421 and E423 but whose content Typst cannot read (cut short,
    corrupt, an SVG of no size): E424 at the picture, with Typst's reason. Sound pictures of every
    format pass; a file E421 or E412 refuses is not handed to Typst at all."""
    from test_book import _broken_png

    make_library(tmp_path, {"a.md": case_text("a")})
    tiny = {name: (PICTURES / name).read_bytes() for name in ("tiny.jpg", "tiny.gif", "tiny.webp", "tiny-lossy.webp")}
    refused = {"broken.png": _broken_png(), "cut.jpg": tiny["tiny.jpg"][:150], "cut.gif": tiny["tiny.gif"][:-6],
               "cut.webp": tiny["tiny-lossy.webp"][:40], "flat.svg": b'<svg xmlns="http://www.w3.org/2000/svg" width="0" height="0"/>'}
    passing = {**tiny, "box.svg": b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 3"><rect width="4" height="3"/></svg>'}
    earlier = {"text.png": (b"not a png", "E421"), "not-xml.svg": (b'<svg xmlns="http://www.w3.org/2000/svg"><rect</svg>', "E412")}
    for name, data in {**refused, **passing, **{n: data for n, (data, _) in earlier.items()}}.items():
        (tmp_path / "assets" / name).write_bytes(data)
    findings = check(tmp_path, today=TODAY).findings
    found = sorted((relative(f.path, tmp_path), f.code, f.line) for f in findings if f.severity == "error")
    assert found == sorted([(f"assets/{n}", "E424", 1) for n in refused] + [(f"assets/{n}", code, 1) for n, (_, code) in earlier.items()]), found
    message = next(f.message for f in findings if f.path.endswith("cut.gif"))
    assert message.startswith("图片“assets/cut.gif”的内容解不开（排版程序 Typst 说：failed to decode image (") and "另存为 PNG 或 JPEG" in message
    result = run_cli("validate", "--cases", tmp_path)
    assert result.returncode == 1 and result.stdout.count(" E424 ") == len(refused), result.stdout
    # SVGs are placed in processes of their own, the slower road: stderr says so first (stdout may be JSON)
    assert f"正在请排版程序 Typst 逐张试放 {len(refused) + len(passing) + 1} 张图片" in result.stderr, result.stderr  # and cover.png


def test_without_mkdocs_yml_each_picture_is_asked_about_once(tmp_path: Path, run_cli, monkeypatch) -> None:
    """A library checked on its own (no mkdocs.yml found) is loaded a second time for the core's
    checks alone; its pictures, which may take minutes, are asked about once."""
    from test_book import _broken_png

    asked = []
    real = cli.pictures_refused
    monkeypatch.setattr(cli, "pictures_refused", lambda root, rels: asked.append(list(rels)) or real(root, rels))
    lib = make_library(tmp_path / "lib", {"a.md": case_text("a", **{"测试做法。": "测试<b>做法</b>。"})})  # a page to render
    (lib / "assets" / "bad.png").write_bytes(_broken_png())
    result = run_cli("validate", "--cases", lib, cwd=tmp_path)
    assert result.returncode == 1 and "assets/bad.png:1: E424 " in result.stdout and "找不到 MkDocs 配置" in result.stderr, result
    assert asked == [["assets/bad.png", "assets/cover.png"]]
    assert "试放" not in result.stderr  # two small pictures, placed at once: nothing to wait for


def test_e420_each_body_line_with_a_control_character_names_them(tmp_path: Path) -> None:
    """The body refuses the control characters a field refuses (E218's definition, sanitize), one
    finding per line, code blocks included; tab, CRLF and a lone CR (line breaks) are fine."""
    body = ("第一行\x0b第二行（Word 的手动换行）\n\n```\n代码\x1b[31m\n```\n\n甲\x01乙\x0b丙\x01\n\n"
            "换页\x0c\n\n删除\x7f和\x85\n\n非字符\uffff\n\n制表符\t可以。")  # (at a line's start a tab makes code: W308)
    crlf = case_text("b", **{"测试做法。": "第一行\r第二行\t制表"}).replace("\n", "\r\n").encode("utf-8")
    make_library(tmp_path, {"a.md": case_text("a", **{"测试做法。": body}), "b.md": crlf})
    library = check(tmp_path, today=TODAY)
    a = tmp_path / "a.md"
    found = [(relative(f.path, tmp_path), f.code, f.line) for f in library.findings]
    assert found == [("a.md", "E420", line_of(a, needle)) for needle in ("第一行", "代码", "甲", "换页", "删除", "非字符")], show(library.findings)
    messages = [f.message for f in library.findings]
    assert "U+000B" in messages[0] and "Word 的手动换行" in messages[0] and "换行" in messages[0].split("Word 的手动换行")[1]
    assert "U+001B" in messages[1] and "Word" not in messages[1].split("；", 1)[1]
    assert "U+0001、U+000B" in messages[2] and "Word 的手动换行" in messages[2]  # each once, in order
    assert ["U+000C" in messages[3], "U+007F、U+0085" in messages[4], "U+FFFF" in messages[5]] == [True, True, True]
    assert not any(re.search(r"[\x00-\x1f\x7f-\x9f]", m) for m in messages)
    assert [c.id for c in library.cases] == ["b"]  # CRLF and a lone CR are line breaks, tab is text


def test_e420_a_character_reference_to_a_control_character(tmp_path: Path) -> None:
    """`&#11;` and `&#xFFFF;` are those characters on the page (the Word book could not be made):
    E420 at their lines; in code they are shown as written, and other references are fine."""
    body = "文字&#xFFFF;后文\n\n与&#11;和&#x1B\n\n代码 `&#11;` 不算\n\n```\n&#x7F;\n```\n\n&#65; &#x85; &#0; &#xD800; &#99999999999;"
    make_library(tmp_path, {"a.md": case_text("a", **{"测试做法。": body})})
    library = check(tmp_path, today=TODAY)
    a = tmp_path / "a.md"
    found = sorted((f.code, f.line, f.message.split("`")[1]) for f in library.findings)
    assert found == [("E420", line_of(a, "后文"), "&#xFFFF;"), ("E420", line_of(a, "与&#11;"), "&#11;"),
                     ("E420", line_of(a, "与&#11;"), "&#x1B")], show(library.findings)


def _reference_samples() -> list[str]:
    import random

    rng = random.Random(20261207)
    samples = [f"&#{n};" for n in [*range(0, 0x30), *range(0x7E, 0xA1), 0xD800, 0xDFFF, 0xFFFE, 0xFFFF, 0x10FFFF, 0x110000]]
    samples += [f"&#x{n:x}" + rng.choice(["", ";", "g", " "]) for n in (rng.randrange(0x110000 + 500) for _ in range(300))]
    samples += ["&#x" + "0" * 12 + "41;", "&#" + "9" * 30 + ";", "&#X1b;"]
    return samples


@pytest.mark.browser
def test_character_references_read_as_chromium_reads_them(browser) -> None:
    """The oracle for E420's reading of `&#…;` (Python's html.unescape drops the controls a
    browser keeps): the character, or U+FFFD, or Windows-1252's, as Chromium decodes it."""
    from casebook.core.body import _CHARACTER_REFERENCE, _referenced

    samples = _reference_samples()
    page = browser.new_page()
    try:
        read = page.evaluate("""refs => refs.map(r => { const d = document.createElement("div"); d.innerHTML = r;
                                                        return d.textContent; })""", samples)
    finally:
        page.close()
    differ = []
    for ref, shown in zip(samples, read):
        m = _CHARACTER_REFERENCE.match(ref)
        if _referenced(m.group()) + ref[m.end():] != shown:
            differ.append((ref, shown, _referenced(m.group())))
    assert not differ, differ[:10]


def test_list_hint_uses_half_width_commas(tmp_path: Path) -> None:
    make_library(tmp_path, {"a.md": case_text("a", **{"category: [党建工作法]": "category: 党建工作法，党员教育"})})
    (finding,) = check(tmp_path, today=TODAY).findings
    assert finding.code == "E204" and "，" not in finding.message.split("请写成列表")[1]



@pytest.mark.parametrize(("html", "codes"), [
    # srcset: not allowed at all (one finding: the attribute goes, with the address in it)
    ('<img src="assets/cover.png" srcset="https://example.com/a.png 2x">', ["E409"]),
    # video: not allowed; its addresses go with it
    ('<video src="assets/cover.png" poster="https://example.com/a.png"></video>', ["E408"]),
    ('<img src="https://example.com/a.png" alt="x">', ["E404"]),
])
def test_every_url_attribute_is_checked(tmp_path: Path, html: str, codes: list[str]) -> None:
    make_library(tmp_path, {"a.md": case_text("a", **{"测试做法。": html})})
    assert sorted(f.code for f in check(tmp_path, today=TODAY).findings) == codes


# ==================================================================================================
# The CLI: exit codes and output formats
# ==================================================================================================

TEXT_LINE = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+): (?P<code>[EW]\d{3}) (?P<message>\S.*)$")


def test_cli_valid_exits_0(run_entry_point) -> None:
    """Through the real entry point (`python -m casebook`): its exit status and output."""
    result = run_entry_point("validate", "--cases", "tests/fixtures/valid")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout.count("W301") == 2
    # the draft among the valid fixtures passes, and the summary says it will not be published
    summary = result.stdout.rstrip("\n").rsplit("\n", 1)[-1]
    assert "其中 1 个是草稿（status: draft），不会发布：shili-xuexi-xiaozu" in summary, summary
    assert summary.endswith("各代码的含义和改法见 docs/guide/codes.md。") and (REPO / "docs/guide/codes.md").is_file()


def test_cli_strict_fails_on_warnings(run_cli) -> None:
    result = run_cli("validate", "--cases", "tests/fixtures/valid", "--strict")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr


def test_cli_invalid_exits_1(run_entry_point) -> None:
    result = run_entry_point("validate", "--cases", "tests/fixtures/invalid")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "E101" in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ("validate", "--cases", "tests/fixtures/no-such-dir"),
        ("validate", "--cases", "tests/fixtures/valid/taxonomy.yml"),  # a file, not a directory
        ("validate", "--cases", "tests/fixtures/valid", "--format", "xml"),
        ("validate", "--no-such-option"),
        ("no-such-command",),
        (),
    ],
)
def test_cli_usage_errors_exit_2(run_cli, args: tuple[str, ...]) -> None:
    result = run_cli(*args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.strip() and not result.stdout.strip()


@pytest.mark.parametrize(("args", "words"), [
    (("new", "——title", "标题"), "写成两个半角减号 `--title`"),  # a Chinese input method's dash
    (("validate", "－－cases", "cases"), "`--cases`"),
    (("valdiate",), "是否想写“validate”"),
    (("validate", "cases/kangdi-yangguang-chedui.md"), "不能写单个文件"),
    (("validate", "--cases", "cases/kangdi-yangguang-chedui.md"), "是一个文件：--cases 要写案例库的文件夹"),
    (("validate", "--format"), "后面要跟一个值"),
    (("new", "--org", "某公司"), "缺少必需的参数：--title"),
])
def test_cli_usage_errors_are_chinese_and_say_what_to_type(run_cli, args: tuple[str, ...], words: str) -> None:
    result = run_cli(*args, cwd=REPO)
    assert result.returncode == 2 and words in result.stderr, result.stderr
    assert not re.search(r"[a-z]{3,} [a-z]{3,} [a-z]{3,}", result.stderr.replace("usage", "")), result.stderr  # no English sentence


def test_cli_help_is_chinese(run_cli) -> None:
    result = run_cli("validate", "-h", cwd=REPO)
    assert result.returncode == 0 and result.stdout.startswith("用法：casebook validate") and "显示本帮助后退出" in result.stdout


def test_cli_a_missing_library_says_where_to_run(run_cli, tmp_path: Path) -> None:
    make_library(tmp_path / "cases", {})
    result = run_cli("validate", "--cases", "cases", cwd=tmp_path / "cases")  # from inside the library
    assert result.returncode == 2 and "就是案例库本身：请写 --cases ." in result.stderr, result.stderr


def test_cli_missing_dir_names_it(run_cli) -> None:
    result = run_cli("validate", "--cases", "tests/fixtures/no-such-dir")
    assert "tests/fixtures/no-such-dir" in result.stderr


def test_cli_default_library_is_cases_in_cwd(run_cli, tmp_path: Path) -> None:
    make_library(tmp_path / "cases", {"a.md": case_text("a", **{"date: 2024-01-05": "date: 2999-01-01"})})
    result = run_cli("validate", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.startswith("cases/a.md:9: E211 ")


def test_text_format(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    assert cli.main(["validate", "--cases", "tests/fixtures/invalid"]) == 1
    out = capsys.readouterr().out
    *lines, summary = out.rstrip("\n").split("\n")
    parsed = [TEXT_LINE.match(line) for line in lines]
    assert all(parsed), [line for line, m in zip(lines, parsed) if not m]
    keys = [(m["path"], int(m["line"])) for m in parsed]
    assert keys == sorted(keys)
    assert all(m["path"].startswith("tests/fixtures/invalid/") for m in parsed)
    assert len(lines) == sum(len(v) for v in EXPECTED.values())
    assert "tests/fixtures/invalid/e203-region-not-in-vocab.md:6: E203 " in out
    assert "错误" in summary and "警告" in summary


def test_text_format_clean_library(run_cli, tmp_path: Path) -> None:
    make_library(tmp_path, {"a.md": case_text("a")})
    result = run_cli("validate", "--cases", str(tmp_path))
    assert result.returncode == 0
    assert result.stdout.strip().count("\n") == 0  # only the summary line
    assert "1 个案例" in result.stdout


def test_json_format(run_cli) -> None:
    result = run_cli("validate", "--cases", "tests/fixtures/invalid", "--format", "json")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"cases", "errors", "warnings"}
    assert isinstance(data["cases"], int)
    for entry in data["errors"] + data["warnings"]:
        assert set(entry) == {"path", "line", "code", "message"}
        assert isinstance(entry["line"], int) and entry["line"] >= 1
    assert {e["code"] for e in data["warnings"]} == {e["code"] for exp in EXPECTED.values() for e in exp if e["code"].startswith("W")}
    assert all(e["code"].startswith("E") for e in data["errors"])
    total = sorted((Path(e["path"]).relative_to("tests/fixtures/invalid").as_posix(), e["code"], e["line"])
                   for e in data["errors"] + data["warnings"])
    assert total == sorted((rel, e["code"], e["line"]) for rel, exp in EXPECTED.items() for e in exp)
    assert any(e["message"] for e in data["errors"])


def test_json_format_valid(run_cli) -> None:
    result = run_cli("validate", "--cases", "tests/fixtures/valid", "--format", "json")
    assert result.returncode == 0
    data = json.loads(result.stdout)
    assert data["cases"] == len(list(VALID.rglob("*.md")))
    assert data["errors"] == []
    assert [w["code"] for w in data["warnings"]] == ["W301", "W301"]
    assert "\\u" not in result.stdout  # readable UTF-8 (ensure_ascii=False), not escapes


def test_github_format(run_cli) -> None:
    result = run_cli("validate", "--cases", "tests/fixtures/invalid", "--format", "github")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    *lines, _summary = result.stdout.rstrip("\n").split("\n")
    pattern = re.compile(r"^::(error|warning) file=([^,]+),line=(\d+),title=([EW]\d{3})::([EW]\d{3}) \S")
    for line in lines:
        m = pattern.match(line)
        assert m, line
        assert (m[1] == "warning") == m[4].startswith("W") and m[4] == m[5]
    assert "::error file=tests/fixtures/invalid/e203-region-not-in-vocab.md,line=6,title=E203::E203 " in result.stdout
    assert "::warning file=tests/fixtures/invalid/w301-incomplete-section.md,line=21,title=W301::" in result.stdout


def test_validate_never_writes_to_the_library(run_cli, tmp_path: Path) -> None:
    def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
        return {p.relative_to(root).as_posix(): (p.read_bytes() if p.is_file() else b"", p.stat().st_mtime_ns)
                for p in sorted(root.rglob("*"))} | {".": (b"", root.stat().st_mtime_ns)}

    for name, source in (("valid", VALID), ("invalid", INVALID)):
        root = tmp_path / name
        shutil.copytree(source, root)
        before = snapshot(root)
        for fmt in ("text", "json", "github"):
            run_cli("validate", "--cases", str(root), "--format", fmt, "--strict")
        check(root, today=TODAY)
        assert snapshot(root) == before, name


def test_shipped_library_validates(run_cli) -> None:
    if not SHIPPED.is_dir():
        pytest.skip("no cases/ library in this checkout")
    result = run_cli("validate", "--cases", "cases")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert not re.search(r":\d+: E\d{3} ", result.stdout), result.stdout


# What the speech leaves out, section by section: the shipped library's only warnings (W301). A
# section filled from a new source comes off this list; none of the writing lints (W216-W218,
# W302-W306) may fire on the shipped cases.
SHIPPED_INCOMPLETE = [
    ("chuziren-jiaoyu-yindao.md", "取得成效"),
    ("dangwu-gongzuozhe-duiwu.md", "取得成效"),
    ("dangyuan-shuangpei-sanlianghua.md", "取得成效"),
    ("gangtaochang-wenqing-gongzuofa.md", "主要做法"),  # the speech names the method only
    ("gangtaochang-wenqing-gongzuofa.md", "取得成效"),
    ("qunsheng-xianxing-xuexi-kaocha.md", "取得成效"),
    ("shuangchong-guanli.md", "取得成效"),  # plans at the time of the speech
    ("zhengxing-chuangxian.md", "取得成效"),
]


def test_shipped_library_warns_only_of_incomplete_sections() -> None:
    """The shipped cases model good case writing: apart from 待补充 notices, no warning at all."""
    if not SHIPPED.is_dir():
        pytest.skip("no cases/ library in this checkout")
    library = check(SHIPPED, today=dt.date.today())
    assert library.cases and not library.errors
    assert [f.text() for f in library.findings if f.code != "W301"] == []
    incomplete = []
    for f in library.findings:
        lines = (SHIPPED / Path(f.path).name).read_text("utf-8").split("\n")
        incomplete.append((Path(f.path).name, lines[f.line - 1].removeprefix("## ")))
    assert incomplete == SHIPPED_INCOMPLETE
    for f in library.findings:  # each W301 is a section that says 待补充 and nothing else
        lines = (SHIPPED / Path(f.path).name).read_text("utf-8").split("\n")
        assert lines[f.line - 1].startswith("## ") and lines[f.line + 1].strip() == "待补充", f.text()


@pytest.mark.parametrize("where", ["gc callback", "__del__"])
def test_the_render_limit_holds_where_python_drops_exceptions(where: str) -> None:
    """Python prints and drops an exception raised in a garbage-collector callback (hypothesis
    installs one; a library may too) or in `__del__`: the limit's signal then comes again until it
    lands in ordinary code, and nothing is reported as "Exception ignored"."""
    import gc
    import time

    from casebook.core import deadline

    def busy(seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            pass

    def slow_callback(phase, info):
        busy(0.3)  # the limit (0.1 s) passes in here, in a function the callback calls

    class Slow:
        def __del__(self):
            busy(0.3)

    start = time.monotonic()
    if where == "gc callback":
        gc.callbacks.append(slow_callback)
    try:
        with pytest.raises(deadline.TooSlow):
            with deadline.deadline(0.1):
                if where == "gc callback":
                    gc.collect()
                else:
                    Slow()  # dropped at once: __del__ runs here
                time.sleep(2)
    finally:
        if where == "gc callback":
            gc.callbacks.remove(slow_callback)
    assert time.monotonic() - start < 1.5


def test_e417_page_too_slow_to_render(tmp_path: Path, monkeypatch) -> None:
    """Python-Markdown needs minutes for a paragraph of tens of thousands of `[` (the build would
    hang on it): validation gives a page a few seconds (here one, to keep the suite quick) and says
    so at the body."""
    import time

    from casebook.core import deadline

    monkeypatch.setattr(deadline, "RENDER_SECONDS", 1)
    body = "[" * 40_000
    make_library(tmp_path, {"a.md": MINIMAL_CASE.format(id="a").replace("测试做法。", body)})
    start = time.monotonic()
    library = check(tmp_path, today=TODAY)
    assert time.monotonic() - start < 30
    assert [(f.code, f.line) for f in library.errors] == [("E417", line_of(tmp_path / "a.md", "## 基本情况") - 1)]
