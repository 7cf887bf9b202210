"""Line scanners over Markdown text: sections, raw HTML and URLs, personal data.

Pure functions over strings; code blocks and inline code are skipped where they cannot render.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from .model import Section

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_H2 = re.compile(r"^ {0,3}##(?!#)[ \t]+(.*?)[ \t]*#*[ \t]*$|^ {0,3}##[ \t]*$")
_SETEXT_H2 = re.compile(r"^ {0,3}-+[ \t]*$")
_SETEXT_LATER_LINE = re.compile(r"\n {0,3}-+[ \t]*(?:\n|$)")  # starts with a literal: a fast scan
_H2_ANYWHERE = re.compile(r"^ {0,3}##(?!#)(?:[ \t]+(.*?)[ \t]*#*[ \t]*|[ \t]*)$", re.M)
_NOT_PARAGRAPH = re.compile(r"^ {0,3}([-*+>#|]|\d+[.)]\s|<)")
_INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1")

BAD_TAGS = ("script", "iframe", "object", "embed", "style", "frame", "frameset", "applet", "base", "meta", "link", "form")
_BAD_TAG = re.compile(r"<\s*/?\s*(" + "|".join(BAD_TAGS) + r")\b", re.I)
_EVENT_TAG = r"<[a-zA-Z]"
_EVENT = re.compile(_EVENT_TAG + r"[^>]*?[\s/\"'](on[a-zA-Z]+)\s*=", re.I)
# The destination may go on after blanks (Python-Markdown keeps `java<TAB>script:` whole); a title
# (`"..."`, `'...'`, `(...)`) ends it.
_MD_LINK = re.compile(r"(!?)\[(?:[^\]\\]|\\.)*\]\(\s*(<[^>]*>|[^\s)]*(?:[ \t]+[^\s)\"'(][^\s)]*)*)")
_REF_DEF = re.compile(r"^ {0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)")
_URL_TAG = r"<\s*(img|a|source|video|audio|image|use)\b"
_HTML_URL = re.compile(_URL_TAG + r"([^>]*)", re.I)  # the tag and its attributes, up to ">"
_URL_ATTR = re.compile(r"\s(src|href|xlink:href|poster|srcset)\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>]+)", re.I)
_TAG_START = {_EVENT: re.compile(_EVENT_TAG, re.I), _HTML_URL: re.compile(_URL_TAG, re.I)}
_AUTOLINK = re.compile(r"<([a-zA-Z][a-zA-Z0-9+.-]{1,31}:[^\s<>]*)>")

_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{17}[0-9Xx])(?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<![\d-])(?:\+?86[- \t]?)?(1[3-9]\d(?:[- \t]?\d{4}){2})(?![\d-])")
_NUMBER_HINT = re.compile(r"\d{3}[- \t]?\d{4}")  # every ID and mobile number has such a run
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


@dataclass(frozen=True)
class Hit:
    line: int
    kind: str  # tag | event | link | image
    value: str


def prose_lines(text: str, first_line: int) -> Iterator[tuple[int, str]]:
    """(file line, line) for lines outside fenced code blocks, inline code removed."""
    fence = ""
    for i, line in enumerate(text.split("\n")):
        m = _FENCE.match(line)
        if fence:
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence):
                fence = ""
            continue
        if m:
            fence = m.group(1)
            continue
        yield first_line + i, _INLINE_CODE.sub("", line) if "`" in line else line


def sections(body: str, first_line: int) -> tuple[Section, ...]:
    """Level-2 sections of a body (ATX `## x` or setext `x` over `---`), with text and line."""
    setext = _SETEXT_H2.match(body.split("\n", 1)[0]) or _SETEXT_LATER_LINE.search(body)
    if "```" not in body and "~~~" not in body and not setext:
        return _atx_sections(body, first_line)  # the usual body: no fences, no setext
    return _line_sections(body, first_line)


def _line_sections(body: str, first_line: int) -> tuple[Section, ...]:
    """sections() line by line, minding code fences and setext headings."""
    found: list[tuple[str, int, list[str]]] = []
    lines = body.split("\n")
    fence = ""
    skip = False
    for i, line in enumerate(lines):
        if skip:  # the underline of a setext heading
            skip = False
            continue
        m = _FENCE.match(line)
        if fence:
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence):
                fence = ""
        elif m:
            fence = m.group(1)
        elif line.startswith(("#", " ")) and (h := _H2.match(line)):
            found.append(((h.group(1) or "").strip(), first_line + i, []))
            continue
        elif i + 1 < len(lines) and _SETEXT_H2.match(lines[i + 1]) and is_setext_title(lines, i):
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


def _tag_matches(pattern: re.Pattern[str], line: str) -> Iterator[re.Match[str]]:
    """pattern.finditer(line) for `<tag[^>]*?attribute` patterns, in linear time.

    finditer retries at every `<`, and each try reads on to the tag's `>`: a line of unclosed
    `<a <a <a ...` costs quadratic time (hours for a 1 MB file). When a try fails at a tag start,
    every later try before that `>` fails too (its window lies inside this one), so skip to it.
    """
    start = _TAG_START[pattern]
    pos = 0
    while (i := line.find("<", pos)) != -1:
        if m := pattern.match(line, i):
            yield m
            pos = m.end()
        elif start.match(line, i):
            close = line.find(">", i)
            if close == -1:
                return
            pos = close + 1
        else:
            pos = i + 1


def markup(body: str, first_line: int) -> Iterator[Hit]:
    """Raw HTML tags, event attributes, and every link or image URL, with their lines."""
    if "<" not in body and "](" not in body and "]:" not in body:
        return
    for line_no, line in prose_lines(body, first_line):
        if "<" in line:
            for m in _BAD_TAG.finditer(line):
                yield Hit(line_no, "tag", m.group(1).lower())
            for m in _tag_matches(_EVENT, line):
                yield Hit(line_no, "event", m.group(1).lower())
            for m in _tag_matches(_HTML_URL, line):
                kind = "link" if m.group(1).lower() == "a" else "image"
                for attr in _URL_ATTR.finditer(m.group(2)):
                    value = attr.group(2).strip("\"'")
                    # srcset: "a.png 1x, b.png 2x" holds several URLs
                    urls = [u.split()[0] for u in value.split(",") if u.strip()] if attr.group(1).lower() == "srcset" else [value]
                    for url in urls:
                        yield Hit(line_no, kind, url)
            for m in _AUTOLINK.finditer(line):
                yield Hit(line_no, "link", m.group(1))
        if "](" in line:
            for m in _MD_LINK.finditer(line):
                yield Hit(line_no, "image" if m.group(1) else "link", m.group(2).strip("<>"))
        if "]:" in line and (m := _REF_DEF.match(line)):
            yield Hit(line_no, "link", m.group(1).strip("<>"))


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
    for start, kind, value in hits:
        yield text.count("\n", 0, start) + 1, kind, value


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
_QUOTED = re.compile(r"“[^“”]*”|《[^《》]*》|「[^「」]*」")


def without_quotes(text: str) -> str:
    """Quoted words and titles (“…”, 《…》, 「…」) replaced by …: they are not the writer's own."""
    return _QUOTED.sub("…", text)


def plan_word(line: str) -> tuple[str, str] | None:
    """(plan word, a few characters around it) when a line states a plan rather than a result."""
    if "“" in line or "《" in line or "「" in line:
        line = without_quotes(line)
    m = PLAN.search(line)
    if m is None:
        return None
    start = max(line.rfind(p, 0, m.start()) for p in _CLAUSE_END) + 1
    ends = [i for i in (line.find(p, m.end()) for p in _CLAUSE_END) if i != -1]
    clause = line[start:min(ends, default=len(line))].strip(" \t-*>|")
    return m.group(), clause if len(clause) <= 30 else clause[:30] + "…"


# Digits joined to Latin letters are part of a name (UTF-8, 5G, G20), not a figure.
_FIGURE = re.compile(r"(?<![A-Za-z])(?<![A-Za-z]-)\d+(?:,\d{3})*(?:\.\d+)?(?![A-Za-z\d])")
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


PAIRS = {"“": "”", "‘": "’", "《": "》", "（": "）", "【": "】"}
_CLOSERS = {close: open_ for open_, close in PAIRS.items()}
PAIR_CHARS = re.compile("[“”‘’《》（）【】]")
# A paired mark, or the start of a new block: a blank line, a list item, heading, table row or quote.
# Quotes may span the lines of one paragraph, never a block boundary.
_PAIR_TOKEN = re.compile(r"[“”‘’《》（）【】]|\n(?=[ \t]*(?:\n|$)| {0,3}(?:[-*+>#|]|\d+[.)][ \t]))")
DIGIT = re.compile(r"\d")


_NOT_A_MARK = re.compile("[^“”‘’《》（）【】\n]+")
_ADJACENT_PAIR = re.compile("“”|‘’|《》|（）|【】")


def all_paired(text: str) -> bool:
    """True when every mark pairs within its line: the usual text, decided at regex speed (a
    False still needs unpaired() to say where). Only the marks and line ends are kept, then
    adjacent pairs (on one line) are deleted until none is left."""
    if not PAIR_CHARS.search(text):
        return True
    marks = _NOT_A_MARK.sub("", text)
    while True:
        shorter = _ADJACENT_PAIR.sub("", marks)
        if len(shorter) == len(marks):
            return PAIR_CHARS.search(marks) is None
        marks = shorter


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


# -- raw HTML and attribute lists, checked against the sanitiser's allowlist (sanitize.py) -------

_TAG_NAME = re.compile(r"<([A-Za-z][A-Za-z0-9:-]*)")
_ATTR = re.compile(r"""[\s/]*([^\s"'>/=]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s>]*))?""")
_ATTR_END = re.compile(r"[\s/]*>")
# attr_list's own grammar (Python-Markdown extensions/attr_list.py): `{: #id .class key="v" word }`
_ATTR_LIST = re.compile(r"\{:?[ \t]*([^}\n ][^}\n]*?)[ \t]*\}")
_ATTR_TOKEN = re.compile(r"""([^ =}]+)="([^"]*)"|([^ =}]+)='([^']*)'|([^ =}]+)=([^ =}]+)|([^ =}]+)| +""")
# Markdown's automatic links, not tags: <https://...>, <ftp://...>, <name@host>
_AUTOLINK_TAG = re.compile(r"<(?:(?:ftp|https?)://[^<>]*|[^<> !]+@[^@<> ]+)>", re.I)
_SNIPPET_LINE = re.compile(r"^[ \t]*-+8<-+", re.M)


@dataclass(frozen=True)
class Tag:
    line: int
    name: str  # lower case
    attrs: tuple[tuple[str, str], ...]  # (name lower case, value without quotes)


def _prose_text(body: str, first_line: int) -> str:
    """The body with code blocks blanked and inline code removed; line numbers unchanged."""
    lines = [""] * (body.count("\n") + 1)
    for line_no, line in prose_lines(body, first_line):
        lines[line_no - first_line] = line
    return "\n".join(lines)


def html_tags(body: str, first_line: int) -> Iterator[Tag]:
    """Start tags of raw HTML outside code, with their attributes; a tag may span lines.

    Linear: each character is read once (an unclosed tag ends the scan, as it ends the text)."""
    if "<" not in body:
        return
    text = _prose_text(body, first_line)
    pos, line, counted = 0, first_line, 0
    while (i := text.find("<", pos)) != -1:
        m = _TAG_NAME.match(text, i)
        if not m or (":" in m.group(1) and _AUTOLINK_TAG.match(text, i)):
            pos = i + 1
            continue
        attrs, p = [], m.end()
        while not (end := _ATTR_END.match(text, p)):
            a = _ATTR.match(text, p)
            if not a or a.end() == p:
                break
            value = a.group(2) or ""
            attrs.append((a.group(1).lower(), value[1:-1] if value[:1] in "\"'" and len(value) > 1 else value))
            p = a.end()
        if end is None:  # not a tag: `a <b` in prose, or a tag that never closes
            if p >= len(text):
                return
            pos = max(p, i + 1)
            continue
        line += text.count("\n", counted, i)
        counted = i
        yield Tag(line, m.group(1).lower(), tuple(attrs))
        pos = end.end()


def attr_lists(body: str, first_line: int) -> Iterator[tuple[int, list[tuple[str, str]]]]:
    """(line, [(attribute, value)]) for every `{...}` attr_list applies: at the end of a line (a
    block's) or right after an inline element (`)`, `*`, `_`, `>`). `.x` is ("class", "x"), `#x`
    is ("id", "x"), a bare word is an attribute of that name, as attr_list makes it."""
    if "{" not in body:
        return
    for line_no, line in prose_lines(body, first_line):
        if "{" not in line:
            continue
        for m in _attr_list_matches(line):
            attrs = []
            for t in _ATTR_TOKEN.finditer(m.group(1)):
                key = t.group(1) or t.group(3) or t.group(5)
                if key:
                    attrs.append((key.lower(), t.group(2) if t.group(1) else t.group(4) if t.group(3) else t.group(6)))
                elif word := t.group(7):
                    if word.startswith("."):
                        attrs.append(("class", word[1:]))
                    elif word.startswith("#"):
                        attrs.append(("id", word[1:]))
                    elif word != ":":
                        attrs.append((word.lower(), word))
            yield line_no, attrs


def _attr_list_matches(line: str) -> Iterator[re.Match[str]]:
    """_ATTR_LIST.finditer(line) in linear time: a match from a `{` ends at the first `}` after it,
    so each span is read once (a line of `{{{{` without `}` is not rescanned from every `{`)."""
    pos = 0
    while (i := line.find("{", pos)) != -1 and (j := line.find("}", i)) != -1:
        if (m := _ATTR_LIST.match(line, i, j + 1)) and (line[j + 1:].strip() == "" or line[i - 1:i] in (")", "*", "_", ">", "]")):
            yield m
        pos = j + 1


def snippet_lines(body: str, first_line: int) -> Iterator[int]:
    """Lines with a pymdownx.snippets marker (`--8<--`), code blocks included (snippets runs first)."""
    if "8<-" not in body:
        return
    for m in _SNIPPET_LINE.finditer(body):
        yield first_line + body.count("\n", 0, m.start())
