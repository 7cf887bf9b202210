"""The schema's rules as functions, each written once: the validator, the draft makers (contrib/),
the site and the book call these instead of restating them. Pure."""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import html
import posixpath
import re
from collections.abc import Callable, Collection, Iterable
from urllib.parse import quote, unquote

from .model import Honor, Taxonomy
from .schema import (BASICS_SECTION, HONOR_YEAR_MIN, IMAGE_PIXELS_MAX, IMAGE_SIDE_MAX, IMAGE_SUFFIXES, LESSONS_SECTION, PRACTICE_SECTION, REQUIRED_SECTIONS,
                     RESULTS_SECTION, SCRIPT_SCHEMES, SECTION_ORDER, SUMMARY_MAX, Field)

# -- vocabularies ----------------------------------------------------------------------------


def suggest(value: str, choices: Iterable[str]) -> str | None:
    """The closest allowed value, for a did-you-mean hint."""
    choices = list(choices)
    if not value:
        return None
    contains = [c for c in choices if value in c or c in value]
    if contains:
        return min(contains, key=lambda c: abs(len(c) - len(value)))
    # 0.6: one character in four may differ (东城街到 → 东城街道), not two (红色物业 is no 红色示范)
    close = difflib.get_close_matches(value, choices, n=1, cutoff=0.6)
    return close[0] if close else None


_LIST_BRACKETS = {"【": "】", "［": "］", "[": "]", "〔": "〕", "（": "）", "(": ")"}
TYPED_SEPARATORS = "，、；;"  # what people type between a list's items, other than `,`
_LIST_SEPARATORS = rf"\s*[,{TYPED_SEPARATORS}]\s*|\s+(?=-)"  # (compiled by `re` when a finding first needs it)


def list_items(text: str) -> list[str]:
    """A list as people type it where YAML reads one text (`红色示范，党员挂牌`, `【甲、乙】`,
    `-甲 -乙`, `甲；乙`): its items, in order."""
    text = text.strip()
    if text[:1] in _LIST_BRACKETS and text.endswith(_LIST_BRACKETS[text[0]]):
        text = text[1:-1]
    return [item for part in re.split(_LIST_SEPARATORS, text) if (item := part.strip().lstrip("-").strip())]


def list_choices(choices: tuple[str, ...], limit: int = 8) -> str:
    shown = "、".join(choices[:limit])
    return shown + (f" 等 {len(choices)} 项" if len(choices) > limit else "")


def vocabulary_problem(field: Field, value: str, taxonomy: Taxonomy | None) -> str | None:
    """None when `value` is allowed for `field` (or nothing to check it against: no fixed
    choices, no vocabulary, or no usable taxonomy); otherwise the E203 message with a did-you-mean."""
    if field.choices:
        choices, where = field.choices, "允许的取值"
    elif field.vocabulary and taxonomy is not None:
        choices, where = taxonomy.values(field.vocabulary), f"词表 `{field.vocabulary}` "
    else:
        return None
    if value in choices:
        return None
    hint = suggest(value, choices)
    message = f"`{field.key}`（{field.label}）：“{value}” 不在{where}中（可选：{list_choices(choices) or '词表为空'}"
    return message + (f"；是否想写“{hint}”？）" if hint else "）")


# -- single values ---------------------------------------------------------------------------


def summary_problem(summary: str) -> str | None:
    """The E212 message when a summary is longer than SUMMARY_MAX characters."""
    if len(summary) <= SUMMARY_MAX:
        return None
    return f"`summary`（摘要）有 {len(summary)} 字，超过 {SUMMARY_MAX} 字上限；请精简"


def honor_year_ok(year: int, this_year: int) -> bool:
    """An honour's year: from HONOR_YEAR_MIN up to this year."""
    return HONOR_YEAR_MIN <= year <= this_year


def honor_text(title: str, level: str, year: int) -> str:
    """How an honour reads wherever it is shown (case page, book, CSV): 名称（级别，2023 年）.
    The caller passes title and level already escaped or linked for its output."""
    return f"{title}（{level}，{year} 年）"
# How the 案例汇编 prints honours, and how an import reads them back: 名称（级别，2023年）；……
_HONOR_TEXT = re.compile(r"^(?P<title>.+?)（(?P<level>[^（），,]+)[，,]\s*(?P<year>\d{4})\s*年）$")


def honors_text(honors: Iterable[Honor]) -> str:
    """Honours as plain text (the book, CSV): each as `honor_text`, joined by ；."""
    return "；".join(honor_text(h.title, h.level, h.year) for h in honors)


def parse_honors_text(text: str) -> tuple[list[Honor], list[str]]:
    """`honors_text` read back: (honours, the parts that do not have that form)."""
    found, rest = [], []
    for part in (p.strip() for p in re.split(r"[；;]", text)):
        m = _HONOR_TEXT.match(part)
        if m:
            found.append(Honor(m.group("level").strip(), m.group("title").strip(), int(m.group("year"))))
        elif part:
            rest.append(part)
    return found, rest


_DATE_TEXT = re.compile(r"^(\d{4})\s*(?:[-/.．]|年)\s*(\d{1,2})\s*(?:[-/.．]|月)\s*(\d{1,2})\s*日?$")


def parse_date_text(text: str) -> dt.date | None:
    """2024-01-05, 2024年1月5日, 2024.1.5, 2024/1/5 -> a date; None when it is not a real day."""
    m = _DATE_TEXT.match(text.strip())
    if not m:
        return None
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


# -- sections ------------------------------------------------------------------------------------


# Headings as Chinese reports number them: 一、基本情况 / （一）建立车队。/ 1．建立制度 / （1）……
_CHINESE_NUMBER = "[一二三四五六七八九十百]{1,3}"
OUTLINE_NUMBERS = (rf"{_CHINESE_NUMBER}\s*[、.．]", rf"[（(]{_CHINESE_NUMBER}[）)]\s*[、.．]?", r"[0-9]{1,3}\s*[、.．](?![0-9])",
                   r"[（(][0-9]{1,3}[）)]\s*[、.．]?")


@functools.cache
def outline_number() -> re.Pattern:
    """Any of them in front of a line (a compilation's case titles are numbered so too: clean_title).
    Compiled when first asked for: validate needs it only for a body that lacks a section."""
    return re.compile("^(?:" + "|".join(OUTLINE_NUMBERS) + r")\s*")

# Heading texts (numbering and punctuation removed) that mean a standard section.
SECTION_SYNONYMS: dict[str, tuple[str, ...]] = {
    BASICS_SECTION: ("基本情况", "基本概况", "概况", "单位概况", "企业概况", "单位简介", "企业简介", "背景", "工作背景", "背景情况"),
    PRACTICE_SECTION: ("主要做法", "具体做法", "主要举措", "具体举措", "工作举措", "主要措施", "具体措施", "工作做法", "经验做法", "创新做法", "特色做法", "做法", "举措"),
    RESULTS_SECTION: ("取得成效", "工作成效", "取得成果", "主要成效", "取得的成效", "工作成果", "实际成效", "成效"),
    LESSONS_SECTION: ("经验启示", "经验启发", "几点启示", "经验与启示", "启示与思考", "几点体会", "经验体会", "启示", "体会"),
}
assert set(SECTION_SYNONYMS) == set(SECTION_ORDER), "every standard section needs its synonyms"


def heading_key(text: str) -> str:
    """A heading's text as SECTION_SYNONYMS lists it: blanks and punctuation removed."""
    return re.sub(r"[\s\u3000:：。．.、，,（）()“”\"'‘’《》!！?？—-]", "", text)


def section_of(text: str) -> str | None:
    """The standard section a heading text means, or None."""
    key = heading_key(text)
    for name, words in SECTION_SYNONYMS.items():
        if key in words:
            return name
    for name, words in SECTION_SYNONYMS.items():
        if any(len(w) >= 4 and w in key for w in words):
            return name
    return None


def section_problems(titles: list[str]) -> tuple[list[str], list[tuple[int, str, str]]]:
    """The schema's section rules over a body's level-2 titles, in order: (required sections that
    are missing, [(index of a title, "duplicate" | "order", the standard title it should come
    after... or before)]). The validator reports them; the draft makers put them right."""
    missing = [name for name in REQUIRED_SECTIONS if name not in titles]
    out: list[tuple[int, str, str]] = []
    seen: set[str] = set()
    last = -1
    for i, title in enumerate(titles):
        if title not in SECTION_ORDER:
            continue
        if title in seen:
            out.append((i, "duplicate", title))
            continue
        seen.add(title)
        rank = SECTION_ORDER.index(title)
        if rank < last:
            out.append((i, "order", SECTION_ORDER[last]))
        last = max(last, rank)
    return missing, out


# -- URLs --------------------------------------------------------------------------------------

_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:")
# SCRIPT_SCHEMES (schema): an address starting with one is never allowed, and a text value holding
# one is refused (sanitize.text_problem, where `data:` counts only when a media type or `,`/`;`
# follows, so that prose like "大数据: 统计" passes).
# The schemes a published link may have (the sanitiser keeps only these; the book and Word import
# keep the same links).
LINK_SCHEMES = ("http", "https", "mailto", "tel")


def plain_url(url: str) -> str:
    """The URL as a browser reads its start: entities decoded, blanks and controls removed
    (browsers drop them, or stop at them), lower case."""
    decoded = html.unescape(url)
    return "".join(ch for ch in decoded if ch > " " and ch != "\x7f").lower()


def url_kind(url: str) -> str:
    """What a link or image address points at, as a browser reads it:

    script    javascript:, vbscript:, data: (never allowed)
    web       http:// or https://
    host      //host/... (also with backslashes, which browsers read as slashes): another site
    scheme    any other scheme (mailto:, tel:, ftp: ...)
    fragment  #anchor, ?query or empty: this page
    absolute  /path: the root of whatever server hosts the site
    relative  a path inside the library
    """
    plain = plain_url(url)
    if plain.startswith(SCRIPT_SCHEMES):
        return "script"
    if plain.startswith(("http://", "https://")):
        return "web"
    if plain.startswith(("//", "\\\\", "/\\", "\\/")):
        return "host"
    if _SCHEME.match(plain):
        return "scheme"
    if not plain or plain.startswith(("#", "?")):
        return "fragment"
    if plain.startswith("/"):
        return "absolute"
    return "relative"


_COMPUTER_PATH = re.compile(r"^(?:[A-Za-z]:[\\/]|file:)", re.I)


def on_this_computer(url: str) -> bool:
    """An address of a file on the writer's own computer (`C:\\Users\\…`, `file:///…`)."""
    return bool(_COMPUTER_PATH.match(plain_url(url)))


OTHER_SITE = ("web", "host")  # url_kind's kinds of an address on another site (an image from there: E404)


def off_site(url: str) -> bool:
    """A URL that is not a path inside the site: it has a scheme (https:, data: ...) or names a host (//x)."""
    return url_kind(url) in ("script", "web", "host", "scheme")


def kept_link(url: str) -> bool:
    """A link to elsewhere that every output keeps: its scheme is one of LINK_SCHEMES."""
    return url_kind(url) in ("web", "scheme") and plain_url(url).split(":", 1)[0] in LINK_SCHEMES


def library_path(base: str, url: str) -> str | None:
    """The library file a relative address in a case names: `url` (as a browser reads the attribute:
    entities decoded; percent-encoded or not, with or without #anchor or ?query) resolved against
    `base`, the case's folder in the library; a normalised library-relative POSIX path. None when
    the address is not a relative path or leaves the library (`../`, a percent-encoded `/`).
    The site, the book and validation resolve addresses with this one function."""
    if url_kind(url) != "relative":
        return None
    target = unquote(url.split("#", 1)[0].split("?", 1)[0])
    if not target or target.startswith(("/", "\\")):
        return None
    path = posixpath.normpath(posixpath.join(base, target))
    if path == ".." or path.startswith("../") or path.startswith("/"):
        return None
    return path


def url_path(path: str) -> str:
    """A library path as a URL path: anything but letters, digits and `/-._~` percent-encoded."""
    return quote(path, safe="/")


def library_target(base: str, url: str) -> tuple[str, str] | None:
    """A relative address of a case, read as a browser reads the attribute (entities decoded):
    (the library file `library_path` names, its #anchor or ?query as written). None for any other."""
    path = library_path(base, html.unescape(url))
    if path is None:
        return None
    cut = min((i for i in (url.find("#"), url.find("?")) if i != -1), default=len(url))
    return path, url[cut:]


def library_url(base: str, url: str) -> str | None:
    """A relative address of a case written as a URL from the library's root: the file
    (`library_target`) percent-encoded, with its #anchor or ?query as written. None for any other
    address. The site and the book both read a body's addresses in this form (Python-Markdown
    cannot parse a reference definition `[x]: <a b.png>` with a space in it; `a%20b.png` it can)."""
    found = library_target(base, url)
    return None if found is None else url_path(found[0]) + found[1]


# How each raster image format begins (its magic number): a browser and the book's Typst and
# Word decode by content; a file that is no image, or another format renamed, is a broken image
# on the site and stops the book.
IMAGE_SIGNATURES = {".png": (b"\x89PNG\r\n\x1a\n",), ".jpg": (b"\xff\xd8\xff",), ".jpeg": (b"\xff\xd8\xff",),
                    ".gif": (b"GIF87a", b"GIF89a"), ".webp": (b"RIFF",)}


def image_format_problem(path: str, head: bytes) -> bool:
    """Whether a raster image file's first bytes are not those of the format its name says (SVG:
    sanitize.svg_problems reads it whole)."""
    suffix = path[path.rfind("."):].lower()
    signatures = IMAGE_SIGNATURES.get(suffix)
    if signatures is None:
        return False
    return (not head.startswith(signatures) or (suffix == ".webp" and head[8:12] != b"WEBP")
            or (suffix == ".png" and head[12:16] != b"IHDR"))  # a PNG's first chunk is its header


# The most pixels an image may have: the book's typesetter (Typst) decodes every picture whole, 4
# bytes a pixel, and a PNG of a few hundred bytes can claim 100,000 × 100,000 (30 GB: it aborted).
# 100 million is a 12,000 × 8,000 photograph, more than any camera a contributor has. Typst's
# decoders also refuse a side longer than 16,384 pixels (a 20,000 × 16 JPEG: no PDF).


def image_size(suffix: str, read: Callable[[int, int], bytes]) -> tuple[int, int] | None:
    """(width, height) a raster image's header claims, or None when the header does not say
    (a file E421 refuses, a truncated one). `read(offset, n)`: up to n bytes of the file from offset."""
    suffix = suffix.lower()
    if suffix == ".png":
        head = read(16, 8)
        return (int.from_bytes(head[:4], "big"), int.from_bytes(head[4:], "big")) if len(head) == 8 else None
    if suffix == ".gif":
        head = read(6, 4)
        return (int.from_bytes(head[:2], "little"), int.from_bytes(head[2:], "little")) if len(head) == 4 else None
    if suffix == ".webp":
        head = read(12, 18)
        if head[:4] == b"VP8X" and len(head) == 18:
            return int.from_bytes(head[12:15], "little") + 1, int.from_bytes(head[15:18], "little") + 1
        if head[:4] == b"VP8 " and len(size := read(26, 4)) == 4:
            return int.from_bytes(size[:2], "little") & 0x3FFF, int.from_bytes(size[2:], "little") & 0x3FFF
        if head[:4] == b"VP8L" and len(size := read(21, 4)) == 4:
            bits = int.from_bytes(size, "little")
            return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
        return None
    if suffix in (".jpg", ".jpeg"):
        offset = 2
        for _ in range(1000):  # segment by segment to the frame header (SOFn)
            for _ in range(64):  # fill bytes before a marker (a few, in any real file)
                if read(offset, 2) != b"\xff\xff":
                    break
                offset += 1
            marker = read(offset, 4)
            if len(marker) < 4 or marker[0] != 0xFF:
                return None
            kind, length = marker[1], int.from_bytes(marker[2:], "big")
            if 0xC0 <= kind <= 0xCF and kind not in (0xC4, 0xC8, 0xCC):
                frame = read(offset + 5, 4)
                return (int.from_bytes(frame[2:], "big"), int.from_bytes(frame[:2], "big")) if len(frame) == 4 else None
            if length < 2:
                return None
            offset += 2 + length
    return None


def image_size_problem(size: tuple[int, int] | None) -> str | None:
    """Why an image of this claimed size cannot be put in the book (E423), or None."""
    if size is None:
        return None
    width, height = size
    if width == 0 or height == 0:
        return f"宽或高是 0（{width} × {height} 像素），不是一张能显示的图片"
    if width * height > IMAGE_PIXELS_MAX:
        return f"有 {width:,} × {height:,} 像素，超过 {IMAGE_PIXELS_MAX // 10**6:,} 百万像素，排版案例汇编时要占用几十 GB 内存"
    if max(width, height) > IMAGE_SIDE_MAX:
        return f"有 {width:,} × {height:,} 像素，一边超过 {IMAGE_SIDE_MAX:,} 像素，排版案例汇编的程序读不了"
    return None


def is_image(path: str) -> bool:
    """A file the site shows as an image and the book embeds: its name ends in IMAGE_SUFFIXES."""
    return path.lower().endswith(IMAGE_SUFFIXES)


def library_image(base: str, url: str, files: Collection[str]) -> str | None:
    """The image an image's address shows: one of `files` (the library's files) named by
    `library_path` whose name ends in an image suffix (IMAGE_SUFFIXES). None for anything else (a
    case's page, a PDF, this page's `#`, a missing file): the book cannot embed it and the site
    would show a broken image. The book keeps an image, and validation accepts one (E418), only
    when this names a file."""
    path = library_path(base, url)
    return path if path is not None and path in files and is_image(path) else None
