"""Line scanners over Markdown text: sections, raw HTML and URLs, personal data.

Pure functions over strings; code blocks and inline code are skipped where they cannot render.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass
import html
import html.parser as _html_parser

from .model import Section
from .schema import PAIRS, PAIRS_TEXT

# A code fence as pymdownx.superfences reads one: the marks, then at most a language, `{attributes}`
# or `key="value"` options, nothing else (```` ```甲``` ```` is inline code, `~~~ 甲 乙` text).
_FENCE = re.compile(r"""^ {0,3}(`{3,}|~{3,})(?=[ \t]*(?:\.?[\w#.+-]+(?=[\t ]|$))?"""
                    r"""(?:[ \t]*\{[^\n]*\}|(?:[ \t]*[a-zA-Z][a-zA-Z0-9_]*(?:=(["']).*?\2)?(?=[\t ]|$))+)?[ \t]*$)""")
_H2_LINE = r"^ {0,3}##(?!#)(?:[ \t]+(.*?)[ \t]*#*[ \t]*|[ \t]*)$"  # an ATX level-2 heading; group 1 its text
_H2 = re.compile(_H2_LINE)
SETEXT_UNDERLINE = re.compile(r"^ {0,3}-+[ \t]*$")
_SETEXT_LATER_LINE = re.compile(r"\n {0,3}-+[ \t]*(?:\n|$)")  # starts with a literal: a fast scan
_H2_ANYWHERE = re.compile(_H2_LINE, re.M)  # the same, for the fast scan of a whole body
_NOT_PARAGRAPH = re.compile(r"^ {0,3}([-*+>#|]|\d+[.)]\s|<)")
_BACKTICKS = re.compile(r"`+")


_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{17}[0-9Xx])(?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<![\d-])(?:\+?86[- \t]?)?(1[3-9]\d(?:[- \t]?\d{4}){2})(?![\d-])")
_NUMBER_HINT = re.compile(r"\d{3}[- \t]?\d{4}")  # every ID and mobile number has such a run
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def fence_blocks(lines: list[str]) -> list[tuple[int, int]]:
    """(opening line, closing line) of each fenced code block, as pymdownx.superfences reads
    them: a block opens at a fence line (`_FENCE`) and ends at a line of the same marks, as many;
    a fence never closed opens no block (its lines are text)."""
    joined = "\n".join(lines)
    if "``" not in joined and "~~" not in joined:
        return []  # the usual body: no fence, decided at C speed (the loop below took 13 µs a case)
    closings: dict[str, list[int]] = {}  # the marks a line consists of -> those lines, in order
    for k, line in enumerate(lines):
        if "``" in line or "~~" in line:
            bare = line.strip(" \t")
            if bare and (bare.strip("`") == "" or bare.strip("~") == ""):
                closings.setdefault(bare, []).append(k)
    blocks, i = [], 0
    while i < len(lines):
        m = _FENCE.match(lines[i]) if "``" in lines[i] or "~~" in lines[i] else None
        if m is not None:
            after = closings.get(m.group(1), [])
            at = bisect_right(after, i)
            if at < len(after):
                blocks.append((i, after[at]))
                i = after[at] + 1
                continue
        i += 1
    return blocks


def fenced(lines: list[str]) -> list[bool]:
    """For each line, whether it belongs to a fenced code block, its fences included."""
    out = [False] * len(lines)
    for start, end in fence_blocks(lines):
        out[start:end + 1] = [True] * (end + 1 - start)
    return out


def code_spans(line: str) -> list[tuple[int, int]]:
    """(start, end) of each inline code span of a line: a run of backticks up to the next run of
    as many (runs counted whole; an escaped run opens none). Close to Python-Markdown's reading, not
    equal to it in every corner of runs and backslashes (its regex can split a run).
    Linear: a regex with a back-reference took minutes over a line of 200,000 backticks."""
    runs = [(m.start(), m.end()) for m in _BACKTICKS.finditer(line)]
    by_length: dict[int, list[int]] = {}
    for k, (start, end) in enumerate(runs):
        by_length.setdefault(end - start, []).append(k)
    spans, i = [], 0
    while i < len(runs):
        same = by_length[runs[i][1] - runs[i][0]]
        at = bisect_right(same, i)
        if at < len(same) and not line.endswith("\\", 0, runs[i][0]):  # `\`` opens none; inside code, `\` is text
            spans.append((runs[i][0], runs[same[at]][1]))
            i = same[at] + 1
        else:
            i += 1
    return spans


def _without_code_spans(line: str, keep_length: bool) -> str:
    out, done = [], 0
    for start, end in code_spans(line):
        out += [line[done:start], " " * (end - start) if keep_length else ""]
        done = end
    return "".join(out) + line[done:]


def prose_lines(text: str, first_line: int) -> Iterator[tuple[int, str]]:
    """(file line, line) for lines outside fenced code blocks, inline code removed."""
    lines = text.split("\n")
    for i, (line, code) in enumerate(zip(lines, fenced(lines))):
        if not code:
            yield first_line + i, _without_code_spans(line, keep_length=False) if "`" in line else line


def sections(body: str, first_line: int) -> tuple[Section, ...]:
    """Level-2 sections of a body (ATX `## x` or setext `x` over `---`), with text and line."""
    setext = SETEXT_UNDERLINE.match(body.split("\n", 1)[0]) or _SETEXT_LATER_LINE.search(body)
    if "```" not in body and "~~~" not in body and not setext:
        return _atx_sections(body, first_line)  # the usual body: no fences, no setext
    return _line_sections(body, first_line)


def _line_sections(body: str, first_line: int) -> tuple[Section, ...]:
    """sections() line by line, minding code fences and setext headings."""
    found: list[tuple[str, int, list[str]]] = []
    lines = body.split("\n")
    skip = False
    for i, (line, code) in enumerate(zip(lines, fenced(lines))):
        if skip:  # the underline of a setext heading
            skip = False
            continue
        if code:
            pass
        elif line.startswith(("#", " ")) and (h := _H2.match(line)):
            found.append(((h.group(1) or "").strip(), first_line + i, []))
            continue
        elif i + 1 < len(lines) and SETEXT_UNDERLINE.match(lines[i + 1]) and is_setext_title(lines, i):
            found.append((line.strip(), first_line + i, []))
            skip = True
            continue
        if found:
            found[-1][2].append(line)
    return tuple(Section(title, "\n".join(lines).strip("\n"), line) for title, line, lines in found)


def _atx_sections(body: str, first_line: int) -> tuple[Section, ...]:
    """sections() for a body without code fences or setext underlines, by one regex pass."""
    heads = list(_H2_ANYWHERE.finditer(body))
    out = []
    line, counted = first_line, 0
    for i, m in enumerate(heads):
        line += body.count("\n", counted, m.start())  # count each stretch of the body once
        counted = m.start()
        end = heads[i + 1].start() if i + 1 < len(heads) else len(body)
        out.append(Section((m.group(1) or "").strip(), body[m.end():end].strip("\n"), line))
    return tuple(out)


def is_setext_title(lines: list[str], i: int) -> bool:
    """A one-line paragraph directly over `---` is a level-2 heading (CommonMark)."""
    line = lines[i]
    if not line.strip() or line.startswith(("    ", "\t")) or _NOT_PARAGRAPH.match(line):
        return False
    return i == 0 or not lines[i - 1].strip()


def valid_id_number(number: str) -> bool:
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS))
    return "10X98765432"[total % 11] == number[17].upper()


def personal_data(text: str) -> Iterator[tuple[int, str, str]]:
    """(line, 'id' | 'mobile', value) for resident ID numbers and mainland mobile numbers."""
    # One pass of each pattern over the whole text (C speed); lines are counted only for hits.
    if not _NUMBER_HINT.search(text):  # cheap pre-check: the precise patterns start with lookbehinds
        return
    hits = [(m.start(), "id", m.group(1)) for m in _ID_NUMBER.finditer(text) if valid_id_number(m.group(1))]
    hits += [(m.start(), "mobile", re.sub(r"[-\s]", "", m.group(1))) for m in _MOBILE.finditer(text)]
    line = line_index(text) if hits else None
    for start, kind, value in hits:
        yield line(start) + 1, kind, value


# -- writing lints: plans in the results section, figures, paired punctuation ----------------------

# A plan word used as the main verb ("将于年底前完成", "要建立", "计划明年推广"). Each word is bounded
# on both sides so that ordinary words that merely contain it are left alone: 将其列入 (将 = 把),
# 将近, 重要/需要/主要/要求, 模拟/拟定, 培训计划/红领计划 (nouns), 争取到 (done).
PLAN = re.compile(
    # every alternative starts with a literal (lookbehinds follow it), so re scans for those fast
    r"即将|将要|将会"
    r"|将(?<!即将)(?=于|在|对|向|把|进一步|继续|全面|逐步|陆续|分批|加大|加快|加强|开展|建立|建成|推进|推广|启动|实现|完成"
    r"|组织|举办|推出|深化|健全|完善|力争|争取|重点|着力|大力|积极|尽快|适时|不断)"
    r"|要(?<![重需主只必纪摘提首紧概简想纲险政显扼]要)(?![求点素害闻件员务是么领旨义略塞道职案诀挟])"
    r"|拟(?<![模虚比草]拟)(?![定订人声态])"
    r"|计划(?=于|在|到|将|再|明年|今年|下一|年底|年内|近期|开展|建立|举办|组织|推出|推进|实施|完成|启动|投入|新建|建成)"
    r"|争取(?![到了来过])|力争|打算|预计"
    r"|准备(?=于|在|带|把|将|对|再|明年|今年|下一|年底|近期|开展|建立|举办|组织|推出|推进|实施|启动)"
)
_CLAUSE_END = "，。；！？,;!?"
# Quoted names and slogans (“要我干”变“我要干”, 《…计划》) are not the writer's own verbs.
_QUOTES = (("“", "”"), ("《", "》"), ("「", "」"))
_QUOTED = re.compile("|".join(f"{o}[^{o}{c}]*{c}" for o, c in _QUOTES))


def without_quotes(text: str) -> str:
    """Quoted words and titles (“…”, 《…》, 「…」) replaced by …: they are not the writer's own."""
    if not any(o in text for o, _ in _QUOTES):  # the usual line: no quotes, no regex pass
        return text
    return _QUOTED.sub("…", text)


def plan_word(line: str) -> tuple[str, str] | None:
    """(plan word, a few characters around it) when a line states a plan rather than a result."""
    line = without_quotes(line)
    m = PLAN.search(line)
    if m is None:
        return None
    start = max(line.rfind(p, 0, m.start()) for p in _CLAUSE_END) + 1
    ends = [i for i in (line.find(p, m.end()) for p in _CLAUSE_END) if i != -1]
    clause = line[start:min(ends, default=len(line))].strip(" \t-*>|")
    return m.group(), clause if len(clause) <= 30 else clause[:30] + "…"


# Figures as writers type them: ASCII and full-width digits (not every Unicode digit, as \d is).
FIGURE_DIGIT = re.compile(r"[0-9０-９]")
# Digits joined to Latin letters are part of a name (UTF-8, 5G, G20), not a figure.
_FIGURE = re.compile(r"(?<![A-Za-z])(?<![A-Za-z]-)[0-9]+(?:,[0-9]{3})*(?:\.[0-9]+)?(?![A-Za-z0-9])")
_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９．", "0123456789.")


def figures(text: str) -> list[str]:
    """Numbers written in digits, normalised (full-width digits, thousands separators)."""
    text = text.translate(_FULLWIDTH_DIGITS)
    return [m.replace(",", "") for m in _FIGURE.findall(text)]


# A source a reader can look up names a document (《…》, 讲话, 文件, 报道…), a meeting, or a date.
_SOURCE_HINT = re.compile(
    r"《|〈|\d|20\*\*|[年月日]|https?://|www\."
    r"|讲话|发言|会议|大会|会上|座谈|论坛|文件|通知|意见|办法|方案|规定|决定|报告|总结|汇报|纪要|记录|材料|资料|数据"
    r"|简报|快报|专报|报道|新闻|采访|访谈|调研|调查|日报|晚报|杂志|期刊|年鉴|地方志|图书|网站|官网|公众号|微博"
)


def names_a_source(text: str) -> bool:
    return _SOURCE_HINT.search(text) is not None


_CLOSERS = {close: open_ for open_, close in PAIRS.items()}
_MARKS = re.escape(PAIRS_TEXT)
PAIR_CHARS = re.compile(f"[{_MARKS}]")
# A paired mark, or the start of a new block: a blank line, a list item, heading, table row or quote.
# Quotes may span the lines of one paragraph, never a block boundary.
_PAIR_TOKEN = re.compile(f"[{_MARKS}]" r"|\n(?=[ \t]*(?:\n|$)| {0,3}(?:[-*+>#|]|\d+[.)][ \t]))")


_NOT_A_MARK = re.compile(f"[^{_MARKS}\n]+")
_ADJACENT_PAIR = re.compile("|".join(re.escape(o + c) for o, c in PAIRS.items()))


_PAIR_PASSES = 8  # nesting levels all_paired undoes before leaving the text to unpaired()


def all_paired(text: str) -> bool:
    """True when every mark pairs within its line: the usual text, decided at regex speed (a
    False still needs unpaired() to say where). Only the marks and line ends are kept, then
    adjacent pairs (on one line) are deleted, one nesting level a pass. Text nested deeper than
    a few passes undo is left to unpaired() (one pass of a stack): 100,000 quotes inside one
    another took 100,000 passes, a minute and a half."""
    if not PAIR_CHARS.search(text):
        return True
    marks = _NOT_A_MARK.sub("", text)
    for _ in range(_PAIR_PASSES):
        shorter = _ADJACENT_PAIR.sub("", marks)
        if len(shorter) == len(marks):
            return PAIR_CHARS.search(marks) is None
        marks = shorter
    return False


def unpaired(text: str, by_line: bool = False) -> list[tuple[int, str]]:
    """(offset, mark) of the first unpaired mark in each block of Markdown text (each line when
    by_line).

    ’ between two Latin letters is an apostrophe (don’t), not a closing quote.
    """
    out: list[tuple[int, str]] = []
    opened: dict[str, list[int]] = {}
    pending = 0  # marks opened and not yet closed in this block
    bad: tuple[int, str] | None = None
    tokens = _line_tokens(text) if by_line else ((m.start(), m.group()) for m in _PAIR_TOKEN.finditer(text))
    for pos, ch in tokens:
        if ch[0] == "\n":
            if bad or pending:
                out.append(bad or _first_open(opened))
                opened, pending, bad = {}, 0, None
        elif bad:
            continue  # one finding per block
        elif ch in PAIRS:
            opened.setdefault(ch, []).append(pos)
            pending += 1
        elif ch == "’" and 0 < pos < len(text) - 1 and _apostrophe(text, pos):
            continue
        elif opened.get(_CLOSERS[ch]):
            opened[_CLOSERS[ch]].pop()
            pending -= 1
        else:
            bad = (pos, ch)
    if bad or pending:
        out.append(bad or _first_open(opened))
    return out


def _line_tokens(text: str) -> Iterator[tuple[int, str]]:
    """The paired marks, with a line end between marks on different lines (lines without a
    mark cost nothing: front matter has many such lines)."""
    end = -1
    for m in PAIR_CHARS.finditer(text):
        pos = m.start()
        if pos > end:
            if end >= 0:
                yield end, "\n"
            end = text.find("\n", pos)
            end = len(text) if end == -1 else end
        yield pos, m.group()


def _apostrophe(text: str, pos: int) -> bool:
    before, after = text[pos - 1], text[pos + 1]
    return before.isascii() and before.isalpha() and after.isascii() and after.isalpha()


def _first_open(opened: dict[str, list[int]]) -> tuple[int, str]:
    return min((stack[0], ch) for ch, stack in opened.items() if stack)


def partner(mark: str) -> str:
    return PAIRS.get(mark) or _CLOSERS[mark]


def prose_text(body: str) -> str:
    """The body with code blocks blanked and inline code removed, line for line (same line count)."""
    if "`" not in body and "~~~" not in body:
        return body
    lines = body.split("\n")
    kept = dict(prose_lines(body, 0))
    return "\n".join(kept.get(i, "") for i in range(len(lines)))


# -- raw HTML in the source: where a contributor's tags stand (for `validate --fix` and for naming
# the line of what the sanitiser would remove) ------------------------------------------------

# Markdown's automatic links, not tags: <https://...>, <ftp://...>, <name@host> -- unless the
# brackets hold a link's target (`](<assets/a@b.png>)`, `[x]: <a@b.png>`): the link patterns and
# reference definitions run before the automatic links and take it as the address.
_AUTOLINK_TAG = re.compile(r"<(?:(?:ftp|https?)://[^<>]*|[^<> !]+@[^@<> ]+)>", re.I)
_TARGET_BEFORE = re.compile(r"(?:\]\(\s*|^ {0,3}\[[^\[\]]*\]:[ \t]*)$")


def _blank_autolinks(line: str) -> str:
    def blank(m: re.Match) -> str:
        return m.group() if _TARGET_BEFORE.search(line, 0, m.start()) else " " * len(m.group())
    return _AUTOLINK_TAG.sub(blank, line)

SNIPPET_MARKER = re.compile(r"^([ \t]*)(-+8<-+)", re.M)  # pymdownx.snippets' include marker


def mask_code(body: str, autolinks: bool = True) -> str:
    """The body with fenced code, inline code and (unless `autolinks` is false) autolinks blanked:
    same length, same offsets, newlines kept; raw HTML outside code is where it was."""
    lines = body.split("\n")
    for i, (line, code) in enumerate(zip(lines, fenced(lines))):
        if code:
            lines[i] = " " * len(line)
            continue
        if "`" in line:
            line = _without_code_spans(line, keep_length=True)
        if autolinks and "<" in line:
            line = _blank_autolinks(line)
        lines[i] = line
    return "\n".join(lines)


@dataclass(frozen=True)
class RawTag:
    start: int  # offsets in the body
    end: int
    line: int  # 0-based line in the body
    name: str  # lower case
    attrs: tuple[tuple[str, str | None], ...]
    closing: bool  # </name>
    self_closing: bool  # <name ... />


# A tag is read with Python's own HTML parser grammar (html.parser: tag names, tolerant attributes,
# values, entities), but may not hold another `<`: each attempt then ends at the next `<`, and a
# line of thousands of unclosed `<a ` is read in linear time (html.parser takes quadratic time).
# The span follows html.parser's locatestarttagend_tolerant: a name may hold quotes, an attribute
# name too (`<a ">`); only a value after `=` is quoted. Possessive quantifiers keep it linear.
_TAG_SPAN = re.compile(
    r"""<[a-zA-Z][^\t\n\r\f\ />\x00<]*+
    (?:[\s/]*+
      (?:(?<=['"\s/])[^\s/><][^\s/=><]*+
        (?:\s*+=++\s*+(?:'[^'<]*+'|"[^"<]*+"|(?!['"])[^>\s<]*+)\s*+)?+
        (?:\s|/(?!>))*+
      )*+
    )?+
    \s*+/?>""",
    re.X,
)
# An end tag: html.parser's endtagfind (`</ name >`, white space allowed) or `</name...>`.
_END_TAG = re.compile(r"</(?:\s*+([a-zA-Z][-.a-zA-Z0-9:_]*+)\s*+|[a-zA-Z][^<>]*+)>")
_CDATA = _html_parser.HTMLParser.CDATA_CONTENT_ELEMENTS  # html.parser reads their content as text, up to the end tag


def raw_tags(body: str) -> list[RawTag]:
    """Every start and end tag of raw HTML outside code, with its place in the body (linear)."""
    if "<" not in body:
        return []
    text = mask_code(body)
    tags: list[RawTag] = []
    pos, line, counted = 0, 0, 0
    while (i := text.find("<", pos)) != -1:
        span = _TAG_SPAN.match(text, i)
        end = _END_TAG.match(text, i) if span is None else None
        if span is None and end is None:
            pos = i + 1
            continue
        line += text.count("\n", counted, i)
        counted = i
        if end is not None:  # html.parser's parse_endtag: endtagfind's name, else tagfind_tolerant's
            name = (end.group(1) or _html_parser.tagfind_tolerant.match(text, i + 2).group(1)).lower()
            tags.append(RawTag(i, end.end(), line, name, (), True, False))
            pos = end.end()
            continue
        name, attrs, self_closing = _start_tag(text, i, span.end())
        tags.append(RawTag(i, span.end(), line, name, attrs, False, self_closing))
        pos = span.end()
        if name in _CDATA and (close := re.compile(rf"</{name}\s*>", re.I).search(text, pos)):
            pos = close.start()
    return tags


def _start_tag(text: str, start: int, end: int) -> tuple[str, tuple[tuple[str, str | None], ...], bool]:
    """html.parser's parse_starttag on text[start:end]: name, attributes, `/>`."""
    m = _html_parser.tagfind_tolerant.match(text, start + 1)
    name, k, attrs = m.group(1).lower(), m.end(), []
    while k < end:
        a = _html_parser.attrfind_tolerant.match(text, k, end)
        if not a:
            break
        attr, rest, value = a.group(1, 2, 3)
        if not rest:
            value = None
        elif value[:1] == "'" == value[-1:] or value[:1] == '"' == value[-1:]:
            value = value[1:-1]
        attrs.append((attr.lower(), html.unescape(value) if value else value))
        k = a.end()
    return name, tuple(attrs), text[k:end].strip() == "/>"


def snippet_lines(body: str, first_line: int) -> Iterator[int]:
    """Lines with a pymdownx.snippets marker (`--8<--`), code blocks included (snippets runs first)."""
    if "8<-" not in body:
        return
    line = line_index(body)
    for m in SNIPPET_MARKER.finditer(body):
        yield first_line + line(m.start())


# Addresses in a body: inline links and images `](url)` / `](<url>)`, reference definitions
# `[x]: url`, and raw HTML's `src` / `href` (which Markdown does not rewrite). An inline
# destination may hold balanced parentheses, as Markdown reads it (`assets/报告(1).pdf`), and a
# title after the address (`LINK_TITLE`), which is no part of it. `<…>` holds the address only when
# nothing but a quoted title follows it (Python-Markdown's RE_LINK); else `<a.png> b` is the address.
_DESTINATION = r"""(<[^<>\n]*>(?=[ \t]*(?:"[^"\n]*"|'[^'\n]*')?[ \t]*\))|(?:[^()\n]|\([^()\n]*\))*)"""
_MD_TARGET = re.compile(r"(\]\(\s*)" + _DESTINATION)
# A reference definition as Python-Markdown takes one: the address may stand on the next line, and
# only a title may follow it, on its line or the next (else the line is text). A `<…>` address may
# hold blanks: the site and the book write it percent-encoded (rewrite_addresses), which Python-
# Markdown then takes.
_REF_TARGET = re.compile(r"^( {0,3}\[[^\]\n]+\]:[ \t]*(?:\n[ \t]*)?)(<[^>\n]*>|\S+)"
                         r"(?=[ \t]*(?:\n[ \t]*)?(?:(?P<q>[\"'])[^\n]*(?P=q)|\([^\n]*\))?[ \t]*$)", re.M)
# [^<>]: an attempt ends at the next tag, so a line of thousands of unclosed `<a ` stays linear.
# A quoted value is the whole address, spaces included (`src="assets/图 片.png"`). An attribute
# starts after a blank, a `/` or a quote, as an HTML parser reads `<img/src=…>` and `alt="x"src=…`.
_HTML_TARGET = re.compile(r"<([A-Za-z][^\s/<>]*)[^<>]*?[\s/\"'](?:src|href)\s*=\s*(\"[^\"<>]*\"|'[^'<>]*'|[^\"'\s<>]+)", re.I)
# Markdown images: `![alt](url)`, `![alt][ref]` / `![alt][]` / `![alt]` (the reference defined
# elsewhere, `_REF_TARGET`).
# Bracketed text: a line break but no blank line (a paragraph), brackets only in pairs (so a long line
# of `![` is read in linear time, not tried to its end from every `![`).
_BRACKET_TEXT = r"((?:[^\[\]\\\n]|\\.|\[[^\[\]\n]*\]|\n(?![ \t]*\n))*)"
_IMAGE = re.compile(r"!\[" + _BRACKET_TEXT + r"\](?:\(\s*" + _DESTINATION + r"|\[" + _BRACKET_TEXT + r"\])?")
LINK_TITLE = re.compile(r"\s+(?:\"[^\"]*\"|'[^']*')\s*$")  # `](url "title")`: quoted only, as Python-Markdown reads an inline one
# Markdown links (not images): `[text](url "title")`. (`\s*+`: blanks the destination could also
# take would be tried every way before a missing `)` fails: quadratic on a long line.)
_LINK = re.compile(r"(?<!!)\[((?:[^\[\]\\\n]|\\.)*)\]\(\s*+" + _DESTINATION + r"\)")


@dataclass(frozen=True)
class Address:
    start: int  # offsets in the body of the address itself: no brackets, quotes or title
    end: int
    tag: str  # the raw HTML tag that holds it (lower case), "" for Markdown's
    written: str  # as written, entities not decoded


def _inner(written: str, start: int, attribute: bool = False) -> tuple[int, int]:
    """Where the address is in a Markdown destination as written (inside `<…>`, else before a
    title) or in an HTML attribute value (inside its quotes)."""
    if not attribute:
        written = written.rstrip()  # `](<a b.png> )`
        if written[:1] == "<" and written[-1:] == ">":
            return start + 1, start + len(written) - 1
    elif written[:1] in ("'", '"'):
        return start + 1, start + len(written) - 1
    return start, start + (len(written) if attribute else len(LINK_TITLE.sub("", written).rstrip()))


def addresses(body: str, masked: str | None = None) -> list[Address]:
    """Every address a reader would follow in the body, in order: Markdown's inline destinations
    and reference definitions, and raw HTML's src and href (any tag); code (masked: the body's
    `mask_code`, when the caller has it) is skipped."""
    masked = mask_code(body) if masked is None else masked
    found = []
    if "](" in masked:
        found += [(*_inner(m.group(2), m.start(2)), "") for m in _MD_TARGET.finditer(masked)]
    if "]:" in masked:
        found += [(*_inner(m.group(2), m.start(2)), "") for m in _REF_TARGET.finditer(masked)]
    if "<" in masked:
        found += [(*_inner(m.group(2), m.start(2), attribute=True), m.group(1).lower()) for m in _HTML_TARGET.finditer(masked)]
        if _QUOTED_MARKUP.search(masked):  # `title="1>2" href=…`: read those tags as HTML does
            found = sorted(set(found) | set(_quoted_targets(masked)))
    return [Address(start, end, tag, body[start:end]) for start, end, tag in sorted(found)]


# _HTML_TARGET stops at `<` and `>` (linear on hostile lines), so a quoted value holding one
# (`alt="<!--"`, `title="1>2"`) hides the src/href after it: such tags are read again as html.parser
# reads a start tag's attributes (its own patterns), in one pass.
_QUOTED_MARKUP = re.compile(r"=[ \t\n]*(?:\"[^\"<>]*[<>]|'[^'<>]*[<>])")
_TAG_NAME = re.compile(r"<!--|<([A-Za-z][^\s/<>]*)")  # a comment is skipped whole: no tag in it


def _quoted_targets(text: str) -> list[tuple[int, int, str]]:
    """(start, end, tag) of every src and href value in the start tags of `text`, read with
    html.parser's own grammar (as `_start_tag`) but not stopped by `<` or `>` in a quoted value.
    Each character is read once."""
    out, pos = [], 0
    while (m := _TAG_NAME.search(text, pos)) is not None:
        if m.group(1) is None:
            pos = HTML_COMMENT.match(text, m.start()).end()
            continue
        tag, k = m.group(1).lower(), _html_parser.tagfind_tolerant.match(text, m.start() + 1).end()
        while (a := _html_parser.attrfind_tolerant.match(text, k)) is not None and a.end() > k:
            if a.group(1).lower() in ("src", "href") and a.group(3):
                out.append((*_inner(a.group(3), a.start(3), attribute=True), tag))
            k = a.end()
        pos = max(k, m.end())
    return out


def inline_links(body: str) -> list[tuple[int, int, str, str]]:
    """(start, end, text, address) of every inline link `[text](address "title")` in the body, not
    images, in order: offsets of the whole link, its text and address as written (no `<>`, no
    title). Code is skipped."""
    masked = mask_code(body)
    if "](" not in masked:
        return []
    found = []
    for m in _LINK.finditer(masked):
        start, end = _inner(m.group(2), m.start(2))
        found.append((m.start(), m.end(), body[m.start(1):m.end(1)], body[start:end]))
    return found


def line_index(text: str) -> Callable[[int], int]:
    """offset -> its line in `text`, counted from 0: the line breaks are found once and each lookup
    is a binary search. (Counting the breaks before each of many hits made a body of thousands of
    findings take minutes.)"""
    breaks = [m.start() for m in _NEWLINE.finditer(text)]
    return lambda offset: bisect_left(breaks, offset)


_NEWLINE = re.compile("\n")


# Python-Markdown's own rules, which differ between the two sides: `[a][r ]` does not use `[r]: x`.
_BLANKS = re.compile(r"\s+")


def _label(text: str) -> str:
    """The label a reference `[text][label]` looks up: lower case, each run of blanks one space."""
    return _BLANKS.sub(" ", text.lower())


def _defined(m: re.Match) -> str:
    """The label a reference definition (`_REF_TARGET`) defines: trimmed, lower case."""
    return m.group(1).strip()[1:].rsplit("]:", 1)[0].strip().lower()


def written_images(body: str, live: Callable[[str, list[Address]], set[int]] | None = None) -> list[tuple[int, str]]:
    """(line in the body, address as written, entities decoded) of every image the body writes, in
    order: Markdown's and raw `<img src>`; code is skipped. A reference with no definition is text.
    `live`: as for `rewrite_addresses`, which of the raw and inline ones Markdown makes images."""
    masked = mask_code(body)
    definitions: dict[str, str] = {}
    for m in _REF_TARGET.finditer(masked):
        definitions[_defined(m)] = m.group(2)  # the last definition of a label counts
    found = [(a.start, a.written, a) for a in addresses(body, masked if live is None else body) if a.tag == "img"]
    for m in _IMAGE.finditer(masked if live is None else body):
        written = m.group(2) if m.group(2) is not None else definitions.get(_label(m.group(3) or m.group(1)))
        if m.group(2) is None and masked[m.start()] != "!":
            continue  # a reference in code (no probe for it: its address is elsewhere)
        if written is not None:
            start, end = _inner(written, 0)
            inline = Address(m.start(2) + start, m.start(2) + end, "", written[start:end]) if m.group(2) is not None else None
            found.append((m.start(), written[start:end], inline))
    if live is not None and found:
        probed = [i for i, (_, _, a) in enumerate(found) if a is not None]
        kept = live(body, [found[i][2] for i in probed])
        dropped = {i for n, i in enumerate(probed) if n not in kept}
        found = [f for i, f in enumerate(found) if i not in dropped]
    found = [(offset, url) for offset, url, _ in found]
    line = line_index(masked) if found else None
    return [(line(offset), html.unescape(url)) for offset, url in sorted(found)]


_BRACKETED = re.compile(r"\[([^\[\]]+)\]")  # a reference may break its label across lines


def unused_definitions(body: str) -> list[tuple[int, str]]:
    """(line in the body, the line as written) of every reference definition `[r]: address` that no
    link or image of the body uses (`[text][r]`, `[r][]`, `[r]`): Markdown takes the line as a
    definition all the same, so the page does not show it. Code is skipped."""
    masked = mask_code(body)
    if "]:" not in masked:
        return []
    definitions = list(_REF_TARGET.finditer(masked))
    labels_at = {m.start() + len(m.group(1)) - len(m.group(1).lstrip(" ")) for m in definitions}
    used = {_label(m.group(1)) for m in _BRACKETED.finditer(masked) if m.start() not in labels_at}
    out, line = [], None
    for m in definitions:
        if _defined(m) not in used:
            end = masked.find("\n", m.start())
            line = line or line_index(masked)
            out.append((line(m.start()), body[m.start():end if end >= 0 else len(body)].strip()))
    return out


# An HTML comment as a browser ends it: `-->` or `--!>`, an abrupt `<!-->` / `<!--->`, or the end
# of the text (Python's HTMLParser reads `<!-->` as the start of a longer comment).
HTML_COMMENT = re.compile(r"<!--(?:-?>|.*?--!?>|.*\Z)", re.S)
# An attribute in a start tag's text as it is written: its name, and its value with its quotes
# (`title="a b"`, `x='1'`, `y=z`), or none (`open`). For markup written by tools (Python-Markdown,
# nh3, the theme); a contributor's tags are read by html_tags.
ATTRIBUTE = re.compile(r"""([^\s"'>/=]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s>]*))?""")


# HTML's rules for parsing integers, as the browser reads `<ol start>` and a cell's `colspan`/`rowspan`
# (no sign there): ASCII whitespace, a sign, ASCII digits (`²` is a digit to Python, not to HTML); the rest ignored.
HTML_INTEGER = re.compile(r"[\t\n\f\r ]*([-+]?)0*([0-9]+)")


def list_start(value: str) -> int:
    """An `<ol start>` as the browser numbers from it (`-2`, `3abc` → 3); a value HTML cannot read,
    or beyond a 32-bit number (the browser ignores it; 10²¹ reached Typst as a float), is 1."""
    m = HTML_INTEGER.match(value)
    if not m or len(m[2]) > 10:
        return 1
    start = -int(m[2]) if m[1] == "-" else int(m[2])
    return start if -2**31 <= start <= 2**31 - 1 else 1


class BrowserHTMLParser(_html_parser.HTMLParser):
    """Python's HTML parser, but for where comments end: Python's ends one only at `-->` and a
    `<![…` section at `]]>`; a browser ends them as HTML_COMMENT says and at the first `>`
    (outside SVG). And the elements whose content is text to a browser (`<textarea><!--</textarea>`
    holds no comment), not script and style only. For a text fed whole (`feed` once, then `close`)."""

    CDATA_CONTENT_ELEMENTS = ("script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "noscript")

    def parse_comment(self, i, report=1):
        end = HTML_COMMENT.match(self.rawdata, i).end()
        if report:
            self.handle_comment(self.rawdata[i + 4:end].removesuffix("-->").removesuffix("--!>"))
        return end

    def parse_html_declaration(self, i):
        if self.rawdata.startswith("<![", i):
            end = self.rawdata.find(">", i)
            return len(self.rawdata) if end < 0 else end + 1
        return super().parse_html_declaration(i)


def html_tags(markup: str) -> list[tuple[str, str, list[tuple[str, str | None]]]]:
    """The tags of a piece of HTML as a browser reads them, in order: ("<", name, attributes) for
    a start tag, ("/", name, []) for an end tag, ("</", name, attributes) for `<x …/>`. A quote
    starts a value only after `=` (`alt=Tom's` is one value); comments are no tags, and end where
    a browser ends them (BrowserHTMLParser)."""
    found: list[tuple[str, str, list[tuple[str, str | None]]]] = []

    class Reader(BrowserHTMLParser):
        def handle_starttag(self, tag, attrs) -> None:
            found.append(("<", tag, attrs))

        def handle_startendtag(self, tag, attrs) -> None:
            found.append(("</", tag, attrs))

        def handle_endtag(self, tag) -> None:
            found.append(("/", tag, []))

    reader = Reader(convert_charrefs=True)
    reader.feed(markup)
    reader.close()
    return found


def rewrite_addresses(body: str, new: Callable[[str], str | None], html: Callable[[str], str | None] | None = None,
                      live: Callable[[str, list[Address]], set[int]] | None = None) -> str:
    """`body` with every address a reader would follow (`addresses`) replaced by new(address)
    (None: kept as written); a `<bracketed>` or quoted one stays so. Raw HTML's `<img src>` and
    `<a href>` by html(address) when given (Markdown's addresses are made relative to the page by
    the renderer, raw HTML's are not). Code is shown as written. `live(body, changed)`: which of
    the addresses to be changed Markdown reads as addresses (core/markup.live_addresses); the
    others are text (in an indented code block, say) and stay as written."""
    html = html or new
    changes = []
    for a in addresses(body, body if live is not None else None):  # with `live`, Markdown says what is code
        if a.tag not in ("", "img", "a") or a.start == a.end:
            continue
        url = (new if not a.tag else html)(a.written)
        if url is not None and url != a.written:
            changes.append((a, url))
    if changes and live is not None:
        kept = live(body, [a for a, _ in changes])
        changes = [change for i, change in enumerate(changes) if i in kept]
    out, done = [], 0
    for a, url in changes:
        out += [body[done:a.start], url]
        done = a.end
    return "".join(out) + body[done:] if out else body


def escape_snippets(text: str) -> str:
    """The markers written so that pymdownx.snippets leaves them as text (`;--8<--`)."""
    return SNIPPET_MARKER.sub(r"\1;\2", text) if "8<-" in text else text


def snippet_includes(text: str) -> list[str]:
    """The files a hand-written page includes: `--8<-- "name"` lines."""
    out = []
    for line in text.splitlines():
        m = SNIPPET_MARKER.match(line)
        rest = line[m.end():].strip() if m else ""
        if m and len(rest) > 2 and rest[0] == rest[-1] == '"':
            out.append(rest[1:-1])
    return out
