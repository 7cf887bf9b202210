"""`casebook import --split`: a 案例汇编 (one Word file of many cases) becomes one draft per case.

Real .docx files built here with python-docx, of both kinds: one with heading styles (and the
book `casebook book --format docx` writes), and hand-made ones (bold/centred/larger titles,
numbered sections, page breaks or none), each with a cover, a table of contents (a real TOC
field), a preface, tables, pictures, footnotes and a case without 取得成效. The real command line
writes into copies of a library. Round trip: the book of a library, imported with --split, gives
back every case (title, organisation, section texts, the fields the book prints), on the shipped
library and on generated ones.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import random
import re
import shutil
from pathlib import Path

import docx
import pytest
import yaml
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Inches, Pt
from hypothesis import given, settings
from hypothesis import strategies as st

from casebook.book.compose import markdown_blocks
from casebook.contrib import compilation, docxtext
from casebook.contrib.drafts import library_taxonomy
from casebook.core.library import load_library
from conftest import REPO, SHIPPED
from test_contrib import front, png, sections

TAXONOMY = library_taxonomy(SHIPPED)
FOOTNOTES_CT = "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


# -- building compilations -----------------------------------------------------------------------


def save(document, path: Path) -> Path:
    document.save(str(path))
    return path


def line(d, text: str, *, size: float | None = None, bold: bool = False, center: bool = False, page_break: bool = False,
         style: str | None = None):
    p = d.add_paragraph(style=style)
    if page_break:
        p.paragraph_format.page_break_before = True
    if center:
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = p.add_run(text)
    run.bold = bold or None
    if size:
        run.font.size = Pt(size)
    return p


def page_break(d) -> None:
    d.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def field_char(paragraph, kind: str) -> None:
    run = OxmlElement("w:r")
    char = OxmlElement("w:fldChar")
    char.set(qn("w:fldCharType"), kind)
    run.append(char)
    paragraph._p.append(run)


def toc_field(d, entries: list[str]) -> None:
    """A real TOC field as Word leaves it: begin + instruction in the first entry, end in the last."""
    for i, entry in enumerate(entries):
        p = d.add_paragraph()
        if i == 0:
            field_char(p, "begin")
            run = OxmlElement("w:r")
            instr = OxmlElement("w:instrText")
            instr.text = ' TOC \\o "1-2" \\h \\z \\u '
            run.append(instr)
            p._p.append(run)
            field_char(p, "separate")
        p.add_run(f"{entry}\t{i + 3}")
        if i == len(entries) - 1:
            field_char(p, "end")


class Footnotes:
    """Footnotes for a python-docx document (python-docx has no API for them): a real footnotes
    part, related from the document, and w:footnoteReference runs in the text."""

    def __init__(self, d):
        self.d, self.notes = d, []
        self.part = Part(PackURI("/word/footnotes.xml"), FOOTNOTES_CT, b"", d.part.package)
        d.part.relate_to(self.part, RT.FOOTNOTES)

    def add(self, paragraph, text: str) -> None:
        self.notes.append(text)
        run = OxmlElement("w:r")
        ref = OxmlElement("w:footnoteReference")
        ref.set(qn("w:id"), str(len(self.notes)))
        run.append(ref)
        paragraph._p.append(run)

    def finish(self) -> None:
        notes = "".join(f'<w:footnote w:id="{i}"><w:p><w:r><w:footnoteRef/></w:r><w:r><w:t xml:space="preserve"> {t}</w:t></w:r></w:p></w:footnote>'
                        for i, t in enumerate(self.notes, 1))
        self.part._blob = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:footnotes xmlns:w="{W_NS}">'
                           '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>'
                           f'{notes}</w:footnotes>').encode()


def cover_and_front(d, titles: list[str]) -> None:
    line(d, "2023年度永康市两新党建工作法案例汇编", size=22, bold=True, center=True)
    line(d, "中共永康市委组织部　编", size=14, center=True)
    line(d, "二〇二三年十二月", size=14, center=True)
    line(d, "目　录", size=16, bold=True, center=True, page_break=True)
    toc_field(d, titles)
    line(d, "前　言", size=16, bold=True, center=True, page_break=True)
    d.add_paragraph("为总结推广两新组织党建工作的好做法，我们编印了这本案例汇编。")
    d.add_paragraph("本汇编收录的案例由各镇（街、区）推荐。")


HANDMADE_TITLES = ["一、“红色驿站”工作法", "案例2 “党员先锋岗”工作法", "三、“三联三帮”工作法"]


def handmade_docx(path: Path, page_breaks: bool = True) -> Path:
    """A compilation typed by hand: no heading styles; titles bold, centred and larger; the
    organisation on its own line; sections numbered 一、 二、 or named alone; （一） and bold 1.
    subheadings; a table, a picture with a caption, footnotes; the second case has no 取得成效
    and a mobile number; back matter (后记)."""
    d = docx.Document()
    notes = Footnotes(d)
    cover_and_front(d, HANDMADE_TITLES)

    line(d, HANDMADE_TITLES[0], size=16, bold=True, center=True, page_break=page_breaks)
    line(d, "——某某物流公司党支部", center=True)
    d.add_paragraph("地区：东城街道")
    d.add_paragraph("一、基本情况")
    p = d.add_paragraph("公司有货车司机 200 名，党员 12 名。")
    notes.add(p, "数据截至2023年6月。")
    d.add_paragraph("二、主要做法")
    d.add_paragraph("（一）设立驿站。驿站设在物流园区门口。")
    table = d.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "服务项目", "次数"
    table.cell(1, 0).text, table.cell(1, 1).text = "送水", "300"
    d.add_paragraph().add_run().add_picture(io.BytesIO(png((20, 120, 20))), width=Inches(1))
    d.add_paragraph("驿站外景", style="Caption")
    d.add_paragraph("（二）党员值班")
    d.add_paragraph("党员轮流在驿站值班。")
    d.add_paragraph("三、取得成效")
    d.add_paragraph("司机满意度明显提高。")
    d.add_paragraph("四、经验启示")
    d.add_paragraph("服务要贴近司机的需要。")

    if page_breaks:
        page_break(d)
    line(d, HANDMADE_TITLES[1], size=16, bold=True, center=True)
    line(d, "某某机械有限公司党委", center=True)
    d.add_paragraph("基本情况")
    d.add_paragraph("公司现有党员 45 名，联系人手机 13812345678。")
    d.add_paragraph("主要做法")
    p = d.add_paragraph("在生产一线设立党员先锋岗。")
    notes.add(p, "先锋岗的名单见公司公示栏。")
    d.add_paragraph("经验启示")
    d.add_paragraph("岗位就是阵地。")

    line(d, HANDMADE_TITLES[2], size=16, bold=True, center=True, page_break=page_breaks)
    line(d, "某某社区社会组织联合党支部", center=True)
    d.add_paragraph("一、基本概况")
    d.add_paragraph("联合党支部由 6 家社会组织组成。")
    d.add_paragraph("二、具体做法")
    line(d, "1．联系群众", bold=True)
    d.add_paragraph("每月走访一次。")
    line(d, "2．帮扶困难", bold=True)
    d.add_paragraph("结对帮扶困难家庭。")
    d.add_paragraph("三、工作成效")
    d.add_paragraph("帮扶困难家庭 30 户。")

    line(d, "后　记", size=16, bold=True, center=True, page_break=page_breaks)
    d.add_paragraph("本书在编写过程中得到了各单位的大力支持。")
    notes.finish()
    return save(d, path)


STYLED_TITLES = ["“邻里帮”工作法", "“红帆领航”工作法", "“同心圆”工作法"]


def styled_docx(path: Path) -> Path:
    """A compilation with heading styles: Title on the cover, 编者按 and cases in Heading 1,
    sections in Heading 2, a TOC field; the last case has no 取得成效; an appendix at the end."""
    d = docx.Document()
    notes = Footnotes(d)
    d.add_paragraph("社会组织党建案例选编（2024）", style="Title")
    line(d, "某某区委社会工作部", center=True)
    line(d, "目录", bold=True, center=True, page_break=True)
    toc_field(d, ["编者按", *STYLED_TITLES])
    d.add_heading("编者按", level=1)
    d.add_paragraph("这里选编了三个社会组织党建案例。")
    for i, title in enumerate(STYLED_TITLES):
        h = d.add_heading(title, level=1)
        h.paragraph_format.page_break_before = True
        d.add_paragraph(f"单位：某某社会组织{i + 1}")
        d.add_paragraph("类别：党建工作法")
        d.add_heading("基本情况", level=2)
        p = d.add_paragraph(f"第{i + 1}个组织成立于 2015 年。")
        if i == 1:
            notes.add(p, "据该组织章程。")
        d.add_heading("主要做法", level=2)
        d.add_paragraph("组织党员参加志愿服务。", style="List Bullet")
        d.add_paragraph("建立党员联系户制度。", style="List Bullet")
        if i < 2:
            d.add_heading("取得成效", level=2)
            d.add_paragraph("服务群众 500 人次。")
    d.add_heading("附录", level=1)
    d.add_paragraph("案例征集通知。")
    notes.finish()
    return save(d, path)


@pytest.fixture
def cases_dir(tmp_path: Path) -> Path:
    return Path(shutil.copytree(SHIPPED, tmp_path / "cases"))


@pytest.fixture
def empty_library(tmp_path: Path) -> Path:
    root = tmp_path / "lib"
    root.mkdir()
    shutil.copyfile(SHIPPED / "taxonomy.yml", root / "taxonomy.yml")
    return root


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def drafts(root: Path) -> dict[str, Path]:
    """title -> path of every case file in `root`."""
    return {front(p)["title"]: p for p in sorted(root.glob("*.md"))}


# -- hand-made and heading-styled compilations -------------------------------------------------


@pytest.mark.parametrize("page_breaks", [True, False])
def test_split_handmade_compilation(run_cli, cases_dir: Path, tmp_path: Path, page_breaks: bool) -> None:
    source = handmade_docx(tmp_path / "汇编.docx", page_breaks)
    before = set(tree(cases_dir))
    code, out, err = run_cli("import", source, "--cases", cases_dir, "--split", cwd=cases_dir.parent)
    assert code == 0, err
    new = {p for p in tree(cases_dir)} - before
    made = {front(cases_dir / p)["title"]: cases_dir / p for p in new if p.endswith(".md")}
    assert sorted(made) == ["“三联三帮”工作法", "“党员先锋岗”工作法", "“红色驿站”工作法"]  # numbering dropped

    # The plan came first, and what was skipped is listed.
    assert out.index("找到 3 个案例") < out.index("已生成 3 个草稿")
    assert re.search(r"跳过：封面（3 段）、目录（\d+ 段）、前言（3 段）、后记（2 段）", out), out
    assert "为总结推广" not in "".join((cases_dir / p).read_text(encoding="utf-8") for p in new if p.endswith(".md"))

    first = made["“红色驿站”工作法"]
    meta = front(first)
    assert meta["status"] == "draft" and meta["organization"] == "某某物流公司党支部" and meta["region"] == "东城街道"
    assert meta["source"] == "《2023年度永康市两新党建工作法案例汇编》"  # the compilation's title (its year is in it)
    parts = sections(first)
    assert list(parts) == ["基本情况", "主要做法", "取得成效", "经验启示"]
    assert parts["基本情况"] == "公司有货车司机 200 名，党员 12 名。（注1）\n\n注1：数据截至2023年6月。"
    practice = parts["主要做法"]
    assert practice.startswith("### 设立驿站\n\n驿站设在物流园区门口。\n\n| 服务项目 | 次数 |\n| --- | --- |\n| 送水 | 300 |")
    picture = re.search(r"!\[驿站外景\]\((assets/[a-z0-9-]+-1\.png)\)", practice)
    assert picture and (cases_dir / picture.group(1)).read_bytes() == png((20, 120, 20))
    assert practice.endswith("### 党员值班\n\n党员轮流在驿站值班。")

    second = made["“党员先锋岗”工作法"]
    assert front(second)["organization"] == "某某机械有限公司党委"
    parts = sections(second)
    assert list(parts) == ["基本情况", "主要做法", "取得成效", "经验启示"] and parts["取得成效"] == "待补充"
    assert parts["主要做法"] == "在生产一线设立党员先锋岗。（注1）\n\n注1：先锋岗的名单见公司公示栏。"  # numbered per case
    assert "手机号码" in out and "E502" in out  # personal data flagged, as in single import

    third = made["“三联三帮”工作法"]
    parts = sections(third)
    assert parts["主要做法"] == "#### 联系群众\n\n每月走访一次。\n\n#### 帮扶困难\n\n结对帮扶困难家庭。"
    assert parts["取得成效"] == "帮扶困难家庭 30 户。" and "后记" not in third.read_text(encoding="utf-8")


def test_split_heading_styled_compilation(run_cli, empty_library: Path, tmp_path: Path) -> None:
    source = styled_docx(tmp_path / "选编.docx")
    code, out, err = run_cli("import", source, "--cases", empty_library, "--split", cwd=tmp_path)
    assert code == 0, err
    made = drafts(empty_library)
    assert sorted(made) == sorted(STYLED_TITLES)
    assert "案例汇编《社会组织党建案例选编（2024）》，2024 年：找到 3 个案例" in out
    assert "编者按" in out and "附录" in out and "封面" in out and "目录" in out
    for i, title in enumerate(STYLED_TITLES):
        meta, parts = front(made[title]), sections(made[title])
        assert meta["organization"] == f"某某社会组织{i + 1}" and meta["category"] == ["党建工作法"]
        assert meta["source"] == "《社会组织党建案例选编（2024）》"
        assert parts["主要做法"] == "- 组织党员参加志愿服务。\n- 建立党员联系户制度。"
        assert parts["取得成效"] == ("服务群众 500 人次。" if i < 2 else "待补充")
    assert sections(made[STYLED_TITLES[1]])["基本情况"] == "第2个组织成立于 2015 年。（注1）\n\n注1：据该组织章程。"
    assert "案例征集通知" not in "".join(p.read_text(encoding="utf-8") for p in made.values())


def test_plan_names_each_case_its_id_and_unfilled_fields_and_dry_run_writes_nothing(run_cli, cases_dir: Path, tmp_path: Path) -> None:
    source = handmade_docx(tmp_path / "汇编.docx")
    before = tree(cases_dir)
    code, out, err = run_cli("import", source, "--cases", cases_dir, "--split", "--dry-run", cwd=cases_dir.parent)
    assert code == 0, err
    assert tree(cases_dir) == before
    assert "找到 3 个案例" in out and "--dry-run" in out
    first = next(line for line in out.splitlines() if "“红色驿站”工作法" in line and "→" in line)
    assert "cases/hong-se-yi-zhan-gong-zuo-fa.md" in first
    assert "未填：组织类型、类别、摘要" in first  # region came from the 地区 line, source from the compilation
    assert "图片 1 张" in first
    assert "含个人信息" in next(line for line in out.splitlines() if "党员先锋岗" in line and "→" in line)


def test_existing_ids_are_never_overwritten_and_id_prefix_helps(run_cli, cases_dir: Path, tmp_path: Path) -> None:
    source = styled_docx(tmp_path / "选编.docx")
    code, out, err = run_cli("import", source, "--cases", cases_dir, "--split", cwd=cases_dir.parent)
    assert code == 0, err
    first = tree(cases_dir)
    code, out, err = run_cli("import", source, "--cases", cases_dir, "--split", cwd=cases_dir.parent)
    assert code == 1 and "已被使用" in err and "--id-prefix" in err and "lin-li-bang-gong-zuo-fa" in err
    assert tree(cases_dir) == first
    code, out, err = run_cli("import", source, "--cases", cases_dir, "--split", "--id-prefix", "2024", cwd=cases_dir.parent)
    assert code == 0, err
    assert (cases_dir / "2024-lin-li-bang-gong-zuo-fa.md").is_file()
    assert all(first[p] == (cases_dir / p).read_bytes() for p in first)
    code, out, err = run_cli("import", source, "--cases", cases_dir, "--split", "--id-prefix", "Bad_Prefix", cwd=cases_dir.parent)
    assert code == 2


def test_all_drafts_or_none_when_a_write_fails(run_cli, empty_library: Path, tmp_path: Path) -> None:
    """The second case's picture cannot be written (assets is a file): the first case, already
    written, is removed again and the library is as before."""
    source = handmade_docx(tmp_path / "汇编.docx")
    (empty_library / "assets").write_text("不是文件夹", encoding="utf-8")
    before = tree(empty_library)
    code, out, err = run_cli("import", source, "--cases", empty_library, "--split", cwd=tmp_path)
    assert code == 1 and "无法写入" in err and "撤销" in err
    assert tree(empty_library) == before


def test_single_import_of_a_compilation_suggests_split(run_cli, cases_dir: Path, tmp_path: Path) -> None:
    source = handmade_docx(tmp_path / "汇编.docx")
    before = tree(cases_dir)
    code, out, err = run_cli("import", source, "--cases", cases_dir, cwd=cases_dir.parent)
    assert code == 2 and "案例汇编" in err and "找到 3 个案例" in err and "--split" in err
    assert tree(cases_dir) == before
    code, out, err = run_cli("import", source, "--cases", cases_dir, "--dry-run", cwd=cases_dir.parent)
    assert code == 2 and "--split" in err


def test_split_finds_the_parts_of_a_compilation() -> None:
    """split() on the blocks alone: cases, 篇 and what is skipped, in both kinds."""
    d = docx.Document()
    line(d, "案例汇编", size=22, bold=True, center=True)
    line(d, "二〇二四年三月一日", center=True)
    line(d, "2024年3月1日", center=True)
    for part, titles in (("第一篇　党建工作法", ["甲工作法", "乙工作法"]), ("第二篇　品牌创建", ["丙工作法"])):
        line(d, part, size=18, bold=True, center=True, page_break=True)
        for title in titles:
            line(d, title, size=16, bold=True, center=True, page_break=True)
            for name in ("基本情况", "主要做法", "取得成效"):
                d.add_paragraph(f"一、{name}" if name == "基本情况" else name)
                d.add_paragraph(f"{title}的{name}。")
    buf = io.BytesIO()
    d.save(buf)
    found = compilation.split(docxtext.read_docx(buf.getvalue()))
    assert [c.blocks[0].text for c in found.cases] == ["甲工作法", "乙工作法", "丙工作法"]
    assert [c.part for c in found.cases] == ["党建工作法", "党建工作法", "品牌创建"]
    assert [(s.kind, s.first, s.blocks) for s in found.skipped] == [("封面", "案例汇编", 3), ("篇名", "第一篇　党建工作法", 1), ("篇名", "第二篇　品牌创建", 1)]
    assert (found.title, found.year, found.date) == ("案例汇编", 2024, dt.date(2024, 3, 1))


def blocks_of(lines: list[str]) -> docxtext.Source:
    d = docx.Document()
    for text in lines:
        d.add_paragraph(text)
    buf = io.BytesIO()
    d.save(buf)
    return docxtext.read_docx(buf.getvalue())


def test_split_plain_text_without_any_formatting() -> None:
    """No page breaks, no bold, nothing centred: the sections starting over mark a new case, and
    its title is the first of the short lines before them (title, organisation, fields)."""
    source = blocks_of([
        "“甲”工作法", "某某公司党支部", "一、基本情况", "甲的情况。", "二、主要做法", "（一）建立制度", "甲的做法。",
        "三、取得成效", "甲的成效。",
        "“乙”工作法", "某某协会党支部", "地区：永康市", "乙成立于2010年。", "一、基本情况", "乙的情况。", "二、主要做法",
        "乙的做法。", "具体做法", "乙的另一些做法。",
    ])
    found = compilation.split(source)
    assert [c.blocks[0].text for c in found.cases] == ["“甲”工作法", "“乙”工作法"]
    assert [b.text for b in found.cases[0].blocks][-1] == "甲的成效。"


# -- round trip: the book of a library, imported again -----------------------------------------------


def visible(markdown: str, library: Path, base: str = "") -> list:
    """What the book shows of a section: block kinds and their text (whitespace removed, bold
    marked), pictures by the hash of their bytes."""
    assets = {p.relative_to(library).as_posix() for p in library.rglob("*") if p.is_file()}

    def runs(rs, bold: bool) -> str:
        return "".join(f"**{r['v']}**" if r["b"] and bold else r["v"] for r in rs if r["v"].strip())

    def canon(blocks, bold: bool = True) -> list:
        """`bold`: bold is marked (not in a header cell, which is bold anyway)."""
        out = []
        for b in blocks:
            kind = b["t"]
            if kind in ("p", "h"):
                out.append((kind, re.sub(r"\s+", "", runs(b["runs"], bold))))
            elif kind == "list":
                out.append(("list", b["ordered"], [canon(item) for item in b["items"]]))
            elif kind == "table":
                out.append(("table", [(c["x"], c["y"], canon(c["blocks"], not c["head"])) for c in b["cells"]]))
            elif kind == "img":
                data = (library / b["src"]).read_bytes() if b["src"] else b""
                out.append(("img", hashlib.sha256(data).hexdigest()[:12], re.sub(r"\s+", "", b["alt"])))
            else:
                out.append((kind,))
        return out

    return canon(markdown_blocks(markdown, base, assets))


PRINTED = ("organization", "org_type", "party_org", "region", "industry", "category", "tags", "honors", "date", "source", "summary")


def assert_round_trip(run_cli, library: Path, tmp_path: Path) -> None:
    """`casebook book --format docx` of `library`, imported with --split into an empty library,
    gives back every published case."""
    out_dir = tmp_path / "book"
    code, out, err = run_cli("book", "--cases", library, "--out", out_dir, "--format", "docx", cwd=REPO)
    assert code == 0, out + err
    (book,) = out_dir.glob("*.docx")
    target = tmp_path / "imported"
    target.mkdir()
    shutil.copyfile(library / "taxonomy.yml", target / "taxonomy.yml")
    code, out, err = run_cli("import", book, "--cases", target, "--split", cwd=tmp_path)
    assert code == 0, out + err
    originals = [c for c in load_library(library).cases if c.status != "draft"]
    imported = {c.title: c for c in load_library(target).cases}
    assert sorted(imported) == sorted(c.title for c in originals)
    for case in originals:
        back = imported[case.title]
        for key in PRINTED:
            assert getattr(back, key) == getattr(case, key), (case.id, key)
        assert (back.cover is None) == (case.cover is None), case.id
        if case.cover:
            assert (target / back.cover).read_bytes() == (library / case.cover).read_bytes()
        assert [s.title for s in back.sections] == [s.title for s in case.sections], case.id
        for mine, theirs in zip(back.sections, case.sections):
            assert visible(mine.text, target) == visible(theirs.text, library), (case.id, mine.title)


def test_round_trip_of_the_shipped_library(run_cli, tmp_path: Path) -> None:
    assert_round_trip(run_cli, SHIPPED, tmp_path)


WORDS = "党员群众服务企业发展工作活动组织开展建设社区驿站车队志愿示范帮扶困难家庭岗位先锋学习培训制度阵地品牌"


def sentence(rng: random.Random, bold: bool = False) -> str:
    text = "".join(rng.choice(WORDS) for _ in range(rng.randint(6, 30)))
    if bold:
        cut = rng.randint(1, len(text) - 2)
        text = f"{text[:cut]}**{text[cut:cut + 3]}**{text[cut + 3:]}"
    return text + "。"


def body_part(rng: random.Random, assets: list[str]) -> str:
    """One section's Markdown: paragraphs, lists (nested too), a subheading, a table, a picture."""
    pieces = [sentence(rng, bold=rng.random() < 0.3) for _ in range(rng.randint(1, 3))]
    roll = rng.random()
    if roll < 0.25:
        items = [f"- {sentence(rng)}" for _ in range(rng.randint(1, 4))]
        if rng.random() < 0.4:
            items.insert(1, f"    - {sentence(rng)}")
        pieces.append("\n".join(items))
    elif roll < 0.45:
        pieces.append("\n".join(f"{i}. {sentence(rng)}" for i in range(1, rng.randint(2, 4))))
    elif roll < 0.6:
        pieces.append(f"### {''.join(rng.choice(WORDS) for _ in range(rng.randint(2, 8)))}\n\n{sentence(rng)}")
    elif roll < 0.75:
        rows = ["| 项目 | 数量 |", "| --- | --- |"] + [f"| {''.join(rng.choice(WORDS) for _ in range(3))} | {rng.randint(1, 99)} |" for _ in range(rng.randint(1, 3))]
        pieces.append("\n".join(rows))
    elif assets:
        pieces.append(f"![{''.join(rng.choice(WORDS) for _ in range(4))}]({rng.choice(assets)})")
    return "\n\n".join(pieces)


def generated_library(root: Path, seed: int, n: int) -> Path:
    """n valid cases with every field the book prints, pictures, covers, 待补充 sections."""
    rng = random.Random(seed)
    root.mkdir(parents=True)
    shutil.copyfile(SHIPPED / "taxonomy.yml", root / "taxonomy.yml")
    tax = yaml.safe_load((root / "taxonomy.yml").read_text(encoding="utf-8"))
    (root / "assets").mkdir()
    assets = []
    for i in range(3):
        rel = f"assets/pic-{seed}-{i}.png"
        (root / rel).write_bytes(png((rng.randrange(256), rng.randrange(256), i * 80)))
        assets.append(rel)
    for i in range(n):
        meta = {
            "id": f"case-{i}", "title": f"“{''.join(rng.choice(WORDS) for _ in range(4))}”工作法{i}号",
            "organization": f"示例{''.join(rng.choice(WORDS) for _ in range(3))}公司党支部",
            "org_type": rng.choice(tax["org_type"]), "region": rng.choice(tax["region"]),
            "category": rng.sample(tax["category"], rng.randint(1, 2)),
            "summary": sentence(rng)[:100], "date": dt.date(2020, 1, 1) + dt.timedelta(days=rng.randrange(1500)),
            "source": f"《测试材料第{i}号》",
        }
        if rng.random() < 0.5:
            meta["party_org"] = rng.choice(tax["party_org"])
        if rng.random() < 0.5:
            meta["industry"] = rng.choice(tax["industry"])
        if rng.random() < 0.5:
            meta["tags"] = rng.sample(tax["tags"], rng.randint(1, 3))
        if rng.random() < 0.4:
            meta["honors"] = [{"level": rng.choice(tax["honor_level"]), "title": f"先进基层党组织{k}", "year": 2015 + k} for k in range(rng.randint(1, 2))]
        if rng.random() < 0.3:
            meta["cover"] = rng.choice(assets)
        names = ["基本情况", "主要做法", "取得成效"] + (["经验启示"] if rng.random() < 0.5 else [])
        body = "\n\n".join(f"## {name}\n\n{'待补充' if rng.random() < 0.15 else body_part(rng, assets)}" for name in names)
        (root / f"case-{i}.md").write_text("---\n" + yaml.safe_dump(meta, allow_unicode=True, sort_keys=False) + "---\n\n" + body + "\n", encoding="utf-8")
    return root


def test_round_trip_of_a_generated_library(run_cli, tmp_path: Path) -> None:
    library = generated_library(tmp_path / "lib", seed=1, n=30)
    assert not load_library(library).errors
    assert_round_trip(run_cli, library, tmp_path)


@settings(max_examples=6, deadline=None)
@given(st.integers(min_value=2, max_value=10**6))
def test_round_trip_of_generated_libraries(run_cli, tmp_path_factory, seed: int) -> None:
    tmp_path = tmp_path_factory.mktemp("rt")
    library = generated_library(tmp_path / "lib", seed=seed, n=4)
    assert_round_trip(run_cli, library, tmp_path)


def test_a_case_title_loses_its_outline_number_as_a_heading_does() -> None:
    """A compilation's case title numbered as a report numbers its outline (一、 （一）、 1． （1）)
    comes out without the number: the forms are word.py's, which reads a case's headings (the
    title once kept `、` after `（一）`)."""
    from casebook.contrib.docxtext import Block
    from casebook.contrib.word import numbered

    for written in ("一、阳光车队工作法", "（一）、阳光车队工作法", "(二) 阳光车队工作法", "12．阳光车队工作法", "（1）阳光车队工作法",
                    "案例3：阳光车队工作法"):
        block = blocks_of([written]).blocks[0]
        assert compilation.clean_title(block).text == "阳光车队工作法", written
    assert compilation.clean_title(blocks_of(["1.5 万名党员"]).blocks[0]).text == "1.5 万名党员"  # a figure, no number
    heading = blocks_of(["（一）、建立车队"]).blocks[0]
    assert isinstance(heading, Block) and numbered(heading)[:2] == (2, "建立车队")
