"""Word (.docx) case documents -> drafts. Pure: bytes in, values out (python-docx reads them).

Two stages, so the caller can choose where pictures go before the body is written:

- `read_docx(data)` -> `Source`: the document's paragraphs and tables in order, as plain text
  (for recognising headings and fields) and inline Markdown, plus the pictures it embeds;
- `to_draft(source, taxonomy, picture_paths)` -> `Draft`: the title, the fields it can
  recognise (`单位：...`), the body mapped onto the schema's sections, and notes for a person.

Headings are recognised whether they use Word's heading styles or the usual plain numbered
lines of Chinese reports (`一、基本情况`, `（一）建立车队`).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass

import docx
from docx.enum.style import WD_STYLE_TYPE
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml.ns import qn
from lxml import etree

from .errors import WordError
from ..core.model import Taxonomy
from ..core.schema import FIELDS, IMAGE_SUFFIXES, INCOMPLETE_MARK, SECTION_ORDER
from .drafts import Draft, recognise, section_notes

MAX_UNPACKED = 200_000_000  # bytes: a case document with photos is a few MB; refuse zip bombs
PICTURE = "\ue000{}\ue001"  # placeholder for picture n in inline Markdown (private-use characters)
_PICTURE = re.compile("\ue000(\\d+)\ue001")

# Headings as Chinese reports number them: 一、基本情况 / （一）建立车队。
_LEVEL1 = re.compile(r"^[一二三四五六七八九十]{1,3}\s*[、.．]\s*(\S.*)$")
_LEVEL2 = re.compile(r"^[（(][一二三四五六七八九十]{1,3}[）)]\s*[、.．]?\s*(\S.*)$")
_ATTACHMENT = re.compile(r"^附件\s*[0-9一二三四五六七八九十]*\s*[:：]?$")
_HEADING_STYLE = re.compile(r"^(?:heading|标题)\s*(\d)$", re.I)
_TITLE_STYLES = {"title", "标题"}
_LIST_STYLE_LEVEL = re.compile(r"(?:list bullet|list number|项目符号|编号)\s*([2-9])$")
HEADING_MAX = 30  # characters: longer numbered lines are paragraphs, not headings
RUN_IN = "。：:"  # （一）建立车队。车队由……: the heading ends at the first of these

# Heading texts (numbering and punctuation removed) that mean a standard section.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "基本情况": ("基本情况", "基本概况", "概况", "单位概况", "企业概况", "单位简介", "企业简介", "背景", "工作背景", "背景情况"),
    "主要做法": ("主要做法", "具体做法", "主要举措", "具体举措", "工作举措", "主要措施", "具体措施", "工作做法", "经验做法", "创新做法", "特色做法", "做法", "举措"),
    "取得成效": ("取得成效", "工作成效", "取得成果", "主要成效", "取得的成效", "工作成果", "实际成效", "成效"),
    "经验启示": ("经验启示", "经验启发", "几点启示", "经验与启示", "启示与思考", "几点体会", "经验体会", "启示", "体会"),
}
assert set(SYNONYMS) == set(SECTION_ORDER), "every standard section needs its synonyms"

# `单位：某某公司` lines: the schema's labels, plus the other words people use for them.
FIELD_WORDS: dict[str, str] = {
    **{f.label: f.key for f in FIELDS if f.key not in ("id", "date", "honors", "featured", "status", "cover")},
    "案例名称": "title", "单位名称": "organization", "所在单位": "organization",
    "所在地区": "region", "所属地区": "region", "所属行业": "industry", "案例类别": "category",
    "关键词": "tags", "内容摘要": "summary", "资料来源": "source", "出处": "source",
}
_FIELD_LINE = re.compile(r"^[（(]?\s*(" + "|".join(sorted(map(re.escape, FIELD_WORDS), key=len, reverse=True)) + r")\s*[:：]\s*(.*?)\s*[）)]?$")
SOURCE_WORDS = {w for w, k in FIELD_WORDS.items() if k == "source"}  # recognised anywhere

_STRIP = " \t\u3000\xa0"
_ESCAPE = re.compile(r"([\\`*_\[\]])")
_BLOCK_START = re.compile(r"^(#|>|[-+*](?=\s)|\d+(?=[.)]\s)|[-=]+$)")

MC_NS = "http://schemas.openxmlformats.org/markup-compatibility/2006"
BLIP = "{http://schemas.openxmlformats.org/drawingml/2006/main}blip"
VML_IMAGE = "{urn:schemas-microsoft-com:vml}imagedata"
DOC_PR = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}docPr"
R_EMBED, R_ID, R_LINK = qn("r:embed"), qn("r:id"), qn("r:link")


def int_attribute(value: str | None, default: int) -> int:
    """An integer attribute, or `default` when it is missing or not a number."""
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


@dataclass(frozen=True)
class Block:
    kind: str  # "p" (one line of a paragraph) | "table" (a whole Markdown table)
    text: str  # plain text, trimmed
    md: str  # inline Markdown for "p"; the table for "table"
    heading: int = 0  # Word heading level (style or outline level), 0 when none
    title: bool = False  # Word's Title style
    list_level: int = -1  # -1 when not a list item
    ordered: bool = False


@dataclass(frozen=True)
class Picture:
    number: int  # 1-based, in order of first appearance
    data: bytes
    ext: str  # lower case, no dot: png, jpg, emf ...
    alt: str

    @property
    def usable(self) -> bool:
        return f".{self.ext}" in IMAGE_SUFFIXES


@dataclass(frozen=True)
class Source:
    blocks: tuple[Block, ...]
    pictures: tuple[Picture, ...]
    notes: tuple[str, ...] = ()


def picture_names(source: Source, case_id: str, taken: Callable[[str], bool]) -> tuple[dict[int, str], dict[str, bytes]]:
    """Library paths for the pictures a browser can show: assets/<id>-<n>.<ext>, skipping names
    `taken` says exist. Returns (picture number -> path, path -> bytes to write)."""
    paths: dict[int, str] = {}
    pictures: dict[str, bytes] = {}
    n = 1
    for picture in source.pictures:
        if not picture.usable:
            continue
        while (rel := f"assets/{case_id}-{n}.{picture.ext}") in pictures or taken(rel):
            n += 1
        paths[picture.number], pictures[rel] = rel, picture.data
    return paths, pictures


# -- reading ------------------------------------------------------------------------------


def open_docx(data: bytes) -> docx.document.Document:
    """Bytes -> python-docx Document, or WordError saying what the file is instead."""
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise WordError("这是旧版 Word 文件（.doc）或 WPS 文件；请在 Word/WPS 中“另存为” .docx 格式后再导入")
    if not data.startswith(b"PK"):
        raise WordError("这不是 Word 文档（.docx）；请在 Word/WPS 中“另存为” .docx 格式后再导入")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(i.file_size for i in archive.infolist()) > MAX_UNPACKED:
                raise WordError(f"文件解压后超过 {MAX_UNPACKED // 1_000_000} MB，不像是案例文档；请压缩图片后再试")
            archive.testzip()
        return docx.Document(io.BytesIO(data))
    except WordError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, PackageNotFoundError, KeyError, ValueError, EOFError, etree.XMLSyntaxError) as exc:
        raise WordError(f"文件已损坏或不是 Word 文档（.docx），无法读取（{type(exc).__name__}）；请在 Word 中打开后“另存为” .docx 再试") from exc


def read_numbering(part) -> dict[tuple[str, int], str]:
    """(numId, level) -> number format (bullet, decimal, chineseCounting ...) of a document part."""
    try:
        root = part.numbering_part.element
    except (KeyError, NotImplementedError, AttributeError):
        return {}
    abstract = {
        a.get(qn("w:abstractNumId")): {
            int_attribute(lvl.get(qn("w:ilvl")), 0): (fmt.get(qn("w:val")) if (fmt := lvl.find(qn("w:numFmt"))) is not None else "decimal")
            for lvl in a.findall(qn("w:lvl"))
        }
        for a in root.findall(qn("w:abstractNum"))
    }
    out = {}
    for num in root.findall(qn("w:num")):
        ref = num.find(qn("w:abstractNumId"))
        for level, fmt in abstract.get(ref.get(qn("w:val")) if ref is not None else None, {}).items():
            out[(num.get(qn("w:numId")), level)] = fmt
    return out


class StyleBook:
    """A document's paragraph styles and list numbering: lookups only."""

    def __init__(self, document: docx.document.Document):
        self.document_styles = document.styles
        self.by_id = {s.style_id: s for s in document.styles}
        self.numbering = read_numbering(document.part)

    def chain(self, style_id: str | None) -> list:
        """The style (the default paragraph style when None) and the styles it is based on."""
        seen, chain = set(), []
        style = self.by_id.get(style_id) if style_id else self.document_styles.default(WD_STYLE_TYPE.PARAGRAPH)
        while style is not None and style.style_id not in seen:
            seen.add(style.style_id)
            chain.append(style)
            style = style.base_style
        return chain

    def ordered(self, num_id: str, level: int) -> bool:
        """Whether list `num_id` numbers its items at `level` (not bullets, not unmarked)."""
        return self.numbering.get((num_id, level), "bullet") not in ("bullet", "none")


@dataclass(frozen=True)
class ParagraphFormat:
    """What a paragraph's style and properties say about it."""

    style: str = ""  # the style's name
    heading: int = 0  # heading level (style or outline level), 0 when none
    title: bool = False  # Word's Title style
    list_level: int = -1  # -1 when not a list item
    ordered: bool = False


def heading_level(ppr, chain: list) -> int:
    """A heading style's level anywhere in the chain, else the first outline level set."""
    for style in chain:
        if m := _HEADING_STYLE.match((style.name or "").strip()):
            return int(m.group(1))
    for element in [ppr] + [s.element.pPr for s in chain]:
        lvl = element.find(qn("w:outlineLvl")) if element is not None else None
        if lvl is not None:
            value = int_attribute(lvl.get(qn("w:val")), 9)
            return value + 1 if value < 9 else 0
    return 0


def list_position(ppr, chain: list, styles: StyleBook) -> tuple[int, bool]:
    """(list level, ordered) from the first numbering properties in the paragraph or its styles."""
    for element in [ppr] + [s.element.pPr for s in chain]:
        numpr = element.find(qn("w:numPr")) if element is not None else None
        if numpr is None:
            continue
        num_id = numpr.find(qn("w:numId"))
        ilvl = numpr.find(qn("w:ilvl"))
        num = num_id.get(qn("w:val")) if num_id is not None else None
        level = int_attribute(ilvl.get(qn("w:val")), 0) if ilvl is not None else 0
        if num and num != "0":
            return level, styles.ordered(num, level)
        break
    return -1, False


def style_list(name: str) -> tuple[int, bool]:
    """(list level, ordered) from a list style's name alone (List Bullet, 编号 ...), for list
    paragraphs without numbering properties; (-1, False) for other styles."""
    if "list bullet" in name.lower() or "项目符号" in name:
        return 0, False
    if "list number" in name.lower() or "编号" in name:
        return 0, True
    return -1, False


def paragraph_format(p, styles: StyleBook) -> ParagraphFormat:
    """The heading level, title flag and list position of a w:p element."""
    ppr = p.pPr
    style_id = ppr.pStyle.val if ppr is not None and ppr.pStyle is not None else None
    chain = styles.chain(style_id)
    name = (chain[0].name or "") if chain else ""
    heading = heading_level(ppr, chain)
    list_level, ordered = list_position(ppr, chain, styles)
    if list_level < 0 and not heading:
        list_level, ordered = style_list(name)
    if list_level == 0 and (m := _LIST_STYLE_LEVEL.search(name.lower())):  # List Bullet 2: one level down
        list_level = int(m.group(1)) - 1
    return ParagraphFormat(name, heading, name.strip().lower() in _TITLE_STYLES, list_level, ordered)


class PictureCollector:
    """The pictures a document part embeds, numbered in order of first appearance."""

    def __init__(self, part):
        self.part = part
        self.pictures: dict[str, Picture] = {}  # part name -> picture
        self.notes: list[str] = []

    def placeholders(self, element) -> Iterator[str]:
        """Picture placeholders for every image inside a drawing or VML picture."""
        alt = ""
        for node in element.iter(DOC_PR):
            alt = (node.get("descr") or "").strip()
            break
        for node in element.iter(BLIP, VML_IMAGE):
            rid = node.get(R_EMBED) or node.get(R_ID)
            if not rid:
                if node.get(R_LINK):
                    self.notes.append("文中有一张链接到外部文件的图片，无法导入；请把图片放入 assets/ 后引用")
                continue
            part = self.part.related_parts.get(rid)
            if part is None or not hasattr(part, "blob"):
                continue
            key = str(part.partname)
            if key not in self.pictures:
                ext = part.partname.ext.lower().replace("jpeg", "jpg")
                self.pictures[key] = Picture(len(self.pictures) + 1, part.blob, ext, alt)
            yield PICTURE.format(self.pictures[key].number)


def run_pieces(r, pictures: PictureCollector) -> Iterator[tuple[str, bool]]:
    """(text, bold) pieces of a w:r; pictures as placeholders (never bold)."""
    rpr = r.find(qn("w:rPr"))
    b = rpr.find(qn("w:b")) if rpr is not None else None
    bold = b is not None and b.get(qn("w:val"), "true").lower() not in ("0", "false", "off")
    for child in r:
        tag = child.tag
        if tag == qn("w:t"):
            yield child.text or "", bold
        elif tag in (qn("w:tab"), qn("w:ptab")):
            yield " ", bold
        elif tag in (qn("w:br"), qn("w:cr")):
            if child.get(qn("w:type")) not in ("page", "column"):
                yield "\n", False
        elif tag == qn("w:noBreakHyphen"):
            yield "-", bold
        elif tag in (qn("w:drawing"), qn("w:pict"), qn("w:object")):
            for token in pictures.placeholders(child):
                yield token, False
        elif tag == f"{{{MC_NS}}}AlternateContent":
            choice = child.find(f"{{{MC_NS}}}Choice")
            for token in pictures.placeholders(choice if choice is not None else child):
                yield token, False


def hyperlink_url(part, hyperlink) -> str:
    """The external address of a w:hyperlink, or "" (internal anchors, missing relationships)."""
    rid = hyperlink.get(R_ID)
    if rid and rid in part.rels and part.rels[rid].is_external:
        return part.rels[rid].target_ref
    return ""


def inline_pieces(element, pictures: PictureCollector) -> Iterator[tuple[str, bool, str]]:
    """(text, bold, link) pieces of a paragraph (or a hyperlink, insertion ...) in order."""
    for child in element:
        tag = child.tag
        if tag == qn("w:r"):
            for text, bold in run_pieces(child, pictures):
                yield text, bold, ""
        elif tag == qn("w:hyperlink"):
            url = hyperlink_url(pictures.part, child)
            for text, bold, _ in inline_pieces(child, pictures):
                yield text, bold, url
        elif tag in (qn("w:ins"), qn("w:smartTag"), qn("w:customXml"), qn("w:fldSimple"), qn("w:sdt"), qn("w:sdtContent")):
            yield from inline_pieces(child, pictures)
        # w:del (deleted text), w:pPr, bookmarks, proofing marks: nothing to show


def split_lines(pieces: Iterable[tuple[str, bool, str]]) -> list[list[tuple[str, bool, str]]]:
    """Inline pieces -> one list of pieces per line (a manual line break starts a new line)."""
    lines: list[list[tuple[str, bool, str]]] = [[]]
    for text, bold, link in pieces:
        for i, part in enumerate(text.split("\n")):
            if i:
                lines.append([])
            if part:
                lines[-1].append((part, bold, link))
    return lines


def paragraph_blocks(p, styles: StyleBook, pictures: PictureCollector) -> list[Block]:
    """One w:p -> one block per line; empty lines are dropped."""
    fmt = paragraph_format(p, styles)
    blocks = []
    for pieces in split_lines(inline_pieces(p, pictures)):
        plain = _PICTURE.sub("", "".join(t for t, _, _ in pieces)).strip(_STRIP)
        md = inline_markdown(pieces)
        if not plain and not _PICTURE.search(md):
            continue
        blocks.append(Block("p", plain, md, fmt.heading, fmt.title, fmt.list_level, fmt.ordered))
    return blocks


def table_rows(tbl, paragraph: Callable[[object], list[Block]]) -> list[list[str]]:
    """A w:tbl's rows as cells of inline Markdown (lines joined by "\\n"); a merged cell's
    continuation is empty and a cell spanning n columns is followed by n - 1 empty cells."""
    rows: list[list[str]] = []
    for tr in tbl.iter(qn("w:tr")):
        if tr.getparent() is not tbl:
            continue  # rows of nested tables are read with their cell
        row: list[str] = []
        for tc in tr.findall(qn("w:tc")):
            tcpr = tc.find(qn("w:tcPr"))
            span = tcpr.find(qn("w:gridSpan")) if tcpr is not None else None
            vmerge = tcpr.find(qn("w:vMerge")) if tcpr is not None else None
            continued = vmerge is not None and vmerge.get(qn("w:val"), "continue") == "continue"
            lines = []
            if not continued:
                for p in tc.iter(qn("w:p")):
                    lines += [b.md for b in paragraph(p)]
            row.append("\n".join(lines))
            row += [""] * (min(int_attribute(span.get(qn("w:val")), 1), 64) - 1 if span is not None else 0)
        rows.append(row)
    return rows


def table_blocks(rows: list[list[str]]) -> list[Block]:
    """Table cells -> one Markdown table block; a one-column table (a framed box of text) keeps
    its paragraphs; a table without text is dropped."""
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        return []
    width = max(len(r) for r in rows)
    if width == 1:
        return [Block("p", _PICTURE.sub("", line), line) for r in rows for line in r[0].split("\n") if line]
    rows = [[c.replace("|", "\\|").replace("\n", "<br>") for c in r] + [""] * (width - len(r)) for r in rows]
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + " --- |" * width]
    lines += ["| " + " | ".join(r) + " |" for r in rows[1:]]
    plain = " ".join(" ".join(r) for r in rows)
    return [Block("table", plain, "\n".join(lines))]


def read_document(document: docx.document.Document) -> Source:
    """Walks the document body once, collecting blocks and pictures in order."""
    styles = StyleBook(document)
    pictures = PictureCollector(document.part)

    def paragraph(p) -> list[Block]:
        return paragraph_blocks(p, styles, pictures)

    blocks: list[Block] = []
    for child in document.element.body:
        if child.tag == qn("w:p"):
            blocks += paragraph(child)
        elif child.tag == qn("w:tbl"):
            blocks += table_blocks(table_rows(child, paragraph))
        elif child.tag == qn("w:sdt"):  # content controls (and tables of contents) wrap blocks
            content = child.find(qn("w:sdtContent"))
            for p in content.iter(qn("w:p")) if content is not None else ():
                blocks += paragraph(p)
    return Source(tuple(blocks), tuple(pictures.pictures.values()), tuple(dict.fromkeys(pictures.notes)))


def read_docx(data: bytes) -> Source:
    """A .docx file's bytes -> its blocks and pictures; WordError when it cannot be read."""
    document = open_docx(data)
    try:
        return read_document(document)
    except (KeyError, ValueError, AttributeError, TypeError) as exc:
        raise WordError(f"Word 文档的内部结构不完整，无法读取（{type(exc).__name__}）；请在 Word 中打开后“另存为” .docx 再试") from exc


def escape(text: str) -> str:
    return _ESCAPE.sub(r"\\\1", text).replace("<", "&lt;")


def inline_markdown(pieces: list[tuple[str, bool, str]]) -> str:
    """(text, bold, link) pieces -> one line of Markdown; adjacent pieces alike are merged."""
    merged: list[list] = []
    for text, bold, link in pieces:
        bold = bold and bool(text.strip(_STRIP)) and not _PICTURE.fullmatch(text)
        if merged and merged[-1][1] == bold and merged[-1][2] == link and not _PICTURE.fullmatch(text) and not _PICTURE.fullmatch(merged[-1][0]):
            merged[-1][0] += text
        else:
            merged.append([text, bold, link])
    out = []
    for text, bold, link in merged:
        if _PICTURE.fullmatch(text):
            out.append(text)
            continue
        core = escape(text.strip(_STRIP)) if bold else escape(text)
        if bold:
            lead = text[: len(text) - len(text.lstrip(_STRIP))]
            trail = text[len(text.rstrip(_STRIP)):]
            core = f"{lead}**{core}**{trail}"
        if link.startswith(("http://", "https://", "mailto:")) and text.strip():
            core = f"[{core}]({link.replace(' ', '%20').replace('(', '%28').replace(')', '%29')})"
        out.append(core)
    line = "".join(out).strip(_STRIP)
    return _BLOCK_START.sub(lambda m: "\\" + m.group(1) if not m.group(1)[0].isdigit() else m.group(1) + "\\", line, count=1)


# -- recognising --------------------------------------------------------------------------


def normalise(text: str) -> str:
    return re.sub(r"[\s\u3000:：。．.、，,（）()“”\"'‘’《》!！?？—-]", "", text)


def section_of(text: str) -> str | None:
    """The standard section a heading text means, or None."""
    key = normalise(text)
    for name, words in SYNONYMS.items():
        if key in words:
            return name
    for name, words in SYNONYMS.items():
        if any(len(w) >= 4 and w in key for w in words):
            return name
    return None


def numbered(block: Block) -> tuple[int, str, str] | None:
    """A plain numbered heading line -> (1 or 2, heading text, rest of the line), or None."""
    if block.kind != "p" or block.list_level >= 0 or _PICTURE.search(block.md):
        return None
    for level, pattern in ((1, _LEVEL1), (2, _LEVEL2)):
        m = pattern.match(block.text)
        if not m:
            continue
        text = m.group(1).strip(_STRIP)
        cut = min((i for i in (text.find(c) for c in RUN_IN) if i > 0), default=-1)
        if cut > 0 and cut <= HEADING_MAX:
            return level, text[:cut].strip(_STRIP), text[cut + 1:].strip(_STRIP)
        if len(text) <= HEADING_MAX:
            return level, text.rstrip("。；;"), ""
        return None
    return None


def unnumbered_heading(block: Block) -> bool:
    """A line that is only a section name (`基本情况`, `主要举措：`): a heading without a number."""
    if block.kind != "p" or block.list_level >= 0 or _PICTURE.search(block.md) or len(block.text) > 12 or block.text.endswith("。"):
        return False
    key = normalise(block.text)
    return len(key) >= 4 and any(key in words for words in SYNONYMS.values())


def heading_text(block: Block) -> str:
    """A heading's text without its Chinese numbering (一、 / （一）)."""
    n = numbered(block)
    return n[1] if n and not n[2] else block.text


def field_line(block: Block) -> tuple[str, str] | None:
    """`单位：某某公司` -> ("organization", "某某公司")."""
    if block.kind != "p" or block.heading or block.list_level >= 0:
        return None
    m = _FIELD_LINE.match(block.text)
    return (m.group(1), m.group(2)) if m else None


@dataclass
class _Section:
    title: str
    items: list[tuple[str, str]]  # (kind, Markdown): para | list | table | heading


def take_title(blocks: list[Block]) -> tuple[str | None, bool]:
    """The title: Word's Title style, else the first line that is not a field or a section.
    Removes it from `blocks`; also says whether a `标题：` field line names it instead."""
    title_at = next((i for i, b in enumerate(blocks) if b.title and b.text), None)
    titled = any((fl := field_line(b)) and FIELD_WORDS[fl[0]] == "title" for b in blocks)
    if title_at is None and not titled:
        for i, b in enumerate(blocks):
            if b.kind != "p" or not b.text:
                continue
            if _ATTACHMENT.match(b.text):
                continue  # 附件1: the label of an attachment, not its title
            if field_line(b) is None and section_of(heading_text(b)) is None and b.list_level < 0 and len(b.text) <= 80:
                title_at = i
            break
    if title_at is None:
        return None, titled
    return " ".join(blocks.pop(title_at).text.split()), titled


@dataclass(frozen=True)
class Layout:
    """How a document marks its sections."""

    section_level: int  # the Word heading level that holds the sections
    demote: int  # numbered lines inside Word-styled sections go one level down
    any_standard: bool  # some heading names a standard section


def section_layout(blocks: list[Block]) -> Layout:
    """Which Word heading level holds the sections: the one whose headings name standard ones."""
    styled = [b for b in blocks if b.heading]
    standard_levels = [b.heading for b in styled if section_of(heading_text(b))]
    section_level = min(standard_levels or [b.heading for b in styled] or [1])
    numbered_standard = any(((n := numbered(b)) and n[0] == 1 and section_of(n[1])) or unnumbered_heading(b) for b in blocks)
    return Layout(section_level, 1 if standard_levels else 0, bool(standard_levels or numbered_standard))


def heading_of(block: Block, layout: Layout) -> tuple[int, str, str]:
    """(Markdown level, heading text, text after a numbered heading on the same line); level 0: no heading."""
    if block.heading and block.kind == "p":
        return 2 + max(0, block.heading - layout.section_level), heading_text(block), ""
    if n := numbered(block):
        return n[0] + 1 + layout.demote, n[1], n[2]
    if unnumbered_heading(block):
        return 2 + layout.demote, block.text.rstrip("：:"), ""
    return 0, "", ""


class DraftBuilder:
    """Collects a document's fields, sections and notes block by block."""

    def __init__(self, taxonomy: Taxonomy, layout: Layout, notes: list[str]):
        self.taxonomy, self.layout, self.notes = taxonomy, layout, notes
        self.meta: dict[str, object] = {}
        self.intro: list[tuple[str, str]] = []
        self.sections: list[_Section] = []
        self.fields_done: set[str] = set()

    def add(self, kind: str, md: str) -> None:
        (self.sections[-1].items if self.sections else self.intro).append((kind, md))

    def take_field(self, word: str, value: str) -> None:
        key = FIELD_WORDS[word]
        field = next(f for f in FIELDS if f.key == key)
        if key in self.fields_done:
            self.notes.append(f"文中多次出现“{word}：”，只采用了第一次的值；请核对 {key}")
            return
        self.fields_done.add(key)
        found, field_notes = recognise(field, value, self.taxonomy)
        self.notes.extend(f"{word}：{n}" if not n.startswith(field.label) else n for n in field_notes)
        if found is not None:
            self.meta[key] = found

    def section(self, text: str) -> None:
        """A level-2 heading: a standard section, a repeat of one, or a section of its own."""
        sections, notes = self.sections, self.notes
        name = section_of(text) if self.layout.any_standard else None
        if not self.layout.any_standard:
            if not sections:
                sections.append(_Section("主要做法", []))
            self.add("heading", f"### {escape(text)}")
        elif name and any(s.title == name for s in sections):
            notes.append(f"章节“{text}”与前面的“{name}”重复，已作为其中的小标题；请核对")
            self.add("heading", f"### {escape(text)}")
        elif name:
            if normalise(text) != name:
                notes.append(f"章节标题“{text}”已对应为“{name}”")
            sections.append(_Section(name, []))
        else:
            notes.append(f"章节“{text}”不是标准章节，原样保留为 `## {text}`；请核对它应归入哪一节")
            sections.append(_Section(escape(text), []))

    def block(self, b: Block) -> None:
        if not self.sections and _ATTACHMENT.match(b.text):
            return
        fl = field_line(b)
        if fl and (not self.sections or fl[0] in SOURCE_WORDS):
            self.take_field(*fl)
            return
        level, text, rest = heading_of(b, self.layout)
        if level == 2:
            self.section(text)
        elif level:
            self.add("heading", f"{'#' * min(level, 4)} {escape(text)}")
        if level and rest:
            self.add("para", escape(rest))
        if level:
            return
        if b.kind == "table":
            self.add("table", b.md)
        elif b.list_level >= 0:
            marker = "1." if b.ordered else "-"
            self.add(f"list{marker}" if b.list_level == 0 else "list", "    " * min(b.list_level, 3) + f"{marker} {b.md}")
        else:
            self.add("para", b.md)

    def finish_intro(self) -> None:
        """Text between the title and the first section goes into 基本情况."""
        if not self.intro:
            return
        first = next((s for s in self.sections if s.title == "基本情况"), None)
        if first is None:
            first = _Section("基本情况", [])
            self.sections.insert(0, first)
        first.items[:0] = self.intro
        if any(k != "heading" for k, _ in self.intro):
            self.notes.append("标题与第一个章节之间的文字已放入“基本情况”，请核对")


def to_draft(source: Source, taxonomy: Taxonomy, picture_paths: Mapping[int, str]) -> Draft:
    """Blocks -> a Draft: title, recognised fields, sections and notes.

    `picture_paths` maps picture numbers to library-relative paths (`assets/x-1.png`); a picture
    without a path (a format browsers cannot show) becomes a note in the text.
    """
    blocks = list(source.blocks)
    notes: list[str] = list(source.notes)
    title, titled = take_title(blocks)
    if title is None and not titled:
        notes.append("没有识别出标题（title）：文档第一行应是案例标题；请填写")
    layout = section_layout(blocks)
    if not layout.any_standard and (any(b.heading for b in blocks) or any(numbered(b) for b in blocks)):
        notes.append("没有识别出标准章节标题（基本情况、主要做法、取得成效、经验启示）：开头部分放入“基本情况”，其余放入“主要做法”，请核对")
    builder = DraftBuilder(taxonomy, layout, notes)
    if title is not None:
        builder.meta["title"] = title
    for b in blocks:
        builder.block(b)
    builder.finish_intro()

    body = [(s.title, render_items(s.items, source.pictures, picture_paths)) for s in builder.sections]
    body = [(t, text or INCOMPLETE_MARK) for t, text in body]
    notes += section_notes(body)
    for p in source.pictures:
        if not p.usable:
            notes.append(f"第 {p.number} 张图片是 {p.ext.upper()} 格式，网页无法显示，没有导入；请转换为 PNG 或 JPG 后放入 assets/ 并引用")
    return Draft(tuple(builder.meta.items()), tuple(body), tuple(dict.fromkeys(notes)))


def render_items(items: list[tuple[str, str]], pictures: tuple[Picture, ...], paths: Mapping[int, str]) -> str:
    by_number = {p.number: p for p in pictures}

    def picture(m: re.Match) -> str:
        n = int(m.group(1))
        p = by_number.get(n)
        if n in paths and p is not None:
            alt = escape(p.alt.replace("\n", " "))
            return f"![{alt}]({paths[n]})"
        ext = p.ext.upper() if p is not None else "未知"
        return f"（此处原有一张 {ext} 格式的图片，待转换后补上）"

    out: list[str] = []
    top = ""  # the kind of the current list's first-level items: list- or list1.
    for kind, md in items:
        same_list = kind.startswith("list") and top and (kind == "list" or kind == top)
        if out:
            out.append("\n" if same_list else "\n\n")
        out.append(_PICTURE.sub(picture, md))
        top = (kind if kind != "list" else top) if kind.startswith("list") else ""
    return "".join(out).strip("\n")
