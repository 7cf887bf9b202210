"""A 案例汇编 (one Word document of many cases) -> one draft per case, and what was skipped.

`split(source)` finds where each case starts, in either kind of compilation:

- one that uses Word's heading styles (as `casebook book --format docx` writes it): the level
  whose headings name the standard sections (基本情况 ...) holds the sections, the level just
  above holds the case titles, and higher levels are the 篇 that group them;
- a hand-made one: sections are numbered lines (一、基本情况) or lines that are only a section
  name; a new case begins where the sections start over, and its title is the line before them
  that looks most like a title (a page break before it, centred, bold, larger, 案例1 ……).

What comes before the first case (cover, table of contents, 前言/编者按), the 篇 titles between
cases and what follows the last case (后记, 附录 ...) are skipped and listed. `plan_split` turns
the cases into drafts (word.to_draft for each, one home for every rule of single import) with
ids, pictures and what is still unfilled; nothing is written here. Pure.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from ..core.model import Taxonomy
from ..core.rules import parse_date_text
from ..core.schema import FIELD_BY_KEY, FIELDS, ID_PATTERN, SECTION_ORDER
from .docxtext import TOKEN_MARK, Block, Source, picture_names
from .drafts import Draft, derive_id, personal_data_notes, recognise, render_draft
from ..core.rules import heading_key, outline_number, section_of
from .word import SENTENCE_END, field_line, heading_text, numbered, to_draft, unnumbered_heading

TITLE_MAX = 60  # characters: a longer line is not a case title
# 案例1 …… / 案例一：…… / 典型案例 3 / 第12个案例: the compilation's own numbering of its cases.
_CASE_NUMBER = re.compile(r"^(?:典型)?案例\s*[0-9０-９一二三四五六七八九十百]+\s*[:：、.．\s]?\s*|^第\s*[0-9一二三四五六七八九十百]+\s*个?案例\s*[:：、.．\s]?\s*")
# 第一篇　党建工作法 / 第二部分 …… / 非公企业篇: the 篇 that group cases.
_PART = re.compile(r"^第\s*[一二三四五六七八九十百0-9]+\s*(?:篇|部分|章|编|辑|单元)\s*[:：、.．\s]*(.*)$")
_PART_SUFFIX = re.compile(r"^(.{2,12})篇$")
_TOC_LINE = re.compile(r"(?:\.{3,}|…{2,}|·{3,}|\s)\s*\d{1,4}$")  # 标题……12: a contents line
FRONT_WORDS = {"目录": "目录", "目次": "目录", "前言": "前言", "序言": "前言", "序": "前言", "卷首语": "前言",
               "编者按": "编者按", "编者的话": "编者按", "编辑说明": "编者按", "出版说明": "编者按", "编写说明": "编者按", "说明": "编者按"}
BACK_WORDS = {"后记": "后记", "编后记": "后记", "编后语": "后记", "编后": "后记", "致谢": "后记", "结束语": "后记",
              "附录": "附录", "编委会": "编委会", "编辑委员会": "编委会", "参考文献": "附录"}
_YEAR = re.compile(r"((?:19|20)\d{2}|[一二][〇零九][〇零一二三四五六七八九]{2})\s*(?:年|-|\.|/|）|\))")
_CHINESE_DIGITS = str.maketrans("〇零一二三四五六七八九", "00123456789")
# Fields a 篇 title can give its cases (in this order), when the case does not name them itself.
PART_FIELDS = ("category", "org_type", "region", "industry")


@dataclass(frozen=True)
class Skipped:
    kind: str  # 封面 | 目录 | 前言 | 编者按 | 篇名 | 后记 | 附录 | 编委会 | 其他
    first: str  # its first line
    blocks: int  # how many lines and tables


@dataclass(frozen=True)
class CasePart:
    blocks: tuple[Block, ...]  # the title first
    part: str = ""  # the 篇 it sits in (its name without 第一篇)


@dataclass(frozen=True)
class Compilation:
    title: str
    year: int | None
    cases: tuple[CasePart, ...]
    skipped: tuple[Skipped, ...]
    date: dt.date | None = None  # a full date on the cover (2023年12月4日), if any

    @property
    def source(self) -> str:
        """What a case of this compilation names as its source: 《汇编名》（2023年）."""
        name = self.title.strip("《》 ")
        if not name:
            return ""
        year = f"（{self.year}年）" if self.year and str(self.year) not in name else ""
        return f"《{name}》{year}"


# -- recognising lines ---------------------------------------------------------------------


def standard_section(b: Block) -> str | None:
    """The standard section a heading line names (styled, 一、基本情况, or the name alone)."""
    if b.kind != "p" or b.toc:
        return None
    if b.heading or ((n := numbered(b)) and n[0] == 1 and not n[2]) or unnumbered_heading(b):
        return section_of(heading_text(b))
    return None


def word_of(b: Block, words: dict[str, str]) -> str | None:
    if b.kind != "p" or len(b.text) > 12:
        return None
    return words.get(heading_key(b.text))


def part_name(b: Block) -> str | None:
    """The name of a 篇 title line (第一篇　党建工作法 -> 党建工作法), or None."""
    if b.kind != "p" or b.toc or len(b.text) > 30:
        return None
    if m := _PART.match(b.text):
        return m.group(1).strip() or b.text
    if (m := _PART_SUFFIX.match(b.text)) and (b.centered or b.bold or b.heading or b.page_break):
        return m.group(1)
    return None


def title_like(b: Block) -> bool:
    """A line that could be a case title: short, not a sentence, not a field or a section."""
    return (b.kind == "p" and not b.toc and b.list_level < 0 and 2 <= len(b.text) <= TITLE_MAX
            and not b.text.endswith(tuple(SENTENCE_END)) and not TOKEN_MARK.search(b.md) and not _TOC_LINE.search(b.text)
            and field_line(b) is None and standard_section(b) is None and part_name(b) is None
            and not ((n := numbered(b)) and n[0] > 1)  # （一）…… and 1．……: subheadings inside a case
            and word_of(b, FRONT_WORDS) is None and word_of(b, BACK_WORDS) is None)


def title_score(b: Block, body_size: float) -> int:
    """How much a title-like line looks like a case title."""
    if not title_like(b):
        return 0
    score = 2 * b.page_break + 2 * b.centered + b.bold + (body_size > 0 and b.size >= body_size + 2) + 2 * (b.title or b.heading > 0)
    return score + (3 if _CASE_NUMBER.match(b.text) else 0)


def body_size(blocks: Iterable[Block]) -> float:
    """The font size most of the text is set in (weighted by length)."""
    sizes: Counter[float] = Counter()
    for b in blocks:
        if b.kind == "p" and b.size:
            sizes[b.size] += len(b.text)
    return sizes.most_common(1)[0][0] if sizes else 0.0


# -- where the cases are ------------------------------------------------------------------


def styled_starts(blocks: tuple[Block, ...]) -> tuple[list[int], int]:
    """Case titles of a compilation with heading styles: (their indices, the case level), or ([], 0)."""
    sections = [i for i, b in enumerate(blocks) if b.heading and standard_section(b)]
    if not sections:
        return [], 0
    section_level = Counter(blocks[i].heading for i in sections).most_common(1)[0][0]
    above = []
    for i in sections:
        j = next((j for j in range(i - 1, -1, -1) if blocks[j].heading and not blocks[j].toc and blocks[j].heading < section_level), None)
        if j is not None:
            above.append(blocks[j].heading)
    if not above:
        return [], 0
    level = Counter(above).most_common(1)[0][0]
    starts = [i for i, b in enumerate(blocks) if b.heading == level and b.kind == "p" and not b.toc
              and word_of(b, FRONT_WORDS) is None and word_of(b, BACK_WORDS) is None and part_name(b) is None]
    return starts, level


def plain_starts(blocks: tuple[Block, ...]) -> list[int]:
    """Case titles of a hand-made compilation: where the standard sections start over, the most
    title-like line before them; and every line numbered as a case (案例1 ……)."""
    size = body_size(blocks)
    explicit = [i for i, b in enumerate(blocks) if title_like(b) and _CASE_NUMBER.match(b.text)]
    runs: list[tuple[int, int, bool]] = []  # (first section heading, last one before it, a repeat only)
    last_rank, last_at = 99, -1
    for i, b in enumerate(blocks):
        name = standard_section(b)
        if name is None:
            continue
        rank = SECTION_ORDER.index(name)
        if rank <= last_rank:
            runs.append((i, last_at, rank == last_rank))
        last_rank, last_at = rank, i
    starts = set(explicit)
    for run, previous, repeat in runs:
        window = range(previous + 1, run)
        if any(i in starts for i in window):
            continue
        if previous < 0:  # the first case: after the cover, contents and preface
            front = [i for i in window if blocks[i].toc or word_of(blocks[i], FRONT_WORDS)]
            window = range(front[-1] + 1, run) if front else window
        scored = [(title_score(blocks[i], size), i) for i in window]
        best = max((s for s, _ in scored), default=0)
        if best >= 2:  # ties: the earliest (a title comes before the organisation line)
            starts.add(min(i for s, i in scored if s == best))
            continue
        if repeat and previous >= 0:
            continue  # the same section twice (主要做法, then 具体做法) without a title between: one case
        title = fallback_title(blocks, window)
        if title is not None:
            starts.add(title)
    return sorted(starts)


def fallback_title(blocks: tuple[Block, ...], window: range) -> int | None:
    """Without formatting to go by: going back from the sections, past the sentences of the
    introduction, the first line of the last group of short lines (title, organisation, fields)."""
    i = window.stop - 1
    while i >= window.start and blocks[i].kind == "p" and blocks[i].text.endswith(tuple(SENTENCE_END)) and field_line(blocks[i]) is None:
        i -= 1
    first = None
    while i >= window.start and (title_like(blocks[i]) or field_line(blocks[i]) is not None):
        if title_like(blocks[i]):
            first = i
        i -= 1
    return first


def back_matter(blocks: tuple[Block, ...], after: int, level: int) -> int:
    """Where the back matter (后记, 附录 ...) begins after the last case title, or len(blocks)."""
    for i in range(after + 1, len(blocks)):
        b = blocks[i]
        if word_of(b, BACK_WORDS) and (b.heading and (not level or b.heading <= level) or b.centered or b.bold or b.page_break or b.title):
            return i
    return len(blocks)


def front_matter(blocks: tuple[Block, ...]) -> list[Skipped]:
    """The cover, contents and prefaces before the first case, as skipped pieces."""
    pieces: list[list] = []
    for b in blocks:
        kind = (word_of(b, FRONT_WORDS) or ("目录" if b.toc and (not pieces or pieces[-1][0] != "目录") else None)
                or ("篇名" if part_name(b) else None))
        if kind or not pieces:
            pieces.append([kind or "封面", b.text or "（表格）", 0])
        pieces[-1][2] += 1
    return [Skipped(kind, first, n) for kind, first, n in pieces]


def compilation_title(front: tuple[Block, ...], fallback: str) -> str:
    cover = []
    for b in front:
        if word_of(b, FRONT_WORDS) or b.toc:
            break
        cover.append(b)
    titled = [b for b in cover if b.kind == "p" and b.text and (b.title or b.heading == 1)]
    if titled:
        return titled[0].text
    sized = [b for b in cover if b.kind == "p" and b.text and not TOKEN_MARK.fullmatch(b.md)]
    if sized:
        return max(sized, key=lambda b: b.size).text
    return fallback


def split(source: Source, fallback_title: str = "") -> Compilation:
    """The cases of a compilation, and what around them was skipped."""
    blocks = source.blocks
    starts, level = styled_starts(blocks)
    if len(starts) < 2:
        plain = plain_starts(blocks)
        if len(plain) > len(starts):
            starts, level = plain, 0
    doc_title = source.title if source.title and not source.title.lower().startswith("microsoft") else ""
    if not starts:
        title = compilation_title(blocks, doc_title or fallback_title)
        return Compilation(title, year_of(blocks[:20], title), (), tuple(front_matter(blocks)) if blocks else ())
    front = blocks[: starts[0]]
    title = compilation_title(front, doc_title or fallback_title) if front else (doc_title or fallback_title)
    skipped = front_matter(front)
    end = back_matter(blocks, starts[-1], level)
    cases = []
    bounds = starts + [end]

    def part_of(b: Block) -> str | None:  # styled headings above the case level, 第一篇 ……, ……篇
        return part_name(b) or (b.text if level and b.heading and b.heading < level and not b.toc else None)

    part = next((p for b in reversed(front) if (p := part_of(b))), "")
    for k, start in enumerate(starts):
        kept, case_part = [], part
        for i in range(start, bounds[k + 1]):
            b = blocks[i]
            if i > start and (name := part_of(b)):
                part = name
                skipped.append(Skipped("篇名", b.text, 1))
            elif not b.toc:
                kept.append(b)
        cases.append(CasePart(tuple(kept), case_part))
    if end < len(blocks):
        tail = blocks[end:]
        skipped.append(Skipped(word_of(tail[0], BACK_WORDS) or "后记", tail[0].text, len(tail)))
    return Compilation(title, year_of(front or blocks[:20], title), tuple(cases), tuple(skipped), date_of(front))


def year_of(front: Iterable[Block], title: str) -> int | None:
    """The compilation's year: in its title (2023年度……), else on its cover (二〇二三年十二月)."""
    for text in [title, *(b.text for b in front)]:
        if m := _YEAR.search(text):
            return int(m.group(1).translate(_CHINESE_DIGITS))
    return None


def date_of(front: Iterable[Block]) -> dt.date | None:
    """A line of the cover that is a whole date (2023年12月4日, 2023-12-04)."""
    return next((day for b in front if b.kind == "p" and (day := parse_date_text(b.text))), None)


# -- the plan ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedCase:
    number: int  # 1-based, in document order
    draft: Draft  # with its id
    pictures: dict[str, bytes] = field(compare=False)  # library path -> bytes
    unfilled: tuple[str, ...]  # labels of required fields it could not fill
    personal: tuple[str, ...]  # phone or ID numbers found (what single import flags too)

    @property
    def id(self) -> str:
        return str(self.draft.value("id"))

    @property
    def title(self) -> str:
        return str(self.draft.value("title") or "（未识别出标题）")


@dataclass(frozen=True)
class Plan:
    compilation: Compilation
    cases: tuple[PlannedCase, ...]
    conflicts: tuple[tuple[str, str], ...]  # (id, why it is taken)


def clean_title(b: Block) -> Block:
    """The title line without the compilation's numbering (案例1、一、) in front of it."""
    text = _CASE_NUMBER.sub("", b.text, count=1)
    text = outline_number().sub("", text, count=1).strip()
    if not text or text == b.text:
        return b
    return replace(b, text=text, md=text)


def part_defaults(part: str, meta: dict, taxonomy: Taxonomy) -> tuple[dict, list[str]]:
    """Fields the 篇 names (第一篇　党建工作法 -> category 党建工作法) that the case leaves empty."""
    out, notes = {}, []
    if not part:
        return out, notes
    for key in PART_FIELDS:
        f = FIELD_BY_KEY[key]
        if key in meta or part not in taxonomy.values(f.vocabulary):
            continue
        value, _ = recognise(f, part, taxonomy)
        if value is not None:
            out[key] = value
            notes.append(f"{f.label}（{key}）取自所在的篇“{part}”，请核对")
            break
    return out, notes


def plan_split(source: Source, taxonomy: Taxonomy, today: dt.date, *, fallback_title: str = "",
               id_prefix: str = "", taken_id: Callable[[str], str | None] = lambda _: None,
               taken_path: Callable[[str], bool] = lambda _: False, tick: Callable[[], None] = lambda: None) -> Plan:
    """Every case of the compilation as a draft with its id and pictures. `taken_id(id)` says why
    an id cannot be used (a file or another case has it) or None; `taken_path(rel)` whether a
    library path exists. Ids come from the titles (with `id_prefix-` in front); two cases of the
    compilation that would share one get -2, -3 ...; ids already in the library are conflicts.
    `tick()` runs before each case (the import's time limit: docxfile.Meter.tick)."""
    compilation = split(source, fallback_title)
    planned, conflicts, used = [], [], set()
    reserved: set[str] = set()
    for number, case in enumerate(compilation.cases, 1):
        tick()
        blocks = list(case.blocks)
        if blocks:
            blocks[0] = clean_title(blocks[0])
        part = source.part(blocks)
        first = to_draft(part, taxonomy, {})
        base = derive_id(str(first.value("title") or "")) or f"anli-{number}"
        if id_prefix:
            base = f"{id_prefix}-{base}"
        case_id, n = base, 1
        while case_id in used:
            n += 1
            case_id = f"{base}-{n}"
        used.add(case_id)
        if (why := taken_id(case_id)) is not None:
            conflicts.append((case_id, why))
        paths, pictures = picture_names(part, case_id, lambda rel: taken_path(rel) or rel in reserved)
        reserved.update(pictures)
        draft = to_draft(part, taxonomy, paths)
        meta = dict(draft.meta)
        notes = list(draft.notes)
        if "source" not in meta and compilation.source:
            meta["source"] = compilation.source
            notes.append(f"来源（source）取自汇编的名称：{compilation.source}；请核对，必要时写明原始出处")
        if "date" not in meta and compilation.date:
            meta["date"] = compilation.date
            notes.append(f"收录日期（date）取自汇编封面上的日期 {compilation.date.isoformat()}，请核对")
        defaults, part_notes = part_defaults(case.part, meta, taxonomy)
        meta.update(defaults)
        notes += part_notes
        draft = Draft((("id", case_id), *meta.items()), draft.sections, tuple(dict.fromkeys(notes)))
        unfilled = tuple(f.label for f in FIELDS if f.required and f.key not in ("id", "date") and draft.value(f.key) in (None, "", []))
        personal = tuple(personal_data_notes(render_draft(draft, taxonomy, today)))
        planned.append(PlannedCase(number, draft, pictures, unfilled, personal))
    return Plan(compilation, tuple(planned), tuple(conflicts))


def check_prefix(prefix: str) -> str:
    """--id-prefix: what an id may start with (lower-case letters, digits, hyphens)."""
    if not ID_PATTERN.match(prefix):
        raise ValueError(prefix)
    return prefix


def plan_lines(plan: Plan, shown: Callable[[str], str]) -> list[str]:
    """The plan as the command prints it, one line each (`shown(id)` is where the file goes)."""
    comp = plan.compilation
    name = f"《{comp.title.strip('《》')}》" if comp.title else "（未识别出汇编名称）"
    year = f"，{comp.year} 年" if comp.year else ""
    lines = [f"案例汇编{name}{year}：找到 {len(plan.cases)} 个案例。"]
    for c in plan.cases:
        extra = []
        if c.unfilled:
            extra.append("未填：" + "、".join(c.unfilled))
        if c.pictures:
            extra.append(f"图片 {len(c.pictures)} 张")
        if c.personal:
            extra.append("含个人信息（手机号码或身份证号码）")
        lines.append(f"  {c.number}. {c.title} → {shown(c.id)}" + (f"（{'；'.join(extra)}）" if extra else ""))
    if comp.skipped:
        counted = Counter()
        for s in comp.skipped:
            counted[s.kind] += s.blocks if s.kind != "篇名" else 1
        parts = [f"{kind}（{n} {'个' if kind == '篇名' else '段'}）" for kind, n in counted.items()]
        lines.append("跳过：" + "、".join(parts))
        for s in comp.skipped:
            if s.kind != "篇名":
                lines.append(f"  - {s.kind}：从“{s.first[:30]}”起 {s.blocks} 段")
    return lines
