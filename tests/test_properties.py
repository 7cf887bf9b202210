"""Property and hostile-input tests: whatever bytes a case file holds, the validator reports findings
(with known codes, at real lines) and never raises, hangs or executes anything."""

from __future__ import annotations

import codecs
import html
import json
import re
import tempfile
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from hypothesis import assume, example, given
from hypothesis import strategies as st

from casebook.core import report, scan
from casebook.core.model import Library
from casebook.core.schema import CODE_BY_ID, FIELD_BY_KEY
from conftest import check, MINIMAL_CASE, TODAY, VALID, make_library, relative

# ==================================================================================================
# Helpers
# ==================================================================================================


def line_count(data: bytes) -> int:
    """Lines of a file as the validator numbers them: "\\n", "\\r\\n" and "\\r" end a line."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return data.count(b"\n") + 1
    return text.replace("\r\n", "\n").replace("\r", "\n").count("\n") + 1


def validate_bytes(data: bytes, name: str = "case.md") -> Library:
    """Validate a library holding one case file with these bytes (and a valid taxonomy)."""
    with tempfile.TemporaryDirectory() as tmp:
        root = make_library(Path(tmp), {name: data})
        library = check(root, today=TODAY)
        check_findings(library, root, data, name)
        check_reports(library)
        return library


def check_reports(library: Library) -> None:
    """Every report format carries every finding, one per line, and the summary last."""
    findings = library.findings
    summary = report.summary(library)
    for fmt in ("text", "github"):
        lines = report.FORMATS[fmt](library).split("\n")
        assert lines[-2:] == [summary, ""], fmt  # ends with the summary and a newline
        assert len(lines) == len(findings) + 2, (fmt, lines)  # a message never breaks its line
        for f, line in zip(findings, lines, strict=False):
            if fmt == "text":
                assert line == f"{f.path}:{f.line}: {f.code} {f.message}", line
            else:
                assert line.startswith(f"::{f.severity} file=") and f",line={f.line},title={f.code}::{f.code} " in line, line
    data = json.loads(report.as_json(library))
    assert data["cases"] == len(library.cases)
    entries = [{"path": f.path, "line": f.line, "code": f.code, "message": f.message} for f in findings]
    assert data["errors"] + data["warnings"] == [e for e in entries if e["code"][0] == "E"] + [e for e in entries if e["code"][0] == "W"]


def check_findings(library: Library, root: Path, data: bytes, name: str) -> None:
    lines = line_count(data)
    for f in library.findings:
        assert f.code in CODE_BY_ID, f
        assert f.severity == CODE_BY_ID[f.code].severity, f
        assert relative(f.path, root) == name, f  # the taxonomy is valid: findings are the case's
        assert 1 <= f.line <= lines, (f, lines)
        assert f.message.strip(), f
    # A case loads exactly when it has no errors, its own or library-wide (E407 dead case links).
    assert len(library.cases) == (0 if library.errors else 1), library.findings


# Pieces that matter to the parsers: fences, YAML punctuation, full-width look-alikes, hostile
# YAML, line ends, byte-order marks, NUL, Markdown headings and links, HTML, personal data.
TOKENS = [
    "---", "...", "\n", "\r\n", "\r", ":", "：", ": ", "'", '"', "“", "”", "&a ", "*a", "!!", "!!python/object/apply:os.system ",
    "!x ", "\t", "\ufeff", "\x00", "[", "]", "{", "}", ",", "，", "- ", "? ", "|", ">", "#", "%", "@", "`", "```", "~",
    "<<: ", "\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\ud7ff", "\U0001f600",
    "id", "title", "titel", "标题", "date", "category", "honors", "featured", "status", "cover", "tags",
    "yes", "no", "null", "010", "2024-02-30", "2999-01-01", "2024-1-5", "0x1F",
    "## ", "## 基本情况\n\n", "## 主要做法\n\n", "## 取得成效\n\n", "## 经验启示\n", "待补充", "### ",
    "<script>", "</script>", "<img src=x onerror=y>", "<a onclick=", "![x](", "[x](", ")", "javascript:", "&#106;",
    "data:", "https://example.com/a.png", "../", "/etc/passwd", "other.md)", "case.md#a)", "assets/cover.png", "assets/none.png",
    "13812345678", "11010519491231002X", "110105194912310021", "永康", "永康市", "党建工作法",
    "，讲话没有介绍。", "讲话没有说明", "本案例的单位写作", "组织类型写“", "12 名", "aliases", ": [a-b, x]",
]
token_text = st.lists(st.one_of(st.sampled_from(TOKENS), st.text(max_size=4)), max_size=80).map("".join)
short_token_text = st.lists(st.one_of(st.sampled_from(TOKENS), st.text(max_size=3)), max_size=6).map("".join)

# Front matter lines: good ones from the minimal case, `key: junk` for real and misspelt keys, junk.
FIELD_LINES = MINIMAL_CASE.format(id="case").split("---\n")[1].splitlines()
front_line = st.one_of(
    st.sampled_from(FIELD_LINES),
    st.builds(
        "{}{}{}".format,
        st.sampled_from([*FIELD_BY_KEY, "titel", "标题", "x", "  - level", "    year"]),
        st.sampled_from([": ", "：", ":", " : ", ": [", ": {"]),
        short_token_text,
    ),
    short_token_text,
)
front_soup = st.lists(front_line, max_size=16).map("\n".join)

# Valid cases as mutation seeds; each is validated alone, so its link to another case goes.
BASE_CASES = {
    name: (VALID / name).read_bytes().replace("[温情工作法](ceshichang-wenqing-gongzuofa.md)".encode(), "温情工作法".encode())
    for name in ("shili-yangguang-chedui.md", "shili-hongse-yizhan.md", "ceshichang-wenqing-gongzuofa.md")
}
assert b".md)" not in b"".join(BASE_CASES.values())


@st.composite
def mutated_case(draw) -> tuple[str, bytes]:
    """A valid case file with a few random edits: characters or lines deleted, duplicated, inserted."""
    name = draw(st.sampled_from(sorted(BASE_CASES)))
    text = BASE_CASES[name].decode("utf-8")
    for _ in range(draw(st.integers(1, 5))):
        lines = text.split("\n")
        op = draw(st.sampled_from(["del-chars", "ins-token", "ins-text", "del-line", "dup-line", "ins-line", "swap-lines"]))
        at = draw(st.sampled_from(range(len(text) + 1)))  # uniform: plain integers favour 0
        row = draw(st.sampled_from(range(len(lines))))
        if op == "del-chars":
            text = text[:at] + text[at + draw(st.integers(1, 8)):]
        elif op == "ins-token":
            text = text[:at] + draw(st.sampled_from(TOKENS)) + text[at:]
        elif op == "ins-text":
            text = text[:at] + draw(st.text(max_size=6)) + text[at:]
        elif op == "del-line":
            text = "\n".join(lines[:row] + lines[row + 1:])
        elif op == "dup-line":
            text = "\n".join(lines[:row + 1] + lines[row:])
        elif op == "ins-line":
            text = "\n".join(lines[:row] + [draw(token_text)] + lines[row:])
        else:
            other = draw(st.sampled_from(range(len(lines))))
            lines[row], lines[other] = lines[other], lines[row]
            text = "\n".join(lines)
    return name, text.encode("utf-8", "surrogatepass")


# ==================================================================================================
# Properties
# ==================================================================================================


def test_base_cases_are_valid() -> None:
    for name, data in BASE_CASES.items():
        assert not validate_bytes(data, name).errors


@given(st.binary(max_size=3000))
@example(b"")
@example(b"\xff\xfe")
@example(codecs.BOM_UTF8)
@example(b"---\n---\n")
@example(b"\x00---\n")
def test_any_bytes(data: bytes) -> None:
    validate_bytes(data)


@given(st.text(max_size=3000))
def test_any_text(text: str) -> None:
    validate_bytes(text.encode("utf-8", "surrogatepass"))


@given(front_soup)
@example("id: case\ntitle: a\u2028\u2028\u2028\u2028b: c")
@example("id: case\nsource: 'a\x85\x85\x85\x85\x85\x85'\nx: y")
@example("- a")
@example("*a")
def test_token_soup_as_front_matter(text: str) -> None:
    validate_bytes(("---\n" + text + "\n---\n" + MINIMAL_CASE.split("---\n", 2)[2]).encode("utf-8", "surrogatepass"))


@given(token_text)
def test_token_soup_as_body(text: str) -> None:
    validate_bytes((MINIMAL_CASE.format(id="case") + text).encode("utf-8", "surrogatepass"))


@given(mutated_case())
def test_mutated_valid_case(named: tuple[str, bytes]) -> None:
    name, data = named
    validate_bytes(data, name)


@given(st.sampled_from(sorted(BASE_CASES)), st.sampled_from([codecs.BOM_UTF8, b""]), st.sampled_from([b"\n", b"\r\n", b"\r"]))
def test_line_ends_and_bom_do_not_matter(name: str, bom: bytes, newline: bytes) -> None:
    data = BASE_CASES[name].removeprefix(codecs.BOM_UTF8).replace(b"\r\n", b"\n")
    library = validate_bytes(bom + data.replace(b"\n", newline), name)
    assert not library.errors
    reference = validate_bytes(data, name)
    assert [(f.code, f.line) for f in library.findings] == [(f.code, f.line) for f in reference.findings]


# ==================================================================================================
# Hostile inputs: fail fast (generous bounds; these are guards, not benchmarks)
# ==================================================================================================


def timed(data: bytes) -> tuple[Library, float]:
    start = time.monotonic()
    library = validate_bytes(data)
    return library, time.monotonic() - start


def front(*lines: str) -> bytes:
    body = MINIMAL_CASE.split("---\n", 2)[2]
    return ("---\n" + "\n".join(lines) + "\n---\n" + body).encode("utf-8")


def test_billion_laughs_fails_fast() -> None:
    levels, width = 30, 30  # 30**30 strings if expanded
    lines = ['l0: &a0 "哈哈"'] + [f"l{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]" for i in range(1, levels)]
    library, seconds = timed(front(*lines))
    assert {f.code for f in library.findings} == {"E110"}
    assert seconds < 5


def test_alias_bomb_under_a_real_field_fails_fast() -> None:
    lines = ['a0: &a0 ["哈", "哈", "哈", "哈", "哈", "哈", "哈", "哈"]']
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 9)]
    library, seconds = timed(front(*lines, "title: *a8"))
    assert "E110" in {f.code for f in library.findings}
    assert seconds < 5


def test_deep_flow_nesting_fails_fast() -> None:
    library, seconds = timed(front("title: " + "[" * 200_000 + "]" * 200_000))
    assert {f.code for f in library.findings} <= {"E104", "E110"} and library.errors
    assert seconds < 5


def test_deep_block_nesting_fails_fast() -> None:
    lines = ["title:"] + [" " * i + "- " for i in range(1, 1200)]
    library, seconds = timed(front(*lines))
    assert {f.code for f in library.findings} <= {"E104", "E110"} and library.errors
    assert seconds < 5


def test_many_findings_stay_linear() -> None:
    """10 000 list items outside the vocabulary: one finding each, quickly."""
    items = ", ".join(f"无{i}" for i in range(10_000))
    library, seconds = timed(front("id: case", "title: 标题", f"tags: [{items}]"))
    assert sum(f.code == "E203" for f in library.findings) == 10_000
    assert seconds < 20


def test_long_lines_of_markup_stay_linear(monkeypatch) -> None:
    """Lines of unclosed `<a` (and friends) near the 1 MB file limit must not make the scan quadratic.
    (`[x](` repeated is a page Python-Markdown needs minutes for: E417 after the render limit, here
    one second instead of five.)"""
    from casebook.core import deadline

    monkeypatch.setattr(deadline, "RENDER_SECONDS", 1)
    for unit in ("<a ", "<img src", "<a onclick", '<img src="', "< ", "<x:", "[x](", "`", "`a``", "138 "):
        payload = (unit * (200_000 // len(unit))).encode("utf-8")
        library, seconds = timed(MINIMAL_CASE.format(id="case").encode("utf-8") + payload)
        assert seconds < 10, (unit, seconds)


def test_markup_read_only_when_a_finding_needs_its_line_stays_linear() -> None:
    """What is read only after the sanitiser removed something Markdown made, or after the page
    showed Markdown as text: a removed attribute looked up by `name=value` beside a long run of
    name characters; a tag left open, beside a long line of tag openings; the page's text with its
    code taken out, beside thousands of unclosed `<code>`. (Each took minutes near the file limit.)"""
    for payload, code in (("段落\n{: data-x=1 }\n\n" + "a" * 200_000, "E409"),
                          ("[x](javascript:alert(1))\n\n" + "<a" * 200_000 + ">x", "E403"),
                          ("![图][无]\n\n" + "<code>" * 30_000, "W307")):
        library, seconds = timed(MINIMAL_CASE.format(id="case").replace("测试做法。", payload).encode("utf-8"))
        assert code in {f.code for f in library.findings} and seconds < 10, (code, seconds)


def test_many_short_lines() -> None:
    body = "\n".join(f"- 第 {i} 条做法 <a href='#主要做法'>链接{i}</a> ![图](assets/cover.png)" for i in range(10_000))
    library, seconds = timed(MINIMAL_CASE.format(id="case").replace("测试做法。", body).encode("utf-8"))
    assert not library.errors and seconds < 20


def test_quotes_nested_deep_stay_linear() -> None:
    """100,000 quotes one inside another (600 KB): paired, quickly; one left open: W303 at its
    line. (The quick check took a regex pass per nesting level: a minute and a half.)"""
    for body, codes in (("“" * 100_000 + "”" * 100_000, []), ("《" * 100_000 + "》" * 99_999, [("W303", 0)])):
        library, seconds = timed(MINIMAL_CASE.format(id="case").replace("测试做法。", body).encode("utf-8"))
        first = MINIMAL_CASE.format(id="case").split("\n").index("测试做法。") + 1
        assert [(f.code, f.line - first) for f in library.findings] == codes and seconds < 10, seconds


@given(st.text(alphabet="\nab\r中", max_size=200), st.lists(st.integers(0, 210), max_size=20))
def test_line_index_counts_the_line_breaks_before_an_offset(text, offsets) -> None:
    from casebook.core import scan

    line = scan.line_index(text)
    assert [line(o) for o in offsets] == [text.count("\n", 0, o) for o in offsets]


def test_many_findings_in_a_body_stay_linear_and_each_at_its_line() -> None:
    """Thousands of problems in one body, one kind at a time: each reported at its own line, the
    whole in seconds. (Every finding looked its address up in the body from the start: 4,000
    missing images took five minutes, 1,000 took eight seconds.)"""
    n = 3_000
    kinds = [  # (the code, the text written n times, its line that has the problem)
        ("E406", "![图](assets/m{}.png)", 0),
        ("E406", "![图](assets/missing.png)", 0),  # the same missing image every time
        ("E415", '<a href="f{}.pdf">材料</a>', 0),
        ("E408", "<font>字{}</font>", 0),
        ("W307", "[d{}]: assets/x.png", 0),
        ("W307", "![图][无定义]", 0),  # the same image left as text every time
        ("E409", '<p style="color:red">字{}</p>', 0),
        ("E409", "段落{}\n{{: data-x=1 }}", 1),  # an attribute list: the same one every time
    ]
    first = line_count(MINIMAL_CASE.format(id="case").split("测试做法。")[0].encode("utf-8"))
    for code, text, at in kinds:
        body = "".join(text.format(i) + "\n\n" for i in range(n))
        data = MINIMAL_CASE.format(id="case").replace("测试做法。", body).encode("utf-8")
        library, seconds = timed(data)
        lines = sorted(f.line for f in library.findings if f.code == code)
        step = text.count("\n") + 2
        assert lines == [first + step * i + at for i in range(n)], (code, text, lines[:3], first)
        assert seconds < 20, (code, seconds)


# ==================================================================================================
# The HTML scan finds exactly what the plain regular expressions find (the linear scan is equivalent)
# ==================================================================================================


class _Reference(HTMLParser):
    """Python's HTML parser: the reference for which tags raw HTML holds (it takes quadratic time
    on some input, which is why scan.raw_tags does not use it)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, tuple, bool]] = []
        self.nested = False  # a start tag holds another `<` (in a quoted value)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, tuple(attrs), False))
        self.nested = self.nested or "<" in self.get_starttag_text()[1:]

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        self.tags.append((tag, (), True))


html_soup = st.lists(
    st.sampled_from([
        "<", ">", "a", "A", "\u3000", "img", "IMG", "p", "o:p", "b", " ", "\t", "\n", "src", "SRC", "href", "style", "class",
        "=", '"', "'", "x", "/", "</", "<a ", "<img ", " onerror=", ' src="a.png"', "< ", "&amp;", "MsoNormal",
    ]),
    max_size=40,
).map("".join)


@given(html_soup)
def test_raw_tag_scan_matches_the_html_parser(text: str) -> None:
    """Where no tag holds another `<` (in a quoted value or as an attribute name, which the linear
    scan does not allow), scan.raw_tags reads the same tags, attributes and values as Python's
    HTML parser."""
    assume("`" not in text and not re.search(r"<[^<>]*<[^>]*>", text))
    parser = _Reference()
    parser.feed(text)
    parser.close()
    assume(not parser.nested)
    got = [(t.name, t.attrs, t.closing) for t in scan.raw_tags(text)]
    assert got == parser.tags


def test_no_python_tags_anywhere_execute(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    payload = f'!!python/object/apply:os.system ["touch {marker}"]'
    for where in (f"title: {payload}", f"tags: [{payload}]", f"honors:\n  - {{level: {payload}, title: x, year: 2020}}", f"x: {payload}"):
        validate_bytes(front("id: case", where))
    assert not marker.exists()


def test_unicode_line_separators_do_not_shift_lines() -> None:
    """YAML also breaks lines at U+0085, U+2028 and U+2029; editors and the findings count only "\\n"."""
    for sep in ("\x85", "\u2028", "\u2029"):
        data = front("id: case", f"title: '示例{sep * 5}工作法'", "titel: x")
        library = validate_bytes(data)
        assert ("E202", 4) in [(f.code, f.line) for f in library.findings], library.findings
    # ...and when the front matter is the whole file, no finding points past its end
    validate_bytes(b"---\nid: x\n" + "source: '\u2028\u2028\u2028\u2028\u2028\u2028'\nb: c".encode("utf-8") + b"\n---\n")


def test_raw_control_characters_are_rejected_not_echoed() -> None:
    """A raw ESC in the front matter is a YAML error, and the message names it instead of printing it.
    (Escaped ones, like "\\e" in a quoted value, are E218 and named too: test_validate.py, test_messages_are_one_clean_line.)"""
    library = validate_bytes(front("id: case", "title: [\x1b[31m]", "summary: 'a\u2028b'"))
    assert [f.code for f in library.findings] == ["E104"]
    for f in library.findings:
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", f.message), f


# The fast section split (one regex pass) agrees with the line-by-line one wherever it is used.
section_soup = st.lists(
    st.sampled_from(["## 基本情况", "## 主要做法 ##", "##", "## ", "### 小节", " ## 缩进", "    ## 代码", "#", "正文", "", "- 列表", "待补充", "##x", "\t## 制表"]),
    max_size=25,
).map("\n".join)


@given(section_soup, st.integers(min_value=1, max_value=50))
def test_fast_sections_agree_with_line_by_line(body: str, first: int) -> None:
    assert scan._atx_sections(body, first) == scan._line_sections(body, first)


# ==================================================================================================
# Markdown keeps every letter of a paragraph, or validation says where it does not (E425)
# ==================================================================================================

_EMPHASIS_SOUP = st.lists(st.sampled_from(["甲", "乙", "丙", "a", "b", "*", "**", "***", "_", "__", " ", "\n", "- ", "|",
                                           "| --- |", "\\*"]), min_size=1, max_size=16).map("".join)


def _letters_shown(block: str) -> list[str]:
    """The letters of `block` as the site's Markdown shows them (rendered alone)."""
    import html

    from casebook.core import markup

    return markup._LETTER.findall(html.unescape(re.sub(r"<[^>]*>", " ", markup._render(markup._markdown(), block))))


@given(_EMPHASIS_SOUP)
@example("*甲己**己丙*甲")  # Python-Markdown drops the last 甲
@example("*一二三四五六七八九十百千***重要内容*")  # ... and 容 (a span as long as its placeholder)
@example("| 列 | 列 |\n|---|---|\n| 甲 | 乙 | 丙 |")  # ... and a cell the header has no column for
def test_lost_letters_finds_exactly_the_blocks_markdown_drops_letters_of(block: str) -> None:
    """The oracle is the rendering itself: a block (no blank line inside) loses letters exactly
    when lost_letters says so; the quick way past it (simple_emphasis) is taken only by blocks
    that lose none."""
    from casebook.core import markup

    assume(block.strip() and "\n\n" not in block)
    loses = _letters_shown(block) != re.findall(r"[^\W\d_]", block)
    if markup.simple_emphasis(block) and "|" not in block:
        assert not loses, block
    assert bool(markup.lost_letters(block)) == loses, block


@given(st.lists(st.sampled_from(["甲", "a", "1", "2024", "15%", "*", "**", "***", "_", " ", "\n", "|", "| --- |", "- "]),
                min_size=1, max_size=16).map("".join))
@example("*2024年**增长*15%")  # Python-Markdown shows 5%
@example("| 列 | 列 |\n|---|---|\n| 甲 | 乙 | 2024 |")
def test_lost_digits_are_found_too(block: str) -> None:
    """Figures are facts: a block (no `.`, so no list numbers, which leave the text on purpose)
    loses a digit exactly when lost_letters says it loses something."""
    from casebook.core import markup

    assume(block.strip() and "\n\n" not in block)
    shown = markup._CHARACTER.findall(html.unescape(re.sub(r"<[^>]*>", " ", markup._render(markup._markdown(), block))))
    assert bool(markup.lost_letters(block)) == (shown != re.findall(r"[^\W_]", block)), block


@pytest.mark.parametrize("body", [
    "1. 使用 `x|y` 筛选",  # a bar in a list item is no table
    "1. 甲\\|乙两类",
    "> 1. 使用 `x|y` 筛选",
    "- 第一项\n    1. 使用 `x|y` 筛选",
    "1. 第一步\n\n    | 项目 | 数量 |\n    | --- | --- |\n    | [党员](https://example.org/a) | 十五 |",  # alone: code
    "1. 第一步\n\n    | 项目 | 数量 |\n    | --- | --- |\n    | <b>党员</b> | 15 |",
    '!!! note "说明"\n    第一段。\n\n    | 项目 | 数量 |\n    | --- | --- |\n    | 党员&amp;群众 | 十五 |',
    '!!! note "说明"\n    | 项目 | 数量 |\n    | --- | --- |\n    | 党员 | 15 |\n\n    1. 第一\n    2. 第二',
    "* 第一项 `*args`\n    1. 子项",  # a `*` bullet stays a bullet, its list's numbers hidden
    "* 第一项\n    1. 子项\n\n***重点***工作",
    "***\n1. 第一步",  # a rule stays a rule (a second audit)
    "___\n    3. 台账",
    "*****\n    > 居民项目",
    "```text\n```\n| 服务 | 学习 |\n| --- | --- |\n| 台账 | 36 | 学习 |",  # under a fence: no table, all shown
    "<div>\n\n*甲己**己丙*甲\n\n</div>",  # raw HTML over blank lines shows the block as written (a third audit)
    "<!-- 注释\n\n| 甲 | 乙 |\n| --- | --- |\n| 丙 | 丁 | 戊 |\n\n-->",  # a comment hides it on purpose
    "- 甲\n\n    乙\n| 甲 | 乙 |\n| --- | --- |\n| 丙 | 丁 | 戊 |",  # the bars go on the paragraph 乙
])
def test_nothing_lost_is_not_reported(body: str) -> None:
    """Bodies that lose no letter or digit (two helpers' audits of generated bodies found these
    reported once the check counted digits and tables: the plain version changed the blocks)."""
    from casebook.core import markup

    assert markup.lost_letters(body) == [], body


# Pieces with the letters the page shows of each: a link shows its text, a tag and an entity none.
_SHOWN_LETTERS = {"甲": "甲", "乙": "乙", "a": "a", "*": "", "**": "", "_": "", "__": "", " ": "", "[链](x.md)": "链",
                  "[甲乙](https://e.org/a_b)": "甲乙", "<b>": "", "</b>": "", "&amp;": "", "&#x4E2D;": "中", "`c_d`": "cd"}


@given(st.lists(st.sampled_from(sorted(_SHOWN_LETTERS)), min_size=1, max_size=14))
@example(["*", "甲", "乙", "**", "乙", "a", "*", "甲", "[链](x.md)"])  # the last 甲 is lost
def test_lost_letters_in_blocks_with_links_tags_and_entities(pieces: list[str]) -> None:
    """Blocks whose letters leave the text on purpose (an address, a tag, an entity) are compared
    with themselves without emphasis marks; the oracle here is what each piece shows."""
    from casebook.core import markup

    block = "".join(pieces)
    assume(not block.startswith("    "))  # an indented code block shows its pieces as written
    loses = _letters_shown(block) != list("".join(_SHOWN_LETTERS[p] for p in pieces))
    assert bool(markup.lost_letters(block)) == loses, block


_CELL = st.lists(st.sampled_from(sorted(_SHOWN_LETTERS)), min_size=1, max_size=3)


@given(st.integers(1, 3), st.lists(st.lists(_CELL, min_size=1, max_size=5), min_size=1, max_size=4))
@example(2, [[["[链](x.md)"], ["甲"], ["乙"]]])  # a row longer than its header, with a link: 乙 is lost
@example(2, [[["<b>"], ["甲"]], [["&amp;"], ["乙"], ["a"]]])
def test_lost_letters_in_tables_with_links_tags_and_entities(columns: int, rows: list[list[list[str]]]) -> None:
    """A table whose cells hold links, tags or entities (a row with more cells than the header
    loses the extra ones). The oracle is what each piece of each cell shows; the line reported is
    the first row that loses letters."""
    from casebook.core import markup

    names = [f"列{chr(0x7532 + i)}" for i in range(columns)]
    lines = ["| " + " | ".join(names) + " |", "|" + "---|" * columns]
    lines += ["| " + " | ".join("".join(cell) for cell in row) + " |" for row in rows]
    block = "\n".join(lines)
    assume(any(m in block for m in ("<", "[", "&")))

    def meant(k: int) -> list[str]:  # the letters of the header and the first k rows
        return [c for n in names for c in n] + [c for row in rows[:k] for cell in row for p in cell for c in _SHOWN_LETTERS[p]]

    loses = _letters_shown(block) != meant(len(rows))
    found = markup.lost_letters(block)
    assert bool(found) == loses, block
    if loses:
        first = next(k for k in range(1, len(rows) + 1) if _letters_shown("\n".join(lines[:2 + k])) != meant(k))
        assert found[0][0] == 1 + first, (block, found)


def _hashes_meant(line: str) -> int:
    """The `#`s a heading line's text holds as CommonMark reads it: the opening run and a closing
    run with a space (or nothing) before it are markup; every other `#` is text."""
    text = re.sub(r"^ {0,3}(?:> ?)*(?:- )?#{1,6}(?: |$)", "", line).strip(" ")
    return re.sub(r"(?:^| )#+$", "", text).count("#")


@given(st.sampled_from(["", "> ", "- "]), st.integers(1, 4), st.text(alphabet="C中 #", max_size=10), st.sampled_from(["", " ", "  "]))
@example("", 3, "使用C#", "")
@example("", 2, "标题 ##", "")
def test_a_heading_that_loses_a_hash_is_found(prefix: str, level: int, text: str, end: str) -> None:
    """The oracle is CommonMark's reading of a heading (a closing run needs a space before it)
    against the `#`s the site's Markdown shows: lost_closing_hashes reports a line exactly when
    Python-Markdown shows fewer."""
    from casebook.core import markup

    line = prefix + "#" * level + " " + text + end
    assume(text.strip(" ") and not text.startswith("#"))
    shown = re.sub(r"<[^>]*>", "", markup._render(markup._markdown(), line)).count("#")
    assert bool(markup.lost_closing_hashes(line)) == (shown < _hashes_meant(line)), (line, shown)


def test_a_glued_hash_is_reported_where_the_page_shows_the_heading() -> None:
    """Under a table, `### 使用C#` is one of its rows (a third audit); indented under a list item
    or an admonition it is a heading; indented alone it is code: the whole body decides."""
    from casebook.core import markup

    assert markup.lost_closing_hashes("| 甲 | 乙 |\n| --- | --- |\n### 使用C#") == []
    assert markup.lost_closing_hashes("段落\n### 使用C#") == [(1, "使用C")]  # a heading ends a paragraph
    assert markup.lost_closing_hashes("- 项\n\n    ### 使用C#") == [(2, "使用C")]
    assert markup.lost_closing_hashes('!!! note "说明"\n    ### 使用C#') == [(1, "使用C")]
    assert markup.lost_closing_hashes("    ### 使用C#") == []


def test_code_fences_are_read_as_superfences_reads_them() -> None:
    """A fence opens a block only with a language, `{attributes}` or options after it, and only
    when it is closed (```` ```甲``` ```` is inline code; `~~~ 甲 乙` and a fence never closed are
    text): the blocks between were once taken for code and never checked. Linear in the number
    of fences left open."""
    from casebook.core import scan

    def code_lines(body: str) -> list[int]:
        return [i for i, code in enumerate(scan.fenced(body.split("\n"))) if code]

    assert code_lines("```python\nx\n```") == [0, 1, 2]
    assert code_lines('```py title="a b"\nx\n```\n\n~~~{.py}\ny\n~~~') == [0, 1, 2, 4, 5, 6]
    assert code_lines("```甲```\n\n段\n\n```乙```") == []
    assert code_lines("``` 甲 乙\n代码\n```") == []
    assert code_lines("```\n没有结束的代码\n\n## 取得成效") == []
    assert code_lines("````\n```\n````") == [0, 1, 2]  # a shorter fence inside is text of the block
    started = time.monotonic()
    assert code_lines("```x\n" * 50_000) == []
    assert time.monotonic() - started < 5


def test_letters_lost_between_inline_code_lines_are_found() -> None:
    """(Lines of inline code that look like fences once hid the paragraph between them.)"""
    from casebook.core import markup

    assert markup.lost_letters("```甲```\n\n*甲己**己丙*甲\n\n```乙```") == [(2, "甲己己丙甲")]


@pytest.mark.parametrize(("body", "line"), [
    ("- 项目内容\n\n    *甲己**己丙*甲", 2),  # a paragraph of a list item: code when rendered alone
    ("- 项目内容\n\n\t*甲己**己丙*甲", 2),
    ('!!! note "注意"\n\n    前文\n\n    *甲己**己丙*甲\n\n    后文', 4),
    ("术语\n:   说明\n\n    *甲己**己丙*甲", 3),
    ("- 项\n  - 子项\n\n      *甲己**己丙*甲", 3),
    ("- [链](x.md)\n\n    *甲己**己丙*甲", 2),
    ("- 项\n\n    **好**的*段落*", None),  # nothing lost
    ("```python\n代码 *a**b*\n```\n\n段落", None),  # code shows its text; the language is no text
    ("    缩进的代码 *甲**乙*丙", None),
])
def test_letters_lost_in_an_indented_block_are_found_in_context(body: str, line) -> None:
    """Blocks indented under a list item, an admonition or a definition are rendered in their
    place, where Markdown reads them as paragraphs (alone they are code and lose nothing)."""
    from casebook.core import markup

    assert [at for at, _ in markup.lost_letters(body)] == ([line] if line is not None else [])


# ==================================================================================================
# E104: a typing mistake in the front matter is named at its line, and the fix it gives reads back
# ==================================================================================================

_FIELD_LINES = [line for line in MINIMAL_CASE.format(id="case").split("\n")[1:10] if not line.startswith(("id:", "date:"))]
_MISTAKES = {  # (name, how a contributor's typing breaks a `key: value` line, the line shown 1 below it)
    "glued": (lambda k, v: [f"{k}:{v}"], 0),
    "full-width space": (lambda k, v: [f"{k}:\u3000{v}"], 0),
    "asterisk": (lambda k, v: [f"{k}: *{v}"], 0),
    "at": (lambda k, v: [f"{k}: @{v}"], 0),
    "backtick": (lambda k, v: [f"{k}: `{v}` 说明"], 0),
    "colon and space": (lambda k, v: [f"{k}: {v}: 说明"], 0),
    "bracket then text": (lambda k, v: [f"{k}: [{v}]说明"], 0),
    "tab": (lambda k, v: [f"\t{k}: {v}"], 0),
    "two lines": (lambda k, v: [f"{k}: {v}", "续写的一行"], 1),
    "list left open": (lambda k, v: [f"{k}: [{v.strip('[]')}, 乙"], 0),
    "space before the colon": (lambda k, v: [f"{k} :{v}"], 0),
    "asterisk, then a comment": (lambda k, v: [f"{k}: *{v} # 编者注"], 0),  # the comment stays out of the value
}


@pytest.mark.parametrize("mistake", sorted(_MISTAKES))
@pytest.mark.parametrize("line", _FIELD_LINES)
def test_a_front_matter_typing_mistake_is_named_at_its_line(line: str, mistake: str) -> None:
    """Each at its own line (not the line after, where the parser notices it), in words, and when
    the finding gives the line to write instead, that line reads back as the value meant."""
    key, value = line.split(": ", 1)
    make, below = _MISTAKES[mistake]
    lines = MINIMAL_CASE.format(id="case").split("\n")
    at = lines.index(line)
    written = lines[:at] + make(key, value) + lines[at + 1:]
    library = validate_bytes("\n".join(written).encode("utf-8"))
    found = [(f.code, f.line) for f in library.findings]
    assert found == [("E104", at + 1 + below)], [f.text() for f in library.findings]
    from casebook.core.load import UNREAD_FIELDS

    message = library.findings[0].message
    assert not re.search(r"[a-z]{3,} [a-z]{3,}", message), message  # no parser English
    assert message.endswith(UNREAD_FIELDS), message  # and it says what waits for the fields to be read
    message = message.removesuffix(UNREAD_FIELDS).removesuffix("。")
    fix = re.search(rf"`({re.escape(key)}: [^`\n]*(?:`[^`\n]*`[^`\n]*)*)`$", message)
    assert fix or mistake in ("tab", "two lines", "list left open"), message  # the line to write, where one line says it
    if fix:
        fixed = yaml.safe_load(fix.group(1))[key]
        meant = [yaml.safe_load(f"{key}: {value}")[key], f"*{value}", f"@{value}", f"`{value}` 说明", f"{value}: 说明", f"[{value}]说明"]
        assert fixed in meant, (fix.group(1), fixed)


@given(st.sampled_from("*@`%|>"), st.text(alphabet="甲 :#'\"“”,[]{}", max_size=12))
def test_the_quoted_form_e104_offers_reads_back_as_the_text_written(start: str, rest: str) -> None:
    from casebook.core.load import line_problem

    text = (start + rest).strip()
    assume(not re.fullmatch(r"[|>][+-]?[1-9]?[+-]?(?:[ \t]+#.*)?", text))
    problem = line_problem(f"title: {text}", "id: a")
    assert problem and problem.endswith("`"), problem
    meant = re.split(r"[ \t]#(?=[ \t]|$)", text)[0].rstrip()  # what YAML reads as a comment stays one
    assert yaml.safe_load(problem[problem.rindex("`title: ") + 1:-1]) == {"title": meant}


@pytest.mark.parametrize(("written", "meant"), [
    ("资料 #2023年工作总结", "资料 #2023年工作总结"),
    ("资料 #党建引领# 专题", "资料 #党建引领# 专题"),
    ("资料 # 编者注：待核实", None),  # `# ` : a comment meant
    ("'资料 #2023'", None),  # quoted: all of it is the value
    ("资料#2023", None),  # no blank before `#`: YAML keeps it
])
def test_a_value_cut_short_by_a_comment_is_w220_with_the_whole_value_quoted(written: str, meant: str | None) -> None:
    data = MINIMAL_CASE.format(id="case").replace("source: 测试资料", f"source: {written}").encode("utf-8")
    findings = [f for f in validate_bytes(data).findings if f.code == "W220"]
    assert len(findings) == (meant is not None)
    if meant:
        fix = re.search(r"`(source: '.*')`$", findings[0].message)
        assert fix and yaml.safe_load(fix.group(1)) == {"source": meant}


def test_a_list_item_cut_short_by_a_comment_is_w220_with_the_item_quoted() -> None:
    data = MINIMAL_CASE.format(id="case").replace("source: 测试资料", "source: 测试资料\ntags:\n  - 出租车 #2023").encode("utf-8")
    [finding] = [f for f in validate_bytes(data).findings if f.code == "W220"]
    assert finding.message.endswith("`- '出租车 #2023'`"), finding.message


# ==================================================================================================
# A section heading written the Word way is named at its line; `##` for a sub-heading is named
# ==================================================================================================

_DECORATIONS = ["一、{}", "## 一、{}", "（一）{}", "1. {}", "**{}**", "# {}", "### {}", "## {}（2023年）", "{}：", "#### （二）{}", "＃＃ {}"]


@pytest.mark.parametrize("decoration", _DECORATIONS)
@pytest.mark.parametrize("section", ["基本情况", "主要做法", "取得成效"])
def test_a_section_heading_written_otherwise_is_e301_at_its_line(section: str, decoration: str) -> None:
    text = MINIMAL_CASE.format(id="case").replace(f"## {section}", decoration.format(section))
    lines = text.split("\n")
    at = lines.index(decoration.format(section)) + 1
    library = validate_bytes(text.encode("utf-8"))
    assert [(f.code, f.line) for f in library.findings if f.severity == "error"] == [("E301", at)]
    assert f"要写作 `## {section}`" in library.findings[0].message


@pytest.mark.parametrize(("written", "section"), [("## 工作成效", "取得成效"), ("## 具体做法", "主要做法"), ("**单位概况**", "基本情况")])
def test_a_heading_with_another_name_of_the_section_is_e301_at_its_line(written: str, section: str) -> None:
    text = MINIMAL_CASE.format(id="case").replace(f"## {section}", written)
    library = validate_bytes(text.encode("utf-8"))
    assert [(f.code, f.line) for f in library.findings if f.severity == "error"] == [("E301", text.split("\n").index(written) + 1)]


def test_a_sub_heading_with_another_name_of_a_section_is_its_own() -> None:
    """`### 背景` under 主要做法 is a sub-heading there, not 基本情况 written otherwise."""
    text = MINIMAL_CASE.format(id="case").replace("## 基本情况\n\n示例公司是为测试虚构的单位。\n\n", "").replace("测试做法。", "### 背景\n\n测试做法。")
    assert [(f.code, f.line) for f in validate_bytes(text.encode("utf-8")).findings] == [("E301", 1)]


def test_a_sentence_that_names_a_section_is_no_heading() -> None:
    text = MINIMAL_CASE.format(id="case").replace("## 取得成效\n\n测试成效。", "取得成效显著。")
    assert [(f.code, f.line) for f in validate_bytes(text.encode("utf-8")).findings] == [("E301", 1)]


def test_a_sub_heading_written_with_two_hashes_is_named_in_e303() -> None:
    text = MINIMAL_CASE.format(id="case").replace("测试做法。", "## （一）联席会议\n\n每月开会。")
    findings = validate_bytes(text.encode("utf-8")).findings
    assert [(f.code, f.line) for f in findings] == [("E303", text.split("\n").index("## 主要做法") + 1)]
    assert "`### （一）联席会议`" in findings[0].message


# ==================================================================================================
# A list or date typed the way people type it: the fix the finding gives is a valid case
# ==================================================================================================

@pytest.mark.parametrize(("written", "code"), [
    ("tags: 【阳光车队，党员挂牌】", "E204"),
    ("tags: 【阳光车队, 党员挂牌】", "E204"),
    ("tags: 阳光车队、党员挂牌", "E204"),
    ("tags:\n  -阳光车队\n  -党员挂牌", "E204"),  # no space after `-`: YAML reads one text
    ("tags: [阳光车队；党员挂牌]", "E108"),
    ("tags: [阳光车队，党员挂牌]", "E108"),
    ("tags: [阳光车队、党员挂牌]", "E108"),
    ("date: ２０２４-０１-０５", "E209"),  # full-width digits from an input method
])
def test_a_list_or_date_typed_otherwise_gets_a_fix_that_validates(written: str, code: str) -> None:
    text = MINIMAL_CASE.format(id="case").replace("date: 2024-01-05", written if written.startswith("date") else "date: 2024-01-05\n" + written)
    findings = validate_bytes(text.encode("utf-8")).findings
    assert [f.code for f in findings] == [code], [f.text() for f in findings]
    fix = re.findall(r"`((?:tags|date): [^`]+)`", findings[0].message)[-1]
    lines = text.split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith(fix.split(":")[0] + ":"))
    assert findings[0].line - 1 in (at, at + 1)  # the key's line, or its value's below it
    end = at + 1
    while end < len(lines) and lines[end].startswith("  -"):
        end += 1
    fixed = "\n".join(lines[:at] + [fix] + lines[end:]) if not code == "E108" else text.replace(written, fix)
    assert not validate_bytes(fixed.encode("utf-8")).findings, fixed


def test_a_value_two_characters_of_four_away_is_not_suggested() -> None:
    from casebook.core.rules import suggest

    assert suggest("红色物业", ["红色示范", "党员挂牌"]) is None  # another meaning: not offered
    assert suggest("东城街到", ["东城街道", "西城街道"]) == "东城街道"  # a typing slip: offered


@pytest.mark.parametrize(("section", "lines"), [
    ("测试成效。\n\n待补充", [2]),
    ("待补充\n\n测试成效。", [0]),
    ("测试成效。\n\n**待补充。**\n\n其余。", [2]),
    ("待补充", []),  # the whole section: W301, the case is flagged
    ("测试成效，其余待补充。", []),  # a sentence saying so
    ("测试成效。\n\n```\n待补充\n```", []),  # code is text
])
def test_a_leftover_incomplete_mark_is_w310_at_its_paragraph(section: str, lines: list[int]) -> None:
    text = MINIMAL_CASE.format(id="case").replace("测试成效。", section)
    first = text.split("\n").index("## 取得成效") + 3  # the section's first line of text
    found = [f.line - first for f in validate_bytes(text.encode("utf-8")).findings if f.code == "W310"]
    assert found == lines


def test_a_front_matter_error_does_not_hide_the_bodys_problems() -> None:
    """One run says all it can: the body is read and checked below front matter YAML cannot read."""
    text = MINIMAL_CASE.format(id="case").replace("region: 永康市", "region:永康市").replace("## 取得成效", "## 工作成效")
    lines = text.split("\n")
    found = [(f.code, f.line) for f in validate_bytes(text.encode("utf-8")).findings]
    assert found == [("E104", lines.index("region:永康市") + 1), ("E301", lines.index("## 工作成效") + 1)]


@pytest.mark.parametrize(("extra", "form"), [
    ("honors:\n  - title: 示例党建品牌 #1\n    level: 市级\n    year: 2023", "`- title: '示例党建品牌 #1'`"),  # a mapping in a list: its key kept
    ("honors:\n  - level: 市级\n    title: 示例党建品牌 #1\n    year: 2023", "`title: '示例党建品牌 #1'`"),
    ("tags:\n  - 出租车 #2023", "`- '出租车 #2023'`"),
    ("featured: false\n#编者注：摘要见下", None),  # a comment line of its own
])
def test_w220_gives_the_line_as_it_stands_in_its_list_or_mapping(extra: str, form: str | None) -> None:
    text = MINIMAL_CASE.format(id="case").replace("date: 2024-01-05", "date: 2024-01-05\n" + extra)
    found = [f for f in validate_bytes(text.encode("utf-8")).findings if f.code == "W220"]
    assert [f.message.endswith(form) for f in found] == ([True] if form else []), [f.text() for f in found]


def test_w220_leaves_a_comment_line_after_a_block_value_alone() -> None:
    text = MINIMAL_CASE.format(id="case").replace("summary: 示例公司（虚构单位）的测试案例。", "summary: >\n  示例公司（虚构单位）的测试案例。\n#编者注")
    assert not [f for f in validate_bytes(text.encode("utf-8")).findings if f.code == "W220"]
