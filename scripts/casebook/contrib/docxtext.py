"""A Word body -> `Block`s: each line of a paragraph and each table as plain text (for recognising
headings, fields and case titles) and inline Markdown, with the formatting recognisers need
(heading level, list, alignment, bold, size, page breaks, table of contents), plus the pictures
and footnotes the text refers to. Pure over a `docxfile.Package`: no printing, no writing.

`read_docx(data)` streams the body (docxfile), so time and memory grow with one paragraph at a
time, not with the document; every limit in `docxfile.Limits` applies.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from .errors import WordError
from ..core.markup import literal_start
from ..core.rules import kept_link
from ..core.schema import IMAGE_SUFFIXES
from .docxfile import LIMITS, R_NS, TRANSPARENT, Limits, Meter, Package, w

PICTURE = "\ue000{}\ue001"  # placeholder for picture n in inline Markdown (private-use characters)
NOTE = "\ue002{}\ue003"  # placeholder for footnote n
PICTURE_MARK = re.compile("\ue000(\\d+)\ue001")
NOTE_MARK = re.compile("\ue002(\\d+)\ue003")
TOKEN_MARK = re.compile("\ue000\\d+\ue001|\ue002\\d+\ue003")
_PRIVATE = re.compile("[\ue000-\ue00f]")  # reserved for placeholders: removed from the document's own text

_HEADING_STYLE = re.compile(r"^(?:heading|标题)\s*(\d)$", re.I)
_TITLE_STYLES = {"title", "标题"}
_LIST_STYLE_LEVEL = re.compile(r"(?:list bullet|list number|项目符号|编号)\s*([2-9])$")
_TOC_STYLE = re.compile(r"^(?:toc\s*\d|toc heading|目录\s*\d|目录标题)$", re.I)
_CAPTION_STYLE = re.compile(r"^(?:caption|题注)$", re.I)
# A list typed by hand (or printed by `casebook book`): a bullet glyph, or "1." with a hanging indent.
_GLYPHS = "•●▪■◆○◦·"
_GLYPH = re.compile(f"^[{_GLYPHS}]\\s*")
_ORDINAL_MD = re.compile(r"^\d{1,3}\\?[.)．]\s*")
_INDENT_STEP = 420  # twips per list level in `casebook book` (two characters of 10.5 pt)

_STRIP = " \t\u3000\xa0"
# Word's text is text: what Markdown would read as markup is escaped, readably (a backslash where
# Python-Markdown takes one, an entity where it does not). tests/test_contrib.py checks the promise
# on generated lines: the page shows the line as Word had it.
_ESCAPE = re.compile(r"([\\`*_\[\]{}])")
_ENTITY = re.compile(r"&(?=#[0-9]+;|#[xX][0-9a-fA-F]+;|[A-Za-z0-9]+;)")  # `&reg;` would show as ®
_SHORTCODE = re.compile(r":(?=[+\-\w]+:)")  # `:smile:` would show as an emoji

MC_NS = "http://schemas.openxmlformats.org/markup-compatibility/2006"
BLIP = "{http://schemas.openxmlformats.org/drawingml/2006/main}blip"
VML_IMAGE = "{urn:schemas-microsoft-com:vml}imagedata"
DOC_PR = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}docPr"
R_EMBED, R_ID, R_LINK = f"{{{R_NS}}}embed", f"{{{R_NS}}}id", f"{{{R_NS}}}link"
DC_TITLE = "{http://purl.org/dc/elements/1.1/}title"
W_VAL = w("val")

# Element names used on every paragraph, computed once.
P, R, T, TBL, TR, TC, PPR, RPR = w("p"), w("r"), w("t"), w("tbl"), w("tr"), w("tc"), w("pPr"), w("rPr")
PSTYLE, RSTYLE, B, SZ, JC, IND = w("pStyle"), w("rStyle"), w("b"), w("sz"), w("jc"), w("ind")
NUMPR, NUMID, ILVL, OUTLINE = w("numPr"), w("numId"), w("ilvl"), w("outlineLvl")
TAB, PTAB, BR, CR, NBH = w("tab"), w("ptab"), w("br"), w("cr"), w("noBreakHyphen")
DRAWING, PICT, OBJECT, FLDCHAR, INSTR = w("drawing"), w("pict"), w("object"), w("fldChar"), w("instrText")
HYPERLINK, FLDSIMPLE, SDT, SDTCONTENT = w("hyperlink"), w("fldSimple"), w("sdt"), w("sdtContent")
PASS_THROUGH = {w("ins"), w("smartTag"), w("customXml"), FLDSIMPLE, SDT, SDTCONTENT}
FOOTNOTE_REF, ENDNOTE_REF = w("footnoteReference"), w("endnoteReference")
PAGE_BREAK_BEFORE, SECTPR, KEEP_NEXT = w("pageBreakBefore"), w("sectPr"), w("keepNext")
ALTERNATE = f"{{{MC_NS}}}AlternateContent"


def int_attribute(value: str | None, default: int) -> int:
    """An integer attribute, or `default` when it is missing or not a number."""
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def on(element) -> bool:
    """A toggle property (w:b, w:keepNext ...): present and not switched off."""
    return element is not None and (element.get(W_VAL) or "true").lower() not in ("0", "false", "off", "none")


@dataclass(frozen=True)
class Block:
    kind: str  # "p" (one line of a paragraph) | "table" (a whole Markdown table)
    text: str  # plain text, trimmed
    md: str  # inline Markdown for "p"; the table for "table"
    heading: int = 0  # Word heading level (style or outline level), 0 when none
    title: bool = False  # Word's Title style
    list_level: int = -1  # -1 when not a list item
    ordered: bool = False
    centered: bool = False  # paragraph centred (directly or by its style)
    bold: bool = False  # all of its text bold
    size: float = 0.0  # font size in points (the largest run), 0 when unknown
    page_break: bool = False  # a page or section break comes right before it
    toc: bool = False  # part of a table of contents (TOC field, TOC style or content control)
    keep_next: bool = False  # "keep with next", as headings have
    caption: bool = False  # Word's Caption style (the text under a picture or table)


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
class Footnote:
    number: int  # 1-based, in order of first reference
    md: str  # its text as inline Markdown, paragraphs joined by a space
    kind: str = "脚注"  # 脚注 | 尾注


@dataclass(frozen=True)
class Source:
    blocks: tuple[Block, ...]
    pictures: tuple[Picture, ...]
    notes: tuple[str, ...] = ()
    footnotes: tuple[Footnote, ...] = ()
    title: str = ""  # the document's Title property (File > Properties)

    def part(self, blocks: Iterable[Block]) -> "Source":
        """The same document restricted to some of its blocks, with the pictures and footnotes
        those blocks refer to."""
        blocks = tuple(blocks)
        used_pictures = {int(n) for b in blocks for n in PICTURE_MARK.findall(b.md)}
        used_notes = {int(n) for b in blocks for n in NOTE_MARK.findall(b.md)}
        return Source(blocks, tuple(p for p in self.pictures if p.number in used_pictures), self.notes,
                      tuple(f for f in self.footnotes if f.number in used_notes), self.title)


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


# -- styles -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Style:
    id: str
    name: str
    based_on: str | None
    ppr: object  # w:pPr or None
    rpr: object  # w:rPr or None


def read_numbering(root) -> dict[tuple[str, int], str]:
    """(numId, level) -> number format (bullet, decimal, chineseCounting ...) of numbering.xml."""
    if root is None:
        return {}
    abstract = {
        a.get(w("abstractNumId")): {
            int_attribute(lvl.get(w("ilvl")), 0): (fmt.get(W_VAL) if (fmt := lvl.find(w("numFmt"))) is not None else "decimal")
            for lvl in a.findall(w("lvl"))
        }
        for a in root.findall(w("abstractNum"))
    }
    out = {}
    for num in root.findall(w("num")):
        ref = num.find(w("abstractNumId"))
        for level, fmt in abstract.get(ref.get(W_VAL) if ref is not None else None, {}).items():
            out[(num.get(w("numId")), level)] = fmt
    return out


class StyleBook:
    """A document's styles and list numbering: lookups only (each style chain worked out once)."""

    def __init__(self, styles_root=None, numbering_root=None):
        self.by_id: dict[str, Style] = {}
        self.default_id: str | None = None
        self.default_size = 0.0
        for s in styles_root.iter(w("style")) if styles_root is not None else ():
            sid = s.get(w("styleId"))
            if not sid:
                continue
            name = s.find(w("name"))
            based = s.find(w("basedOn"))
            self.by_id.setdefault(sid, Style(sid, (name.get(W_VAL) or "") if name is not None else sid,
                                             based.get(W_VAL) if based is not None else None, s.find(PPR), s.find(RPR)))
            if s.get(w("type")) == "paragraph" and (s.get(w("default")) or "").lower() in ("1", "true", "on"):
                self.default_id = self.default_id or sid
        if styles_root is not None:
            size = styles_root.find(f"{w('docDefaults')}/{w('rPrDefault')}/{RPR}/{SZ}")
            self.default_size = int_attribute(size.get(W_VAL), 0) / 2 if size is not None else 0.0
        self.numbering = read_numbering(numbering_root)
        self._chains: dict[str | None, tuple[Style, ...]] = {}
        self.formats: dict[tuple, ParagraphFormat] = {}  # (style id, direct properties) -> format

    @classmethod
    def of(cls, document) -> "StyleBook":
        """The StyleBook of a python-docx Document (for tests and tools that already hold one)."""
        try:
            numbering = document.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            numbering = None
        return cls(document.styles.element, numbering)

    def chain(self, style_id: str | None) -> tuple[Style, ...]:
        """The style (the default paragraph style when None) and the styles it is based on."""
        if style_id in self._chains:
            return self._chains[style_id]
        seen, chain = set(), []
        style = self.by_id.get(style_id or self.default_id or "")
        while style is not None and style.id not in seen:
            seen.add(style.id)
            chain.append(style)
            style = self.by_id.get(style.based_on or "")
        self._chains[style_id] = tuple(chain)
        return self._chains[style_id]

    def ordered(self, num_id: str, level: int) -> bool:
        """Whether list `num_id` numbers its items at `level` (not bullets, not unmarked)."""
        return self.numbering.get((num_id, level), "bullet") not in ("bullet", "none")


def first_property(ppr, chain: tuple[Style, ...], tag: str):
    """A paragraph property from the paragraph, else from the first style of its chain that sets it."""
    for element in [ppr] + [s.ppr for s in chain]:
        found = element.find(tag) if element is not None else None
        if found is not None:
            return found
    return None


def style_run_property(chain: tuple[Style, ...], tag: str):
    for style in chain:
        found = style.rpr.find(tag) if style.rpr is not None else None
        if found is not None:
            return found
    return None


@dataclass(frozen=True)
class ParagraphFormat:
    """What a paragraph's style and properties say about it."""

    style: str = ""  # the style's name
    heading: int = 0  # heading level (style or outline level), 0 when none
    title: bool = False  # Word's Title style
    list_level: int = -1  # -1 when not a list item
    ordered: bool = False
    centered: bool = False
    bold: bool = False  # the style makes its text bold
    size: float = 0.0  # the style's font size, points
    page_break: bool = False  # page break before
    toc: bool = False  # a TOC style
    hanging: int = 0  # hanging indent, twips
    left: int = 0  # left indent, twips
    keep_next: bool = False
    section_break: bool = False  # ends a section; the next one starts on a new page
    caption: bool = False


def heading_level(ppr, chain: tuple[Style, ...]) -> int:
    """A heading style's level anywhere in the chain, else the first outline level set."""
    for style in chain:
        if m := _HEADING_STYLE.match(style.name.strip()):
            return int(m.group(1))
    lvl = first_property(ppr, chain, OUTLINE)
    if lvl is not None:
        value = int_attribute(lvl.get(W_VAL), 9)
        return value + 1 if value < 9 else 0
    return 0


def list_position(ppr, chain: tuple[Style, ...], styles: StyleBook) -> tuple[int, bool]:
    """(list level, ordered) from the first numbering properties in the paragraph or its styles."""
    numpr = first_property(ppr, chain, NUMPR)
    if numpr is None:
        return -1, False
    num_id = numpr.find(NUMID)
    ilvl = numpr.find(ILVL)
    num = num_id.get(W_VAL) if num_id is not None else None
    level = int_attribute(ilvl.get(W_VAL), 0) if ilvl is not None else 0
    if num and num != "0":
        return level, styles.ordered(num, level)
    return -1, False


def style_list(name: str) -> tuple[int, bool]:
    """(list level, ordered) from a list style's name alone (List Bullet, 编号 ...), for list
    paragraphs without numbering properties; (-1, False) for other styles."""
    if "list bullet" in name.lower() or "项目符号" in name:
        return 0, False
    if "list number" in name.lower() or "编号" in name:
        return 0, True
    return -1, False


_DIRECT = frozenset({OUTLINE, NUMPR, JC, IND, PAGE_BREAK_BEFORE, KEEP_NEXT, SECTPR})


def paragraph_format(p, styles: StyleBook) -> ParagraphFormat:
    """The heading level, title flag, list position and layout of a w:p element. Worked out once
    per style and set of direct properties: a long document repeats a few of them."""
    ppr = p.find(PPR)
    key: list = [None]
    if ppr is not None:
        for child in ppr:
            tag = child.tag
            if tag == PSTYLE:
                key[0] = child.get(W_VAL)
            elif tag == SECTPR:
                kind = child.find(w("type"))
                key.append((tag, kind.get(W_VAL) if kind is not None else None))
            elif tag in _DIRECT:
                key.append((tag, tuple(child.attrib.items()), tuple((c.tag, tuple(c.attrib.items())) for c in child)))
    found = styles.formats.get(cache := tuple(key))
    if found is None:
        found = styles.formats[cache] = format_of(ppr if len(key) > 1 else None, styles.chain(key[0]), styles)
    return found


def format_of(ppr, chain: tuple[Style, ...], styles: StyleBook) -> ParagraphFormat:
    name = chain[0].name if chain else ""
    heading = heading_level(ppr, chain)
    list_level, ordered = list_position(ppr, chain, styles) if not heading else (-1, False)  # numbered headings
    if list_level < 0 and not heading:
        list_level, ordered = style_list(name)
    if list_level == 0 and (m := _LIST_STYLE_LEVEL.search(name.lower())):  # List Bullet 2: one level down
        list_level = int(m.group(1)) - 1
    jc = first_property(ppr, chain, JC)
    ind = first_property(ppr, chain, IND)
    size = style_run_property(chain, SZ)
    return ParagraphFormat(
        name, heading, name.strip().lower() in _TITLE_STYLES, list_level, ordered,
        centered=jc is not None and jc.get(W_VAL) == "center",
        bold=on(style_run_property(chain, B)),
        size=int_attribute(size.get(W_VAL), 0) / 2 if size is not None else styles.default_size,
        page_break=on(first_property(ppr, chain, PAGE_BREAK_BEFORE)),
        toc=bool(_TOC_STYLE.match(name.strip())),
        hanging=int_attribute(ind.get(w("hanging")), 0) if ind is not None else 0,
        left=int_attribute(ind.get(w("left")) or ind.get(w("start")), 0) if ind is not None else 0,
        keep_next=on(first_property(ppr, chain, KEEP_NEXT)),
        section_break=_section_break(ppr),
        caption=bool(_CAPTION_STYLE.match(name.strip())),
    )


def _section_break(ppr) -> bool:
    """A paragraph that ends a section which the next one starts on a new page."""
    sect = ppr.find(SECTPR) if ppr is not None else None
    if sect is None:
        return False
    kind = sect.find(w("type"))
    return kind is None or kind.get(W_VAL) not in ("continuous", "nextColumn")


# -- pictures, links, footnotes -----------------------------------------------------------


class PictureCollector:
    """The pictures a document embeds, numbered in order of first appearance."""

    def __init__(self, package: Package | None, meter: Meter | None = None):
        self.package = package
        self.meter = meter
        self.pictures: dict[str, Picture] = {}  # part name -> picture
        self.notes: list[str] = []

    def placeholders(self, element, rels: dict) -> Iterator[str]:
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
            kind, target, external = rels.get(rid, ("", "", True))
            if external or not target or self.package is None or target not in self.package.sizes:
                continue
            if self.meter is not None:
                self.meter.count("images")
            if target not in self.pictures:
                ext = posixpath.splitext(target)[1].lstrip(".").lower().replace("jpeg", "jpg")
                self.pictures[target] = Picture(len(self.pictures) + 1, self.package.blob(target), ext, alt)
            yield PICTURE.format(self.pictures[target].number)


@dataclass
class Fields:
    """Word fields open across runs and paragraphs (TOC fields span many paragraphs)."""

    stack: list[list] = field(default_factory=list)  # [instruction, past separate]

    def char(self, element) -> None:
        kind = element.get(w("fldCharType"))
        if kind == "begin":
            self.stack.append(["", False])
        elif kind == "separate" and self.stack:
            self.stack[-1][1] = True
        elif kind == "end" and self.stack:
            self.stack.pop()

    def instruction(self, text: str) -> None:
        if self.stack and not self.stack[-1][1]:
            self.stack[-1][0] += text

    @property
    def in_toc(self) -> bool:
        return bool(self.stack) and any(instr.strip().upper().startswith("TOC") for instr, _ in self.stack)


class Context:
    """What reading one document part needs: styles, relationships, pictures, footnotes, fields."""

    def __init__(self, styles: StyleBook, rels: dict, pictures: PictureCollector, notes: "FootnoteCollector | None" = None):
        self.styles, self.rels, self.pictures, self.notes = styles, rels, pictures, notes
        self.fields = Fields()
        self.toc_seen = False  # a TOC field or style met in the current paragraph
        self.size = 0.0  # the largest run size met in the current paragraph
        self.tokens = False  # a picture or footnote placeholder met in the current paragraph
        self.breaks = False  # a line or page break met in the current paragraph
        self.pending_break = False  # a page or section break at the end of the last paragraph


class FootnoteCollector:
    """Footnotes and endnotes, numbered in order of first reference in the body."""

    def __init__(self, parts: dict[str, tuple[object, dict]], styles: StyleBook, pictures: PictureCollector):
        self.parts = parts  # "footnote"/"endnote" -> (root or None, relationships)
        self.styles, self.pictures = styles, pictures
        self.found: dict[tuple[str, str], Footnote] = {}
        self._index: dict[str, dict[str, object]] = {}

    def placeholder(self, kind: str, note_id: str | None) -> str:
        key = (kind, note_id or "")
        if key not in self.found:
            element = self._element(kind, note_id)
            if element is None:
                return ""
            context = Context(self.styles, self.parts[kind][1], self.pictures)
            lines = [b.md for p in element.iter(P) for b in paragraph_blocks(p, context)]
            self.found[key] = Footnote(len(self.found) + 1, " ".join(PICTURE_MARK.sub("", s) for s in lines).strip(),
                                       "脚注" if kind == "footnote" else "尾注")
        return NOTE.format(self.found[key].number)

    def _element(self, kind: str, note_id: str | None):
        if kind not in self._index:
            root = self.parts.get(kind, (None, {}))[0]
            self._index[kind] = {n.get(w("id")): n for n in root.iter(w(kind))} if root is not None else {}
        return self._index[kind].get(note_id)


def run_pieces(r, context: Context, link: str, out: list[tuple[str, bool, str]]) -> None:
    """Appends the (text, bold, link) pieces of a w:r to `out`; pictures and footnote references
    become placeholders of their own (never bold). A list, not a generator: this runs for every
    run of the document."""
    rpr = r.find(RPR)
    bold = False
    if rpr is not None:
        for prop in rpr:
            if prop.tag == B:
                bold = on(prop)
            elif prop.tag == SZ:
                size = int_attribute(prop.get(W_VAL), 0) / 2
                if size > context.size:
                    context.size = size
    fields = context.fields.stack
    for child in r:
        tag = child.tag
        if tag == T:
            if not fields or fields[-1][1]:
                text = child.text or ""
                out.append((_PRIVATE.sub("", text) if _PRIVATE.search(text) else text, bold, link))
        elif tag == RPR:
            continue
        elif tag == INSTR:
            context.fields.instruction(child.text or "")
        elif tag == FLDCHAR:
            context.fields.char(child)
            context.toc_seen |= context.fields.in_toc
        elif tag in (TAB, PTAB):
            out.append((" ", bold, link))
        elif tag in (BR, CR):
            kind = child.get(w("type"))
            if kind == "page":
                out.append(("\n\f", False, link))
                context.breaks = True
            elif kind != "column":
                out.append(("\n", False, link))
                context.breaks = True
        elif tag == NBH:
            out.append(("-", bold, link))
        elif tag in (DRAWING, PICT, OBJECT, ALTERNATE):
            if tag == ALTERNATE:
                choice = child.find(f"{{{MC_NS}}}Choice")
                child = choice if choice is not None else child
            for token in context.pictures.placeholders(child, context.rels):
                context.tokens = True
                out.append((token, False, link))
        elif tag in (FOOTNOTE_REF, ENDNOTE_REF) and context.notes is not None:
            token = context.notes.placeholder("footnote" if tag == FOOTNOTE_REF else "endnote", child.get(w("id")))
            if token:
                context.tokens = True
                out.append((token, False, link))


def hyperlink_url(rels: dict, hyperlink) -> str:
    """The external address of a w:hyperlink, or "" (internal anchors, missing relationships)."""
    kind, target, external = rels.get(hyperlink.get(R_ID) or "", ("", "", False))
    return target if external else ""


def inline_pieces(element, context: Context, link: str = "", out: list | None = None) -> list[tuple[str, bool, str]]:
    """(text, bold, link) pieces of a paragraph (or a hyperlink, insertion ...) in order."""
    out = [] if out is None else out
    for child in element:
        tag = child.tag
        if tag == R:
            run_pieces(child, context, link, out)
        elif tag == HYPERLINK:
            inline_pieces(child, context, hyperlink_url(context.rels, child), out)
        elif tag in PASS_THROUGH:
            if tag == FLDSIMPLE and (child.get(w("instr")) or "").strip().upper().startswith("TOC"):
                context.toc_seen = True
            inline_pieces(child, context, link, out)
        # w:del (deleted text), w:pPr, bookmarks, proofing marks: nothing to show
    return out


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


def _in_toc_control(p) -> bool:
    """Whether a paragraph sits in a content control of the Table of Contents gallery."""
    parent = p.getparent()
    while parent is not None and parent.tag in TRANSPARENT:
        if parent.tag == SDT:
            gallery = parent.find(f"{w('sdtPr')}/{w('docPartObj')}/{w('docPartGallery')}")
            if gallery is not None and "contents" in (gallery.get(W_VAL) or "").lower():
                return True
        parent = parent.getparent()
    return False


def paragraph_blocks(p, context: Context) -> list[Block]:
    """One w:p -> one block per line; empty lines are dropped. A page break inside the paragraph
    marks the block after it (or the next paragraph's first block)."""
    fmt = paragraph_format(p, context.styles)
    context.toc_seen, context.size, context.tokens, context.breaks = context.fields.in_toc, 0.0, False, False
    pieces = inline_pieces(p, context)
    toc = context.toc_seen or fmt.toc or _in_toc_control(p)
    size = context.size or fmt.size
    breaking = context.pending_break or fmt.page_break
    context.pending_break = False
    blocks = []
    for line in split_lines(pieces) if context.breaks else [pieces]:
        if line and line[0][0] == "\f":  # the line after a page break (run_pieces yields "\n\f")
            breaking, line = True, line[1:]
        if not line:
            continue
        plain = "".join(t for t, _, _ in line)
        if context.tokens:
            plain = TOKEN_MARK.sub("", plain)
        plain = plain.strip(_STRIP)
        md = inline_markdown(line)
        if not plain and not (context.tokens and TOKEN_MARK.search(md)):
            continue
        texts = [b for t, b, _ in line if t[:1] not in _TOKEN_STARTS and t.strip(_STRIP)]
        bold = bool(texts) and (fmt.bold or all(texts))
        list_level, ordered = fmt.list_level, fmt.ordered
        if list_level < 0 and not fmt.heading and md:
            if md[0] in _GLYPHS:
                md, plain = _GLYPH.sub("", md, count=1), _GLYPH.sub("", plain, count=1)
                list_level, ordered = max(0, round(fmt.left / _INDENT_STEP) - 1) if fmt.hanging else 0, False
            elif fmt.hanging and _ORDINAL_MD.match(md):
                md, plain = _ORDINAL_MD.sub("", md, count=1), _ORDINAL_MD.sub("", plain, count=1)
                list_level, ordered = max(0, round(fmt.left / _INDENT_STEP) - 1), True
        blocks.append(Block("p", plain, md, fmt.heading, fmt.title, list_level, ordered, fmt.centered, bold, size,
                            breaking, toc, fmt.keep_next, fmt.caption))
        breaking = False
    context.pending_break = breaking or fmt.section_break
    return blocks


def table_rows(tbl, paragraph: Callable[[object], list[Block]]) -> list[list[str]]:
    """A w:tbl's rows as cells of inline Markdown (lines joined by "\\n"); a merged cell's
    continuation is empty and a cell spanning n columns is followed by n - 1 empty cells."""
    rows: list[list[str]] = []
    for tr in tbl.iter(TR):
        if tr.getparent() is not tbl:
            continue  # rows of nested tables are read with their cell
        row: list[str] = []
        for tc in tr.findall(TC):
            tcpr = tc.find(w("tcPr"))
            span = tcpr.find(w("gridSpan")) if tcpr is not None else None
            vmerge = tcpr.find(w("vMerge")) if tcpr is not None else None
            continued = vmerge is not None and vmerge.get(W_VAL, "continue") == "continue"
            lines = []
            if not continued:
                for p in tc.iter(P):
                    lines += [b.md for b in paragraph(p)]
            row.append("\n".join(lines))
            row += [""] * (min(int_attribute(span.get(W_VAL), 1), 64) - 1 if span is not None else 0)
        rows.append(row)
    return rows


def table_blocks(rows: list[list[str]], page_break: bool = False) -> list[Block]:
    """Table cells -> one Markdown table block; a one-column table (a framed box of text) keeps
    its paragraphs; a table without text is dropped."""
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        return []
    width = max(len(r) for r in rows)
    if width == 1:
        return [Block("p", TOKEN_MARK.sub("", line), line, page_break=page_break and i == 0)
                for i, line in enumerate(line for r in rows for line in r[0].split("\n") if line)]
    rows = [[c.replace("|", "\\|").replace("\n", "<br>") for c in r] + [""] * (width - len(r)) for r in rows]
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + " --- |" * width]
    lines += ["| " + " | ".join(r) + " |" for r in rows[1:]]
    plain = " ".join(" ".join(r) for r in rows)
    return [Block("table", plain, "\n".join(lines), page_break=page_break)]


def read_package(package: Package) -> Source:
    """Streams the body once, collecting blocks, pictures and footnotes in order."""
    styles = StyleBook(package.related_xml("styles"), package.related_xml("numbering"))
    pictures = PictureCollector(package, package.meter)
    note_parts = {}
    for kind in ("footnote", "endnote"):
        name = package.target(package.main, kind + "s")
        note_parts[kind] = (package.xml(name), package.relationships(name)) if name else (None, {})
    notes = FootnoteCollector(note_parts, styles, pictures)
    context = Context(styles, package.rels, pictures, notes)

    blocks: list[Block] = []
    for element in package.blocks():
        package.meter.tick()
        if element.tag == P:
            blocks += paragraph_blocks(element, context)
        else:  # a table: its cells are read without touching the body's page-break state
            pending = context.pending_break
            cell = Context(styles, package.rels, pictures, notes)
            blocks += table_blocks(table_rows(element, lambda p: paragraph_blocks(p, cell)), pending)
            context.pending_break = False
    core = package.xml("docProps/core.xml") if "docProps/core.xml" in package.sizes else None
    title_node = core.find(DC_TITLE) if core is not None else None
    title = " ".join((title_node.text or "").split()) if title_node is not None else ""
    return Source(tuple(blocks), tuple(pictures.pictures.values()), tuple(dict.fromkeys(pictures.notes)),
                  tuple(sorted(notes.found.values(), key=lambda f: f.number)), title)


def sniff(data: bytes) -> str:
    """What a file is by its first bytes: docx (a zip), ole (legacy .doc/.wps/.xls), pdf, rtf, other."""
    if data.startswith(b"PK"):
        return "docx"
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return "ole"
    if data.lstrip()[:5] == b"%PDF-":
        return "pdf"
    if data.startswith(b"{\\rtf"):
        return "rtf"
    return "other"


NOT_DOCX = {
    "ole": "这是旧版 Word 文件（.doc）或 WPS 文件；请在 Word/WPS 中“另存为” .docx 格式后再导入（装有 LibreOffice 时，以 .doc/.wps 为扩展名导入会自动转换）",
    "pdf": "这是 PDF 文件：导入只支持 Word 文档（.docx），不支持 PDF；请找到原始的 Word 文档，或把内容复制到 Word 中另存为 .docx",
    "rtf": "这是 RTF 文件；请在 Word/WPS 中“另存为” .docx 格式后再导入",
    "other": "这不是 Word 文档（.docx）；请在 Word/WPS 中“另存为” .docx 格式后再导入",
}


def read_docx(data: bytes, limits: Limits = LIMITS, meter: Meter | None = None) -> Source:
    """A .docx file's bytes -> its blocks, pictures and footnotes; WordError when it cannot be read
    or passes a limit. Pass a `meter` to go on counting time after the reading (recognising)."""
    kind = sniff(data)
    if kind != "docx":
        raise WordError(NOT_DOCX[kind])
    try:
        return read_package(Package(data, limits, meter))
    except WordError:
        raise
    except (KeyError, ValueError, AttributeError, TypeError, IndexError) as exc:
        raise WordError(f"Word 文档的内部结构不完整，无法读取（{type(exc).__name__}）；请在 Word 中打开后“另存为” .docx 再试") from exc


# -- inline Markdown ----------------------------------------------------------------------


def escape(text: str) -> str:
    return _SHORTCODE.sub("&#58;", _ESCAPE.sub(r"\\\1", _ENTITY.sub("&amp;", text)).replace("<", "&lt;"))


def escape_heading(text: str) -> str:
    """`escape` for a heading's text: a `#` at its end written `\\#`, or Markdown would take it
    for the heading's closing sequence and drop it (validate: markup.lost_closing_hashes)."""
    out = escape(text).rstrip()
    return out[:-1] + "\\#" if out.endswith("#") else out


_TOKEN_STARTS = ("\ue000", "\ue002")


def _token(text: str) -> bool:
    """A picture or footnote placeholder (run_pieces yields each as a piece of its own)."""
    return text[:1] in _TOKEN_STARTS


def inline_markdown(pieces: list[tuple[str, bool, str]]) -> str:
    """(text, bold, link) pieces -> one line of Markdown; adjacent pieces alike are merged."""
    merged: list[list] = []
    for text, bold, link in pieces:
        token = _token(text)
        bold = bold and not token and bool(text.strip(_STRIP))
        if merged and not token and merged[-1][1] == bold and merged[-1][2] == link and not _token(merged[-1][0]):
            merged[-1][0] += text
        else:
            merged.append([text, bold, link])
    out = []
    for text, bold, link in merged:
        if _token(text):
            out.append(text)
            continue
        core = escape(text.strip(_STRIP)) if bold else escape(text)
        if bold:
            lead = text[: len(text) - len(text.lstrip(_STRIP))]
            trail = text[len(text.rstrip(_STRIP)):]
            core = f"{lead}**{core}**{trail}"
        if kept_link(link) and text.strip():  # the links the site keeps
            core = f"[{core}]({link.replace(' ', '%20').replace('(', '%28').replace(')', '%29')})"
        out.append(core)
    line = "".join(out).strip(_STRIP)
    return literal_start(line)
