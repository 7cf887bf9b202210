"""`casebook validate` predicts the strict build by running its functions (site/publish.py):
MkDocs' own page rendering and checks, and the sanitiser. Here: the shortcut that skips rendering
is sound (property test on generated bodies against the real renderer), every finding names its
line, and `validate --fix` applies exactly the sanitiser's changes and nothing else.
"""

from __future__ import annotations

import codecs
import functools
import re
import string
from pathlib import Path

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from casebook.core import sanitize, scan
from casebook.core.index import build_index
from casebook.core.model import Library, Taxonomy
from casebook.site import engine
from casebook.site.publish import apply_edits, fix_edits, needs_check, shown
from casebook.site.render import Options, case_uri, render_case
from conftest import MINIMAL_CASE, REPO, TODAY, _mkdocs_config, check, line_of, make_library, relative


@functools.cache
def _engine_and_case():
    """One MkDocs engine over a one-case library, rendering the case page with any body."""
    config = engine.load(REPO / "mkdocs.yml")
    root = REPO / "tests" / "fixtures" / "valid"
    library = check(root, TODAY)
    case = library.published[0]
    pages, page_engine = engine.page_context(config, library)
    return library, case, page_engine


def render_body(body: str):
    from dataclasses import replace

    library, case, page_engine = _engine_and_case()
    case = replace(case, body=body, sections=())
    index = build_index(Library(library.root, library.taxonomy, (case,), (), library.assets))
    page = render_case(case, index, Options(directory_urls=False), {case.rel: case.id})
    uri = case_uri(case.id)
    return page_engine.render_pages([uri], lambda u: page if u == uri else None)[uri]


# Everything a body may hold but the characters that start markup (publish.TRIGGERS): letters of
# both scripts, digits, Markdown's block and emphasis marks, full-width punctuation, blanks.
SAFE = (string.ascii_letters + string.digits + " \n\t#*-_+=|>.,;!?()'\"/\\%$^@~"
        + "党建工作法两新组织阳光车队温情“”‘’《》（）【】，。；：！？、—…　")


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=SAFE, max_size=400))
def test_a_body_without_markup_publishes_unchanged(body: str) -> None:
    """The shortcut is sound: where `needs_check` says no rendering is needed, MkDocs renders the
    page without a warning and the sanitiser changes nothing."""
    assume(not needs_check(body))
    page = render_body(body)
    assert page.error is None and page.warnings == ()
    assert sanitize.removed(page.html, sanitize.clean(page.html)) == []


# Nesting without markup characters: list markers, quotes and indents at a line's start, emphasis.
_NEST_UNITS = ["- ", "* ", "+ ", "1. ", "2) ", "> ", "    ", "\t"]


@st.composite
def nested_bodies(draw) -> str:
    """Lines whose start nests lists and quotes up to (and past) the bound `needs_check` reads,
    with emphasis wrapped around their text as deep as the marks allow."""
    lines = []
    for _ in range(draw(st.integers(1, 3))):
        prefix = "".join(draw(st.lists(st.sampled_from(_NEST_UNITS), min_size=1, max_size=40)))
        marks = draw(st.sampled_from(["*", "_", "**", "__", "*甲 ", "**乙 "]))
        depth = draw(st.integers(0, 120))
        closing = marks[::-1].strip() if marks.endswith(" ") else marks
        lines.append(prefix + "文" + marks * depth + "字" + (" " + closing) * depth if marks.endswith(" ")
                     else prefix + "文" + marks * depth + "字" + marks * depth)
    return "\n".join(lines)


@settings(max_examples=40, deadline=None)
@given(nested_bodies())
def test_a_body_nested_under_the_bounds_renders(body: str) -> None:
    """The other half of the shortcut: the structure a body without markup characters can nest is
    bounded by what `needs_check` reads (E422 is for the rest), so what it lets through renders."""
    assume(not needs_check(body))
    page = render_body(body)
    assert page.error is None and page.warnings == ()
    assert sanitize.removed(page.html, sanitize.clean(page.html)) == []


def test_the_deepest_bodies_under_the_bounds_render() -> None:
    """Hand-made extremes just under both bounds at once (63 characters of nesting at a line's
    start, 199 emphasis marks), nesting lists, quotes and emphasis in one another."""
    for prefix in ("- " * 31 + " ", "> " * 31 + " ", "    " * 15 + "- ", "1. " * 21, ">" * 63, "- > " * 15 + "- "):
        for marks in ("*" * 99 + "字" + "*" * 99, "**甲 " * 49 + "字" + " 甲**" * 49, "_" * 99 + "字" + "_" * 99):
            body = "正文\n" + prefix + "文" + marks
            assert not needs_check(body), (prefix, marks[:8])
            page = render_body(body)
            assert page.error is None and page.warnings == (), (prefix, marks[:8], page.error)


@pytest.mark.parametrize(("nested", "at"), [
    ("- " * 600 + "层", 1),  # 600 lists, one in another, on one line
    ("1. " * 600 + "层", 1),
    ("**粗 " * 1000 + "字" + " 粗**" * 1000, 1),  # emphasis a thousand deep
    ("*" * 3000 + "字" + "*" * 3000, 1),
])
def test_e422_nesting_past_the_recursion_limit_at_its_line(nested: str, at: int, tmp_path, run_cli) -> None:
    """Python-Markdown recurses as deep as a body nests, and stops with a RecursionError (the build
    did, with a traceback, on a body validate had passed without rendering it): E422 at the line,
    and the build stops with the same finding."""
    body = "第一段。\n\n" + nested
    root = make_library(tmp_path / "lib", {"a.md": case_with(body)})
    library = check(root)
    assert [(f.code, f.line) for f in library.findings] == [("E422", BODY_LINE + 1 + at)]
    result = run_cli("build", "--cases", root, "--site-dir", tmp_path / "site")
    assert result.returncode == 1 and "E422" in result.stderr and "Traceback" not in result.stderr + result.stdout


@pytest.mark.parametrize("body", ["若 x<y 且 c='甲'，则乙。\n\n第二段。", '比例 a<b c="1" 的情况'])
def test_a_less_than_sign_read_as_a_tag_is_named_with_what_to_write(body: str, tmp_path) -> None:
    """A `<` before letters in prose, with a quote later on, begins a raw tag that swallows the
    page around it: one finding at its line that names the opening and says how to write a
    less-than sign; both ways it suggests publish unchanged."""
    root = make_library(tmp_path / "lib", {"a.md": case_with(body)})
    [finding] = check(root).findings
    opening = "`<" + body.split("<")[1][0] + "`"
    assert (finding.code, finding.line) == ("E409", BODY_LINE)
    assert opening in finding.message and "&lt;" in finding.message and "markdown" not in finding.message
    for fixed in (body.replace("<", "&lt;"), body.replace("<", "< ")):
        (root / "a.md").write_text(case_with(fixed), encoding="utf-8")
        assert not check(root).findings, fixed


@pytest.mark.parametrize("body", ["## md-header\n\n正文", "# \\_\\_init\\_\\_\n\n正文", "Title\n===\n\nmd-x\n---\n"])
def test_headings_never_get_a_reserved_id(body: str) -> None:
    page = render_body(body)
    assert sanitize.removed(page.html, sanitize.clean(page.html)) == []
    assert 'id="h-md-' in page.html or 'id="h-__' in page.html


def case_with(body: str, cid: str = "a") -> str:
    return MINIMAL_CASE.format(id=cid).replace("测试做法。", body)


BODY_LINE = MINIMAL_CASE.format(id="a").split("\n").index("测试做法。") + 1


def test_the_codes_name_what_the_rules_refuse(tmp_path) -> None:
    """A finding's words and its code's title name every prefix and scheme the rule refuses (they
    are built from the rule's own constants: E410's once left out `md_`, E403's `livescript:`)."""
    from casebook.core.schema import CODE_BY_ID, RESERVED_NAME_PREFIXES, SCRIPT_SCHEMES

    make_library(tmp_path, {"a.md": case_with('<span class="md_x">字</span> [链](livescript:x)')})
    found = {f.code: f.message for f in check(tmp_path).findings}
    assert set(found) == {"E410", "E403"} and "`md_`" in found["E410"]
    assert all(p in CODE_BY_ID["E410"].title for p in RESERVED_NAME_PREFIXES)
    assert all(s in CODE_BY_ID[c].title for s in SCRIPT_SCHEMES for c in ("E217", "E403", "E604"))


@pytest.mark.parametrize(("body", "expected"), [
    ('<p class="MsoNormal" style="x">文字</p>', [("E409", 0), ("E409", 0)]),
    ("<font face=宋体>文字</font>", [("E408", 0)]),
    ("<center>文字</center>", [("E408", 0)]),
    ("x\n\n<script>alert(1)</script>", [("E401", 2)]),
    ("x\n\n<portal src=\"https://example.org/\"></portal>", [("E401", 2)]),  # shows another page: as in an SVG file
    ("[链接](http:[66.102.7.147])", [("E414", 0)]),
    ("[链接](http://[66.102.7.147)", [("E414", 0)]),  # urlsplit fails: MkDocs itself would stop
    ("一\n\n![图](https://example.com/x.png)", [("E404", 2)]),
    ("[x](javascript:alert(1))", [("E403", 0)]),
    ("[x](LiveScript:alert(1))", [("E403", 0)]),  # rules.SCRIPT_SCHEMES: the one list, for addresses and text values
    ("[附件](assets/missing.pdf)", [("E415", 0)]),
    ("![图](assets/missing.png)", [("E406", 0)]),
    ("[别处](../outside.md)", [("E405", 0)]),
    ("[根](/abs.png)", [("E405", 0)]),
    ("[无](nothing)", [("E415", 0)]),  # an unrecognised relative link
    ("[锚](#不存在)", [("E416", 0)]),
    ("一\n\n[库](./) [库](.)", [("E415", 2), ("E415", 2)]),  # the library's own folder: no file (it said "outside")
    # An autolink in raw HTML is a tag there (`<https:>`), at its line, not in the code that names it.
    ("`<https:>`\n\n<div>\n<https://example.org/> <a@b.org></div>", [("E408", 3), ("E408", 3)]),
    # Tags as a browser reads them: `<!-->` is a whole comment, `title=it's` one value.
    ('<!-->\n<img src="assets/missing.png" alt="缺">\n<!-- end -->', [("E406", 1)]),
    ('<![CDATA[x>\n<img src="assets/missing.png" alt="缺">\n]]>', [("E406", 1)]),  # `<![` ends at its `>`
    ('一\n\n<div>\n<img alt="<!--" src="assets/missing.png">\n</div>', [("E406", 3)]),  # in a value, no comment
    ('<div>\n<textarea>\n<!--\n</textarea>\n<img src="assets/missing.png" alt="a">\n</div>', [("E401", 1), ("E406", 4)]),  # text there
    ('<p>\n<a title="<!--" href="nothing.md">x</a> <a title="1>2" href="none.md">y</a>\n</p>', [("E407", 1), ("E407", 1)]),
    ("<!-- <b title=' -->\n\n<p><a title=\"x>y\" href=\"nothing.md\">甲</a></p>\n\n结束 ' 。", [("E407", 2)]),
    ("<p title='<a href=\"nothing.md\">'>文字</p>", []),  # an address in a title is text
    ("<div title=it's>\n文字 it's\n</div>", []),
    # An address on an element that has no such attribute: the attribute is the problem, not the address.
    ('一\n\n<ins href="https://example.org/">改</ins> <span src="assets/cover.png">字</span>', [("E409", 2), ("E409", 2)]),
    ("[锚](#主要做法)", []),
    ("段落\n{: .md-x }", [("E410", 1)]),
    # Interleaved emphasis: Python-Markdown leaves a placeholder for what follows (the entity, the
    # link) and loses it; E425 at the line that loses it, alone or in its paragraph.
    ("一\n\n*a**b*&amp;", [("E425", 2)]),
    ("一\n\n二\n*a**b*[死链](nothing.md)。", [("E425", 3)]),
    ("_]]__~~_&amp;", [("E425", 0)]),
    ("*a**b* &amp; `c`", []),  # a space between: nothing lost
    # `<p>` opened twice, closed once: Markdown's HTML block runs to the end, and the code in it is
    # read as HTML; said at the line of the `<p>` that runs on, not at the body's first line. (The
    # block holds the next section's heading: E304, there, before the page is even rendered.)
    ("一\n\n<p>段一<p>段二</p>\n\n```\n<style>x</style>\n```", [("E304", 2)]),
    # A Windows share path: Markdown undoes the escaped backslash, the warning names `\server…`;
    # said at its line (it was the body's first: the address is not written that way).
    ("一\n\n情况 [x](\\\\server\\share\\a.pdf) 。", [("E405", 2)]),
    # An id the page gives two elements: two tags, or a tag and a heading's anchor.
    ('<span id="x">甲</span>\n\n<span id="x">乙</span>', [("E427", 0)]),
    ('一\n\n<a id="取得成效">见下</a>', [("E427", 2)]),
    # An attribute list takes a heading's anchor: the toc gives the heading `取得成效_1`, and a link
    # to `#取得成效` lands on the paragraph. Two headings of one name are the toc's to number.
    ("一\n\n段落\n{: #取得成效 }", [("E427", 3)]),
    ("一\n\n### 小结 {#取得成效}", [("E427", 2)]),
    ("一\n\n### 做法\n\n### 做法\n\n[见](#做法_1)", []),
    ("一\n\n### 小结 {#取得成效_1}", []),
    # A tag whose name holds `[` (HTML reads `<y[>` as a tag y[): removed, so refused, at its line.
    ("<y[>\n\nx<y[ 公司 > <i[ class=md-x>斜</i[>", [("E408", 0), ("E408", 2), ("E408", 2)]),
    ("<p[ title=a>t</p[> <x[y] title=b>u</x[y]>", [("E408", 0), ("E408", 0)]),
    ("a <span markdown=\"1\">b</span>", [("E409", 0)]),
    ('<div markdown="1">\n\n**粗**\n\n</div>', []),  # md_in_html consumes it
    ("![图](assets/cover.png) [PDF](assets/cover.png#x)", []),
    ("![图](a.md)", [("E418", 0)]),  # an image of a case page (here its own)
    ("一\n\n![图](#)", [("E418", 2)]),  # this page
    ('<img src="" alt="空">', [("E418", 0)]),
    ('一\n\n二\n\n<img><p>图注</p>', [("E418", 4)]),  # no src at all (a paste's, once --fix kept none): at its tag
    ('一\n\n<img alt="图">\n\n<img alt="又一张">', [("E418", 2), ("E418", 4)]),
    ("![图][封面]\n\n[封面]: #主要做法", [("E418", 0)]),  # reported where the image is, not its definition
    ("[封面](a.md) ![图](assets/cover.png)", []),  # a link may point at a page
    ("<div>![图](a.md)</div>", []),  # inside raw HTML it is text, not an image
    ('<a href="assets/missing.pdf">附件</a>', [("E415", 0)]),  # raw HTML links: MkDocs does not check them
    ('一\n\n<a href="nothing.md">无</a>', [("E407", 2)]),
    ('<a href="../outside.md">外</a>', [("E405", 0)]),
    ('<a href="/abs.pdf">根</a>', [("E405", 0)]),
    ('<a href="a.md#主要做法">本案例</a> <a href="assets/cover.png">图</a> <a href="https://example.com/">外站</a>', []),
    ('`<a href="nothing.md">代码</a>`', []),  # code is text
    ('<div markdown="1">![图](a.md)</div>', [("E418", 0)]),  # md_in_html: an image again
    ("```c++\n<font>\n```", []),  # code is text
    ("![图][封面]\n\n[封面]: <assets/missing.png>", [("E406", 2)]),  # said once, at the definition MkDocs names
    ('<img src="assets/missing.png" alt="缺">', [("E406", 0)]),  # a missing image, raw or Markdown
    ("![图](<assets/a@b.png>)", [("E406", 0)]),  # an address, not an e-mail link: it names the file
    ("一\n\n二 [三]: <x@y.z>", []),  # no definition: an e-mail link in text
    ('一\n\n<a href="#不存在">锚</a>', [("E416", 2)]),  # a raw link's anchor, as MkDocs checks a Markdown one's
    ('<a href="a.md#不存在">锚</a> <a href="#主要做法">有</a> <a href="a.md#%E4%B8%BB%E8%A6%81%E5%81%9A%E6%B3%95">编码</a>', [("E416", 0)]),
    # A definition's address may stand on the next line (Python-Markdown reads it so): there it is.
    ("![图][r] ![封面][c]\n\n[r]:\n    assets/missing.png\n\n[c]:\n  assets/cover.png", [("E406", 3)]),
    # The same address written again: each place its own finding (MkDocs warns of each, in order) ...
    ("![图](assets/missing.png)\n\n![图](assets/missing.png)", [("E406", 0), ("E406", 2)]),
    # ... and a raw HTML link, which MkDocs does not warn of, is not taken for a Markdown one.
    ('<a href="nothing.md">甲</a>\n\n[乙](nothing.md)', [("E407", 0), ("E407", 2)]),
    # Python-Markdown takes all of `<a.png> 说明` and `a.png (标题)` for the address: no such file.
    ("一\n\n![图](<assets/cover.png> 说明)", [("E415", 2)]),
    ("![图](assets/cover.png (标题)) ![图](assets/cover.png \"标题\")", [("E415", 0)]),
])
def test_each_problem_is_found_at_its_line(tmp_path, body: str, expected: list[tuple[str, int]]) -> None:
    make_library(tmp_path, {"a.md": case_with(body)})
    found = [(f.code, f.line - BODY_LINE) for f in check(tmp_path).findings if f.severity == "error"]
    assert sorted(found) == sorted(expected), [f.text() for f in check(tmp_path).findings]


@pytest.mark.parametrize("name", sorted(sanitize.ACTIVE_ELEMENTS))
def test_an_element_that_acts_on_the_page_is_e401_in_a_body(tmp_path, name: str) -> None:
    """The one list of active elements (an SVG file refuses them too: E412)."""
    make_library(tmp_path, {"a.md": case_with(f"一\n\n<{name}></{name}>")})
    assert [(f.code, f.line - BODY_LINE) for f in check(tmp_path).findings if f.severity == "error"] == [("E401", 2)]


@pytest.mark.parametrize(("body", "lines"), [
    ("![图][没有]", [0]),  # no definition
    ("一\n\n![图][r]\n\n[r]: assets/a b.png", [2, 4]),  # a space: no definition, and the image with it
    ("![图](assets/a (b.png)", [0]),  # unbalanced parentheses
    ("![图][r]\n\n[R]: <assets/cover.png>", []),  # labels ignore case; a bracketed address may hold anything
    ("![图][]\n\n[图]: assets/cover.png", []),
    ("`![图][r]`\n\n```\n![x][y]\n[a]: b c\n```", []),  # code is text
    ("见文献[1][2]。说明：[注]: 见下", []),  # brackets in prose
    ("一\n\n详见[附件一][未定义]。", [2]),  # a reference link with no definition: its brackets on the page
    ("[附件][a]\n\n[a]: https://example.com/a", []),
    ("一\n\n[1]: 见讲话第三段", [2]),  # a definition nothing uses: Markdown drops the line from the page
    ("[a]: assets/cover.png\n[c]: assets/cover.png\n\n[图][C]", [0]),  # labels ignore case
    ("[讲话][1]\n\n[1]: https://example.com/a", []),
    ("一\n\n[注]:\n  见讲话第三段", [2]),  # the address on the next line: still a definition nothing uses
    ("![图][r]\n\n[r]:\n  assets/cover.png", []),
    # Python-Markdown trims a definition's label, not a reference's: `[r ]` looks up "r ", not "r".
    ("![图][r ]\n\n[r]: assets/cover.png", [0, 2]),
    ("![图][R\n]\n\n[ r ]: assets/cover.png", [0, 3]),
    ("![图][a\nb]\n\n[A B]: assets/cover.png", []),  # blanks inside a reference count as one space
])
def test_markdown_left_as_text_is_a_warning_at_its_line(tmp_path, body: str, lines: list[int]) -> None:
    make_library(tmp_path, {"a.md": case_with(body)})
    found = [(f.code, f.line - BODY_LINE) for f in check(tmp_path).findings]
    assert found == [("W307", line) for line in lines]


# Paragraphs of the image forms contributors write, and near misses (a reference whose label has a
# blank, a definition followed by more than a title, labels broken across lines, code, a later
# definition of the same label). Whatever their order, the images scan.written_images finds are the
# ones Python-Markdown, configured as the build is, shows on the page it renders from the body as
# the site and the book write it (addresses rewritten from the library's root).
IMAGE_PARAGRAPHS = [
    "![a](assets/x.png)", "![b][r]", "![c][]", "![r]", "[r]: assets/y.png", "[r]:\n  assets/z.png", "[R]: <assets/s p.png>",
    "![d](<assets/a b.png>)", "![e](assets/p(1).png)", '![f](assets/t.png "标题")', "`![g](assets/code.png)`",
    "```\n![h](assets/fence.png)\n```", '<img src="assets/raw.png">', "![j](assets/x.png){ width=10 }", "> ![k](assets/q.png)",
    "- ![l](assets/li.png)", "文字", "[链接](a.md)", "![n]( assets/sp.png )", "![o](assets/x.png 'single')", "![p][r ]",
    "!![q](assets/dd.png)", "[![s](assets/in.png)](b.md)", "![t](assets/x.png)![u](assets/y.png)", "*![v](assets/em.png)*",
    "<div markdown>\n![w](assets/div.png)\n</div>", "![y][R\n]", '[r]: assets/y.png "t"', '![z](assets/x.png\n"title")',
    "![图][a\nb]", "[A B]: assets/ab.png", "[ r ]: assets/t2.png", "[r]: assets/a b.png", "[r]: assets/y.png 多余",
    # `<…>` holds the address only when nothing but a quoted title follows it; else all of it is the address
    "![ab](<assets/c.png> b)", '![ac](<assets/d.png> "t")', "![ad](<assets/e.png>x)", "![ae](<assets/f.png> (t))",
    "![af](assets/g.png (t))", '![ag](assets/h.png"t")', '![ah](assets/i.png "t"x)',  # an inline title is quoted
]


@pytest.mark.parametrize("seed", range(3))
def test_the_images_scan_finds_are_the_images_markdown_shows(seed: int) -> None:
    import html
    import random
    import re
    from urllib.parse import unquote

    import markdown

    from casebook.core import rules, scan

    config = engine.load(REPO / "mkdocs.yml")
    rng = random.Random(seed)
    for _ in range(300):
        body = "\n\n".join(rng.choice(IMAGE_PARAGRAPHS) for _ in range(rng.randint(1, 5)))
        page = markdown.Markdown(extensions=config.markdown_extensions, extension_configs=config.mdx_configs).convert(
            scan.rewrite_addresses(body, lambda url: rules.library_url("", url)))
        shown = [unquote(html.unescape(src)) for src in re.findall(r'<img[^>]*\ssrc="([^"]*)"', page)]
        found = [unquote(rules.library_url("", url) or url) for _, url in scan.written_images(body)]
        assert found == shown, body


def test_an_address_followed_by_more_than_a_quoted_title_says_which_file_was_meant(tmp_path) -> None:
    make_library(tmp_path, {"a.md": case_with("![图](assets/cover.png (标题))")})
    [finding] = check(tmp_path).findings
    assert "“assets/cover.png (标题)”" in finding.message and "库中有文件“assets/cover.png”：空格后面的字也算作地址" in finding.message
    assert '![说明](assets/图.png "标题")' in finding.message


def test_long_runs_of_image_openings_are_scanned_in_linear_time() -> None:
    # From every `![` the alt text was tried to the end of the line: 100,000 characters took minutes.
    import time

    from casebook.core import scan

    for body in ("![" * 500_000, "![a\n" * 250_000, "![a [b" * 200_000):
        started = time.perf_counter()
        assert scan.written_images(body) == []
        assert time.perf_counter() - started < 5


def test_a_raw_links_anchor_is_checked_on_the_page_it_points_into(tmp_path) -> None:
    """b's body has no markup, so validate would not render its page for b's sake: it renders it
    to learn its anchors. The message names the link and the anchor."""
    make_library(tmp_path, {"a.md": case_with('<a href="b.md#主要做法">有</a>\n\n<a href="b.md#没有这节">无</a>'), "b.md": case_with("测试。", "b")})
    found = [f for f in check(tmp_path).findings if f.severity == "error"]
    assert [(f.code, f.line - BODY_LINE) for f in found] == [("E416", 2)]
    assert "“b.md#没有这节”的锚点 #没有这节" in found[0].message


def test_percent_encoded_and_spaced_image_paths_are_library_files(tmp_path) -> None:
    make_library(tmp_path, {"a.md": case_with("![图](assets/%E5%9B%BE.png) ![空格](<assets/a b.png>) ![编码](assets/a%20b.png)")})
    (tmp_path / "assets" / "图.png").write_bytes((tmp_path / "assets" / "cover.png").read_bytes())
    (tmp_path / "assets" / "a b.png").write_bytes((tmp_path / "assets" / "cover.png").read_bytes())
    assert check(tmp_path).errors == ()


# Image addresses as contributors write them: library images (percent-encoded, with spaces, in a
# subfolder, with #/?), other library files, case pages, this page, missing files, other sites.
IMAGE_ADDRESSES = [
    "assets/cover.png", "./assets/cover.png", "assets/cover.png#x", "assets/cover.png?v=1", "assets/%63over.png",
    "assets/图 片.png", "assets/%E5%9B%BE%20%E7%89%87.png", "assets/sub/a b.png", "assets/sub/a%20b.png", "assets/sub/a+b.png",
    "assets/sub/../cover.png", "assets/sub/b(2).png", "assets/report.pdf", "assets/notes.txt", "assets/", "assets/missing.png", "assets/COVER.png",
    "b.md", "b.md#基本情况", "#", "#主要做法", "", "?x", "/assets/cover.png", "../assets/cover.png",
    "https://example.com/x.png", "mailto:a@example.com",
    "assets/a@b.png", "assets/x@missing.png",  # <a@b.png> alone would be an e-mail link
]
IMAGE_FORMS = {"inline": "![图]({u})", "angle": "![图](<{u}>)", "raw": '<img src="{u}" alt="图">', "reference": "![图][图一]\n\n[图一]: <{u}>"}


@pytest.fixture(scope="module")
def image_library(tmp_path_factory):
    """A case per image address and form, and what validate says of each."""
    root = tmp_path_factory.mktemp("images") / "lib"
    cases = {"b.md": case_with("测试。", "b")}
    cases |= {f"i{n:02d}-{form}.md": case_with(text.format(u=url), f"i{n:02d}-{form}")
              for n, url in enumerate(IMAGE_ADDRESSES) for form, text in IMAGE_FORMS.items()}
    make_library(root, cases)
    cover = (root / "assets" / "cover.png").read_bytes()
    for name in ("图 片.png", "a@b.png", "sub/a b.png", "sub/a+b.png", "sub/b(2).png"):
        (root / "assets" / name).parent.mkdir(exist_ok=True)
        (root / "assets" / name).write_bytes(cover)
    (root / "assets" / "report.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    (root / "assets" / "notes.txt").write_text("说明", encoding="utf-8")
    codes: dict[str, set[str]] = {}
    for f in check(root).findings:
        if f.severity == "error":
            codes.setdefault(Path(relative(f.path, root)).stem, set()).add(f.code)
    return root, codes


def test_an_image_validate_accepts_is_an_image_on_the_site_and_in_the_book(image_library, tmp_path_factory) -> None:
    """The oracle is the built site, both flavours: every image of a case validate accepts is an
    image file of the site (a browser would show it) online and offline, and the book embeds it;
    every case refused with E418, built anyway, shows a broken image in one of them or is left out
    of the book. Each address in four forms: inline, <inline>, raw <img>, reference."""
    import html
    import re
    import shutil
    from urllib.parse import unquote, urljoin

    from casebook.book.compose import markdown_blocks
    from casebook.core.library import load_library
    from casebook.core.model import Library
    from casebook.site import engine

    root, codes = image_library
    accepted = {p.stem for p in root.glob("i*.md")} - set(codes)
    refused = {name for name, found in codes.items() if "E418" in found}
    assert len(accepted) > 30 and len(refused) > 20  # both sides are exercised
    assert {"i00-inline", "i05-raw", "i05-inline", "i08-reference", "i06-angle", *(f"i{n}-{form}" for n in (11, 27) for form in IMAGE_FORMS)} <= accepted
    assert {"i12-inline", "i17-raw", "i19-reference", "i21-inline", "i24-raw"} <= refused
    assert all(codes[f"i28-{form}"] == {"E406"} for form in IMAGE_FORMS)  # missing, not mistaken for e-mail

    def built(names: set[str], strict: bool) -> tuple[dict[str, Path], object]:
        """The library of these cases built online and offline (MkDocs and the plugin)."""
        lib = tmp_path_factory.mktemp("images") / "lib"
        shutil.copytree(root, lib, ignore=lambda folder, found: [n for n in found if n.endswith(".md") and n[:-3] not in names | {"b"}])
        library = load_library(lib)
        sites = {}
        for offline in (False, True):
            sites[offline] = lib.parent / ("offline" if offline else "online")
            config = engine.load(REPO / "mkdocs.yml", site_dir=str(sites[offline]), strict=strict)
            engine.configure(config, Library(library.root, library.taxonomy, library.published, (), library.assets), None, offline)
            engine.run_build(config)
        return sites, library

    def shown(sites: dict, name: str) -> list[bool]:
        """For each image of the case's page, each flavour: does its address name an image file."""
        out = []
        for offline, site in sites.items():
            page = f"cases/{name}.html" if offline else f"cases/{name}/index.html"
            text = (site / page).read_text("utf-8")
            article = text[text.index("<article"):text.index("</article>")]
            for src in re.findall(r'<img\b[^>]*?\ssrc="([^"]*)"', article):
                target = urljoin(f"http://site/{page}", html.unescape(src)).split("#")[0].split("?")[0]
                path = site / unquote(target.removeprefix("http://site/"))
                out.append(target.startswith("http://site/") and path.suffix == ".png" and path.is_file())
        return out

    def kept(library, name: str) -> list[bool]:
        case = next(c for c in library.cases if c.id == name)
        return [bool(b["src"]) for b in markdown_blocks(case.body, "", set(library.assets)) if b["t"] == "img"]

    sites, library = built(accepted, strict=True)  # a warning would stop it
    for name in sorted(accepted):
        online_offline, book = shown(sites, name), kept(library, name)
        assert len(online_offline) == 2 and all(online_offline) and book and all(book), (name, online_offline, book)
    sites, library = built(refused, strict=False)
    for name in sorted(refused):
        online_offline, book = shown(sites, name), kept(library, name)
        assert not all(online_offline) or not all(book), (name, online_offline, book)


# -- which addresses are addresses: Markdown decides (core/markup.py) ----------------------------

ADDRESS_PIECES = [
    '<img src="assets/a.png" alt="图">', "![x](assets/a.png)", "[y](b.md)", '<a href="b.md">z</a>', "[r]: assets/a.png", "![x][r]",
    "\\<img src=assets/a.png title=t\\>",  # an escaped `>`: text, not a tag
    '<!-- <a href="b.md">c</a> -->', '`<img src="assets/a.png">`', '<div>[y](b.md) <img src="assets/a.png"></div>',
    '    <img src="assets/a.png">', "```\n[y](b.md)\n```", "- 项", "1. 项", "> ", "!!! note", "    ", "文字", "\n", "\n\n", " ",
    '<div><img/src="assets/a.png"></div>', '段落<a/href="b.md">乙</a>',  # `/` parts attributes as a blank does
    "cbaddr0q", "cbaddrx",  # the probe's own token written in the text
    "<!-->", "<div>\n<img alt=Tom's src=\"assets/a.png\">\n</div>", "<p title=it's>", "it's",  # read as a browser reads them
    '<div><img alt="<!--" src="assets/a.png"></div>', '<div><a title="1>2" href="b.md">z</a></div>',  # `<`, `>` in a value
    "<!-- <b title=' -->", "' 。", "<p title='<a href=\"b.md\">'>P3</p>",  # a tag in a comment or in a value is none
]  # (`<![CDATA[x>` is in the table above: with `<a/href>` after it, Python-Markdown itself drops text)


def _text_and_addresses(html: str) -> tuple[list[str], list[str]]:
    """What a reader sees as text (comments too, after it), and every src and href, in order."""
    from casebook.core.scan import BrowserHTMLParser  # comments end as a browser ends them (`<!-->`)

    class Reader(BrowserHTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.text: list[str] = []
            self.urls: list[str] = []

        def handle_starttag(self, tag, attrs) -> None:
            self.urls += [v or "" for k, v in attrs if k in ("src", "href")]

        def handle_data(self, data) -> None:
            self.text.append(data)

        def handle_comment(self, data) -> None:
            self.text.append(f"<!--{data}-->")

    reader = Reader()
    reader.feed(html)
    reader.close()
    return reader.text, reader.urls


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(ADDRESS_PIECES), max_size=14).map("\n".join))
def test_rewriting_addresses_changes_every_address_and_no_text(body) -> None:
    """Oracle: Python-Markdown's own output. What the site does to a body's relative addresses
    (render.rewrite_links) changes each src and href of the page and not one character of its
    text: an address in an indented code block, after an escaped `>`, in a comment or in a raw
    HTML block that Markdown leaves alone is text, shown as written."""
    import markdown

    from casebook.core.markup import STRUCTURE_EXTENSIONS, live_addresses
    from casebook.core.scan import rewrite_addresses

    def convert(text: str) -> str:
        return markdown.markdown(text, extensions=list(STRUCTURE_EXTENSIONS))

    def moved(url: str) -> str | None:
        return "moved/" + url if url.startswith("assets/") or url.endswith(".md") else None

    text, urls = _text_and_addresses(convert(body))
    text_after, urls_after = _text_and_addresses(convert(rewrite_addresses(body, moved, moved, live_addresses)))
    assert text_after == text
    assert urls_after == [moved(u) or u for u in urls]


def test_markdown_reads_bodies_as_the_site_does() -> None:
    """The extensions that give a body its structure, and their settings, are mkdocs.yml's."""
    from casebook.core.markup import NOT_STRUCTURE, STRUCTURE_CONFIGS, STRUCTURE_EXTENSIONS

    config = engine.load(REPO / "mkdocs.yml")
    site = config.markdown_extensions
    assert [e for e in site if e not in NOT_STRUCTURE] == list(STRUCTURE_EXTENSIONS)
    assert {e: config.mdx_configs[e] for e in STRUCTURE_EXTENSIONS if config.mdx_configs.get(e)} == STRUCTURE_CONFIGS


def test_an_address_in_code_or_text_is_no_finding(tmp_path) -> None:
    body = ('示例：\n\n    <a href="nothing.md">代码</a>\n    [代码](nothing.md)\n    ![代码](assets/nope.png)\n\n'
            '示例 \\<img src=x title=y\\> 文字。\n\n段落 <!-- <a href="nothing.md">x</a> --> 文字。\n\n![](assets/nope.png)')
    make_library(tmp_path, {"a.md": case_with(body)})
    found = [(f.code, f.line - BODY_LINE) for f in check(tmp_path).findings if f.severity == "error"]
    assert found == [("E406", 10)], [f.text() for f in check(tmp_path).findings]


def test_another_cases_title_on_the_page_is_not_this_bodys_text(tmp_path) -> None:
    """A related case's title is shown on the page (相关案例); text in it that looks like an image
    written wrong is that case's field, not a line of this body (W307 was reported here, quoting it)."""
    other = MINIMAL_CASE.format(id="b").replace("title: 示例工作法", "title: 示例![图](说明")
    make_library(tmp_path, {"a.md": case_with("![图](assets/cover.png)"), "b.md": other})
    library = check(tmp_path)
    assert [f.text() for f in library.findings if f.code == "W307"] == []
    page = render_body("![图](assets/cover.png)")
    assert "cb-related" in page.html  # the page this reads has the related block to leave out


@pytest.mark.parametrize("body", [
    "> [r]: b.md\n\n![图][r]\n\n<!-- ![d][ok] -->\n\n[ok]: assets/cover.png",  # a definition in a quote
    "![图] [r]\n\n[r]: b.md\n\n<!-- ![d][ok] -->\n\n[ok]: assets/cover.png",  # `] [`, which Python-Markdown allows
])
def test_an_image_the_scan_does_not_see_is_judged_as_the_page_shows_it(tmp_path, body) -> None:
    """The page's images are the truth: an image the scan misses, with a decoy in a comment making
    the counts agree, is still E418, at the line that names its target."""
    make_library(tmp_path, {"a.md": case_with(body), "b.md": case_with("测试。", "b")})
    found = [(f.code, f.line - BODY_LINE, "b.md" in f.message) for f in check(tmp_path).findings if f.severity == "error"]
    line = body.split("\n").index(next(x for x in body.split("\n") if x.endswith("b.md")))
    assert found == [("E418", line, True)], found


def test_an_autolink_in_raw_html_is_explained(tmp_path) -> None:
    # (text beside it: alone, the section would show nothing, E303, and the page is not rendered)
    make_library(tmp_path, {"a.md": case_with("网址：\n\n<div>\n<https://example.org/></div>")})
    (finding,) = [f for f in check(tmp_path).findings if f.code == "E408"]
    assert "不会变成链接" in finding.message and '<a href="…">' in finding.message, finding.message


def test_a_hash_or_question_mark_in_a_file_name_gets_a_hint(tmp_path) -> None:
    """`#` and `?` end an address's path: a file named with them is not found, and the finding says
    how to write it (%23, %3F); written that way it is found."""
    body = '![图](assets/照片#1.png)\n\n<a href="assets/通知{1}#2.pdf">附件</a>\n\n![图](assets/照片%231.png) [附件](assets/通知%7B1%7D%232.pdf)'
    root = make_library(tmp_path, {"a.md": case_with(body)})
    (root / "assets" / "照片#1.png").write_bytes((root / "assets" / "cover.png").read_bytes())
    (root / "assets" / "通知{1}#2.pdf").write_bytes(b"%PDF-1.4\n")  # braces: the message is no format string
    # (a `?` in a name Windows cannot hold: E706 at the gate, tests/test_filesystem.py)
    found = [(f.code, f.line - BODY_LINE, f.message) for f in check(root).findings if f.severity == "error"]
    assert [(code, line) for code, line, _ in found] == [("E415", 0), ("E415", 2)]
    assert all("%23 和 %3F" in message for _, _, message in found)


def test_raw_and_markdown_links_reach_the_case_or_file_online_and_offline(tmp_path, build_site) -> None:
    """MkDocs points a Markdown `b.md` at b's page; a raw `<a href="b.md">` it leaves alone, so the
    assembly points it there itself (render.rewrite_links). Every link of the page, built strict,
    names a file of the site (a page's folder: its index.html)."""
    import html
    import re
    from urllib.parse import unquote, urljoin

    body = ('[乙](b.md) <a href="b.md">乙</a> <a href="b.md#基本情况">乙的基本情况</a> <a href=\'./b.md\'>乙</a> '
            '<a href="assets/cover.png">封面</a> [封面](assets/cover.png) <a href="sub/c.md">丙</a>')
    root = make_library(tmp_path / "lib", {"a.md": case_with(body), "b.md": case_with("乙。", "b"), "sub/c.md": case_with("丙。", "c")})
    assert check(root).errors == ()
    for offline in (False, True):
        site = tmp_path / ("offline" if offline else "online")
        build_site(root, site, offline=offline)
        page = "cases/a.html" if offline else "cases/a/index.html"
        text = (site / page).read_text("utf-8")
        article = text[text.index("<article"):text.index("</article>")]
        links = [html.unescape(h) for h in re.findall(r'<a\b[^>]*?\shref="([^"#][^"]*)"[^>]*>(?:乙|封面|丙)', article)]
        assert len(links) == 7, links
        for href in links:
            target = urljoin(f"http://site/{page}", href).split("#")[0]
            path = site / unquote(target.removeprefix("http://site/"))
            assert (path / "index.html" if target.endswith("/") else path).is_file(), (offline, href)


# -- validate --fix --------------------------------------------------------------------------------

WORD_PASTE = (
    '<p class="MsoNormal" align="center" style="text-align:center"><font face="宋体" size="3">党建</font>'
    '<span style="mso-bidi-font-size:10.5pt">引领</span><o:p></o:p></p>\n\n'
    '<table class="MsoTableGrid" border="1" width="100%"><tr><td width="200" align="center">甲</td></tr></table>\n\n'
    "<center>居中</center>"
)


def test_fix_applies_the_sanitisers_changes_and_nothing_else(tmp_path, run_cli) -> None:
    text = case_with(WORD_PASTE)
    front = text[: text.index("## 基本情况")]
    make_library(tmp_path, {"a.md": text})
    before = run_cli("validate", "--cases", tmp_path)
    assert before.returncode == 1 and "E409" in before.stdout and "E408" in before.stdout
    result = run_cli("validate", "--cases", tmp_path, "--fix")
    assert result.returncode == 0, result.stdout
    fixed = [line for line in result.stdout.splitlines() if ": fixed " in line]
    assert fixed and all(relative(line.split(":", 1)[0], tmp_path) == "a.md" for line in fixed)
    assert all(int(line.split(":")[1]) >= BODY_LINE for line in fixed)
    new = (tmp_path / "a.md").read_text("utf-8")
    assert new.startswith(front)  # front matter byte-identical
    assert "党建" in new and "引领" in new and "居中" in new and "甲" in new  # text kept
    assert not any(s in new for s in ("Mso", "style=", "<font", "<o:p", "<center", "border=", 'width="100%"'))
    assert '<td align="center">' in new  # what the sanitiser keeps stays
    again = run_cli("validate", "--cases", tmp_path, "--fix")
    assert again.returncode == 0 and ": fixed " not in again.stdout  # idempotent
    assert (tmp_path / "a.md").read_text("utf-8") == new


def test_fix_keeps_line_endings_and_bom(tmp_path, run_cli) -> None:
    text = case_with('<p style="x">文字</p>').replace("\n", "\r\n")
    make_library(tmp_path, {"a.md": b""})
    (tmp_path / "a.md").write_bytes(codecs.BOM_UTF8 + text.encode("utf-8"))
    run_cli("validate", "--cases", tmp_path, "--fix")
    data = (tmp_path / "a.md").read_bytes()
    assert data.startswith(codecs.BOM_UTF8)
    assert data.decode("utf-8-sig") == text.replace('<p style="x">', "<p>")


def test_fix_leaves_script_alone_and_says_so(tmp_path, run_cli) -> None:
    make_library(tmp_path, {"a.md": case_with("<script>alert(1)</script>")})
    result = run_cli("validate", "--cases", tmp_path, "--fix")
    assert result.returncode == 1 and ": fixed " not in result.stdout and "E401" in result.stdout
    assert "<script>" in (tmp_path / "a.md").read_text("utf-8")


@pytest.mark.parametrize(("written", "code", "words"), [
    ("![图](assets\\cover.png)", "E406", "写成 assets/cover.png"),  # Windows' separator
    ("![图](cases/assets/cover.png)", "E406", "去掉开头的 cases/"),  # from the repository's root, not the case's folder
    ("![图](../cases/assets/cover.png)", "E418", "去掉开头的 ../cases/"),  # outside the library as written
    ("![图](assets/COVER.png)", "E406", "库中有文件“assets/cover.png”：文件名区分大小写"),
    ("![图](C:\\Users\\张三\\Desktop\\图1.jpg)", "E414", "是电脑上的文件路径"),
    ('<img src="file:///C:/a.png">', "E414", "是电脑上的文件路径"),
    ("![图](assets/x.heic)", "E415", "站点不发布 .heic 文件"),  # an iPhone photo: there, but not published (E703 at it)
    ('<a href="assets/x.bmp">图</a>', "E415", "站点不发布 .bmp 文件"),
])
def test_an_address_written_the_way_a_contributor_would_gets_the_form_that_works(tmp_path, written, code, words) -> None:
    root = make_library(tmp_path / "cases", {"a.md": case_with(written)})
    for name in ("x.heic", "x.bmp"):
        (root / "assets" / name).write_bytes(b"x")
    found = [f for f in check(root).findings if f.path.endswith("a.md")]
    assert [(f.code, f.line - BODY_LINE) for f in found] == [(code, 0)], [f.text() for f in found]
    assert words in found[0].message, found[0].message


def test_a_percent_encoded_anchor_is_refused_with_the_form_that_works(tmp_path) -> None:
    """MkDocs looks a Markdown link's anchor up as written, so `#%E4%B8%BB…` (what a browser's
    address bar copies) fails the strict build; E416 says to write `#主要做法`, which passes."""
    encoded = "[锚](#%E4%B8%BB%E8%A6%81%E5%81%9A%E6%B3%95)"
    make_library(tmp_path, {"a.md": case_with(encoded)})
    [finding] = [f for f in check(tmp_path).findings if f.severity == "error"]
    assert finding.code == "E416" and finding.message.endswith("写成 #主要做法"), finding.message
    make_library(tmp_path, {"a.md": case_with("[锚](#主要做法)")})
    assert not check(tmp_path).errors


def test_an_address_in_angle_brackets_where_markdown_takes_none_is_named_and_kept(tmp_path, run_cli) -> None:
    """`[示意]: <assets/示意 图.png>` was what W307 advised for a space in a definition: it is no
    definition (Markdown takes no brackets there), and the browser reads a tag `<assets>`, removed
    with the address. E408 said "HTML 标签 `<assets>`" and `--fix` deleted the address, after which
    validate passed. Now E408 names the address and the %20 that works; --fix leaves the line; the
    advised form passes, its picture on the page."""
    png = (REPO / "tests" / "fixtures" / "valid" / "assets" / "cover.png").read_bytes()
    body = "![示意图][示意]\n\n[示意]: <assets/示意 图.png>"
    make_library(tmp_path, {"a.md": case_with(body)})
    (tmp_path / "assets").mkdir(exist_ok=True)
    (tmp_path / "assets" / "示意 图.png").write_bytes(png)
    before = (tmp_path / "a.md").read_bytes()
    result = run_cli("validate", "--cases", tmp_path, "--fix")
    assert result.returncode == 1 and ": fixed " not in result.stdout, result.stdout
    assert (tmp_path / "a.md").read_bytes() == before
    [e408] = [line for line in result.stdout.splitlines() if "E408" in line]
    assert "`<assets/示意 图.png>`" in e408 and "`assets/示意%20图.png`" in e408, e408
    assert int(e408.split(":")[1]) == line_of(tmp_path / "a.md", "[示意]:")

    spaced = case_with("![示意图][示意]\n\n[示意]: assets/示意 图.png")  # W307's advice for this
    (tmp_path / "a.md").write_text(spaced, encoding="utf-8")
    w307 = [line for line in run_cli("validate", "--cases", tmp_path).stdout.splitlines() if "[示意]: assets" in line]
    assert len(w307) == 1 and "W307" in w307[0] and "%20" in w307[0] and "<" not in w307[0].split("页面上会原样显示")[1], w307
    (tmp_path / "a.md").write_text(spaced.replace("示意 图.png", "示意%20图.png"), encoding="utf-8")
    after = run_cli("validate", "--cases", tmp_path)
    assert after.returncode == 0 and "W307" not in after.stdout, after.stdout  # a definition, its picture found (E406)


# Raw tags the source scan finds where Markdown shows text or reads something else, and removals
# that would make Markdown read the rest otherwise (a helper's fuzzing of --fix found each).
FIX_WOULD_CHANGE_THE_PAGE = [
    "    <font>代码</font>",  # an indented code block shows the tag
    "!!! note\n    ```\n    <font>代码</font>\n    ```",  # so does a fence in an admonition
    '<div markdown="1">\n**粗体**\n</div>',  # md_in_html reads the attribute
    '<p title="a<b">文字</p>',  # `<b">` is inside an attribute's value
    '<<font>p style="color:red">文字</p>',  # taking <font> out would make a new tag
    "段落一\n<font>---</font>",  # ... a heading
    "<font>[ref]: https://example.com</font>",  # ... a link definition
    "<center>1. 第一条</center>",  # ... a list
    "> <p lang=EN-US\n> title=\"标题\">文字</p>",  # a tag across quoted lines
    '<span style=mso-bidi-font-family:"Times New Roman">文字</span>',  # Markdown shows it as text
]


@pytest.mark.parametrize("body", FIX_WOULD_CHANGE_THE_PAGE)
def test_fix_never_changes_what_the_page_shows(tmp_path, run_cli, body) -> None:
    """`--fix` makes the sanitiser's changes only where they leave the published page as it is;
    a finding it leaves does not offer it, and a second run finds nothing to do."""
    from casebook.core import markup

    make_library(tmp_path, {"a.md": case_with(body)})
    before = (tmp_path / "a.md").read_text("utf-8")
    result = run_cli("validate", "--cases", tmp_path, "--fix")
    after = (tmp_path / "a.md").read_text("utf-8")
    assert "validate --fix" not in result.stdout.split("下面是改正后的校验结果")[-1], result.stdout
    fixed = {int(line.split(":")[1]) for line in result.stdout.splitlines() if ": fixed " in line}
    old, new = before.split("\n"), after.split("\n")
    if len(old) == len(new):
        assert {i + 1 for i, (a, b) in enumerate(zip(old, new)) if a != b} <= fixed, result.stdout
    published = [shown(sanitize.clean(markup.body_html(text.split("测试成效")[0].split("## 主要做法")[1]))) for text in (before, after)]
    assert published[0] == published[1], (before, after)
    again = run_cli("validate", "--cases", tmp_path, "--fix")
    assert ": fixed " not in again.stdout and (tmp_path / "a.md").read_text("utf-8") == after


def test_fix_says_when_a_tag_spanning_lines_is_written_on_one(tmp_path, run_cli) -> None:
    make_library(tmp_path, {"a.md": case_with('<p class=MsoNormal\nstyle="x">跨行</p>')})
    result = run_cli("validate", "--cases", tmp_path, "--fix")
    assert f"a.md:{BODY_LINE}: fixed 删除 <p> 的属性 class、style（标签原跨 2 行，改正后写在一行）" in result.stdout
    assert "<p>跨行</p>" in (tmp_path / "a.md").read_text("utf-8")


def test_fix_names_each_removed_attribute_once() -> None:
    assert [e.what for e in fix_edits('<td style="a" width="1" style="b">甲</td>')] == ["删除 <td> 的属性 style、width"]


_PASTE_PIECES = ["<font face=宋体>", "</font>", "<center>", "</center>", '<p class="MsoNormal" style="x">', "</p>",
                 "<o:p></o:p>", '<span lang="EN-US">', "</span>", "文字", "1. ", "- ", "---", "# ", "    ", "> ",
                 "\n", "\n\n", "**", "`", "[r]: x.md", '<div markdown="1">', "</div>", '"', "<"]


@given(st.lists(st.sampled_from(_PASTE_PIECES), max_size=16).map("".join))
@example('[r]: x.md<span lang="EN-US">\n<center><font face=宋体>')  # <center> may go only once <font> has
def test_fixing_keeps_the_page_and_is_done_at_once(body: str) -> None:
    """Generated Word pastes among Markdown: the fixed body publishes as the body did, and
    fixing it again changes nothing."""
    from casebook.core import markup
    edits = fix_edits(body)
    fixed = apply_edits(body, body, 0, edits)
    assert shown(sanitize.clean(markup.body_html(fixed))) == shown(sanitize.clean(markup.body_html(body))), (body, fixed)
    assert fix_edits(fixed) == [], (body, fixed)


_WECHAT_PIECES = ['<section style="text-align:center">', "</section>", '<img src="https://mmbiz.qpic.cn/a.jpg" data-ratio="0.75" style="width:100%">',
                  '<img class="rich_pages" data-src="https://mmbiz.qpic.cn/b.jpg" srcset="https://mmbiz.qpic.cn/b.jpg 2x" data-type="jpeg">',
                  '<img src=//img.example.org/b.png style=x>', '<a href="javascript:go()" style="c">链接</a>', '<p style="color:red">', "</p>",
                  "<span style=x>", "</span>", "图注", "\n", "\n\n", '<font face=宋体 href="https://example.org/">', "</font>"]


@given(st.lists(st.sampled_from(_WECHAT_PIECES), max_size=12).map("".join))
@example('<section style="text-align:center"><img src="https://mmbiz.qpic.cn/a.jpg" data-ratio="0.75" style="width:100%"><p style="color:red">图注</p></section>')
def test_fixing_never_deletes_an_address_validate_asks_about(body: str) -> None:
    """A WeChat or 秀米 paste: `--fix` takes the styling away but keeps every `src` and `href`,
    refused ones too (an image on another site is E404: the contributor needs its address to fetch
    it), and the page stays as it was."""
    from casebook.core import markup
    fixed = apply_edits(body, body, 0, fix_edits(body))
    written = sorted(a.written for a in scan.addresses(body)) + sorted(re.findall(r"https?://[^\s\"'>]+", body))
    assert sorted(a.written for a in scan.addresses(fixed)) + sorted(re.findall(r"https?://[^\s\"'>]+", fixed)) == written, (body, fixed)
    assert shown(sanitize.clean(markup.body_html(fixed))) == shown(sanitize.clean(markup.body_html(body))), (body, fixed)
    assert fix_edits(fixed) == [], (body, fixed)


def test_apply_edits_maps_offsets_through_crlf() -> None:
    body = "a\n<b x=1>\nc"
    original = "---\r\nid: a\r\n---\r\na\r\n<b x=1>\r\nc"
    edits = fix_edits(body)
    assert [e.what for e in edits] and all(e.line == 1 for e in edits)
    assert apply_edits(original, body, 3, edits) == "---\r\nid: a\r\n---\r\na\r\n<b>\r\nc"
    # a lone "\r", a line taken out, a "\n": still two line breaks ("\r\n", "\n"), not one "\r\n"
    original = "---\nid: a\n---\na\r<o:p></o:p>\nc"
    body = "a\n<o:p></o:p>\nc"
    assert apply_edits(original, body, 3, fix_edits(body)) == "---\nid: a\n---\na\r\n\nc"


@given(st.lists(st.sampled_from(["a", "中", " ", "\n", "\r\n", "\r", "<x>"]), max_size=40), st.data())
def test_apply_edits_changes_the_edited_spans_only_whatever_the_line_endings(pieces, data) -> None:
    """Oracle: the edits spliced into the normalised body. The file keeps its own line endings
    everywhere else, so with its endings normalised it must equal the front matter and that."""
    from casebook.site.publish import Edit

    original = "---\r\nid: a\r---\n" + "".join(pieces)
    body = "".join(pieces).replace("\r\n", "\n").replace("\r", "\n")
    cuts = sorted(data.draw(st.lists(st.integers(0, len(body)), max_size=6, unique=True)))
    edits = [Edit(s, e, body.count("\n", 0, s), data.draw(st.sampled_from(["", "y", "<p>"])), "")
             for s, e in zip(cuts[::2], cuts[1::2])]
    spliced, pos = [], 0
    for e in edits:
        spliced += [body[pos:e.start], e.new]
        pos = e.end
    spliced.append(body[pos:])
    result = apply_edits(original, body, 3, edits)
    assert result.replace("\r\n", "\n").replace("\r", "\n") == "---\nid: a\n---\n" + "".join(spliced)
    assert result.startswith("---\r\nid: a\r---\n")  # the front matter as it was, byte for byte


def test_apply_edits_keeps_each_lone_carriage_return_a_line_break() -> None:
    """Found by the property above in a CI run: `a\ra\ra\n` with each `a` deleted is `\r\r\n`
    (two breaks, the second \r taking the \n); turning that \r into \n made the first take it."""
    from casebook.site.publish import Edit

    edits = [Edit(s, s + 1, s // 2, "", "") for s in (0, 2, 4)]
    result = apply_edits("---\nid: a\n---\na\ra\ra\n", "a\na\na\n", 3, edits)
    assert result.replace("\r\n", "\n").replace("\r", "\n") == "---\nid: a\n---\n\n\n\n", repr(result)


@given(st.text(alphabet="<>a!/? 1\t", max_size=30))
def test_a_line_leaves_a_tag_open_as_the_pattern_says(line) -> None:
    """Oracle: the pattern it replaced, which read a line of `<a<a…<a>` from every `<` to its end."""
    import re

    from casebook.site.publish import leaves_a_tag_open

    assert leaves_a_tag_open(line) == bool(re.search(r"<[A-Za-z!/?][^>]*$", line))


@given(st.lists(st.sampled_from(["<pre>", "</pre>", "<code>", "</code>", "<CODE class=x>", "</Code>", "<codex>", "<p>", "a", "\n", "<pre\n>"]), max_size=14).map("".join))
def test_code_is_taken_out_of_a_page_as_the_pattern_says(html) -> None:
    """Oracle: the pattern it replaced, which read a page of unclosed `<code>` from each to its end."""
    import re

    from casebook.site.publish import without_code

    assert without_code(html) == re.sub(r"<(pre|code)\b[^>]*>.*?</\1>", "", html, flags=re.S | re.I)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.sampled_from(["<b>", "</b>", "<i>", "</i>", "<strong>", "</strong>", "字", " "]), max_size=6).map("".join), min_size=1, max_size=4))
def test_e419_exactly_when_a_paragraphs_tags_do_not_nest(paragraphs) -> None:
    """Oracle: in each paragraph, every end tag closes the last tag still open (one of a tag not
    open is ignored, as a browser ignores it), and none stays open. (Formatting tags: one left
    open is opened again in every later paragraph. A `<span>` left open ends with its paragraph,
    and nothing else changes.)"""
    import re
    import tempfile

    def nests(text: str) -> bool:
        stack = []
        for tag in re.findall(r"</?\w+>", text):
            if not tag.startswith("</"):
                stack.append(tag[1:-1])
            elif tag[2:-1] in stack:
                if stack.pop() != tag[2:-1]:
                    return False
        return not stack

    paragraphs = ["字" + p for p in paragraphs]  # a paragraph, not a raw HTML block
    with tempfile.TemporaryDirectory() as tmp:
        make_library(Path(tmp), {"a.md": case_with("\n\n".join(paragraphs))})
        codes = {f.code for f in check(Path(tmp)).findings}
    assert ("E419" in codes) == (not all(map(nests, paragraphs))), (paragraphs, codes)


def published(body: str) -> str:
    """The oracle of the tests below: a body as the site publishes it, mkdocs.yml's Markdown (every
    extension, with its settings), then the sanitiser."""
    import markdown

    config = _mkdocs_config()
    return sanitize.clean(markdown.Markdown(extensions=config.markdown_extensions, extension_configs=config.mdx_configs).convert(body))


# -- E426: the numbers a list shows -------------------------------------------------------------------

_LIST_LINES = st.lists(st.one_of(
    st.tuples(st.sampled_from(["", "    ", "> ", "  "]), st.sampled_from([1, 2, 3, 5, 10, 2019, 2021, 0, 7])),
    st.sampled_from(["", "段落文字。", "- 圆点", "```", "    代码"])), max_size=12)


@settings(max_examples=200, deadline=None)
@given(_LIST_LINES)
@example([(("", 1)), (("", 2)), "", "此外：", "", (("", 3)), (("", 4))])  # a list continued at 3: shown as 3
@example([(("", 2019)), (("", 2021))])  # a chronology: 2021 is shown as 2020
def test_e426_exactly_where_the_published_page_numbers_an_item_otherwise(lines) -> None:
    """Oracle: the published page (mkdocs.yml's Markdown, then the sanitiser), read with Python's
    HTML parser: each `<ol>` item that begins with the text written after a number, its number
    counted from the list's `start`. E426 names exactly the lines whose number the page changes."""
    from html.parser import HTMLParser

    from casebook.core.markup import renumbered_items

    body_lines, written = [], {}
    for k, line in enumerate(lines):
        if isinstance(line, tuple):
            indent, number = line
            written[k] = number
            line = f"{indent}{number}. 项{k}号"
        body_lines.append(line)
    body = "\n".join(body_lines)
    page = published(body)

    class Items(HTMLParser):
        def __init__(self):
            super().__init__()
            self.lists, self.open, self.shown = [], [], {}

        def handle_starttag(self, tag, attrs):
            if tag in ("ol", "ul"):
                self.lists.append([tag == "ol", int(dict(attrs).get("start") or 1)])
            elif tag == "li":
                ordered, number = self.lists[-1]
                self.lists[-1][1] += 1
                self.open.append([number if ordered else None, ""])

        def handle_endtag(self, tag):
            if tag in ("ol", "ul"):
                self.lists.pop()
            elif tag == "li":
                number, text = self.open.pop()
                if number is not None and (m := re.match(r"\s*项(\d+)号", text)):
                    self.shown[int(m.group(1))] = number

        def handle_data(self, data):
            for item in self.open:
                item[1] += data

    reader = Items()
    reader.feed(page)
    expected = sorted((k, written[k], n) for k, n in reader.shown.items() if n != written[k])
    assert renumbered_items(body) == expected, (body, page)


def test_a_list_continued_after_a_sentence_keeps_its_numbers_on_the_page_and_in_the_book() -> None:
    """mkdocs.yml's casebook.core.numbered_lists: `3.` after a sentence starts the list at 3 (it
    was shown as 1, and nothing said so), on the site and in the book, which reads bodies with the
    same Markdown; a `-` line under a numbered one is still an item of that list."""
    from casebook.book.compose import markdown_blocks
    from casebook.core.markup import renumbered_items

    body = "1. 建立制度。\n2. 党员挂牌。\n\n此外，公司还：\n\n3. 开展评比。\n4. 表彰先进。"
    page = published(body)
    assert '<ol start="3">' in page and renumbered_items(body) == []
    assert [b.get("start") for b in markdown_blocks(body) if b["t"] == "list"] == [1, 3]
    assert [len(b["items"]) for b in markdown_blocks("1. 甲\n- 乙\n* 丙")] == [3]


# -- E304: sections are the page's level-2 headings ----------------------------------------------

_HEADING_LINES = st.lists(st.sampled_from([
    "## 名", "   ## 名", "##名", "##\u3000名", "    ## 名", "### 名", "名\n---", "<!--", "-->", "<div>", "</div>",
    '<div markdown="1">', "", "", "文字。", "- 项", "> 引用", "```", "1. 项", "# 名"]), max_size=14)


@settings(max_examples=200, deadline=None)
@given(_HEADING_LINES)
@example(["## 名", "", "文字。", "", "<!--", "", "## 名", "", "文字。", "-->"])  # a section commented out
@example(["##\u3000名", "", "文字。"])  # a full-width space from an input method
def test_e304_exactly_where_the_published_pages_headings_are_not_the_sections(pieces) -> None:
    """Oracle: the published page (mkdocs.yml's Markdown, then the sanitiser), its `<h2>`s read
    with Python's HTML parser; each heading line names itself (名0, 名1, …). E304 names the section
    lines (core/scan.sections) that make no `<h2>`, and the lines that make an `<h2>` outside any
    other element that is no section."""
    from html.parser import HTMLParser

    from casebook.core.markup import heading_differences
    from casebook.core.sanitize import VOID_ELEMENTS
    from casebook.core.scan import sections

    lines = []
    for piece in pieces:
        for part in piece.split("\n"):
            lines.append(part.replace("名", f"名{len(lines)}号") if "名" in part else part)
    body = "\n".join(lines)
    page = published(body)

    class Headings(HTMLParser):
        def __init__(self):
            super().__init__()
            self.depth, self.heading, self.found = 0, None, {}

        def handle_starttag(self, tag, attrs):
            if tag == "h2":
                self.heading = [self.depth == 0, ""]
            elif tag not in VOID_ELEMENTS:
                self.depth += 1

        def handle_endtag(self, tag):
            if tag == "h2" and self.heading:
                top, text = self.heading
                if m := re.match(r"\s*名(\d+)号", text):
                    self.found[int(m.group(1))] = (text.strip(), top)
                self.heading = None
            elif tag != "h2" and tag not in VOID_ELEMENTS:
                self.depth -= 1

        def handle_data(self, data):
            if self.heading:
                self.heading[1] += data

    reader = Headings()
    reader.feed(page)
    scanned = [s.line for s in sections(body, 0)]
    expected = sorted([(k, None) for k in scanned if k not in reader.found]
                      + [(k, text) for k, (text, top) in reader.found.items() if top and k not in scanned])
    assert heading_differences(body, scanned) == expected, (body, page)


# -- E303: a section that shows nothing ---------------------------------------------------------

_SECTION_PIECES = st.lists(st.sampled_from([
    "\u200b", "&nbsp;", "\xa0", "<br>", "---", "[]()", "<span></span>", "<!-- 注 -->", "\u3000", "&#8203;", "- ",
    "**", "****", "<p></p>", "\ufeff", "……", "👍", "文字", "1", "![图](assets/cover.png)", "`x`", "<b> </b>", "待补充",
    " ", "\n", "\n\n"]), min_size=1, max_size=6).map("".join)


@settings(max_examples=300, deadline=None)
@given(_SECTION_PIECES)
def test_e303_exactly_when_the_published_section_shows_nothing(text) -> None:
    """Oracle: the section as the site publishes it (mkdocs.yml's Markdown, then the sanitiser):
    nothing on it but characters that show nothing (Unicode's other and separator categories), and
    no picture."""
    import html as htmllib
    import unicodedata

    from casebook.core.markup import shows_nothing

    assume(text.strip())
    page = published(text)
    visible = [ch for ch in htmllib.unescape(re.sub(r"<[^>]*>", "", page)) if not unicodedata.category(ch).startswith(("C", "Z"))]
    assert shows_nothing(text) == (not visible and "<img" not in page), (text, page)


@pytest.mark.parametrize("written", ["待补充\u200b", "\u200b待补充", "**待补充**\ufeff", "待补充。\u3000"])
def test_incomplete_whatever_invisible_characters_stand_around_it(written) -> None:
    from casebook.core.schema import is_incomplete

    assert is_incomplete(written)
    assert not is_incomplete(written.replace("待补充", "待补充的内容"))


# -- W308: a paragraph indented as code -------------------------------------------------------------

_INDENT_LINES = st.lists(st.sampled_from([
    "    段", "\t段", "        段", "  段", "段", "", "", "1. 项", "- 项", "```", "> 引", "    - 项", "!!! note", "  \t段"]), max_size=12)


@settings(max_examples=200, deadline=None)
@given(_INDENT_LINES)
def test_w308_exactly_at_the_first_line_of_each_code_block_the_published_page_shows(pieces) -> None:
    """Oracle: the published page (mkdocs.yml's Markdown, then the sanitiser): the lines (段0号,
    项1号 …) whose text stands in a `<pre>`, less those in a fenced block; W308 names the first of
    each run of them."""
    from casebook.core.markup import indented_code
    from casebook.core.scan import fenced

    lines = [re.sub("([段项引])", rf"\g<1>{k}号", piece) for k, piece in enumerate(pieces)]
    body = "\n".join(lines)
    page = published(body)
    in_code = {int(n) for block in re.findall(r"<pre>(.*?)</pre>", page, re.S) for n in re.findall(r"[段项引](\d+)号", block)}
    in_code -= {k for k, is_fenced in enumerate(fenced(lines)) if is_fenced}
    assert indented_code(body) == sorted(k for k in in_code if k - 1 not in in_code), (body, page)


# -- W309: emoji a number made ------------------------------------------------------------------

def test_the_emoji_w309_knows_are_the_sites() -> None:
    config = engine.load(REPO / "mkdocs.yml")
    index = config.mdx_configs["pymdownx.emoji"]["emoji_index"]({}, None)
    assert engine.emoji_shortcodes(config) == frozenset(index["emoji"]) | frozenset(index["aliases"])
    assert {":100:", ":+1:", ":1234:"} <= engine.emoji_shortcodes(config)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["", "1", "23"]), st.sampled_from(["", "\\", "\\\\", "`"]),
                          st.sampled_from(["100", "1234", "+1", "-1", "30", "999", "0", "smile"]), st.sampled_from(["", "5", "1000"])),
                min_size=1, max_size=3))
def test_w309_exactly_where_the_published_page_shows_an_emoji_in_a_number(pieces) -> None:
    """Oracle: the published page (mkdocs.yml's Markdown with its emoji index, then the sanitiser):
    a piece `a:name:b`, a digit beside its colons and a name of digits and signs, whose `:name:`
    is gone from the page's text became an emoji."""
    from casebook.core.scan import mask_code
    from casebook.site.publish import emoji_in_numbers

    lines = [f"第{k}行 {a}{esc}:{name}:{b} 止" for k, (a, esc, name, b) in enumerate(pieces)]
    expected = set()
    for k, line in enumerate(lines):
        a, esc, name, b = pieces[k]
        page = re.sub(r"<[^>]*>", "", published(line))
        beside_a_digit = (a and not esc) or b  # `1:100:`, `:100:5` (not `1\\:100:`: a backslash between)
        numeric = re.fullmatch(r"[0-9+-]+", name)  # a number's part (`:smile:5` is an emoji meant)
        if beside_a_digit and numeric and f":{name}:" not in page:  # the page shows an emoji in its place
            expected.add(k)
    body = "\n\n".join(lines)
    shortcodes = engine.emoji_shortcodes(_mkdocs_config())
    found = {body.count("\n", 0, start) // 2 for start, _ in emoji_in_numbers(mask_code(body), lambda: shortcodes)}
    assert found == expected, (lines, [published(x) for x in lines])


# -- W311 / W312: lines the page runs on, sub-items it flattens ----------------------------------------

_LINE_KINDS = ["", "", "段落文字{k}号", "- 项{k}号", "1. 项{k}号", "1、项{k}号", "（一）项{k}号", "•项{k}号", "| 甲{k}号 | 乙 |",
               "| --- | --- |", "    缩进{k}号", "```", "> 引{k}号", "  - 子项{k}号", "    - 子项{k}号", "## 标题{k}号", "第{k}号行  ",
               "1.5万元{k}号", "* 项{k}号", "1、项{k}号  ", "•项{k}号\\",  # (a hard line break: the line stands alone)
               "> 1、项{k}号", "> - 项{k}号", "> | 甲{k}号 | 乙 |", "> | --- | --- |"]  # in a quote


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_LINE_KINDS), max_size=12))
@example(["党支部主要有两项做法：", "- 联席{k}号", "- 走访{k}号"])
@example(["| 平台{k}号 | 规模 |", "| --- | --- |", "| 微博{k}号 | 7229 |"])  # a table as it should be
@example(["| 甲{k}号 | 乙 |", "> | --- | --- |", "| 甲{k}号 | 乙 |"])  # header and `| --- |` in different blocks: no table
def test_w311_exactly_where_the_published_page_runs_an_item_on(kinds: list[str]) -> None:
    """Oracle: the published page, read with Python's HTML parser: within a block, text after a
    line break of the source (not after a `<br>`) that begins as an item does. W311 names the
    first such line of each run."""
    from html.parser import HTMLParser

    from casebook.core.markup import ITEM_START, joined_lines

    lines = [kind.format(k=k) for k, kind in enumerate(kinds)]
    body = "\n".join(lines)
    BLOCKS = {"p", "li", "ul", "ol", "div", "pre", "table", "tr", "td", "th", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6",
              "hr", "dl", "dt", "dd"}  # (not br: a line after it stands on its own)

    class RunOn(HTMLParser):
        def __init__(self):
            super().__init__()
            self.pre, self.block, self.found = 0, "", set()

        def boundary(self):  # a block's text, line by line: a line after a break the page did not make
            lines = self.block.split("\n")
            for before, line in zip(lines, lines[1:]):
                if not before.endswith("\x00") and re.match(ITEM_START, line.lstrip()) and (m := re.search(r"(\d+)号", line)):
                    self.found.add(int(m.group(1)))
            self.block = ""

        def handle_starttag(self, tag, attrs):
            if tag == "br":
                self.block += "\x00"  # a line break the page shows
            elif tag in BLOCKS:
                self.boundary()
            self.pre += tag == "pre"

        def handle_endtag(self, tag):
            if tag in BLOCKS:
                self.boundary()
            self.pre -= tag == "pre"

        def handle_data(self, data):
            if not self.pre:
                self.block += data

    reader = RunOn()
    reader.feed(published(body))
    reader.boundary()
    run_on = sorted(k for k in reader.found if k and lines[k - 1].strip())  # the rule: a line right under a line of text
    expected = [k for k in run_on if k - 1 not in run_on]
    assert [k for k, _ in joined_lines(body)] == expected, (lines, published(body))


_ITEM_KINDS = ["- 项{k}号", "1. 项{k}号", "  - 子项{k}号", "   - 子项{k}号", " 1. 子项{k}号", "    - 子项{k}号", "", "段落{k}号",
               "  续行{k}号", "* 项{k}号"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_ITEM_KINDS), max_size=10))
@example(["- 甲{k}号", "  - 乙{k}号"])
def test_w312_exactly_where_the_published_page_sets_a_sub_item_beside_its_parent(kinds: list[str]) -> None:
    """Oracle: the published page, read with Python's HTML parser: the list depth of each item. An
    item written one to three spaces in under an item (the nearest line above that has text) that
    the page shows at that item's depth is W312."""
    from html.parser import HTMLParser

    from casebook.core.markup import flattened_items

    lines = [kind.format(k=k) for k, kind in enumerate(kinds)]

    class Depths(HTMLParser):
        def __init__(self):
            super().__init__()
            self.depth, self.items, self.at = 0, [], {}

        def handle_starttag(self, tag, attrs):
            self.depth += tag in ("ul", "ol")
            if tag == "li":
                self.items.append(self.depth)

        def handle_endtag(self, tag):
            self.depth -= tag in ("ul", "ol")
            if tag == "li":
                self.items.pop()

        def handle_data(self, data):
            for m in re.finditer(r"(\d+)号", data):
                if self.items:
                    self.at.setdefault(int(m.group(1)), self.items[-1])

    reader = Depths()
    reader.feed(published("\n".join(lines)))
    expected = []
    for k, line in enumerate(lines):
        if not re.match(r" {1,3}(?:[-*+]|\d+[.)])[ \t]", line):
            continue
        above = next((j for j in range(k - 1, -1, -1) if lines[j].strip()), None)
        if above is not None and re.match(r"(?:[-*+]|\d+[.)])[ \t]", lines[above]) and k in reader.at and above in reader.at \
                and reader.at[k] == reader.at[above]:
            expected.append(k)
    assert flattened_items("\n".join(lines)) == expected, (lines, published("\n".join(lines)))



@pytest.mark.parametrize(("body", "lines"), [
    ("详见 https://mp.weixin.qq.com/s/abc 。", [0]),
    ("一\n\n[文](https://a.example/c) 以及 https://a.example/c。", [2]),  # the bare one, not the link's address
    ("<https://a.example/x> [文](https://a.example/y) `https://a.example/z`", []),  # a link, a link, code
    ('<a href="https://a.example/">https://a.example/</a>', []),
    ("```\nhttps://a.example/\n```", []),
    ("https://a.example/a 与 https://a.example/a", [0]),  # once per address
])
def test_w313_for_a_web_address_the_published_page_shows_as_text(tmp_path, body: str, lines: list[int]) -> None:
    """The published page shows the address outside any link and code (the oracle), and W313 names it."""
    from html.parser import HTMLParser

    make_library(tmp_path, {"a.md": case_with(body)})
    found = [f.line - BODY_LINE for f in check(tmp_path).findings if f.code == "W313"]
    assert found == lines

    class Text(HTMLParser):
        def __init__(self):
            super().__init__()
            self.inside, self.text = 0, ""

        def handle_starttag(self, tag, attrs):
            self.inside += tag in ("a", "code", "pre")

        def handle_endtag(self, tag):
            self.inside -= tag in ("a", "code", "pre")

        def handle_data(self, data):
            self.text += data if not self.inside else ""

    page = Text()
    page.feed(published(body))
    assert bool(lines) == ("://" in page.text)
