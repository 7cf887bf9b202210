"""Book -> Word (.docx) with python-docx: a document to edit and forward, not a print copy.

Heading 1 per 篇, Heading 2 per case, Heading 3 per section (Word's navigation pane and the TOC
field use them); Word fills the TOC when the file opens (w:updateFields). Chinese text gets
East-Asian fonts (w:eastAsia) on styles and runs, so Word and WPS show 宋体/黑体, not a fallback.
Byte-stable: fixed document dates and zip entry times.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import itertools
import zipfile
from pathlib import Path

import docx
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_COLOR_INDEX
from docx.image.exceptions import UnrecognizedImageError
from docx.image.image import Image as DocxImage
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.shape import CT_Inline
from docx.oxml.table import CT_Tbl
from docx.table import Table, _Cell
from docx.shared import Cm, Inches, Mm, Pt, RGBColor
from docx.text.paragraph import Paragraph

from ..core.files import stable_zip_entry
from ..core.schema import FIELD_BY_KEY, INCOMPLETE_MARK, INCOMPLETE_NOTE
from .compose import PICTURE_MAX_CM, Book, Entry, chinese_date, volume_text
from .errors import BookError

SERIF, SANS, MONO = "宋体", "黑体", "Courier New"
LATIN_SERIF, LATIN_SANS = "Times New Roman", "Arial"
BODY_PT = 10.5  # 五号
PICTURE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff")  # what python-docx can embed
TEXT_WIDTH = Cm(15.5)
PICTURE_MAX_HEIGHT = Cm(PICTURE_MAX_CM)
TOC_HINT = "（Word 打开文档时会更新目录并加上页码；如未更新，请在目录上右键选择“更新域”，WPS：引用 → 更新目录。）"


def set_fonts(element, east_asia: str, latin: str) -> None:
    """w:rFonts on a run's or a style's properties, without theme fonts (they would win)."""
    rpr = element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    fonts.set(qn("w:ascii"), latin)
    fonts.set(qn("w:hAnsi"), latin)
    fonts.set(qn("w:eastAsia"), east_asia)


def setup_styles(doc) -> None:
    normal = doc.styles["Normal"]
    set_fonts(normal.element, SERIF, LATIN_SERIF)
    normal.font.size = Pt(BODY_PT)
    fmt = normal.paragraph_format
    fmt.first_line_indent = Pt(BODY_PT * 2)
    fmt.line_spacing = 1.4
    fmt.space_after = Pt(4)
    ind = fmt.element.get_or_add_pPr().get_or_add_ind()
    ind.set(qn("w:firstLineChars"), "200")  # two characters, whatever the size
    for name, size in (("Heading 1", 20), ("Heading 2", 16), ("Heading 3", 12), ("Title", 26), ("Caption", 9), ("Quote", BODY_PT)):
        style = doc.styles[name]
        set_fonts(style.element, SANS if name != "Quote" else SERIF, LATIN_SANS if name != "Quote" else LATIN_SERIF)
        style.font.size = Pt(size)
        style.font.color.rgb = RGBColor(0, 0, 0) if name != "Caption" else RGBColor(0x55, 0x55, 0x55)
        style.font.italic = False
        no_indent(style.paragraph_format)
    for name in ("Heading 1", "Heading 2"):
        doc.styles[name].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.styles["Caption"].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER


def no_indent(fmt) -> None:
    fmt.first_line_indent = Pt(0)
    fmt.element.get_or_add_pPr().get_or_add_ind().set(qn("w:firstLineChars"), "0")


def add_run(p: Paragraph, text: str, *, bold=False, italic=False, code=False, sans=False, size=None, gray=False):
    run = p.add_run(text)
    run.bold = bold or None
    run.italic = italic or None
    if code:
        set_fonts(run._element, SANS, MONO)
    else:
        set_fonts(run._element, SANS if sans else SERIF, LATIN_SANS if sans else LATIN_SERIF)
    if size:
        run.font.size = Pt(size)
    if gray:
        run.font.color.rgb = RGBColor(0x55, 0x55, 0x55)
    return run


def field_char(p: Paragraph, kind: str) -> None:
    run = p.add_run()
    el = OxmlElement("w:fldChar")
    el.set(qn("w:fldCharType"), kind)
    if kind == "begin":
        el.set(qn("w:dirty"), "true")  # Word computes the field when the file opens
    run._element.append(el)


def field_start(p: Paragraph, instruction: str) -> None:
    field_char(p, "begin")
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    p.add_run()._element.append(instr)
    field_char(p, "separate")


def add_field(p: Paragraph, instruction: str, placeholder: str = "") -> None:
    """A one-paragraph Word field (PAGE ...) showing `placeholder` until Word computes it."""
    field_start(p, instruction)
    add_run(p, placeholder)
    field_char(p, "end")


def add_runs(p: Paragraph, runs: list[dict], bold: bool = False) -> None:
    for r in runs:
        if r["v"] == "\n":
            p.add_run().add_break(WD_BREAK.LINE)
        else:
            run = add_run(p, r["v"], bold=r["b"] or bold, italic=r["i"], code=r["code"])
            font = run.font  # (superscript and subscript are one setting, w:vertAlign: set only what is)
            if r.get("sup"):
                font.superscript = True
            elif r.get("sub"):
                font.subscript = True
            if r.get("s"):
                font.strike = True
            if r.get("u"):
                font.underline = True
            if r.get("mark"):
                font.highlight_color = WD_COLOR_INDEX.YELLOW


def _tc(tr, span: int, column: int, merge: str | None = None):
    """A table cell of `span` grid columns, holding one empty paragraph; `merge`: "restart" (the
    first row of a cell spanning rows) or "continue" (a row below it)."""
    tc = tr.add_tc()
    tc.width = column * span
    if span > 1:
        tc.grid_span = span
    if merge:
        tc.vMerge = merge
    return tc


_ALIGN = {"left": WD_ALIGN_PARAGRAPH.LEFT, "center": WD_ALIGN_PARAGRAPH.CENTER, "right": WD_ALIGN_PARAGRAPH.RIGHT,
          "justify": WD_ALIGN_PARAGRAPH.JUSTIFY}


class Writer:
    def __init__(self, doc, root: Path) -> None:
        self.doc, self.root = doc, root
        self.parent = doc._body  # what the paragraphs are written into: the body, or a table cell
        self.end = doc.element.body.find(qn("w:sectPr"))  # the body's last child: written before it
        self.width = TEXT_WIDTH  # what a picture may fill
        self.bold = False  # a table's header cell
        self.in_cell = False  # a table cell's paragraphs are set flush
        self.align = None  # and aligned as the cell says (`align`)
        self.written: list[Paragraph] = []
        self.styles: dict = {}
        self.ids = itertools.count(doc.part.next_id)  # drawing ids, unique in the document (shared by cells' writers)

    def inside(self, tc, width: int, cell: dict) -> Writer:
        """A writer into the table cell `tc`, before the paragraph it holds (a cell holds one)."""
        w = copy.copy(self)
        w.parent, w.end, w.width, w.written = _Cell(tc, self.parent), tc.p_lst[-1], width, []
        w.bold, w.in_cell, w.align = cell["head"], True, _ALIGN.get(cell["align"])
        return w

    def paragraph(self, style: str | None = None, indent: bool = True) -> Paragraph:
        # Document.add_paragraph looks for the body's w:sectPr from the start every time: a
        # quadratic build for a book of thousands of paragraphs. Insert before it directly.
        element = OxmlElement("w:p")
        self.end.addprevious(element)
        p = Paragraph(element, self.parent)
        if style:
            if style not in self.styles:  # python-docx scans every style on each lookup: once
                self.styles[style] = self.doc.styles[style].style_id
            element.get_or_add_pPr().style = self.styles[style]
        if not indent or self.in_cell:
            no_indent(p.paragraph_format)
        if self.align is not None:
            p.alignment = self.align
        self.written.append(p)
        return p

    def heading(self, level: int, text: str, page_break: bool = False) -> Paragraph:
        p = self.paragraph(f"Heading {level}", indent=False)
        add_run(p, text, sans=True)
        if page_break:
            p.paragraph_format.page_break_before = True
        return p

    def blocks(self, blocks: list[dict], level: int = 0) -> None:
        for b in blocks:
            kind = b["t"]
            if kind == "p":
                p = self.paragraph(indent=level == 0)
                if level:
                    p.paragraph_format.left_indent = Pt(BODY_PT * 2 * level)
                add_runs(p, b["runs"], self.bold)
            elif kind == "h":
                p = self.paragraph(indent=False)
                p.paragraph_format.keep_with_next = True
                for r in b["runs"]:
                    add_run(p, r["v"], bold=True, sans=True)
            elif kind == "list":
                for n, item in enumerate(b["items"], b["start"]):
                    self.list_item(f"{n}." if b["ordered"] else "•", item, level)
            elif kind == "code":
                p = self.paragraph(indent=False)
                for i, line in enumerate(b["text"].split("\n")):
                    if i:
                        p.add_run().add_break(WD_BREAK.LINE)
                    add_run(p, line, code=True, size=9)
            elif kind == "quote":
                start = len(self.written)
                self.blocks(b["blocks"], level + 1)
                quote = self.doc.styles["Quote"].style_id
                for p in self.written[start:]:
                    p._p.get_or_add_pPr().style = quote
            elif kind == "img":
                self.picture(b["src"], b["alt"])
            elif kind == "table":
                self.table(b)
            elif kind == "hr":
                self.paragraph(indent=False).alignment = WD_ALIGN_PARAGRAPH.CENTER

    def list_item(self, marker: str, item: list[dict], level: int) -> None:
        first, rest = (item[0], item[1:]) if item and item[0]["t"] == "p" else (None, item)
        p = self.paragraph(indent=False)
        p.paragraph_format.left_indent = Pt(BODY_PT * 2 * (level + 1))
        p.paragraph_format.first_line_indent = Pt(-BODY_PT * 1.5)
        add_run(p, marker + " ")
        if first:
            add_runs(p, first["runs"], self.bold)
        self.blocks(rest, level + 1)

    def table(self, b: dict) -> None:
        """A table laid out by compose.py: a merged cell spans columns (w:gridSpan) and rows
        (w:vMerge: the rows below hold its continuation); a slot no cell takes is an empty cell."""
        columns = b["columns"]
        if not columns or not b["cells"]:
            return
        tbl = CT_Tbl.new_tbl(0, columns, self.width)
        self.end.addprevious(tbl)
        table = Table(tbl, self.parent)
        table.style = self.doc.styles["Table Grid"]
        column = self.width // columns
        rows: list[list[tuple[int, int, dict | None]]] = [[] for _ in range(b["rows"])]
        for c in b["cells"]:
            rows[c["y"]].append((c["x"], c["colspan"], c))
            for y in range(c["y"] + 1, c["y"] + c["rowspan"]):
                rows[y].append((c["x"], c["colspan"], None))  # below a merged cell's first row
        for row in rows:
            tr = tbl.add_tr()
            x = 0
            for at, wide, c in sorted(row, key=lambda slot: slot[0]) + [(columns, 0, None)]:
                if at > x:  # slots no cell takes
                    _tc(tr, at - x, column)
                if wide:
                    merge = "continue" if c is None else "restart" if c["rowspan"] > 1 else None
                    tc = _tc(tr, wide, column, merge)
                    if c is not None:
                        self.inside(tc, column * wide, c).blocks(c["blocks"])
                        if len(tc.p_lst) > 1 and tc[-2].tag == qn("w:p"):  # the cell's own paragraph: not needed
                            tc.remove(tc[-1])
                x = at + wide
        # Word joins two tables with nothing between them into one: a paragraph keeps them apart.
        self.paragraph(indent=False).paragraph_format.space_after = Pt(0)

    def picture(self, src: str | None, alt: str) -> None:
        path = self.root / src if src else None
        if path is not None and path.suffix.lower() in PICTURE_SUFFIXES and path.is_file():
            p = self.paragraph(indent=False)
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            try:
                image = DocxImage.from_file(str(path))
            except UnrecognizedImageError:  # validate refuses it first (E421): one sentence, no traceback
                raise BookError(f"{path.as_posix()} 不是 Word 能读的图片，没有生成 Word 版案例汇编；请运行 casebook validate（E421）") from None
            width, height = picture_size(image.px_width, image.px_height, image.horz_dpi, image.vert_dpi, self.width)
            # Run.add_picture, but for the drawing's id: python-docx finds the next free one by
            # reading every id in the document, for each picture (3,000 pictures took 43 s).
            rid, _ = self.doc.part.get_or_add_image(str(path))
            p.add_run()._r.add_drawing(CT_Inline.new_pic_inline(next(self.ids), rid, path.name, width, height))
            if alt:
                add_run(self.paragraph("Caption", indent=False), alt)
        else:  # a format Word cannot embed (SVG, WebP): the caption keeps the place
            add_run(self.paragraph("Caption", indent=False), f"［图］{alt}" if alt else "［图］")


def picture_size(px_width: int, px_height: int, horz_dpi: int, vert_dpi: int, fit: int = TEXT_WIDTH) -> tuple[int, int]:
    """A picture's size in the document (EMU): its own, from its pixels and resolution, made to fit
    the width `fit` (the text's, or a table cell's) and PICTURE_MAX_HEIGHT. A resolution outside 24–2,400 dpi (a PNG saying one pixel
    per metre: 0 dpi, a division by zero) is read as Word reads a missing one, 72 dpi."""
    def inches(px: int, dpi: int) -> float:
        return max(px, 1) / (dpi if 24 <= dpi <= 2400 else 72)

    width, height = Inches(inches(px_width, horz_dpi)), Inches(inches(px_height, vert_dpi))
    scale = min(1.0, fit / width, PICTURE_MAX_HEIGHT / height)
    return max(int(width * scale), 1), max(int(height * scale), 1)


def render_docx(book: Book, library_root: Path) -> bytes:
    doc = docx.Document()
    setup_styles(doc)
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = section.bottom_margin = Cm(2.5)
    section.left_margin = section.right_margin = Cm(2.5)
    section.different_first_page_header_footer = True  # no page number on the cover
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    no_indent(footer.paragraph_format)
    add_field(footer, "PAGE", "1")
    header = section.header.paragraphs[0]
    no_indent(header.paragraph_format)
    header.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title = f"{book.title} {volume_text(book)}" if book.volumes else book.title
    add_run(header, title, size=9, gray=True, sans=True)

    props = doc.core_properties
    props.title, props.author, props.language = title, book.compiler, "zh-CN"
    props.subject = book.scope
    props.comments = props.keywords = props.category = ""
    props.last_modified_by = book.compiler
    props.revision = 1
    moment = dt.datetime(book.date.year, book.date.month, book.date.day)
    props.created = props.modified = moment
    props.last_printed = moment

    w = Writer(doc, library_root)
    cover(w, book)
    p = w.paragraph(indent=False)
    p.paragraph_format.page_break_before = True
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    add_run(p, "目录", bold=True, sans=True, size=16)
    toc(w, book)
    update = OxmlElement("w:updateFields")
    update.set(qn("w:val"), "true")
    doc.settings.element.append(update)

    for part, entries in book.parts:
        w.heading(1, part.title, page_break=True)
        for entry in entries:
            try:
                case_pages(w, entry)
            except ValueError as exc:
                if "XML compatible" not in str(exc):
                    raise
                # validate refuses such characters (E420, E218) first; should one still come, one
                # sentence naming the case, not a traceback
                raise BookError(f"{(library_root / entry.case.rel).as_posix()} 中有 Word 文件无法写入的字符（控制字符等），"
                                "没有生成 Word 版案例汇编；请运行 casebook validate（E420），或在编辑器中找到并删除它") from None
    buf = io.BytesIO()
    doc.save(buf)
    return stable_zip(buf.getvalue())


def toc(w: Writer, book: Book) -> None:
    """The TOC field over headings 1-2. Until Word fills it (on open), it shows the 篇 and case
    titles without page numbers, so WPS and LibreOffice readers see the contents too."""
    hint = w.paragraph(indent=False)
    field_start(hint, 'TOC \\o "1-2" \\h \\z \\u')
    add_run(hint, TOC_HINT, size=9, gray=True)
    last = hint
    for part, entries in book.parts:
        last = w.paragraph(indent=False)
        last.paragraph_format.space_before = Pt(6)
        add_run(last, part.title, bold=True, sans=True)
        for entry in entries:
            last = w.paragraph(indent=False)
            last.paragraph_format.left_indent = Pt(BODY_PT * 2)
            last.paragraph_format.space_after = Pt(0)
            add_run(last, entry.case.title)
    field_char(last, "end")


def cover(w: Writer, book: Book) -> None:
    def line(text: str, size: float, before: float, bold=False, sans=False, gray=False) -> None:
        p = w.paragraph(indent=False)
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.paragraph_format.space_before = Pt(before)
        add_run(p, text, size=size, bold=bold, sans=sans, gray=gray)

    line(book.title, 26, 160, bold=True, sans=True)
    if book.volumes:
        line(volume_text(book), 20, 12, bold=True, sans=True)
    if book.scope:
        line(f"收录范围：{book.scope}", 14, 24)
    if book.holds:
        line(f"本册收录：{book.holds}", 13, 12)
    line(f"{book.compiler}　编", 14, 220 if not book.volumes else 160)
    line(f"{'本册' if book.volumes else '共'}收录案例 {book.count} 个", 12, 12, gray=True)
    line(chinese_date(book.date), 12, 6, gray=True)


def case_pages(w: Writer, entry: Entry) -> None:
    case = entry.case
    w.heading(2, case.title, page_break=True)
    p = w.paragraph(indent=False)
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    add_run(p, case.organization, sans=True, size=12)
    for label, value in entry.meta:
        p = w.paragraph(indent=False)
        p.paragraph_format.space_after = Pt(0)
        add_run(p, f"{label}：", sans=True, size=9, gray=True)
        add_run(p, value, size=9)
    p = w.paragraph(indent=False)
    p.paragraph_format.space_before = Pt(8)
    add_run(p, FIELD_BY_KEY["summary"].label + "　", bold=True, sans=True)  # as the Word importer reads it back
    add_run(p, case.summary)
    if entry.cover:
        w.picture(entry.cover["src"], entry.cover["alt"])
    for s in entry.sections:
        if s["title"]:
            w.heading(3, s["title"]).paragraph_format.keep_with_next = True
        if s["incomplete"]:
            p = w.paragraph()
            add_run(p, INCOMPLETE_MARK, bold=True, sans=True, gray=True)
            add_run(p, f"　{INCOMPLETE_NOTE}", gray=True)
        else:
            w.blocks(s["blocks"])


def stable_zip(data: bytes) -> bytes:
    """The same .docx bytes for the same book: python-docx stamps zip entries with the time."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(stable_zip_entry(info.filename), src.read(info.filename))
    return out.getvalue()
