"""Writing lints over a case body (W304-W306): what a careful editor found by hand in the shipped
cases, where a rule can find it.

- W304: an item (or paragraph) of `## 主要做法` that only says the source is silent
  ("车队如何组织，讲话没有介绍。"): the section is for what was done.
- W305: a block of `## 经验启示` that carries figures: facts belong in 主要做法 or 取得成效.
- W306: a note to editors in the reader's text ("本案例的单位写作……", "组织类型写“……”").

Pure functions over the body's text (code already blanked, see scan.prose_text); each returns
(file line, code, message) tuples for the validator to add.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from . import scan
from .model import Section
from .schema import FIELDS, INCOMPLETE_MARK, LESSONS_SECTION, PRACTICE_SECTION


@dataclass(frozen=True)
class Block:
    """A paragraph, list item, table row or heading of a section, its lines joined."""

    kind: str  # item | paragraph | table | heading
    lines: tuple[tuple[int, str], ...]  # (file line, text without the block's marker)

    @property
    def line(self) -> int:
        return self.lines[0][0]

    @property
    def text(self) -> str:
        return "".join(text.strip() for _, text in self.lines)


_ITEM = re.compile(r"^[ \t]*(?:[-*+]|\d{1,9}[.)])(?:[ \t]+|$)")
_HEADING = re.compile(r"^ {0,3}#{1,6}(?:[ \t]|$)")
_BREAK = re.compile(r"^ {0,3}(?:(?:-[ \t]*){3,}|(?:=[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,})$")
_QUOTE_MARK = re.compile(r"^ {0,3}(?:>[ \t]?)+")
_MARK_CHARS = frozenset("-*+#|>=_0123456789")  # a line starting otherwise is plain text


def blocks(lines: Sequence[str], first_line: int) -> Iterator[Block]:
    """The blocks of Markdown lines (a section's, code blanked): a blank line, a new list item, a
    heading, a table row or a thematic break ends a block; other lines continue it. Blockquote
    marks are dropped (a quoted paragraph is still a paragraph)."""
    kind, current = "", []
    for i, line in enumerate(lines):
        first = line.lstrip()[:1]
        if first and first not in _MARK_CHARS:  # the usual line: plain text, no block marker
            if current and kind in ("item", "paragraph"):
                current.append((first_line + i, line))
                continue
            if current:
                yield Block(kind, tuple(current))
            kind, current = "paragraph", [(first_line + i, line)]
            continue
        line = _QUOTE_MARK.sub("", line)
        blank = not line.strip() or _BREAK.match(line)
        starts = blank or _HEADING.match(line) or line.lstrip().startswith("|") or _ITEM.match(line)
        if current and kind in ("item", "paragraph") and not starts:
            current.append((first_line + i, line))  # a continuation line (lazy or indented)
            continue
        if current:
            yield Block(kind, tuple(current))
            current = []
        if blank:
            continue
        if _HEADING.match(line):
            kind, text = "heading", line.lstrip(" #")
        elif line.lstrip().startswith("|"):
            kind, text = "table", line
        elif m := _ITEM.match(line):
            kind, text = "item", line[m.end():]
        else:
            kind, text = "paragraph", line
        current = [(first_line + i, text)]
    if current:
        yield Block(kind, tuple(current))


def section_lines(sections: Sequence[Section], lines: Sequence[str], body_line: int) -> Iterator[tuple[Section, int, list[str]]]:
    """(section, file line of its first content line, its lines) for each section of a body
    whose lines are `lines` (the first at file line body_line)."""
    for i, s in enumerate(sections):
        start = s.line - body_line + 1
        end = sections[i + 1].line - body_line if i + 1 < len(sections) else len(lines)
        yield s, body_line + start, list(lines[start:end])


# -- W304: a practice item that only says the source is silent ----------------------------------

_SOURCE_WORDS = ("讲话", "来源", "原文", "资料", "材料", "报道", "文件", "文章", "发言", "汇报", "文中", "原稿", "讲稿")
_SOURCE = "(?:" + "|".join(_SOURCE_WORDS) + ")"
_NOT_SAID = (
    r"(?:都|也|均|并|还|则|尚|暂|亦)?(?:没有|没|未|并未|尚未|未曾|不曾)"
    r"(?:具体|详细|明确|专门|逐一|进一步|再)?"
    r"(?:介绍|说明|说到|说|提到|提及|谈到|谈及|写明|写到|交代|披露|列出|列举|举出|举例|涉及|讲到|给出|记载|记录)(?:过)?"
)
# A clause saying the source is silent, from its start ("讲话没有介绍", "对此讲话也未说明具体人数").
_SILENT_CLAUSE = re.compile(rf"^(?:但|而|对此|此外|另外|这些|其中|具体|至于)?{_SOURCE}(?:中|里|里面|上)?{_NOT_SAID}")
_PENDING = INCOMPLETE_MARK
_SENTENCE_END = re.compile(r"[。！？!?；;]")
_CLAUSE_END = re.compile(r"[，,：:]")
_ASIDE = re.compile(r"（[^（）]*）|\([^()]*\)")
_MARKUP = re.compile(r"\*\*|__|[*_`]")


def _may_say_silence(text: str) -> bool:
    """A quick test before any splitting (plain `in` tests: re is slow on CJK text): a silence
    note names a source and a negation, or says 待补充."""
    return _PENDING in text or (
        ("没" in text or "未" in text or "不曾" in text) and any(w in text for w in _SOURCE_WORDS))


def says_only_silence(text: str) -> bool:
    """True when every sentence of the text only says the source is silent: "X，讲话没有介绍。",
    "讲话没有说明具体做法。", "人数：待补充". A sentence that states something and adds what the
    source leaves out ("公司建了活动室，规模讲话没有介绍") is left alone."""
    if not _may_say_silence(text):
        return False
    text = _MARKUP.sub("", text)
    text = scan.without_quotes(text)
    plain = _ASIDE.sub("", text).strip()
    if not plain:  # the whole item is an aside: judge what it says
        plain = text.strip().strip("（）()")
    sentences = [s.strip() for s in _SENTENCE_END.split(plain) if s.strip()]
    return bool(sentences) and all(_silent_sentence(s) for s in sentences)


def _silent_sentence(sentence: str) -> bool:
    clauses = [c.strip() for c in _CLAUSE_END.split(sentence) if c.strip()]
    if not clauses:  # only commas and colons: says nothing either way
        return True
    last = clauses[-1]
    if len(clauses) == 1:  # "讲话没有介绍具体做法", "具体做法待补充"
        return bool(_SILENT_CLAUSE.match(last)) or last.endswith(_PENDING)
    # "车队如何组织，讲话没有介绍": the last clause is the bare predicate, the rest its topic
    m = _SILENT_CLAUSE.match(last)
    return (m is not None and m.end() == len(last)) or last == _PENDING


def silence_findings(block: Block) -> list[tuple[int, str, str]]:
    if block.kind not in ("item", "paragraph") or not says_only_silence(block.text):
        return []
    shown = block.text if len(block.text) <= 30 else block.text[:30] + "…"
    what = "这一条" if block.kind == "item" else "这一段"
    return [(block.line, "W304", (
        f"`## {PRACTICE_SECTION}` 中{what}只说来源没有介绍（“{shown}”）；主要做法只写做了什么："
        "来源没有说的，在基本情况里写一句，整节都没有时写“待补充”"
    ))]


# -- W305: figures in the lessons ---------------------------------------------------------------

# What is not read as the writer's figures: link and image targets, HTML tags, attribute lists,
# footnote references.
_NOT_PROSE = re.compile(r"\]\([^)]*\)|<[^>]*>|\{[^}\n]*\}|\[\^[^\]]*\]")


def figure_findings(block: Block) -> list[tuple[int, str, str]]:
    if block.kind == "heading":
        return []
    for line, text in block.lines:
        if not scan.FIGURE_DIGIT.search(text):
            continue
        numbers = scan.figures(_NOT_PROSE.sub(" ", text))
        if numbers:
            return [(line, "W305", (
                f"`## {LESSONS_SECTION}` 中这一段有数字“{numbers[0]}”；具体的事实和数字写在主要做法或取得成效中，"
                "经验启示只写从中得出的经验和评价"
            ))]
    return []


# -- W306: notes to editors in the reader's text -----------------------------------------------

_WRITE = r"(?:写作|写成|写为|填写为|填作|填成|填为|记作|标为|标作|写|填)"
# "本案例的单位写作……", "本页组织类型填……": the case talking about its own fields
_LABELS = "|".join(re.escape(f.label) for f in sorted(FIELDS, key=lambda f: -len(f.label)))  # every field's name
_ABOUT_FIELDS = rf"本(?:案例|篇|页|条)的?(?:{_LABELS})(?:一栏|字段|一项)?{_WRITE}"
# "组织类型写“来源未说明”": a field's value prescribed in quotes (fields that have no other
# everyday meaning before 写/填 + a quote)
_FIELD_VALUE = rf"(?:组织类型|党组织类型|单位名称|单位|类别|标签|摘要|编号)(?:一栏|字段|一项)?{_WRITE}[“\"「]"
EDITOR_NOTE = re.compile(rf"{_ABOUT_FIELDS}|{_FIELD_VALUE}")
_SELF = ("本案例", "本篇", "本页", "本条")


def _may_be_editor_note(text: str) -> bool:
    return any(w in text for w in _SELF) or (("写" in text or "填" in text) and ("“" in text or '"' in text or "「" in text))


def editor_note_findings(lines: Sequence[str], body_line: int) -> list[tuple[int, str, str]]:
    out = []
    for i, line in enumerate(lines):
        if not _may_be_editor_note(line):
            continue
        if m := EDITOR_NOTE.search(line):
            end = min([j for j in (line.find(p, m.end()) for p in "。；;\n") if j != -1] or [len(line)])
            shown = line[m.start():end]
            shown = shown if len(shown) <= 30 else shown[:30] + "…"
            out.append((body_line + i, "W306", (
                f"正文中“{shown}”是写给编者的说明（字段怎么填写）；请移到 front matter 的注释"
                "（以 # 开头的行）里，或删去，正文只写读者需要的内容"
            )))
    return out


def comment_findings(lines: Sequence[str], body_line: int) -> list[tuple[int, str, str]]:
    """W306 at each line that opens an HTML comment (code blanked): hidden on the page and in the
    book, it is still in the repository's file and in the data export (cases.json), where anyone
    reads it; a note to editors belongs in a front-matter comment (the export leaves those out)."""
    return [(body_line + i, "W306", (
        "正文中的 HTML 注释 `<!-- … -->` 在网页和案例汇编上看不到，但仓库里的文件和数据导出 cases.json 里都能看到；"
        "写给编者的说明请移到 front matter 的注释（以 # 开头的行）里，或删去"))
        for i, line in enumerate(lines) if "<!--" in line]


# -- all ----------------------------------------------------------------------------------------

def body_lints(sections: Sequence[Section], prose: str, body_line: int) -> list[tuple[int, str, str]]:
    """W304-W306 for a body: `prose` is the body with code blanked (scan.prose_text), line for line.
    Each rule first searches the whole text for a hint; most bodies are decided there."""
    out: list[tuple[int, str, str]] = []
    lines: list[str] | None = None
    if _may_be_editor_note(prose):
        lines = prose.split("\n")
        out += editor_note_findings(lines, body_line)
    if "<!--" in prose:
        lines = lines if lines is not None else prose.split("\n")
        out += comment_findings(lines, body_line)
    for i, section in enumerate(sections):
        if section.title == PRACTICE_SECTION:
            if not _may_say_silence(section.text):
                continue
            rule = silence_findings
        elif section.title == LESSONS_SECTION and scan.FIGURE_DIGIT.search(section.text):
            rule = figure_findings
        else:
            continue
        if section.incomplete:
            continue
        lines = lines if lines is not None else prose.split("\n")
        _, first, section_text = next(section_lines(sections[i:i + 2], lines, body_line))
        for block in blocks(section_text, first):
            out += rule(block)
    return out
