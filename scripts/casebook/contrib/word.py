"""Word (.docx) case documents -> drafts. Pure: bytes in, values out.

Two stages, so the caller can choose where pictures go before the body is written:

- `read_docx(data)` -> `Source` (docxtext.py): the document's paragraphs and tables in order, as
  plain text (for recognising headings and fields) and inline Markdown, plus the pictures and
  footnotes it holds, read within docxfile.Limits;
- `to_draft(source, taxonomy, picture_paths)` -> `Draft`: the title, the fields it can
  recognise (`单位：...`), the body mapped onto the schema's sections, and notes for a person.

Headings are recognised whether they use Word's heading styles or the usual plain numbered
lines of Chinese reports (`一、基本情况`, `（一）建立车队`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from ..core.markup import with_shown_numbers
from ..core.rules import OUTLINE_NUMBERS, SECTION_SYNONYMS, heading_key, section_of
from ..core.model import Taxonomy
from ..core.schema import BASICS_SECTION, FIELDS, INCOMPLETE_MARK, INCOMPLETE_NOTE, PRACTICE_SECTION
from .docxtext import NOTE_MARK, PICTURE_MARK, TOKEN_MARK, Block, Footnote, Picture, Source, escape, escape_heading
from .docxtext import picture_names, read_docx  # noqa: F401 - the single import's two stages meet here
from .drafts import Draft, recognise, section_notes

_LEVEL1, _LEVEL2, _LEVEL3 = (re.compile(rf"^{n}\s*(\S.*)$") for n in OUTLINE_NUMBERS[:3])  # 1．: bold, short lines only
_ATTACHMENT = re.compile(r"^附件\s*[0-9一二三四五六七八九十]*\s*[:：]?$")
HEADING_MAX = 30  # characters: longer numbered lines are paragraphs, not headings
RUN_IN = "。：:"  # （一）建立车队。车队由……: the heading ends at the first of these
SENTENCE_END = "。！？；;!?，,：:"  # a line ending in one of these is a sentence, not a heading
# The organisation on its own line under the title (no "单位：" label): how such names end.
_ORG_END = re.compile(r"(公司|集团|党委|党支部|支部|总支|党组|委员会|工委|协会|商会|学会|研究会|联合会|促进会|基金会|合作社|"
                      r"中心|厂|店|所|院|校|学校|医院|银行|社区|村|街道|镇|乡|园区|部|局|站|办|分会|党组织)$")
ORG_MAX = 40

# `单位：某某公司` lines: the schema's labels, plus the other words people use for them.
FIELD_WORDS: dict[str, str] = {
    **{f.label: f.key for f in FIELDS if f.key not in ("id", "featured", "status", "cover")},
    "案例名称": "title", "单位名称": "organization", "所在单位": "organization",
    "所在地区": "region", "所属地区": "region", "所属行业": "industry", "案例类别": "category",
    "关键词": "tags", "内容摘要": "summary", "资料来源": "source", "出处": "source",
}
# 单位：某某公司 / （地区：永康市） / 摘要　…… (the 案例汇编 prints the summary after a full-width space)
_FIELD_LINE = re.compile(r"^(?P<open>[（(])?\s*(?P<word>" + "|".join(sorted(map(re.escape, FIELD_WORDS), key=len, reverse=True))
                         + r")(?:\s*[:：]|\u3000)\s*(?P<value>.*?)\s*(?(open)[）)])$")
SOURCE_WORDS = {w for w, k in FIELD_WORDS.items() if k == "source"}  # recognised anywhere

_STRIP = " \t\u3000\xa0"
CAPTION = "\ue005{}\ue006"  # the caption of the picture placeholder before it
_CAPTIONED = re.compile("\ue000(\\d+)\ue001(?:\ue005([^\ue006]*)\ue006)?")
_INCOMPLETE_PRINTED = re.sub(r"\W", "", INCOMPLETE_MARK + INCOMPLETE_NOTE)  # a 待补充 section as the 汇编 prints it


# -- recognising --------------------------------------------------------------------------


def numbered(block: Block) -> tuple[int, str, str] | None:
    """A plain numbered heading line -> (1, 2 or 3, heading text, rest of the line), or None."""
    if block.kind != "p" or block.list_level >= 0 or TOKEN_MARK.search(block.md):
        return None
    for level, pattern in ((1, _LEVEL1), (2, _LEVEL2), (3, _LEVEL3)):
        m = pattern.match(block.text)
        if not m:
            continue
        text = m.group(1).strip(_STRIP)
        if level == 3:  # 1. is also how lists are typed: a heading only in bold (as official documents
            # set their third level), short and not a sentence
            ok = block.bold and len(text) <= HEADING_MAX and not text.endswith(tuple(SENTENCE_END))
            return (3, text, "") if ok else None
        cut = min((i for i in (text.find(c) for c in RUN_IN) if i > 0), default=-1)
        if cut > 0 and cut <= HEADING_MAX:
            return level, text[:cut].strip(_STRIP), text[cut + 1:].strip(_STRIP)
        if len(text) <= HEADING_MAX:
            return level, text.rstrip("。；;"), ""
        return None
    return None


def unnumbered_heading(block: Block) -> bool:
    """A line that is only a section name (`基本情况`, `主要举措：`): a heading without a number."""
    if block.kind != "p" or block.list_level >= 0 or PICTURE_MARK.search(block.md) or len(block.text) > 12 or block.text.endswith("。"):
        return False
    key = heading_key(block.text)
    return len(key) >= 4 and any(key in words for words in SECTION_SYNONYMS.values())


def bold_heading(block: Block) -> bool:
    """A short line all in bold (a subheading typed by hand, or as the 案例汇编 prints `###`)."""
    if block.kind != "p" or not block.bold or block.list_level >= 0 or block.heading or TOKEN_MARK.search(block.md):
        return False
    limit = 60 if block.keep_next else HEADING_MAX
    return 0 < len(block.text) <= limit and not block.text.endswith(tuple(SENTENCE_END))


def heading_text(block: Block) -> str:
    """A heading's text without its Chinese numbering (一、 / （一）)."""
    n = numbered(block)
    return n[1] if n and not n[2] else block.text


def field_line(block: Block) -> tuple[str, str] | None:
    """`单位：某某公司` -> ("organization", "某某公司")."""
    if block.kind != "p" or block.heading or block.list_level >= 0:
        return None
    m = _FIELD_LINE.match(block.text)
    return (m.group("word"), m.group("value")) if m else None


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


def find_title(source: Source) -> str | None:
    """The title to_draft will give the document (to name its file before the pictures)."""
    return take_title(list(source.blocks))[0]


def take_organization(blocks: list[Block]) -> str | None:
    """The organisation on its own line right under the title (centred, or a name that ends like
    one: 公司, 党支部, 协会 ...), when no `单位：` line names it. Removes it from `blocks`."""
    if not blocks or any((fl := field_line(b)) and FIELD_WORDS[fl[0]] == "organization" for b in blocks):
        return None
    b = blocks[0]
    if b.kind != "p" or b.heading or b.list_level >= 0 or TOKEN_MARK.search(b.md) or field_line(b) or heading_text(b) != b.text:
        return None
    text = re.sub(r"^[—–-]+\s*", "", b.text).strip(_STRIP)
    text = re.sub(r"^[（(](.*)[）)]$", r"\1", text).strip(_STRIP)
    text = re.sub(r"\s*(供稿|推荐|报送|撰稿|提供)$", "", text)
    if not 2 <= len(text) <= ORG_MAX or any(c in text for c in SENTENCE_END) or section_of(text):
        return None
    if not (b.centered or b.text.startswith(("—", "–")) or _ORG_END.search(text)):
        return None
    blocks.pop(0)
    return " ".join(text.split())


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
    if bold_heading(block):
        return 3, block.text, ""
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
                sections.append(_Section(PRACTICE_SECTION, []))
            self.add("heading", f"### {escape_heading(text)}")
        elif name and any(s.title == name for s in sections):
            notes.append(f"章节“{text}”与前面的“{name}”重复，已作为其中的小标题；请核对")
            self.add("heading", f"### {escape_heading(text)}")
        elif name:
            if heading_key(text) != name:
                notes.append(f"章节标题“{text}”已对应为“{name}”")
            sections.append(_Section(name, []))
        else:
            notes.append(f"章节“{text}”不是标准章节，原样保留为 `## {text}`；请核对它应归入哪一节")
            sections.append(_Section(escape_heading(text), []))

    def block(self, b: Block) -> None:
        if not self.sections and _ATTACHMENT.match(b.text):
            return
        if b.kind == "p" and re.sub(r"\W", "", b.text) == _INCOMPLETE_PRINTED:
            self.add("para", INCOMPLETE_MARK)
            return
        items = self.sections[-1].items if self.sections else self.intro
        if b.caption and b.text and not TOKEN_MARK.search(b.md) and items and PICTURE_MARK.fullmatch(items[-1][1]):
            items[-1] = (items[-1][0], items[-1][1] + CAPTION.format(b.text))  # a caption under a picture describes it
            return
        fl = field_line(b)
        if fl and (not self.sections or fl[0] in SOURCE_WORDS):
            self.take_field(*fl)
            return
        level, text, rest = heading_of(b, self.layout)
        if level == 2:
            self.section(text)
        elif level:
            self.add("heading", f"{'#' * min(level, 4)} {escape_heading(text)}")
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
        first = next((s for s in self.sections if s.title == BASICS_SECTION), None)
        if first is None:
            first = _Section(BASICS_SECTION, [])
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
    if (organization := take_organization(blocks)) is not None:
        builder.meta["organization"] = organization
    for b in blocks:
        builder.block(b)
    take_cover(builder, picture_paths)
    builder.finish_intro()
    place_footnotes(builder.sections, source.footnotes, notes)

    body = [(s.title, render_items(s.items, source.pictures, picture_paths)) for s in builder.sections]
    body = [(t, text or INCOMPLETE_MARK) for t, text in body]
    notes += section_notes(body)
    for p in source.pictures:
        if not p.usable:
            notes.append(f"第 {p.number} 张图片是 {p.ext.upper()} 格式，网页无法显示，没有导入；请转换为 PNG 或 JPG 后放入 assets/ 并引用")
    return Draft(tuple(builder.meta.items()), tuple(body), tuple(dict.fromkeys(notes)))


def take_cover(builder: DraftBuilder, picture_paths: Mapping[int, str]) -> None:
    """A picture on its own before any text of the body is the case's cover."""
    if not builder.intro or "cover" in builder.meta:
        return
    kind, md = builder.intro[0]
    m = PICTURE_MARK.fullmatch(md)
    if kind == "para" and m and int(m.group(1)) in picture_paths:
        builder.meta["cover"] = picture_paths[int(m.group(1))]
        builder.intro.pop(0)
        builder.notes.append(f"正文前的图片已作为封面（cover: {builder.meta['cover']}），请核对")


def place_footnotes(sections: list[_Section], footnotes: tuple[Footnote, ...], notes: list[str]) -> None:
    """Footnote marks become （注1）, numbered in this case; each note's text goes at the end of the
    section that first refers to it (注1：……)."""
    by_number = {f.number: f for f in footnotes}
    numbers: dict[int, int] = {}
    for section in sections:
        placed: list[tuple[str, str]] = []

        def mark(m: re.Match) -> str:
            n = int(m.group(1))
            if n not in by_number:
                return ""
            if n not in numbers:
                numbers[n] = len(numbers) + 1
                placed.append(("para", f"注{numbers[n]}：{by_number[n].md}"))
            return f"（注{numbers[n]}）"

        section.items[:] = [(kind, NOTE_MARK.sub(mark, md)) for kind, md in section.items]
        section.items.extend(placed)
    if numbers:
        notes.append(f"{len(numbers)} 条脚注（尾注）已保留：正文中写作“（注1）”，注文放在所在章节的末尾，请核对")
    lost = [f for f in footnotes if f.number not in numbers]
    if lost:
        notes.append(f"{len(lost)} 条脚注在标题或字段中，没有保留：" + "；".join(f.md for f in lost)[:200])


def render_items(items: list[tuple[str, str]], pictures: tuple[Picture, ...], paths: Mapping[int, str]) -> str:
    by_number = {p.number: p for p in pictures}

    def picture(m: re.Match) -> str:
        n = int(m.group(1))
        p = by_number.get(n)
        if n in paths and p is not None:
            alt = escape((m.group(2) if m.group(2) is not None else p.alt).replace("\n", " "))
            return f"![{alt}]({paths[n]})"
        ext = p.ext.upper() if p is not None else "未知"
        return f"（此处原有一张 {ext} 格式的图片，待转换后补上）"

    out: list[str] = []
    top = ""  # the kind of the current list's first-level items: list- or list1.
    for kind, md in items:
        same_list = kind.startswith("list") and top and (kind == "list" or kind == top)
        if out:
            out.append("\n" if same_list else "\n\n")
        out.append(_CAPTIONED.sub(picture, md))
        top = (kind if kind != "list" else top) if kind.startswith("list") else ""
    # Word's numbered paragraphs come as `1.` each: written with the numbers the page shows (E426)
    return with_shown_numbers("".join(out).strip("\n"))

