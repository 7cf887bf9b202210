"""Unit tests of escaping and sanitising, one output at a time (pure functions, no build).

The whole road, from a case file to Chromium, is in tests/test_injection.py.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json
import re
import string
import xml.etree.ElementTree as ET
from pathlib import Path

import markdown
import pytest
import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st
from mkdocs.config import load_config

from casebook.core import sanitize
from casebook.core.model import Case, Section
from casebook.site import charts
from casebook.site.render import Options, csv_cell, esc, page, render_csv, script_json
from conftest import REPO
from test_injection import Page
from xss_corpus import PAYLOADS


# -- the page title and tags MkDocs hands to the theme ------------------------------------------

def front(text: str) -> dict:
    return yaml.safe_load(text.split("---\n")[1])


@pytest.mark.parametrize("title", [p for p in PAYLOADS if "\x00" not in p] + ["A&B“公司”", "a\u2028b\u2029c"])
def test_page_front_matter_is_escaped_html_text(title: str) -> None:
    meta = front(page(title, "正文", keywords=(title, "标签")))
    assert meta["title"] == html.escape(title)  # MkDocs prints it raw: it must be HTML text already
    assert meta["tags"] == [html.escape(title), "标签"]  # Material's search shows tags as HTML
    assert "<" not in meta["title"] and '"' not in meta["title"]


def test_front_matter_keeps_line_separators() -> None:
    # YAML would read a raw U+2028 inside quotes as a line break (folded to a space).
    text = page("a\u2028b", "正文")
    assert "\u2028" not in text and front(text)["title"] == "a\u2028b"


# -- Markdown made from library text ----------------------------------------------------------------

@pytest.fixture(scope="module")
def md() -> markdown.Markdown:
    config = load_config(str(REPO / "mkdocs.yml"))
    return markdown.Markdown(extensions=config["markdown_extensions"], extension_configs=config["mdx_configs"])


@pytest.mark.parametrize("text", [p for p in PAYLOADS if "8<" not in p])
def test_esc_gives_text_only(md: markdown.Markdown, text: str) -> None:
    """Escaped library text makes no element at all in Markdown: not a tag, not a link, not an
    emoji image, not a block (line breaks become spaces)."""
    md.reset()
    out = md.convert(f"前 {esc(text)} 后")
    parsed = Page()
    parsed.feed(out)
    assert [tag for tag, _, _ in parsed.elements] == ["p"], out


def test_esc_backslashes_only_what_markdown_unescapes(md: markdown.Markdown) -> None:
    """A backslash before a character Markdown does not list as escapable stays on the page."""
    from casebook.site.render import BACKSLASHED

    assert set(BACKSLASHED) <= set(md.ESCAPED_CHARS)


@settings(max_examples=300)
@given(st.text(alphabet=string.punctuation + " 中文年~～\n", max_size=40))
@example("2019~2021年")
@example("~~~ 代码")
def test_esc_shows_the_text_as_written(md: markdown.Markdown, text: str) -> None:
    """What the reader sees is the field as written (line breaks as spaces): no backslash added,
    no character lost. (`~` showed as a backslash and `~` on every page that printed a title with a range.)"""
    md.reset()
    out = md.convert(f"前 {esc(text)} 后")
    assert out.startswith("<p>") and out.endswith("</p>"), out
    shown = html.unescape(re.sub(r"<[^>]*>", "", out))
    assert " ".join(shown.split()) == " ".join(f"前 {text} 后".split())


# -- the sanitiser on case HTML -----------------------------------------------------------------------

NORMAL = """\
# “阳光车队”工作法

> 摘要文字。

<div class="cb-meta" markdown>

单位
:   示例公司

</div>

| 左 | 中 | 右 |
| :-- | :-: | --: |
| 1 | 2 | 3 |

![图片](assets/cover.png){ width="300" }

[外部链接](https://example.com/ "标题")、[本站](other.md#主要做法)、<mailto:a@example.com>

!!! note "注意"
    提示内容 :material-home:

```python
x = 1
```

<details markdown><summary>更多</summary>

**加粗** *强调* `代码`

</details>
"""


def structure(fragment: str) -> list[tuple[str, tuple]]:
    parsed = Page()
    parsed.feed(fragment)
    return [(tag, tuple(sorted((k, v) for k, v in attrs.items() if k != "rel"))) for tag, attrs, _ in parsed.elements]


def test_normal_case_markup_is_kept(md: markdown.Markdown) -> None:
    md.reset()
    before = md.convert(NORMAL)
    after = sanitize.clean(before)
    assert structure(after) == structure(before)
    assert sanitize.removed(before, after) == []
    assert 'align="center"' in after and "style=" not in before  # tables: use_align_attribute
    assert '<a href="https://example.com/" title="标题" rel="noopener noreferrer">' in after
    assert '<a href="other.md#主要做法">' in after  # links inside the site: no rel


@pytest.mark.parametrize("payload", PAYLOADS)
def test_sanitised_payload_is_inert(md: markdown.Markdown, payload: str) -> None:
    """Whatever validation missed: after the sanitiser, no handler, style, script, off-site source."""
    md.reset()
    try:
        rendered = md.convert(f"正文\n\n{payload}\n")
    except Exception:  # noqa: BLE001 - snippets refuses a missing file: nothing to sanitise
        return
    out = sanitize.clean(rendered)
    parsed = Page()
    parsed.feed(out)
    for tag, attrs, _ in parsed.elements:
        assert tag in sanitize.TAGS, (tag, out)
        for name, value in attrs.items():
            assert sanitize.attribute_allowed(tag, name) or name == "rel", (tag, name, out)
            assert not (name == "src" and sanitize.off_site(value)), out
            assert not (name in ("id", "class") and any(sanitize.reserved_name(v) for v in value.split())), out
            if name == "href":
                # As a browser reads it: C0 and blanks trimmed at the ends, tab and line breaks dropped.
                plain = re.sub(r"[\t\n\r]", "", html.unescape(value)).strip("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f ").lower()
                assert not plain.startswith(("javascript:", "vbscript:", "data:")), out
    assert not parsed.scripts


def test_removed_names_what_went() -> None:
    before = '<p style="color:red">x<img src="a.png" onerror="alert(1)"><xss>y</xss></p>'
    assert sanitize.removed(before, sanitize.clean(before)) == ["img[onerror]", "p[style]", "xss"]


def test_toc_text_keeps_entities_and_loses_tags() -> None:
    assert sanitize.clean_text("标题 &lt;b&gt; <img src=x onerror=alert(1)>") == "标题 &lt;b&gt; "


# -- plain text and SVG checks ---------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "kind"), [
    ("工作法<img src=x>", "tag"), ("</title>", "tag"), ("<!--", "tag"), ("a < b，c > d", None),
    ("jav&#x09;ascript:alert(1)", "url"), ("VBScript:x", "url"), ("data:text/html,x", "url"), ("大数据: 统计", None),
    ("示例\x1b[31m", "control"), ("a\x7fb", "control"), ("a\x85b", "control"), ("制表\t换行\n", None),
    ("示例\u202e司公", "bidi"), ("\u2066x\u2069", "bidi"), ("《书名》", None),
])
def test_text_problem(text: str, kind: str | None) -> None:
    found = sanitize.text_problem(text)
    assert (found[0] if found else None) == kind


def _text_problem_slow(value: str):
    """text_problem without its quick exit: the four checks alone."""
    for pattern, kind in ((sanitize._CONTROL, "control"), (sanitize._BIDI, "bidi")):
        if m := pattern.search(value):
            return kind, f"U+{ord(m.group(0)):04X}"
    if m := sanitize._TEXT_TAG.search(value):
        return "tag", value[m.start():m.start() + 20]
    if m := sanitize._SCRIPT_URL.search(sanitize.plain_url(value)):
        return "url", m.group(0)
    return None


def test_text_problem_quick_exit_changes_nothing_on_every_short_text() -> None:
    """Brute force: every sequence of up to three of these pieces (script schemes, `:` written and
    as entities, tag starts, controls, bidi marks, plain text) is judged as the four checks judge it."""
    import itertools

    pieces = ["javascript", "VBScript", "data", "text/html,", ":", "&#58;", "&colon;", "&#x3A", "&", ";", ",",
              "<", "a", "/", "!", "数据", "：", " ", "\t", "\x1b", "\x85", "\x7f", "\uffff", "\u202e", "\u2069"]
    texts = ["".join(p) for n in range(4) for p in itertools.product(pieces, repeat=n)]
    assert len(texts) > 14_000
    assert [t for t in texts if sanitize.text_problem(t) != _text_problem_slow(t)] == []


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_text_problem_quick_exit_changes_nothing(text: str) -> None:
    assert sanitize.text_problem(text) == _text_problem_slow(text)


def test_material_icons_are_clean_svg() -> None:
    """Real SVG files (Material's icons) pass the asset check: it does not cry wolf."""
    import material

    icons = sorted((Path(material.__file__).parent / "templates" / ".icons" / "material").glob("a*.svg"))[:200]
    assert len(icons) == 200
    for icon in icons:
        assert sanitize.svg_problems(icon.read_text("utf-8")) == [], icon
    linked = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"><defs><linearGradient id="g"/></defs><rect fill="url(#g)"/><use xlink:href="#g"/></svg>'
    assert sanitize.svg_problems(linked) == []


@pytest.mark.parametrize("svg", [
    "<svg><script>alert(1)</script></svg>",
    '<svg onload="alert(1)"/>',
    "<svg><foreignObject><div>x</div></foreignObject></svg>",
    '<svg><image href="https://evil.example/x.png"/></svg>',
    "<svg><image xlink:href='//evil.example/x.png'/></svg>",
    '<svg><rect style="fill:url(https://evil.example/x#a)"/></svg>',
    "<svg><style>@import 'x.css';</style></svg>",
    '<svg><a href="javascript:alert(1)"><text>x</text></a></svg>',
    '<svg><set attributeName="onmouseover" to="alert(1)"/></svg>',
    '<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg>&x;</svg>',
    # Read as the browser reads them: what a pattern over the text did not see.
    '<svg xmlns="http://www.w3.org/2000/svg" xmlns:s="http://www.w3.org/2000/svg"><s:script>alert(1)</s:script></svg>',
    '<!DOCTYPE svg [<!ATTLIST svg onload CDATA "alert(1)">]><svg xmlns="http://www.w3.org/2000/svg"/>',
    '<?xml version="1.0" encoding="UTF-16"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'.encode("utf-16"),
    '<?xml version="1.0" encoding="ISO-8859-1"?><svg xmlns="http://www.w3.org/2000/svg"/>',
    '<svg xmlns="http://www.w3.org/2000/svg"><set attributeName="&#111;nload" to="alert(1)"/></svg>',
    '<svg xmlns="http://www.w3.org/2000/svg" xmlns:x="http://www.w3.org/2000/svg" x:onload="alert(1)"/>',
    '<?xml-stylesheet href="https://evil.example/x.css"?><svg xmlns="http://www.w3.org/2000/svg"/>',
    '<svg xmlns="http://www.w3.org/2000/svg"><style><![CDATA[ @import "x.css"; ]]></style></svg>',
    '<svg xmlns="http://www.w3.org/2000/svg"><a href="#x"><set attributeName="href" to="java&#9;script:alert(1)"/></a></svg>',
    '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script><',  # Chromium runs what precedes an XML error
    # A second audit's ways past the first XML reading: HTML elements inside the SVG, CSS anywhere.
    '<svg xmlns="http://www.w3.org/2000/svg" xmlns:h="http://www.w3.org/1999/xhtml"><h:frame src="data:text/html,x"/></svg>',
    '<svg xmlns="http://www.w3.org/2000/svg" xmlns:h="http://www.w3.org/1999/xhtml"><h:img src="https://evil.example/x.png"/></svg>',
    '<html xmlns="http://www.w3.org/1999/xhtml"><body><p>x</p></body></html>',
    '<svg xmlns="http://www.w3.org/2000/svg"><rect fill="url(https://evil.example/s.svg#g)"/></svg>',
    '<svg xmlns="http://www.w3.org/2000/svg"><rect cursor="url(https://evil.example/c.png), auto"/></svg>',
    '<svg xmlns="http://www.w3.org/2000/svg"><style>@imp&#111;rt "https://evil.example/x.css";</style></svg>',
    '<svg xmlns="http://www.w3.org/2000/svg"><style><![CDATA[svg{background:u]]><![CDATA[rl(https://evil.example/x)}]]></style></svg>',
    '<svg xmlns="http://www.w3.org/2000/svg"><rect style="background-image:\\75 rl(https://evil.example/x)"/></svg>',
    '<svg xmlns="http://www.w3.org/2000/svg"><style>svg{background:/* } */url(https://evil.example/x)}</style></svg>',
    '<svg xmlns="http://www.w3.org/2000/svg"><rect style=\'background-image: image-set("https://evil.example/x.png" 1x)\'/></svg>',
    '<svg xmlns="http://www.w3.org/2000/svg"><rect><set attributeName="filter" to="url(https://evil.example/f)"/></rect></svg>',
    # A third audit's: `/*` in a CSS string is no comment; XHTML's DOCTYPE makes a browser read HTML's entities.
    """<svg xmlns="http://www.w3.org/2000/svg"><rect style="--a:'/*';mask-image:url(https://evil.example/m.png);--b:'*/'"/></svg>""",
    '<!DOCTYPE svg PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">'
    '<svg xmlns="http://www.w3.org/2000/svg"><style>&commat;import url&lpar;https://evil.example/x.css);</style></svg>',
    '<!DOCTYPE svg PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">'
    '<svg xmlns="http://www.w3.org/2000/svg"><a><set attributeName="xlink&colon;href" to="javascript&colon;alert(1)"/></a></svg>',
])
def test_svg_problems(svg: str | bytes) -> None:
    assert sanitize.svg_problems(svg)


@pytest.mark.parametrize("name", sorted(sanitize.ACTIVE_ELEMENTS))
def test_an_element_that_acts_on_the_page_is_refused_in_an_svg_file(name: str) -> None:
    """The one list of active elements (a case body refuses them too: E401)."""
    assert sanitize.svg_problems(f'<svg xmlns="http://www.w3.org/2000/svg"><{name}/></svg>')


def test_svg_as_drawing_programs_write_it_passes() -> None:
    svg = ('<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
           '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n'
           '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"><style>rect{fill:url(#g)}</style>'
           '<rect style="fill:url(#g)" fill="url(&quot;#g&quot;)"/><use xlink:href="#g"/><text>onload= url(x) @import</text>'
           '<style>rect{fill:u/**/rl(x)}</style></svg>')  # a comment parts `u` and `rl(`: no url( for CSS
    assert sanitize.svg_problems("\ufeff" + svg) == [] and sanitize.svg_problems(svg.encode()) == []


# -- exports ------------------------------------------------------------------------------------------

def test_script_json_cannot_break_out_and_keeps_exact_text() -> None:
    data = {"v": ["</script><script>alert(1)</script>", "<!--", "a&b", "x\u2028y\u2029z", "-->"]}
    text = script_json(data)
    assert json.loads(text) == data
    for bad in ("<", ">", "&", "\u2028", "\u2029"):
        assert bad not in text


@pytest.mark.parametrize(("value", "cell"), [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("阳光=车队", "阳光=车队"), ("", ""), ("'已有引号", "'已有引号"),
])
def test_csv_cell(value: str, cell: str) -> None:
    assert csv_cell(value) == cell


def test_csv_defuses_formulas_and_quotes_every_cell() -> None:
    case = Case(
        id="a", title="=HYPERLINK(\"http://evil.example\",\"x\")", organization="@公司", org_type="+类型", region="-地区",
        category=("类别",), summary="摘要;=1+1", date=dt.date(2024, 1, 5), source="来源", rel="a.md", body="",
        sections=(Section("基本情况", "x", 1),), tags=("=标签", "正常"),
    )

    class Index:  # the two attributes render_csv reads
        cases = (case,)

    raw = render_csv(Index(), Options()).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(raw, newline="")))
    row = dict(zip(rows[0], rows[1]))
    assert row["标题"] == "'" + case.title and row["单位"] == "'@公司" and row["组织类型"] == "'+类型" and row["地区"] == "'-地区"
    assert row["摘要"] == "摘要;=1+1" and row["标签"] == "'=标签；正常"
    assert all(line.startswith('"') for line in raw.strip("\r\n").split("\r\n"))


# -- SVG charts ---------------------------------------------------------------------------------------

@given(st.text(max_size=40), st.integers(1, 12))
def test_a_chart_label_is_whole_on_two_lines_or_cut_with_an_ellipsis(label, chars) -> None:
    lines = charts.label_lines(label, chars)
    assert 1 <= len(lines) <= 2 and all(len(line) <= chars for line in lines)
    if len(label) <= 2 * chars:
        assert "".join(lines) == label
    else:
        assert "".join(lines) == label[:2 * chars - 1] + "…"


def test_chart_labels_are_text() -> None:
    labels = [p for p in PAYLOADS][:40] + ["控制\x01字符", "\ufffe"]
    svg = charts.bar_chart("按<类别>\"统计\"", [(label, 1) for label in labels])
    root = ET.fromstring(svg)  # well-formed XML: control characters could not stop it displaying
    tags = {el.tag.split("}")[-1] for el in root.iter()}
    assert tags == {"svg", "title", "g", "text", "tspan", "rect"}  # a long label: a second line
    assert all(not k.startswith("on") for el in root.iter() for k in el.attrib)
    assert root.find("{http://www.w3.org/2000/svg}title").text == "按<类别>\"统计\""
