"""The 案例汇编 (`casebook book`): the real CLI writes a PDF (Typst) and a DOCX (python-docx),
read back with pypdf, fontTools and python-docx.

Expectations are computed from the fixture library's own files with PyYAML (published cases,
篇 by first category in taxonomy order, newest first within a 篇), independently of the code
under test. The library is the valid fixture plus a case whose title and body are made of
Typst's markup characters. Cover, 目录 and a case page are rendered to tests/screenshots/ to look at.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import shutil
import subprocess
import zipfile
from collections import Counter
from pathlib import Path

import docx
import pytest
import yaml
from docx.oxml.ns import qn
from fontTools.cffLib import CFFFontSet
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from conftest import REPO, VALID


SCREENSHOTS = REPO / "tests" / "screenshots"
BOOK_TITLE = "两新党建工作法案例汇编"
# Typst markup and code characters: as a title they must print as themselves.
HOSTILE_TITLE = '#eval("1+1") #set page(width: 2cm) $x^2$ *粗* _斜_ `码` <标签> @引用 \\ ] [ /* 注释 */ // 完'
HOSTILE_CASE = """\
---
id: shili-teshu-zifu
title: '{title}'
organization: '示例 #公司 [测试] $1$'
org_type: 社会组织
region: 东城街道
category: [品牌创建, 党建工作法]
summary: 标题和正文都由 Typst 的标记字符组成（虚构的测试数据）。
date: 2024-02-02
source: 测试资料：虚构
---

## 基本情况

正文里的 #pagebreak() 和 #set text(size: 40pt) 只是文字；$E = m c^2$ 也是；还有 \\ 和 ] 和 [ 和 @ref 和 a < b。

| 项目 | 说明 |
| --- | --- |
| 党员 | **12** 名 |
| 驿站 | #link("x")[y] |

1. 第一步
2. 第二步
    - 其中一项

> 引用的话。

## 主要做法

待补充

## 取得成效

做法取得了“示范”效果。
""".replace("{title}", HOSTILE_TITLE.replace("'", "''"))
CLOSING = set("，。、；：！？）》」』”’】〕…—")  # may not start a line (避头尾)


# -- independent expectations ---------------------------------------------------------------

def front_matter(path: Path) -> tuple[dict, str]:
    text = path.read_text(encoding="utf-8-sig").replace("\r\n", "\n")
    _, front, body = text.split("---\n", 2)
    return yaml.safe_load(front), body


def expected_book(root: Path, where: dict[str, str] | None = None) -> list[tuple[str, list[dict]]]:
    """[(篇 value, [case meta ...])] as the issue defines the book."""
    taxonomy = yaml.safe_load((root / "taxonomy.yml").read_text(encoding="utf-8"))
    cases = []
    for path in sorted(root.rglob("*.md")):
        meta, body = front_matter(path)
        if meta.get("status", "published") != "published":
            continue
        if where and any(meta.get(k) != v for k, v in where.items()):
            continue
        meta["_body"], meta["_path"] = body, path
        cases.append(meta)
    cases.sort(key=lambda m: (-dt.date.fromisoformat(str(m["date"])).toordinal(), m["id"]))
    return [(v, [m for m in cases if m["category"][0] == v]) for v in taxonomy["category"] if any(m["category"][0] == v for m in cases)]


def section_titles(body: str) -> list[str]:
    out, fence = [], False
    for line in body.split("\n"):
        if line.startswith("```"):
            fence = not fence
        elif not fence and line.startswith("## "):
            out.append(line[3:].strip())
    return out


def image_count(meta: dict) -> int:
    inline = re.findall(r"!\[[^\]]*\]\(([^)\s]+)", meta["_body"])
    return len([p for p in inline if p.lower().endswith((".png", ".jpg", ".jpeg"))]) + (1 if meta.get("cover") else 0)


def squash(text: str) -> str:
    return re.sub(r"[\s\u2060]+", "", text)


# -- building ----------------------------------------------------------------------------------

def make_book(run, cases: Path, out: Path, *args: str, env: dict | None = None):
    """`casebook book` with `run` (the run_cli or run_entry_point fixture)."""
    return run("book", "--cases", cases, "--out", out, *args, env=env)


@pytest.fixture(scope="module")
def library(tmp_path_factory) -> Path:
    cases = tmp_path_factory.mktemp("book") / "cases"
    shutil.copytree(VALID, cases)
    (cases / "shili-teshu-zifu.md").write_text(HOSTILE_CASE, encoding="utf-8")
    return cases


@pytest.fixture(scope="module")
def built(run_cli, library: Path, tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("dist")
    result = make_book(run_cli, library, out)
    assert result.returncode == 0, result.stdout + result.stderr
    stamp = dt.date.today().strftime("%Y%m%d")
    pdf = out / f"liangxin-dangjian-anli-huibian-{stamp}.pdf"
    docx_path = pdf.with_suffix(".docx")
    assert sorted(p.name for p in out.iterdir()) == sorted([pdf.name, docx_path.name])
    reader = PdfReader(pdf)
    return {"out": out, "pdf": pdf, "docx": docx_path, "reader": reader,
            "pages": [p.extract_text() for p in reader.pages], "stdout": result.stdout}


def toc_numbers(pages: list[str]) -> dict[str, int]:
    """Title -> page number as printed in the 目录 (the pages numbered i, ii ... after the cover)."""
    out: dict[str, int] = {}
    for page in pages[1:]:
        lines = page.strip().split("\n")
        if not re.fullmatch(r"[ivxl]+", lines[-1].strip()):
            break
        body = lines[:-1]
        if squash(body[0]).startswith(squash(BOOK_TITLE)):  # running header of a later 目录 page
            body = body[1:]
        text = squash("\n".join(body)).removeprefix("目录")
        out.update((m.group(1), int(m.group(2))) for m in re.finditer(r"(.+?)\.+(\d+)", text))
    return out


def footer_number(page_text: str) -> str:
    return page_text.strip().split("\n")[-1].strip()


# -- the PDF -----------------------------------------------------------------------------------

def test_every_case_once_in_book_order_on_the_page_the_toc_names(built, library):
    pages = built["pages"]
    expected = expected_book(library)
    titles = [m["title"] for _, cases in expected for m in cases]
    assert HOSTILE_TITLE in titles and len(titles) == 6
    toc = toc_numbers(pages)
    # The 目录 lists every 篇 and case, in book order.
    listed = [t for t in toc if not t.startswith("第")]
    assert listed == [squash(t) for t in titles]
    assert [t for t in toc if t.startswith("第")] == [squash(f"第{'一二三四'[i]}篇　{v}") for i, (v, _) in enumerate(expected)]
    # Each case opens exactly one page (its title right under the running header), and that
    # page carries the number the 目录 gives it.
    for title in titles:
        opening = [p for p in pages if squash("\n".join(p.split("\n")[1:])).startswith(squash(title))]
        assert len(opening) == 1, title
        assert footer_number(opening[0]) == str(toc[squash(title)]), title
    order = [next(i for i, p in enumerate(pages) if squash("\n".join(p.split("\n")[1:])).startswith(squash(t))) for t in titles]
    assert order == sorted(order)


def test_drafts_are_absent(built, library):
    drafts = [front_matter(p)[0] for p in library.rglob("*.md") if front_matter(p)[0].get("status") == "draft"]
    assert drafts
    text = squash("".join(built["pages"]))
    for meta in drafts:
        assert squash(meta["title"]) not in text
        assert squash(meta["summary"]) not in text


def test_outline_has_one_entry_per_part_and_case(built, library):
    reader = built["reader"]
    expected = expected_book(library)
    got = []
    items = reader.outline
    for i, item in enumerate(items):
        if isinstance(item, list):
            continue
        children = items[i + 1] if i + 1 < len(items) and isinstance(items[i + 1], list) else []
        got.append((item.title, [c.title for c in children]))
    assert got == [(f"第{'一二三四'[i]}篇　{v}", [m["title"] for m in cases]) for i, (v, cases) in enumerate(expected)]
    # Each case bookmark opens the case's page.
    for item in [c for x in items if isinstance(x, list) for c in x]:
        page = built["pages"][reader.get_destination_page_number(item)]
        assert squash("\n".join(page.split("\n")[1:])).startswith(squash(item.title))


def test_cover_metadata_and_page_size(built, library):
    reader, pages = built["reader"], built["pages"]
    cover = squash(pages[0])
    assert squash(BOOK_TITLE) in cover
    assert "两新党建工作法案例库编" in cover  # the compiler (book.yml)
    assert f"共收录案例{sum(len(c) for _, c in expected_book(library))}个" in cover
    today = dt.date.today()
    assert f"{today.year}年{today.month}月{today.day}日" in cover
    assert "收录范围" not in cover  # the whole library
    assert reader.metadata.title == BOOK_TITLE
    assert reader.trailer["/Root"]["/Lang"] == "zh-CN"
    for page in reader.pages:  # A4 everywhere: no title could reset the page
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)
    assert "目录" in pages[1] and footer_number(pages[1]) == "i"


def test_hostile_text_prints_as_itself(built, library):
    text = squash("".join(built["pages"]))
    assert squash(HOSTILE_TITLE) in text
    assert squash("示例 #公司 [测试] $1$") in text
    # (A raw HTML tag such as <x> is refused by validation, E408; a lone < is text.)
    assert squash("正文里的 #pagebreak() 和 #set text(size: 40pt) 只是文字；$E = m c^2$ 也是；还有 \\ 和 ] 和 [ 和 @ref 和 a < b。") in text
    assert squash('#link("x")[y]') in text
    assert "待补充" in text


def test_sections_incomplete_and_running_header(built, library):
    pages = built["pages"]
    page = next(p for p in pages if squash("\n".join(p.split("\n")[1:])).startswith(squash(HOSTILE_TITLE)))
    assert page.split("\n")[0].replace(" ", "").startswith(BOOK_TITLE)
    assert "第三篇" in page.split("\n")[0] and "品牌创建" in page.split("\n")[0]  # its first category
    flat = squash(page)
    assert flat.index("基本情况") < flat.index("主要做法") < flat.index("待补充") < flat.index("取得成效")


def test_no_line_starts_with_closing_punctuation(built):
    lines = [line.strip() for p in built["pages"] for line in p.split("\n") if line.strip()]
    assert len(lines) > 100
    assert [line for line in lines if line[0] in CLOSING] == []


def _fonts(reader: PdfReader):
    seen = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            seen[font.indirect_reference.idnum if font.indirect_reference else id(font)] = font
    return list(seen.values())


def _to_unicode(font) -> dict[int, str]:
    cmap = font["/ToUnicode"].get_data().decode("latin-1")
    out = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S):
        for cid, uni in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            out[int(cid, 16)] = bytes.fromhex(uni).decode("utf-16-be")
    for block in re.findall(r"beginbfrange(.*?)endbfrange", cmap, re.S):
        for lo, hi, uni in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            start = int(uni, 16)
            for k, cid in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                out[cid] = chr(start + k)
    return out


def _glyphs_with_outlines(descriptor) -> set[int]:
    """CIDs / glyph ids that the embedded font program really draws (not .notdef, not empty)."""
    if "/FontFile3" in descriptor:
        cff = CFFFontSet()
        cff.decompile(io.BytesIO(descriptor["/FontFile3"].get_data()), None)
        font = cff[cff.fontNames[0]]
        strings = font.CharStrings
        out = set()
        for name in font.charset:
            if name == ".notdef":
                continue
            cid = int(name[3:]) if name.startswith("cid") else font.charset.index(name)
            if strings[name].calcBounds(strings) is not None:
                out.add(cid)
        return out
    data = descriptor.get("/FontFile2") or descriptor.get("/FontFile")
    tt = TTFont(io.BytesIO(data.get_data()))
    glyf = tt["glyf"]
    return {i for i, name in enumerate(tt.getGlyphOrder()) if i and glyf[name].numberOfContours != 0}


def test_fonts_embedded_subset_and_cover_every_character(built):
    reader = built["reader"]
    fonts = _fonts(reader)
    names = [str(f["/BaseFont"]) for f in fonts]
    assert any("Serif" in n and "CJK" in n for n in names), names  # body: 宋体 / serif
    assert any("Sans" in n and "CJK" in n for n in names), names  # headings: 黑体 / sans
    drawn: set[str] = set()
    for font in fonts:
        assert re.match(r"^/[A-Z]{6}\+", str(font["/BaseFont"])), f"not subset: {font['/BaseFont']}"
        descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
        descriptor = descendant["/FontDescriptor"]
        assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")), f"not embedded: {font['/BaseFont']}"
        glyphs = _glyphs_with_outlines(descriptor)
        drawn |= {ch for cid, text in _to_unicode(font).items() if cid in glyphs for ch in text}
    text = set(squash("".join(built["pages"])))
    assert len(text) > 300
    assert sorted(text - drawn) == []


def test_images_are_placed_with_captions(built, library):
    reader = built["reader"]
    images = 0  # placements: one image file may be drawn several times
    for page in reader.pages:
        xobjects = page["/Resources"].get("/XObject", {})
        names = {k[1:] for k, v in xobjects.items() if v.get_object()["/Subtype"] == "/Image"}
        images += sum(1 for n in re.findall(rb"/(\w+) Do", page.get_contents().get_data()) if n.decode() in names)
    expected = sum(image_count(m) for _, cases in expected_book(library) for m in cases)
    assert images == expected == 3
    text = squash("".join(built["pages"]))
    assert "测试厂温情工作法示意图" in text and "党建特派员示意图" in text


# -- the Word document ------------------------------------------------------------------------

def test_docx_headings_toc_breaks_images_and_fonts(built, library):
    document = docx.Document(built["docx"])
    headings = [(int(p.style.name[-1]), p.text) for p in document.paragraphs if p.style.name.startswith("Heading")]
    expected = []
    for i, (value, cases) in enumerate(expected_book(library)):
        expected.append((1, f"第{'一二三四'[i]}篇　{value}"))
        for meta in cases:
            expected.append((2, meta["title"]))
            expected += [(3, t) for t in section_titles(meta["_body"])]
    assert headings == expected
    # Every case starts a new page.
    for p in document.paragraphs:
        if p.style.name in ("Heading 1", "Heading 2"):
            assert p.paragraph_format.page_break_before, p.text
    body = document.element.body
    instructions = [t.text for t in body.iter(qn("w:instrText"))]
    assert any(t.strip().startswith("TOC") and '\\o "1-2"' in t for t in instructions)
    assert document.settings.element.find(qn("w:updateFields")).get(qn("w:val")) == "true"
    footer = document.sections[0].footer._element
    assert [t.text.strip() for t in footer.iter(qn("w:instrText"))] == ["PAGE"]
    expected_images = sum(image_count(m) for _, cases in expected_book(library) for m in cases)
    assert len(document.inline_shapes) == expected_images == 3
    # East-Asian fonts on every run with text, and on the styles.
    fonts = Counter()
    for run in body.iter(qn("w:r")):
        if any((t.text or "").strip() for t in run.iter(qn("w:t"))):
            rfonts = run.find(qn("w:rPr")).find(qn("w:rFonts"))
            fonts[rfonts.get(qn("w:eastAsia"))] += 1
    assert set(fonts) == {"宋体", "黑体"}, fonts
    for name, face in (("Normal", "宋体"), ("Heading 1", "黑体"), ("Heading 2", "黑体"), ("Heading 3", "黑体")):
        rfonts = document.styles[name].element.find(qn("w:rPr")).find(qn("w:rFonts"))
        assert rfonts.get(qn("w:eastAsia")) == face and rfonts.get(qn("w:eastAsiaTheme")) is None
    props = document.core_properties
    assert (props.title, props.language) == (BOOK_TITLE, "zh-CN")
    text = "\n".join(p.text for p in document.paragraphs)
    assert HOSTILE_TITLE in text and "学习小组轮值法" not in text
    sizes = {(s.page_width.mm, s.page_height.mm) for s in document.sections}
    assert {(round(w), round(h)) for w, h in sizes} == {(210, 297)}


# -- determinism, options and errors ------------------------------------------------------------

def test_two_builds_are_identical(run_entry_point, built, library, tmp_path):
    """The second build in another process (another PYTHONHASHSEED) gives the same bytes."""
    result = make_book(run_entry_point, library, tmp_path, env={"PYTHONHASHSEED": "12345"})
    assert result.returncode == 0, result.stderr
    for name in (built["pdf"].name, built["docx"].name):
        assert (tmp_path / name).read_bytes() == (built["out"] / name).read_bytes(), name
    with zipfile.ZipFile(tmp_path / built["docx"].name) as zf:
        assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_where_selects_a_subset_named_on_the_cover(run_cli, library, tmp_path):
    result = make_book(run_cli, library, tmp_path, "--where", "region=东城街道", "--format", "pdf", "--title", "东城案例选编")
    assert result.returncode == 0, result.stderr
    (pdf,) = tmp_path.glob("*.pdf")
    reader = PdfReader(pdf)
    pages = [p.extract_text() for p in reader.pages]
    assert "收录范围：地区：东城街道" in squash(pages[0]) and "东城案例选编" in pages[0]
    expected = [m["title"] for _, cases in expected_book(library, {"region": "东城街道"}) for m in cases]
    assert len(expected) == 3
    toc = toc_numbers(pages)
    assert [t for t in toc if not t.startswith("第")] == [squash(t) for t in expected]
    assert reader.metadata.title == "东城案例选编"
    assert not list(tmp_path.glob("*.docx"))


def test_group_by_region(run_cli, library, tmp_path):
    result = make_book(run_cli, library, tmp_path, "--group-by", "region", "--format", "docx")
    assert result.returncode == 0, result.stderr
    (path,) = tmp_path.glob("*.docx")
    parts = [p.text for p in docx.Document(path).paragraphs if p.style.name == "Heading 1"]
    assert parts == ["第一篇　永康市", "第二篇　东城街道", "第三篇　示例镇"]  # taxonomy order


@pytest.mark.parametrize("args, code, words", [
    (("--where", "region=东城"), 2, ["--where", "东城街道"]),
    (("--where", "region"), 2, ["字段=取值"]),
    (("--where", "title=x"), 2, ["region", "category"]),
    (("--group-by", "title"), 2, ["--group-by", "category"]),
    (("--format", "pdf,html"), 2, ["--format"]),
    (("--where", "region=示例镇", "--where", "industry=制造业"), 1, ["没有符合条件"]),
])
def test_usage_errors_are_clear(run_cli, library, tmp_path, args, code, words):
    result = make_book(run_cli, library, tmp_path, *args)
    assert result.returncode == code, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in result.stderr
    assert not list(tmp_path.iterdir())


def test_no_cjk_font_stops_with_what_to_install(run_cli, library, tmp_path):
    empty = tmp_path / "no-fonts"
    empty.mkdir()
    out = tmp_path / "out"
    result = make_book(run_cli, library, out, env={"CASEBOOK_FONT_DIRS": str(empty)})
    assert result.returncode == 1
    assert "没有找到中文字体" in result.stderr and "No Chinese (CJK) font found" in result.stderr
    assert "fonts-noto-cjk" in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()
    # make site's way: the Word file still, no PDF, success.
    result = make_book(run_cli, library, out, "--skip-without-font", env={"CASEBOOK_FONT_DIRS": str(empty)})
    assert result.returncode == 0, result.stderr
    assert "fonts-noto-cjk" in result.stderr
    assert [p.suffix for p in out.iterdir()] == [".docx"]


def test_invalid_library_writes_nothing(run_cli, tmp_path):
    cases = tmp_path / "cases"
    shutil.copytree(VALID, cases)
    (cases / "broken.md").write_text("---\ntitle: x\n---\n", encoding="utf-8")
    result = make_book(run_cli, cases, tmp_path / "out")
    assert result.returncode == 1 and "E201" in result.stderr
    assert not (tmp_path / "out").exists()


def test_a_case_validate_refuses_for_its_page_is_not_put_in_the_book(run_cli, tmp_path):
    """The book holds what validate accepts: a refusal that only rendering the page finds (an image
    of a PDF, E418; a pasted style attribute, E409) stops it as it stops validate and the build."""
    for body, code in (("![图](assets/report.pdf)", "E418"), ('<p style="color:red">文字</p>', "E409")):
        cases = tmp_path / code / "cases"
        shutil.copytree(VALID, cases)
        (cases / "assets" / "report.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
        case = next(p for p in sorted(cases.glob("*.md")))
        case.write_text(case.read_text(encoding="utf-8").replace("\n## 主要做法\n", f"\n## 主要做法\n\n{body}\n", 1), encoding="utf-8")
        validated = run_cli("validate", "--cases", cases)
        assert validated.returncode == 1 and code in validated.stdout, validated.stdout
        result = make_book(run_cli, cases, tmp_path / code / "out")
        assert result.returncode == 1 and code in result.stderr and "没有生成案例汇编" in result.stderr
        assert not (tmp_path / code / "out").exists()


def _with_word_line_break(tmp_path: Path) -> tuple[Path, Path]:
    """The valid library with a vertical tab (Word's manual line break) in one case's body."""
    cases = tmp_path / "cases"
    shutil.copytree(VALID, cases)
    case = next(p for p in sorted(cases.glob("*.md")))
    text = case.read_text(encoding="utf-8")
    case.write_text(text.replace("\n## 主要做法\n", "\n## 主要做法\n\n第一行\x0b第二行\n", 1), encoding="utf-8")
    return cases, case


def test_a_control_character_in_a_body_stops_the_book_at_validation(run_entry_point, tmp_path):
    """A character Word cannot hold (U+000B: python-docx raised ValueError, a traceback) is refused
    by validate at its line (E420), and so by `casebook book` before anything is written."""
    cases, case = _with_word_line_break(tmp_path)
    line = case.read_text(encoding="utf-8").split("\n").index("第一行\x0b第二行") + 1
    result = make_book(run_entry_point, cases, tmp_path / "out", "--format", "docx")
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{case.name}:{line}: E420 " in result.stderr and "U+000B" in result.stderr
    assert "没有生成案例汇编" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_text_word_cannot_hold_stops_the_book_with_a_sentence(run_cli, tmp_path, monkeypatch):
    """Should such text ever get past validation, the Word file is not written and one line names
    the case: no traceback (here validate's check is switched off to get there)."""
    from casebook.core.body import BodyCheck

    monkeypatch.setattr(BodyCheck, "check_control_characters", lambda self: None)
    cases, case = _with_word_line_break(tmp_path)
    result = make_book(run_cli, cases, tmp_path / "out", "--format", "docx")
    assert result.returncode == 1, result.stdout + result.stderr
    [message] = [line for line in result.stderr.splitlines() if line.startswith("casebook:")]
    assert case.name in message and "Word" in message and "没有生成 Word 版案例汇编" in message
    assert "Traceback" not in result.stderr and not list((tmp_path / "out").glob("*.docx"))


def test_a_file_that_is_no_image_stops_the_book_at_validation(run_cli, tmp_path, monkeypatch):
    """An image file whose bytes are no image (python-docx raised UnrecognizedImageError, a
    traceback; Typst could not decode it) is refused by validate (E421), and so by the book;
    past validation (switched off here), one sentence names the file."""
    from casebook import cli
    from casebook.core import validate

    cases = tmp_path / "cases"
    shutil.copytree(VALID, cases)
    (cases / "assets" / "cover.png").write_bytes(b"not a png")
    result = make_book(run_cli, cases, tmp_path / "out", "--format", "docx")
    assert result.returncode == 1 and "assets/cover.png:1: E421 " in result.stderr, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "out").exists()
    monkeypatch.setattr(validate, "image_format_problem", lambda path, head: False)
    monkeypatch.setattr(cli, "pictures_refused", lambda root, rels: {})  # E424 would refuse it too
    result = make_book(run_cli, cases, tmp_path / "out", "--format", "docx")
    assert result.returncode == 1, result.stdout + result.stderr
    [message] = [line for line in result.stderr.splitlines() if line.startswith("casebook:")]
    assert "cover.png" in message and "E421" in message and "Traceback" not in result.stderr


# -- the site links the book ---------------------------------------------------------------------

def test_site_links_the_book_when_it_is_given(run_cli, built, library, tmp_path):
    """With --downloads; test_site.py::test_no_book_no_download_links checks a build without."""
    downloads = built["out"]
    site = tmp_path / "site"
    result = run_cli("build", "--cases", library, "--site-dir", site, "--downloads", downloads)
    assert result.returncode == 0, result.stderr
    for name in (built["pdf"].name, built["docx"].name):
        assert (site / "downloads" / name).read_bytes() == (downloads / name).read_bytes()
    home = (site / "index.html").read_text(encoding="utf-8")
    overview = (site / "overview" / "index.html").read_text(encoding="utf-8")
    assert f'下载案例汇编 <a href="downloads/{built["pdf"].name}">PDF</a> / <a href="downloads/{built["docx"].name}">Word</a>' in home
    assert f'下载案例汇编 <a href="../downloads/{built["pdf"].name}">PDF</a> / <a href="../downloads/{built["docx"].name}">Word</a>' in overview
    # How to check a download: on the overview (the strict build checked the home page's anchor).
    assert '<a href="overview/#核对下载的文件">核对下载的文件</a>' in home
    assert 'id="核对下载的文件"' in overview and "<code>certutil -hashfile 文件名 SHA256</code>" in overview


# -- look at it -----------------------------------------------------------------------------------

def test_screenshots_of_cover_toc_and_a_case_page(built):
    """PNGs to look at by eye (tests/screenshots/, git-ignored); needs poppler's pdftoppm."""
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        pytest.skip("pdftoppm (poppler-utils) 未安装：不生成截图")
    SCREENSHOTS.mkdir(exist_ok=True)
    case_page = next(i for i, p in enumerate(built["pages"]) if HOSTILE_TITLE[:10] in p.split("\n")[1] if "\n" in p)
    for name, page in (("book-cover", 1), ("book-toc", 2), ("book-case", case_page + 1), ("book-case-image", 5)):
        subprocess.run([pdftoppm, "-png", "-r", "80", "-singlefile", "-f", str(page), "-l", str(page),
                        str(built["pdf"]), str(SCREENSHOTS / name)], check=True)
        assert (SCREENSHOTS / f"{name}.png").stat().st_size > 5000


# -- Markdown -> blocks (pure) --------------------------------------------------------------------

@pytest.fixture(scope="module")
def site_markdown():
    """The site's Markdown: the extensions MkDocs runs for mkdocs.yml (its defaults included), configured as there."""
    from casebook.site import engine

    return engine.load(REPO / "mkdocs.yml")


# Lists whose reading depends on the Markdown extensions (sane_lists: the first number and a change
# of marker), nested lists and a fence inside an item (superfences).
LIST_BODIES = [
    "3. 第三项\n4. 第四项\n",
    "1. 甲\n- 乙\n* 丙\n",
    "- 甲\n- 乙\n\n3. 丙\n",
    "段落\n\n5. 五\n6. 六\n    - 子项\n    - 子项二\n7. 七\n",
    "1. 甲\n\n    ```\n    代码\n    ```\n\n2. 乙\n",
    "- 甲\n\n    | 列 |\n    | --- |\n    | 值 |\n",
]


@pytest.mark.parametrize("body", LIST_BODIES)
def test_lists_in_the_book_are_the_lists_the_site_shows(site_markdown, body):
    """The same body, parsed for the book and by the site's Markdown (configured from mkdocs.yml),
    gives the same blocks: the same lists, items, nesting and numbering."""
    import markdown

    from casebook.book.compose import html_blocks, markdown_blocks

    site = markdown.Markdown(extensions=site_markdown.markdown_extensions, extension_configs=site_markdown.mdx_configs)
    assert markdown_blocks(body) == html_blocks(site.convert(body))


def test_a_reference_defined_in_another_section_is_the_pages(tmp_path):
    """The book reads the body as the page does, whole: a link and a picture defined under
    经验启示 and used under 主要做法 are a link and a picture (the book read each section alone: the
    brackets stayed as text and the picture was lost)."""
    from casebook.book.compose import book_entry
    from conftest import check

    cases = tmp_path / "cases"
    shutil.copytree(VALID, cases)
    case_file = cases / "shili-yangguang-chedui.md"
    text = case_file.read_text(encoding="utf-8")
    text = text.replace("\n## 主要做法\n", "\n## 主要做法\n\n参见[通知原文][tz]和![封面图][fm]。\n", 1)
    text = text.replace("\n## 经验启示\n", "\n## 经验启示\n\n[tz]: https://example.com/tz\n[fm]: assets/cover.png\n", 1)
    case_file.write_text(text, encoding="utf-8")
    library = check(cases)
    assert not library.errors, [f.text() for f in library.errors]
    case = next(c for c in library.cases if c.id == "shili-yangguang-chedui")
    practice = next(s for s in book_entry(case, set(library.assets)).sections if s["title"] == "主要做法")
    runs = [r for b in practice["blocks"] if b["t"] == "p" for r in b["runs"]]
    assert any(r["url"] == "https://example.com/tz" and r["v"] == "通知原文" for r in runs), runs
    assert {"t": "img", "src": "assets/cover.png", "alt": "封面图"} in practice["blocks"], practice["blocks"]
    assert "[tz]" not in "".join(r["v"] for r in runs)


def _han(text: str) -> str:
    return "".join(re.findall(r"[\u4e00-\u9fff]", text))


def _block_text(blocks: list[dict]) -> str:
    out = []
    for b in blocks:
        out += [r["v"] for r in b.get("runs", [])] + [b.get("alt", ""), b.get("text", "")]
        out += [_block_text(item) for item in b.get("items", [])] + [_block_text(b.get("blocks", []))]
        out += [_block_text(cell["blocks"]) for cell in b.get("cells", [])]
    return "".join(out)


@pytest.mark.parametrize("body", [
    "<table><caption>表题文字</caption><tr><td>单元格</td></tr></table>",
    "<table>游离文字<tr><td>单元格</td></tr></table>",
    "<table><tr>行内游离<td>格子</td></tr></table>",
    "<ul>列表前文字<li>项目一</li>列表中文字<li>项目二</li></ul>",
    "<ul><div>块内文字</div><li>项目一</li></ul>",
    "<ol><ol><li>内层</li></ol><li>外层</li></ol>",
    "<ul><li>项<ul>游离<li>内</li></ul></li></ul>",
    "<ol start=\"3\"><li>三</li>中间<li>四</li></ol>",
    "[TOC]\n\n### 小节甲\n\n内容甲",  # the list of the body's headings (the book printed “[TOC]”)
])
def test_the_book_keeps_every_word_the_site_shows(site_markdown, body):
    """Text a list or table holds outside its items and cells (a caption, text HTML moves out of a
    table, words between list items) is on the site: the book once dropped it. Word for word,
    in order, the book's blocks read as the published page."""
    import markdown

    from casebook.book.compose import markdown_blocks
    from casebook.core.sanitize import clean

    site = markdown.Markdown(extensions=site_markdown.markdown_extensions, extension_configs=site_markdown.mdx_configs)
    page = clean(site.convert(body))
    assert _han(_block_text(markdown_blocks(body))) == _han(re.sub(r"<[^>]+>", "", page))


def test_list_numbering_and_markers_read_as_on_the_site():
    from casebook.book.compose import markdown_blocks

    def items(block):
        return ["".join(r["v"] for b in item for r in b.get("runs", [])) for item in block["items"]]

    [third] = markdown_blocks("3. 第三项\n4. 第四项\n")
    assert (third["ordered"], third["start"], items(third)) == (True, 3, ["第三项", "第四项"])  # the site shows 3., 4.
    [mixed] = markdown_blocks("1. 甲\n- 乙\n* 丙\n")
    assert (mixed["ordered"], items(mixed)) == (True, ["甲", "乙", "丙"])  # one numbered list of three


def test_admonitions_definition_lists_and_attributes_print_as_the_site_shows_them():
    from casebook.book.compose import markdown_blocks

    text = ('!!! note "经验提示"\n    先听群众的意见。\n\n'
            "阳光车队\n:   以出租车驾驶员党员为骨干的志愿服务队伍。\n\n"
            "## 主要做法 {#zuofa}\n\n"
            '<div markdown="1">**加粗**的说明</div>\n')
    blocks = markdown_blocks(text)
    texts = ["".join(r["v"] for r in b.get("runs", [])) for b in blocks]
    assert texts == ["经验提示", "先听群众的意见。", "阳光车队", "以出租车驾驶员党员为骨干的志愿服务队伍。", "主要做法", "加粗的说明"]
    assert all(r["b"] for r in blocks[0]["runs"]) and not any(r["b"] for r in blocks[1]["runs"])
    assert blocks[4]["t"] == "h" and [r["v"] for r in blocks[5]["runs"] if r["b"]] == ["加粗"]
    assert "!!!" not in str(blocks) and "{#" not in str(blocks) and "markdown" not in str(blocks)


def test_the_book_embeds_exactly_the_library_images_an_address_names():
    """rules.library_image decides (as validate's E418 does): a library file with an image suffix,
    percent-encoded or with spaces, in every Markdown form; a PDF, a page, this page are left out
    (Typst would stop on a PDF given as an image)."""
    from casebook.book.compose import markdown_blocks

    assets = {"assets/a b.png", "assets/图.png", "assets/report.pdf", "c.md"}
    # (`[三]: <assets/a b.png>`, a space inside <>, is no definition but a tag to Python-Markdown: E408)
    text = ("![一](<assets/a b.png>) ![二](assets/%E5%9B%BE.png) ![三][三]\n\n[三]: <assets/a%20b.png>\n\n"
            '<img src="assets/图.png" alt="四"> ![五](assets/report.pdf) ![六](c.md) ![七](#) ![八](sub/../assets/a%20b.png#x)')
    images = [(b["alt"], b["src"]) for b in markdown_blocks(text, "", assets) if b["t"] == "img"]
    assert images == [("一", "assets/a b.png"), ("二", "assets/图.png"), ("三", "assets/a b.png"), ("四", "assets/图.png"),
                      ("五", None), ("六", None), ("七", None), ("八", "assets/a b.png")]
    # a case in a folder: its addresses are relative to it
    assert [b["src"] for b in markdown_blocks("![图](../assets/图.png)", "sub", assets) if b["t"] == "img"] == ["assets/图.png"]


def test_the_book_reads_comments_as_the_site_does():
    """`<!-->` is a whole comment to a browser (Python's parser read on to the next `-->`): the
    image after it is on the site, so it is in the book."""
    from casebook.book.compose import markdown_blocks

    blocks = markdown_blocks('<!-->\n<img src="assets/a.png" alt="甲">\n<!-- end -->', "", {"assets/a.png"})
    assert [(b["alt"], b["src"]) for b in blocks if b["t"] == "img"] == [("甲", "assets/a.png")]


def test_markdown_blocks_cover_the_subset_cases_use():
    from casebook.book.compose import markdown_blocks

    text = (
        "第一段**加粗**和*斜体*，[链接](https://example.com)、[坏链接](javascript:alert(1))和`代码`。\n"
        "同一段的第二行。\n\n"
        "- 甲\n- 乙\n    1. 子项\n\n"
        "| 甲 | 乙 |\n| --- | --- |\n| 1 | **2** |\n\n"
        "3. 从三开始\n4. 四\n\n"
        "### 小标题\n\n"
        "![图注](../assets/a.png) ![外部](https://example.com/x.png) ![缺失](assets/none.png)\n\n"
        "<script>alert(1)</script>\n\n"
        "> 引用\n"
    )
    blocks = markdown_blocks(text, "sub", {"assets/a.png"})
    kinds = [b["t"] for b in blocks]
    assert kinds == ["p", "list", "table", "list", "h", "img", "img", "img", "quote"]
    runs = blocks[0]["runs"]
    assert "".join(r["v"] for r in runs) == "第一段加粗和斜体，链接、坏链接和代码。同一段的第二行。"  # no space at a CJK line break
    assert [r["v"] for r in runs if r["b"]] == ["加粗"] and [r["v"] for r in runs if r["i"]] == ["斜体"]
    assert [(r["v"], r["url"]) for r in runs if r["url"]] == [("链接", "https://example.com")]  # javascript: is text only
    assert [r["v"] for r in runs if r["code"]] == ["代码"]
    assert blocks[1]["ordered"] is False and blocks[1]["items"][1][1]["t"] == "list"
    assert (blocks[3]["ordered"], blocks[3]["start"]) == (True, 3)  # numbered from 3, as on the site
    cells = [(c["x"], c["y"], c["head"], "".join(r["v"] for b in c["blocks"] for r in b["runs"])) for c in blocks[2]["cells"]]
    assert cells == [(0, 0, True, "甲"), (1, 0, True, "乙"), (0, 1, False, "1"), (1, 1, False, "2")]
    assert (blocks[2]["columns"], blocks[2]["rows"]) == (2, 2)
    # Only library files are images; the others keep their caption.
    assert [(b["src"], b["alt"]) for b in blocks[5:8]] == [("assets/a.png", "图注"), (None, "外部"), (None, "缺失")]
    assert "alert" not in str(blocks)


DEEP_BODIES = {  # nesting the site shows and validate passes, far past what Typst and Word can indent
    "quotes": "\n".join(">" * n + f" 第{n}层" for n in range(1, 41)),
    "lists": "\n".join("    " * n + f"- 第{n + 1}层" for n in range(40)),
    "numbered": "\n".join("    " * n + f"1. 第{n + 1}层" for n in range(40)),
    "quoted lists": "\n".join("> " * n + f"- 第{n}层" for n in range(1, 31)),
    "tables": "".join(f"<table><tr><td>第{n}层" for n in range(1, 31)) + "</td></tr></table>" * 30,
    "raw HTML": "<div>" * 3000 + "第1层" + "</div>" * 3000 + "\n\n" + "<ul><li>" * 500 + "第2层" + "</li></ul>" * 500,
}


def _depth(blocks: list[dict]) -> int:
    inner = [_depth(b["blocks"]) for b in blocks if b["t"] == "quote"]
    inner += [_depth(item) for b in blocks if b["t"] == "list" for item in b["items"]]
    inner += [_depth(cell["blocks"]) for b in blocks if b["t"] == "table" for cell in b["cells"]]
    return 1 + max(inner, default=0)


def _texts(blocks: list[dict]) -> str:
    out = []
    for b in blocks:
        out += [r["v"] for r in b.get("runs", [])]
        out += [_texts(b["blocks"])] if b["t"] == "quote" else [_texts(item) for item in b.get("items", [])]
        out += [_texts(cell["blocks"]) for cell in b.get("cells", [])]
    return "".join(out)


@pytest.mark.parametrize("name", sorted(DEEP_BODIES))
def test_nesting_deeper_than_the_book_indents_keeps_every_word(name):
    """Lists and quotes nested past MAX_NESTING are set at that depth (Typst stopped on 30 levels
    with "maximum show rule depth exceeded", Python on 3,000 <div>s), every level's text kept in order."""
    from casebook.book.compose import MAX_NESTING, markdown_blocks

    body = DEEP_BODIES[name]
    blocks = markdown_blocks(body)
    assert _depth(blocks) <= MAX_NESTING + 1
    levels = [int(n) for n in re.findall(r"第(\d+)层", _texts(blocks))]
    assert levels == [int(n) for n in re.findall(r"第(\d+)层", body)]


def test_a_book_of_deep_nesting_is_typeset(run_cli, tmp_path):
    """The real PDF (Typst) and Word files of a case holding every deep body above."""
    cases = tmp_path / "cases"
    shutil.copytree(VALID, cases)
    case = next(p for p in sorted(cases.glob("*.md")))
    deep = "\n\n".join(DEEP_BODIES.values())
    case.write_text(case.read_text(encoding="utf-8").replace("\n## 主要做法\n", f"\n## 主要做法\n\n{deep}\n\n", 1), encoding="utf-8")
    assert run_cli("validate", "--cases", cases).returncode == 0
    result = make_book(run_cli, cases, tmp_path / "out")
    assert result.returncode == 0, result.stdout + result.stderr
    [pdf] = (tmp_path / "out").glob("*.pdf")
    text = squash("".join(page.extract_text() for page in PdfReader(pdf).pages))
    assert all(f"第{n}层" in text for n in range(1, 41))
    [word] = (tmp_path / "out").glob("*.docx")
    assert all(f"第{n}层" in squash(docx.Document(word).element.body.xml) for n in (1, 30, 40))


def _with_resolution(png: bytes, per_metre: int) -> bytes:
    """The PNG with a pHYs chunk (its resolution) of `per_metre` pixels per metre both ways."""
    import struct
    import zlib

    data = struct.pack(">IIB", per_metre, per_metre, 1)
    chunk = struct.pack(">I", len(data)) + b"pHYs" + data + struct.pack(">I", zlib.crc32(b"pHYs" + data))
    end_of_ihdr = 8 + 4 + 4 + 13 + 4
    return png[:end_of_ihdr] + chunk + png[end_of_ihdr:]


def test_list_starts_are_read_as_html_reads_them():
    """`<ol start>` numbers as the browser reads it: HTML's rules for parsing integers (a sign,
    ASCII digits, the rest ignored), within a 32-bit number (`²` was int() of a Unicode digit: a
    traceback; 10²¹ reached Typst as a float: no PDF; `-2` was numbered from 1)."""
    from casebook.book.compose import markdown_blocks

    for start, expected in (("3", 3), (" 7 ", 7), ("²", 1), ("١٢", 1), ("1" + "0" * 21, 1), ("2147483647", 2147483647),
                            ("-2", -2), ("x", 1), ("3abc", 3), ("+4", 4), ("\u30005", 1), ("1e3", 1), ("- 3", 1),
                            ("-2147483648", -2147483648), ("-2147483649", 1), ("0" * 30 + "5", 5), ("", 1)):
        [block] = markdown_blocks(f'<ol start="{start}"><li>项</li></ol>')
        assert block["start"] == expected, start


def _list_start_samples() -> list[str]:
    """Generated `start` values: signs, whitespace, digits, lookalike digits and letters."""
    import random

    rng = random.Random(20261207)
    alphabet = [" ", "\t", "\n", "\f", "\r", "\u3000", "\xa0", "+", "-", "0", "1", "2", "7", "9", "²", "٣", "e", "x", "."]
    samples = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12))) for _ in range(1500)]
    samples += [sign + digits for sign in ("", "-", "+") for digits in
                ("2147483647", "2147483648", "2147483649", "00002147483647", "9" * 11, "4294967296")]
    return samples


@pytest.mark.browser
def test_list_starts_are_the_numbers_chromium_shows(browser):
    """The oracle: for generated `start` values, the book numbers a list from what Chromium reads
    (the `start` property is the number the browser counts the list from)."""
    from casebook.core.scan import list_start as _list_start

    samples = _list_start_samples()
    page = browser.new_page()
    try:
        read = page.evaluate("""values => values.map(v => {
            const ol = document.createElement("ol"); ol.setAttribute("start", v); return ol.start; })""", samples)
    finally:
        page.close()
    differ = [(v, chromium, _list_start(v)) for v, chromium in zip(samples, read) if _list_start(v) != chromium]
    assert not differ, differ[:10]
    assert len({n for n in read}) > 20  # the samples reach many numbers, negative ones too
    assert min(read) < 0


def book_of_practice(run_cli, tmp_path: Path, body: str, pictures: dict[str, bytes] | None = None) -> None:
    """The valid library with `body` at the start of its first case's 主要做法 (and `pictures` in
    assets/): it validates, and its book is made into tmp_path/out."""
    cases = tmp_path / "cases"
    shutil.copytree(VALID, cases)
    for name, data in (pictures or {}).items():
        (cases / "assets" / name).write_bytes(data)
    case = next(p for p in sorted(cases.glob("*.md")))
    case.write_text(case.read_text(encoding="utf-8").replace("\n## 主要做法\n", f"\n## 主要做法\n\n{body}\n\n", 1), encoding="utf-8")
    assert run_cli("validate", "--cases", cases).returncode == 0
    result = make_book(run_cli, cases, tmp_path / "out")
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_list_that_starts_below_zero_is_numbered_so_in_the_pdf_and_word(run_cli, tmp_path):
    """Typst's enum counts from 0 up: a list from -2 is numbered -2. -1. 0. 1. as on the site."""
    body = '<ol start="-2"><li>负二项</li><li>负一项</li><li>零项</li><li>一项</li></ol>\n\n<ol start="3abc"><li>三项</li></ol>'
    book_of_practice(run_cli, tmp_path, body)
    [pdf] = (tmp_path / "out").glob("*.pdf")
    text = "".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert re.search(r"-2\.\s*负二项\s*-1\.\s*负一项\s*0\.\s*零项\s*1\.\s*一项\s*3\.\s*三项", text), text
    [word] = (tmp_path / "out").glob("*.docx")
    paragraphs = [p.text for p in docx.Document(word).paragraphs]
    start = next(i for i, t in enumerate(paragraphs) if "负二项" in t)
    assert [t.split()[0] for t in paragraphs[start:start + 5]] == ["-2.", "-1.", "0.", "1.", "3."], paragraphs[start:start + 5]


def test_picture_sizes_whatever_the_resolution_an_image_claims():
    from docx.shared import Inches

    from casebook.book.docx import PICTURE_MAX_HEIGHT, TEXT_WIDTH, picture_size

    assert picture_size(144, 72, 72, 72) == (Inches(2), Inches(1))
    assert picture_size(144, 72, 0, 0) == (Inches(2), Inches(1))  # 1 pixel per metre: read as 72 dpi
    assert picture_size(144, 72, 54_000_000, 54_000_000) == (Inches(2), Inches(1))
    width, height = picture_size(100_000, 10, 72, 72)
    assert width == TEXT_WIDTH and height >= 1
    assert picture_size(10, 100_000, 72, 72)[1] == PICTURE_MAX_HEIGHT


def test_a_book_with_odd_list_starts_and_image_resolutions_is_made(run_cli, tmp_path):
    """The real PDF and Word file of a case whose raw HTML lists start at `²` and at 10²¹, with
    pictures claiming one pixel per metre and two billion (a division by zero in Word's writer)."""
    png = (VALID / "assets" / "cover.png").read_bytes()
    body = ('<ol start="²"><li>第一项</li></ol>\n\n<ol start="1000000000000000000000"><li>第二项</li></ol>\n\n'
            "![低](assets/low.png)\n\n![高](assets/high.png)")
    book_of_practice(run_cli, tmp_path, body, {"low.png": _with_resolution(png, 1), "high.png": _with_resolution(png, 2_147_483_647)})
    [word] = (tmp_path / "out").glob("*.docx")
    assert len(docx.Document(word).inline_shapes) >= 2


def _rgb_png(width: int, height: int, idat: bytes) -> bytes:
    """An 8-bit RGB PNG of this size whose picture data (compressed rows) is `idat`, chunks sound."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def _broken_png() -> bytes:
    """A PNG whose header and chunks are sound and whose picture data is not (E421 and E423 pass it)."""
    return _rgb_png(4, 4, b"garbage")


def test_a_picture_typst_cannot_decode_is_refused_by_validate_and_so_by_the_book(run_cli, tmp_path):
    """A PNG whose data is not a PNG's, an SVG of no size: E424 at the picture (validate asks the
    book's own picture check, book/pictures.py), and the book stops at validation, making nothing."""
    for name, data in (("broken.png", _broken_png()), ("flat.svg", b'<svg xmlns="http://www.w3.org/2000/svg" width="0" height="0"/>')):
        cases = tmp_path / name / "cases"
        shutil.copytree(VALID, cases)
        (cases / "assets" / name).write_bytes(data)
        case = next(p for p in sorted(cases.glob("*.md")))
        case.write_text(case.read_text(encoding="utf-8").replace("\n## 主要做法\n", f"\n## 主要做法\n\n![图](assets/{name})\n\n", 1), encoding="utf-8")
        result = run_cli("validate", "--cases", cases)
        assert result.returncode == 1 and f"assets/{name}:1: E424 " in result.stdout, result.stdout + result.stderr
        result = make_book(run_cli, cases, tmp_path / name / "out", "--format", "pdf")
        assert result.returncode == 1 and f"assets/{name}:1: E424 " in result.stderr and "Traceback" not in result.stderr, result.stderr
        assert not (tmp_path / name / "out").exists()


def test_past_validation_a_picture_typst_cannot_place_is_named(tmp_path):
    """Should a picture reach Typst that it cannot place, the one sentence names the file, not
    only Typst's words for it (which point at the template's line)."""
    from casebook.book.errors import TypesetError
    from casebook.book.pdf import typeset

    (tmp_path / "assets").mkdir()
    shutil.copyfile(VALID / "assets" / "cover.png", tmp_path / "assets" / "cover.png")
    (tmp_path / "assets" / "broken.png").write_bytes(_broken_png())
    template = b"#for p in json(bytes(sys.inputs.book)).pictures { image(p.src) }"
    data = json.dumps({"pictures": [{"src": "/assets/cover.png"}, {"src": "/assets/broken.png"}]})
    with pytest.raises(TypesetError) as caught:
        typeset(template, str(tmp_path), [], data)
    assert str(caught.value).startswith("图片“assets/broken.png”无法排版（"), caught.value


# -- tables: laid out as the browser lays them out, cells holding what the site shows in them ------

def _layout(html: str) -> list[tuple]:
    from casebook.book.compose import html_blocks

    [table] = [b for b in html_blocks(html) if b["t"] == "table"]
    return [(_texts(c["blocks"]), c["x"], c["y"], c["colspan"], c["rowspan"]) for c in table["cells"]]


def test_tables_are_laid_out_as_html_lays_them_out():
    """Each cell's column and row, from `colspan`/`rowspan` as HTML reads them: a row span ends with
    its row group (0: to its end), the head shows first and the foot last, a cell that would cover
    another is narrowed (Typst stops on two cells in one slot), a table inside a cell is the cell's."""
    assert _layout("<table><tr><td rowspan=2>甲</td><td>乙</td></tr><tr><td>丙</td></tr></table>") == [
        ("甲", 0, 0, 1, 2), ("乙", 1, 0, 1, 1), ("丙", 1, 1, 1, 1)]
    assert _layout("<table><tr><td rowspan=0>甲</td><td>乙</td></tr><tr><td colspan=3>丙</td></tr><tr><td>丁</td></tr></table>") == [
        ("甲", 0, 0, 1, 3), ("乙", 1, 0, 1, 1), ("丙", 1, 1, 3, 1), ("丁", 1, 2, 1, 1)]
    assert _layout("<table><tfoot><tr><td>脚</td></tr></tfoot><tr><td>身</td></tr><thead><tr><td rowspan=5>头</td></tr></thead></table>") == [
        ("头", 0, 0, 1, 1), ("身", 0, 1, 1, 1), ("脚", 0, 2, 1, 1)]
    assert _layout("<table><tr><td>甲</td><td rowspan=2>乙</td></tr><tr><td colspan=3>丙</td></tr></table>") == [
        ("甲", 0, 0, 1, 1), ("乙", 1, 0, 1, 2), ("丙", 0, 1, 1, 1)]
    assert _layout('<table><tr><td colspan=" 2x">甲</td><td colspan=-1>乙</td><td colspan=0>丙</td><td rowspan=99999999999>丁</td></tr></table>') == [
        ("甲", 0, 0, 2, 1), ("乙", 2, 0, 1, 1), ("丙", 3, 0, 1, 1), ("丁", 4, 0, 1, 1)]
    assert _layout("<table><tr><td>外<table><tr><td>内</td></tr></table></td></tr></table>") == [("外内", 0, 0, 1, 1)]


def test_a_table_too_wide_or_too_spanned_is_set_as_its_cells():
    """`colspan=1000` in a few bytes made Typst draw a thousand columns (500 such tables, 38 KB of
    body: a 78 MB PDF, 14 s), and `colspan=1000 rowspan=0` covers hundreds of thousands of slots:
    past TABLE_COLUMNS (Word's limit) or SPANNED_SLOTS the book sets the cells' content in order,
    every word kept, and reads each cell once."""
    from casebook.book import compose
    from casebook.book.compose import SPANNED_SLOTS, TABLE_COLUMNS, markdown_blocks

    def kinds(html: str) -> list[str]:
        return [b["t"] for b in markdown_blocks(html)]

    assert kinds(f"<table><tr><td colspan={TABLE_COLUMNS}>甲</td></tr></table>") == ["table"]
    assert kinds(f"<table><tr><td colspan={TABLE_COLUMNS}>甲</td><td>乙</td></tr></table>") == ["p", "p"]
    assert kinds("<table><tr>" + "<td>格</td>" * (TABLE_COLUMNS + 1) + "</tr></table>") == ["p"] * (TABLE_COLUMNS + 1)
    rows = SPANNED_SLOTS // 50 + 2
    html = "<table><tr><td colspan=50 rowspan=0>甲</td><td>乙</td></tr>" + "<tr><td>丙</td></tr>" * rows + "</table>"
    blocks = markdown_blocks(html)
    assert [b["t"] for b in blocks] == ["p"] * (rows + 2) and _texts(blocks) == "甲乙" + "丙" * rows
    assert kinds(html.replace("<tr><td>丙</td></tr>", "", 4)) == ["table"]
    # nested wide tables: each cell's content read once, not once per level (2^8 for eight levels)
    read = Counter()
    original = compose._Blocks.blocks

    def counting(self, nodes, depth=0, style=None):
        read[depth] += 1
        return original(self, nodes, depth, style)

    nested = "".join(f"<table><tr><td colspan=60>第{n}层</td><td colspan=9>" for n in range(1, 9)) + "底" + "</td></tr></table>" * 8
    compose._Blocks.blocks = counting
    try:
        blocks = markdown_blocks(nested)
    finally:
        compose._Blocks.blocks = original
    assert _texts(blocks) == "".join(f"第{n}层" for n in range(1, 9)) + "底" and sum(read.values()) < 40, read


def _short(blocks: list[dict]) -> list:
    """Blocks in brief: kind and text; a run's flags as marks (*bold*, ^sup, _sub, ~struck~, +underlined+, =marked=)."""
    marks = (("b", "*"), ("i", "/"), ("sup", "^"), ("sub", "_"), ("s", "~"), ("u", "+"), ("mark", "="))

    def runs(rs) -> str:
        out = ""
        for r in rs:
            around = "".join(m for flag, m in marks if r.get(flag))
            out += around + r["v"] + around[::-1]
        return out

    out: list = []
    for b in blocks:
        if b["t"] in ("p", "h"):
            out.append(f"{b['t']}:{runs(b['runs'])}")
        elif b["t"] == "img":
            out.append(f"img:{b['src']}")
        elif b["t"] == "code":
            out.append(f"code:{b['text']}")
        elif b["t"] == "list":
            out.append(("list", [_short(item) for item in b["items"]]))
        elif b["t"] == "table":
            out.append(("table", [(c["align"], _short(c["blocks"])) for c in b["cells"]]))
        else:
            out.append(b["t"])
    return out


@pytest.mark.parametrize(("body", "expected"), [
    # a block inside an inline element: set apart, as the page shows it, in the style around it
    ("<div><b>甲<p>乙</p>丙</b></div>", ["p:*甲*", "p:*乙*", "p:*丙*"]),
    ('<div><a href="https://example.org">甲<div>乙</div></a></div>', ["p:甲", "p:乙"]),
    ("<div><span>甲<ul><li>乙</li><li>丙</li></ul></span></div>", ["p:甲", ("list", [["p:乙"], ["p:丙"]])]),
    ("<div><strong>甲<table><tr><td>乙</td></tr></table>丁</strong></div>", ["p:*甲*", ("table", [(None, ["p:*乙*"])]), "p:*丁*"]),
    ("<div><b>甲<hr>乙</b></div>", ["p:*甲*", "hr", "p:*乙*"]),
    ("<h3>甲<p>乙</p></h3>", ["h:甲", "p:乙"]),
    # a picture in a heading: where the page shows it, between the heading's words
    ("### 标题 ![图](assets/a.png) 后文", ["h:标题", "img:assets/a.png", "h:后文"]),
    # <pre>: its line breaks, a picture in it, the blocks in it on lines of their own
    ("<pre>第一行<br>第二行</pre>", ["code:第一行\n第二行"]),
    ('<pre>说明 <img src="assets/a.png" alt="图"> 后记</pre>', ["code:说明 ", "img:assets/a.png", "code: 后记"]),
    ("<pre><p>甲</p><p>乙</p></pre>", ["code:甲\n乙"]),
    ('<pre>清单<ul><li>甲</li><li>乙</li></ul><ol start="3"><li>丙</li></ol></pre>', ["code:清单\n• 甲\n• 乙\n3. 丙"]),
    # what the page sets apart by the browser's styles
    ("面积 100 m<sup>2</sup>，H<sub>2</sub>O，<del>旧数</del><s>删</s>新数，<ins>增</ins><u>线</u>，<mark>重点</mark>",
     ["p:面积 100 m^2^，H_2_O，~旧数删~新数，+增线+，=重点="]),
    # the browser's own quotation marks and italics (a second audit of the site's page found these)
    ("他说<q>好<q>很好</q>的</q>，见<cite>书名</cite>。", ["p:他说“好‘很好’的”，见/书名/。"]),
    # a Markdown table's alignment (align="…" on the site: mkdocs.yml's tables setting)
    ("| 左 | 中 | 右 | 无 |\n|:---|:---:|---:|---|\n| 甲 | 乙 | 丙 | 丁 |",
     [("table", [("left", ["p:左"]), ("center", ["p:中"]), ("right", ["p:右"]), (None, ["p:无"]),
                 ("left", ["p:甲"]), ("center", ["p:乙"]), ("right", ["p:丙"]), (None, ["p:丁"])])]),
])
def test_the_book_sets_apart_and_styles_what_the_page_does(body, expected):
    """Bodies a generated audit found the book running together or dropping (words of a block
    inside `<b>` or `<a>`, a list or table there, `<br>` and pictures in `<pre>`, the 2 of m²)."""
    from casebook.book.compose import markdown_blocks

    assert _short(markdown_blocks(body, "", {"assets/a.png"})) == expected


def _random_tables(seed: int, count: int) -> list[str]:
    """Tables with head, body and foot groups (the foot sometimes written first), cells named
    格N and spans HTML reads in many ways."""
    import random

    rng = random.Random(seed)
    spans = ["", "", "", "1", "2", "3", "0", " 2", "2x", "-1", "+2"]
    name = iter(range(10**6))
    tables = []
    for _ in range(count):
        def group(tag: str, rows: int) -> str:
            body = ""
            for _ in range(rows):
                cells = ""
                for _ in range(rng.randint(0, 4)):
                    tag_name = rng.choice(["td", "td", "th"])
                    col, row = rng.choice(spans), rng.choice(spans)
                    attrs = (f' colspan="{col}"' if col else "") + (f' rowspan="{row}"' if row else "")
                    cells += f"<{tag_name}{attrs}>格{next(name)}</{tag_name}>"
                body += f"<tr>{cells}</tr>"
            return f"<{tag}>{body}</{tag}>"
        parts = [group("tbody", rng.randint(1, 4)) for _ in range(rng.randint(1, 2))]
        if rng.random() < 0.4:
            parts.insert(0, group("thead", rng.randint(1, 2)))
        if rng.random() < 0.4:
            parts.insert(rng.choice([0, len(parts)]), group("tfoot", rng.randint(1, 2)))
        tables.append("<table>" + "".join(parts) + "</table>")
    return tables


@pytest.mark.browser
def test_table_layout_is_the_one_chromium_shows(browser):
    """The oracle: Chromium lays out generated tables, every column 30 px wide (a `<col>` does not
    move a cell). Each cell is in the row Chromium puts it in (`rowIndex`: the head first, the foot
    last), spans the rows it does (its `rowSpan`, cut at the end of its row group), and starts at
    and covers the columns its box does on the screen. Tables Chromium shows with cells on top of
    each other (HTML's table model errors, which the book narrows) are left out, and they are few.
    `colSpan` and `rowSpan` as Chromium reads them are the spans the book reads."""
    from casebook.book.compose import _span
    from casebook.core.sanitize import clean

    tables = [clean(t) for t in _random_tables(20261207, 300)]
    columns = '<colgroup><col span="64"></colgroup>'
    page = browser.new_page()
    try:
        page.set_content("<!doctype html><style>table{table-layout:fixed;width:1920px;border-collapse:collapse}"
                         "col{width:30px}td,th{border:0;padding:0;overflow:hidden}</style>"
                         + "".join(t.replace("<table>", "<table>" + columns, 1) for t in tables))
        shown = page.evaluate("""() => [...document.querySelectorAll("body > table")].map(t =>
            [...t.querySelectorAll("td, th")].map(c => {
                const r = c.getBoundingClientRect(), x0 = t.getBoundingClientRect().left, tr = c.parentElement;
                const left = tr.parentElement.rows.length - tr.sectionRowIndex;
                return [c.textContent, Math.round((r.left - x0) / 30), Math.round(r.width / 30), tr.rowIndex,
                        c.rowSpan ? Math.min(c.rowSpan, left) : left,
                        c.getAttribute("colspan"), c.colSpan, c.getAttribute("rowspan"), c.rowSpan]; }))""")
    finally:
        page.close()
    compared = 0
    for html, cells in zip(tables, shown):
        for *_, colspan, col, rowspan, row in cells:
            assert (_span(colspan, 1000, zero=1), _span(rowspan, 65534, zero=0)) == (col, row), (colspan, rowspan)
        slots = [{(x + i, y + j) for i in range(wide) for j in range(tall)} for _, x, wide, y, tall, *_ in cells]
        if sum(map(len, slots)) != len(set().union(*slots)):
            continue  # cells on top of each other: a table model error
        compared += 1
        assert sorted(_layout(html)) == sorted((text, x, y, wide, tall) for text, x, wide, y, tall, *_ in cells), html
    assert compared > 200


def test_a_table_of_pictures_lists_and_spans_is_set_in_the_pdf_and_word(run_cli, tmp_path):
    """A picture in a cell is in the book (it was its caption only), a list or paragraphs in a cell
    stay apart (they ran together), spans span, a table in a cell is nested: in the real PDF and
    Word file."""
    png = _rgb_png(37, 23, __import__("zlib").compress(b"".join(b"\x00" + b"\xc8\x00\x00" * 37 for _ in range(23))))
    body = ("| 项目 | 图 |\n| --- | --- |\n| 甲 | ![格中图](assets/cell.png) |\n\n"
            '<table><thead><tr><th colspan="2">合并表头</th></tr></thead><tbody>'
            '<tr><td rowspan="2">跨行格</td><td><ul><li>列表一</li><li>列表二</li></ul><p>段一</p><p>段二</p></td></tr>'
            '<tr><td><table><tr><td>内层表</td></tr></table></td></tr></tbody></table>\n\n'
            "| 左 | 中 | 右 |\n|:---|:---:|---:|\n| 甲 | 乙 | 丙 |\n\n"
            "面积 100 m<sup>2</sup>，H<sub>2</sub>O，<del>旧数</del>新数，<mark>重点</mark>，<u>下划线</u>。")
    book_of_practice(run_cli, tmp_path, body, {"cell.png": png})
    [pdf] = (tmp_path / "out").glob("*.pdf")
    reader = PdfReader(pdf)
    placed = 0
    for page in reader.pages:
        xobjects = page["/Resources"].get("/XObject", {})
        names = {k[1:] for k, v in xobjects.items() if v.get_object()["/Subtype"] == "/Image"
                 and (v.get_object()["/Width"], v.get_object()["/Height"]) == (37, 23)}
        placed += sum(1 for n in re.findall(rb"/(\w+) Do", page.get_contents().get_data()) if n.decode() in names)
    assert placed == 1
    text = "".join(page.extract_text() for page in reader.pages)
    assert all(word in text for word in ("合并表头", "跨行格", "列表一", "列表二", "段一", "段二", "内层表"))

    [word] = (tmp_path / "out").glob("*.docx")
    body_xml = docx.Document(word).element.body
    tables = body_xml.findall(qn("w:tbl"))
    pictured = next(t for t in tables if "格中图" in t.xml or "项目" in t.xml)
    assert pictured.findall(".//" + qn("w:drawing"))  # the picture is in the cell
    spanned = next(t for t in tables if "合并表头" in t.xml)
    rows = spanned.findall(qn("w:tr"))
    cells = [[tc for tc in tr.findall(qn("w:tc"))] for tr in rows]
    assert cells[0][0].grid_span == 2
    assert [tc.vMerge for tc in (cells[1][0], cells[2][0])] == ["restart", "continue"]
    listed = ["".join(t.text for t in p.iter(qn("w:t"))) for p in cells[1][1].findall(qn("w:p"))]
    assert listed == ["• 列表一", "• 列表二", "段一", "段二"]
    inner = cells[2][1]
    assert [child.tag for child in inner if child.tag != qn("w:tcPr")] == [qn("w:tbl"), qn("w:p")]  # Word: a cell ends with a paragraph
    children = list(body_xml)
    assert all(b.tag != qn("w:tbl") for a, b in zip(children, children[1:]) if a.tag == qn("w:tbl"))  # Word would join two
    aligned = next(t for t in tables if "左" in t.xml)
    assert [[p.find(qn("w:pPr")).find(qn("w:jc")).get(qn("w:val")) for p in tc.iter(qn("w:p"))][0]
            for tc in aligned.iter(qn("w:tc"))] == ["left", "center", "right"] * 2
    styled = next(p for p in body_xml.iter(qn("w:p")) if "面积" in p.xml)
    marks = {("".join(t.text for t in r.iter(qn("w:t"))), child.tag.split("}")[1], child.get(qn("w:val")))
             for r in styled.iter(qn("w:r")) for child in r.find(qn("w:rPr"))}
    assert {("2", "vertAlign", "superscript"), ("2", "vertAlign", "subscript"), ("旧数", "strike", None),
            ("重点", "highlight", "yellow"), ("下划线", "u", "single")} <= marks


def _pieces(draw_word, draw) -> str:
    """One piece of a generated body: a word (词N) in a block of its own, or a library picture, in
    a paragraph, heading, list, quote, admonition, Markdown table or raw HTML table with spans."""
    from hypothesis import strategies as st

    def picture() -> str:
        return f"![{draw_word()}](assets/{draw(st.sampled_from(['a.png', 'b.png']))})"

    def html_cell() -> str:
        kind = draw(st.sampled_from(["word", "paragraphs", "list", "picture", "table"]))
        inner = {"word": lambda: draw_word(),
                 "paragraphs": lambda: f"<p>{draw_word()}</p><p>{draw_word()}</p>",
                 "list": lambda: f"<ul><li>{draw_word()}</li><li>{draw_word()}</li></ul>",
                 "picture": lambda: f'<img src="assets/a.png" alt="{draw_word()}">',
                 "table": lambda: f"<table><tr><td>{draw_word()}</td><td>{draw_word()}</td></tr></table>"}[kind]()
        span = draw(st.sampled_from(["", ' colspan="2"', ' rowspan="2"', ' rowspan="0"', ' colspan="2" rowspan="2"']))
        tag = draw(st.sampled_from(["td", "th"]))
        return f"<{tag}{span}>{inner}</{tag}>"

    kind = draw(st.sampled_from(["paragraph", "heading", "list", "quote", "note", "picture", "table", "html", "wrapped", "pre"]))
    if kind == "paragraph":
        return draw_word()
    if kind == "heading":
        return f"### {draw_word()}" + (f" {picture()} {draw_word()}" if draw(st.booleans()) else "")
    if kind == "wrapped":  # a block inside an inline element (a card link, a Word paste's <strong><p>)
        inline = draw(st.sampled_from(["b", "span", 'a href="https://example.org"', "em"]))
        block = draw(st.sampled_from([f"<p>{draw_word()}</p>", f"<div>{draw_word()}</div>", f"<ul><li>{draw_word()}</li></ul>",
                                      f"<table><tr><td>{draw_word()}</td></tr></table>", '<img src="assets/b.png" alt="图">']))
        return f"<div><{inline}>{draw_word()}{block}{draw_word()}</{inline.split()[0]}></div>"
    if kind == "pre":
        inner = draw(st.sampled_from([f"{draw_word()}<br>{draw_word()}", f'{draw_word()}<img src="assets/a.png" alt="图">{draw_word()}',
                                      f"<p>{draw_word()}</p><p>{draw_word()}</p>"]))
        return f"<pre>{inner}</pre>"
    if kind == "list":
        return "\n".join(f"- {draw_word() if draw(st.booleans()) else picture()}" for _ in range(draw(st.integers(1, 3))))
    if kind == "quote":
        return f"> {draw_word()}"
    if kind == "note":
        return f"!!! note\n    {draw_word()}"
    if kind == "picture":
        return picture()
    if kind == "table":
        width = draw(st.integers(1, 3))
        rows = [" | ".join(draw_word() if draw(st.booleans()) else picture() for _ in range(width))
                for _ in range(draw(st.integers(1, 3)))]
        return "\n".join([f"| {' | '.join(['列'] * width)} |", f"|{' --- |' * width}"] + [f"| {row} |" for row in rows])
    rows = "".join("<tr>" + "".join(html_cell() for _ in range(draw(st.integers(1, 3)))) + "</tr>"
                   for _ in range(draw(st.integers(1, 3))))
    return f"<table>{rows}</table>"


def _book_leaves(blocks: list[dict]) -> tuple[list[str], list[tuple[str, str]]]:
    """The book's text blocks (paragraphs, headings, code lines) and its pictures (src, alt), in order."""
    texts, pictures = [], []
    for b in blocks:
        if b["t"] in ("p", "h"):
            texts.append("".join(r["v"] for r in b["runs"]))
        elif b["t"] == "code":
            texts += b["text"].split("\n")
        elif b["t"] == "img":
            pictures.append((b["src"], b["alt"]))
        for inner in ([b["blocks"]] if b["t"] == "quote" else b.get("items", [])) + [c["blocks"] for c in b.get("cells", [])]:
            more_texts, more_pictures = _book_leaves(inner)
            texts += more_texts
            pictures += more_pictures
    return texts, pictures


def test_the_book_shows_each_picture_and_block_the_site_shows_in_order(site_markdown):
    """The oracle is the site's page (its Markdown, configured from mkdocs.yml, and the sanitiser):
    for generated bodies of words and library pictures in paragraphs, headings, lists, quotes,
    admonitions, tables (Markdown and raw HTML, with spans, lists, paragraphs, pictures and
    tables in cells), blocks inside inline elements (`<a><div>`, `<b><p>`) and `<pre>` with line
    breaks and pictures, the book has every picture the page shows, in order, and every word in
    order, each in a block (or code line) of its own: words in a cell's paragraphs or list, in a
    block inside `<b>` or in a `<pre>` with `<br>` once ran together, and a picture in a cell or
    a `<pre>` was its caption only or nothing."""
    import itertools

    import markdown
    from hypothesis import given
    from hypothesis import strategies as st

    from casebook.book.compose import markdown_blocks
    from casebook.core.sanitize import clean

    site = markdown.Markdown(extensions=site_markdown.markdown_extensions, extension_configs=site_markdown.mdx_configs)

    @given(st.data())
    def check(data) -> None:
        counter = itertools.count()
        words = lambda: f"词{next(counter)}"  # noqa: E731
        body = "\n\n".join(_pieces(words, data.draw) for _ in range(data.draw(st.integers(1, 6))))
        site.reset()
        page = clean(site.convert(body))
        shown_pictures = re.findall(r'<img[^>]*\ssrc="assets/([ab]\.png)"', page)
        shown_words = re.findall(r"词\d+", re.sub(r"<[^>]*>", "", page))
        texts, pictures = _book_leaves(markdown_blocks(body, "", {"assets/a.png", "assets/b.png"}))
        assert [src for src, _ in pictures] == [f"assets/{name}" for name in shown_pictures], body
        assert [w for t in texts for w in re.findall(r"词\d+", t)] == shown_words, body
        assert all(len(re.findall(r"词\d+", t)) <= 1 for t in texts), (body, texts)

    check()


# -- emoji: as the site shows them -------------------------------------------------------------------

def test_emoji_shortcodes_print_as_the_site_shows_them(site_markdown):
    """The book's emoji index is the one mkdocs.yml names, and each shortcode prints as the site's
    page shows it: every emoji as its character (the book printed `:smile:`), an icon (an SVG
    picture on the site, `:material-account:`) as its name, a shortcode in code as written."""
    import html

    import markdown

    from casebook.book.compose import EMOJI_INDEX, markdown_blocks
    from casebook.core.sanitize import clean

    assert site_markdown.mdx_configs["pymdownx.emoji"]["emoji_index"] is EMOJI_INDEX
    index = EMOJI_INDEX({}, markdown.Markdown())
    emoji = sorted(name for name, e in index["emoji"].items() if "unicode" in e)
    emoji += sorted(name for name in index["aliases"] if name.startswith(":"))  # (one alias has no colons)
    icons = sorted(name for name, e in index["emoji"].items() if "unicode" not in e)[::97]
    assert len(emoji) > 3000 and len(icons) > 50
    names = emoji + icons
    body = "\n\n".join(f"第{n}项 {name}" for n, name in enumerate(names)) + "\n\n`:smile:`"
    site = markdown.Markdown(extensions=site_markdown.markdown_extensions, extension_configs=site_markdown.mdx_configs)
    shown = re.findall(r"<p>(.*?)</p>", clean(site.convert(body)), re.S)
    printed = ["".join(r["v"] for r in b["runs"]) for b in markdown_blocks(body)]
    assert len(shown) == len(printed) == len(names) + 1
    for name, page, book in zip(names, shown, printed):
        if "<svg" in page:
            assert name in icons and book == page.split("<")[0] + name, (name, book)
        else:
            assert name in emoji and book == html.unescape(re.sub(r"<[^>]*>", "", page)) and name not in book, (name, page, book)
    assert printed[-1] == ":smile:"


def _type3_characters(pdf: Path) -> set[str]:
    """The characters the PDF draws from Type 3 fonts: Typst's colour emoji glyphs."""
    found: set[str] = set()
    for font in _fonts(PdfReader(pdf)):
        if font.get("/Subtype") == "/Type3":
            found |= {ch for text in _to_unicode(font).values() for ch in text}
    return found


def test_emoji_are_drawn_in_colour_or_the_book_says_which_cannot_be(run_cli, tmp_path):
    """With a colour emoji face (make test installs fonts-noto-color-emoji on Debian) the PDF draws
    👍 ✅ and the 😄 of `:smile:`; with the Chinese faces only (CASEBOOK_FONT_DIRS), `casebook book`
    names each character it cannot draw and the case that prints it, and says what to install."""
    from casebook.book.fonts import find_cjk_fonts

    fonts = find_cjk_fonts()
    assert fonts.emoji, "没有彩色表情字体：sudo apt-get install fonts-noto-color-emoji（make test 以 root 运行时会自动安装）"
    body = "点赞👍，完成✅，表情 :smile:，电话☎。"
    book_of_practice(run_cli, tmp_path, body)
    [pdf] = (tmp_path / "out").glob("*.pdf")
    assert {"👍", "✅", "😄"} <= _type3_characters(pdf)
    cjk = sorted({d for d in fonts.dirs if any(Path(d).glob("*CJK*"))})
    out = tmp_path / "cjk-only"
    result = make_book(run_cli, tmp_path / "cases", out, "--format", "pdf", env={"CASEBOOK_FONT_DIRS": os.pathsep.join(cjk)})
    assert result.returncode == 0, result.stderr
    case = next(p for p in sorted((tmp_path / "cases").glob("*.md")))
    assert f"没有 ✅（{case}）、👍（{case}）、😄（{case}），PDF 中可能显示为方框" in result.stderr, result.stderr
    assert "fonts-noto-color-emoji" in result.stderr and "☎" not in result.stderr  # the Chinese faces have ☎
    [pdf] = out.glob("*.pdf")
    assert not _type3_characters(pdf)


def test_word_numbers_its_pictures_once_not_by_reading_the_document_again_for_each(monkeypatch, tmp_path):
    """python-docx finds a drawing's id by reading every id in the document, for each picture:
    3,000 pictures took 43 s (2.6 s now). The Word writer counts them instead, from the document's
    first free id: ids stay unique and are those python-docx gave (the same file, byte for byte)."""
    from docx.parts.story import StoryPart

    from casebook.book.compose import markdown_blocks
    from casebook.book.docx import Writer

    asked = Counter()
    original = StoryPart.next_id
    monkeypatch.setattr(StoryPart, "next_id", property(lambda part: asked.update(["next_id"]) or original.fget(part)))
    library = tmp_path / "lib"
    shutil.copytree(VALID, library)
    body = "![图](assets/cover.png)\n\n" * 40 + "| 甲 | ![格](assets/cover.png) |\n| --- | --- |\n| ![格](assets/cover.png) | 乙 |"
    document = docx.Document()
    Writer(document, library).blocks(markdown_blocks(body, "", {"assets/cover.png"}))
    ids = [int(e.get("id")) for e in document.element.body.iter(qn("wp:docPr"))]
    assert ids == list(range(ids[0], ids[0] + 42)) and asked["next_id"] == 1
