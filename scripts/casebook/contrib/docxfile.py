"""The .docx container, read with bounded memory and time (no python-docx: it loads the whole body).

A .docx is a zip of XML parts. `Package(data)` checks the zip before anything is unpacked (its
size, the number of entries, what they unpack to), finds the main document part through the
package relationships, and reads the small parts (styles, numbering, footnotes, relationships)
with a hardened parser: no DTD, no entities, no network. The body is never held whole:
`Package.blocks()` streams it with lxml's iterparse and hands out one paragraph or table at a
time, dropping each once the caller is done, so memory stays flat however long the document is.

Every reader of a .docx meets the same `Limits`; passing one is a WordError whose message says
which limit and what to do, and nothing is written.
"""

from __future__ import annotations

import io
import posixpath
import struct
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field

from lxml import etree

from .errors import WordError

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"


def w(tag: str) -> str:
    """The Clark name of a WordprocessingML element or attribute: w("p") -> {...main}p."""
    return f"{{{W_NS}}}{tag}"


@dataclass(frozen=True)
class Limits:
    """What one import may read. A 汇编 of a few hundred cases with photos is far below each."""

    file_bytes: int = 200_000_000  # the file on disk
    unpacked_bytes: int = 200_000_000  # all parts, unpacked (zip bombs)
    entries: int = 10_000  # parts in the zip
    part_bytes: int = 10_000_000  # one small XML part: styles, numbering, footnotes, relationships
    block_bytes: int = 8_000_000  # the XML of one paragraph or table of the body
    paragraphs: int = 200_000
    tables: int = 10_000
    images: int = 5_000  # pictures placed in the text (a picture used twice counts twice)
    seconds: float = 60.0  # reading and recognising, wall clock


LIMITS = Limits()
_MB = 1_000_000


def _mb(n: int) -> str:
    return f"{n / _MB:g} MB"


# Paragraphs, tables and images: "文档的段落超过 200,000 个".
_COUNTED = {"paragraphs": ("段落", "个"), "tables": ("表格", "个"), "images": ("图片", "张")}


@dataclass
class Meter:
    """Counts what a reading meets against `limits` and watches the clock; WordError past a limit."""

    limits: Limits = LIMITS
    started: float = field(default_factory=time.monotonic)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_COUNTED, 0))

    def count(self, what: str, n: int = 1) -> None:
        self.counts[what] += n
        limit = getattr(self.limits, what)
        if self.counts[what] > limit:
            noun, unit = _COUNTED[what]
            raise WordError(f"文档的{noun}超过 {limit:,} {unit}（一次导入的上限），没有导入；请把文档拆成几个较小的文件分别导入")

    def tick(self) -> None:
        if time.monotonic() - self.started > self.limits.seconds:
            raise WordError(f"读取文档超过 {self.limits.seconds:g} 秒（一次导入的上限），已停止，没有写入任何文件；"
                            "文档可能过大或结构异常，请拆成几个较小的文件，或在 Word 中“另存为” .docx 后再试")


# The parser for every XML part: no DTD loaded, no entity expanded, nothing fetched, libxml2's
# default depth and size limits kept (huge_tree off).
_PARSER_OPTIONS = {"resolve_entities": False, "load_dtd": False, "no_network": True, "huge_tree": False}
_DOCTYPE_MARKS = tuple(s.encode(enc) for s in ("<!DOCTYPE", "<!ENTITY") for enc in ("utf-8", "utf-16-le", "utf-16-be"))
_PROLOG_BYTES = 65_536


def _dtd_refused(name: str) -> WordError:
    return WordError(f"文档的 {name} 含有 DTD 或实体声明（<!DOCTYPE>），Word 不会写出这样的文件，可能是恶意构造的；没有导入")


def _check_prolog(head: bytes, name: str) -> None:
    if any(mark in head for mark in _DOCTYPE_MARKS):
        raise _dtd_refused(name)


def _broken(exc: Exception) -> WordError:
    return WordError(f"文件已损坏或不是 Word 文档（.docx），无法读取（{type(exc).__name__}）；请在 Word 中打开后“另存为” .docx 再试")


_READ_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, ValueError, EOFError, OSError, etree.XMLSyntaxError,
                NotImplementedError, RuntimeError)  # RuntimeError: an encrypted entry


class _MeteredStream(io.RawIOBase):
    """A zip entry read by the streaming parser: checks the prolog for a DTD, refuses a block
    (bytes read since the last `mark`) over the limit, and watches the clock."""

    def __init__(self, raw, name: str, meter: Meter):
        self.raw, self.name, self.meter = raw, name, meter
        self.read_total = self.marked = 0

    def readable(self) -> bool:
        return True

    def mark(self) -> None:
        self.marked = self.read_total

    def read(self, size: int = -1) -> bytes:
        chunk = self.raw.read(size if size and size > 0 else 65_536)
        if self.read_total < _PROLOG_BYTES:
            _check_prolog(chunk, self.name)
        self.read_total += len(chunk)
        if self.read_total - self.marked > self.meter.limits.block_bytes:
            raise WordError(f"文档中有一个段落或表格超过 {_mb(self.meter.limits.block_bytes)}（上限），不像是正常的文档，没有导入；"
                            "请在 Word 中打开检查，或拆成几个文件后再试")
        self.meter.tick()
        return chunk


def _zip_entries(data: bytes) -> int | None:
    """The entry count of a zip's end-of-central-directory record (0xFFFF for zip64), or None.
    Read before zipfile loads the central directory, whose size grows with the entries."""
    at = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
    if at < 0 or at + 22 > len(data):
        return None
    return struct.unpack("<H", data[at + 10: at + 12])[0]


# Blocks of the body: paragraphs and tables, seen through content controls and custom XML.
TRANSPARENT = frozenset({w("sdt"), w("sdtContent"), w("customXml")})
W_P, W_BODY, W_DOCUMENT = w("p"), w("body"), w("document")
_STREAM_TAGS = (W_P, w("tbl"))


def _container(element):
    """The nearest ancestor that is not a content control or custom XML."""
    parent = element.getparent()
    while parent is not None and parent.tag in TRANSPARENT:
        parent = parent.getparent()
    return parent


class Package:
    """A .docx package: its main document part, relationships, small parts and picture bytes."""

    def __init__(self, data: bytes, limits: Limits = LIMITS, meter: Meter | None = None):
        self.limits = limits
        self.meter = meter or Meter(limits)
        if len(data) > limits.file_bytes:
            raise WordError(f"文件超过 {_mb(limits.file_bytes)}（上限），不像是案例文档；请压缩图片或拆成几个文件后再导入")
        entries = _zip_entries(data)
        if entries is None:
            raise WordError("文件已损坏或不完整（找不到 zip 目录，可能只下载或复制了一部分），无法读取；请重新获取文件，或在 Word 中打开后“另存为” .docx 再试")
        if entries > limits.entries:
            raise WordError(f"文件中有 {entries:,} 个以上的部件（上限 {limits.entries:,}），不像是 Word 文档；没有导入")
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(data))
            infos = self.zip.infolist()
        except _READ_ERRORS as exc:
            raise _broken(exc) from exc
        if sum(i.file_size for i in infos) > limits.unpacked_bytes:
            raise WordError(f"文件解压后超过 {_mb(limits.unpacked_bytes)}（上限），不像是案例文档；请压缩图片后再试")
        self.sizes = {i.filename: i.file_size for i in infos}
        main = self.target("", "officeDocument")
        if main is None or main not in self.sizes:
            raise WordError("这不是 Word 文档（.docx）：压缩包里没有 Word 的正文；请在 Word/WPS 中“另存为” .docx 格式后再导入")
        self.main = main
        self.rels = self.relationships(main)

    # -- parts --------------------------------------------------------------------------

    def read(self, name: str, limit: int) -> bytes:
        size = self.sizes.get(name)
        if size is None:
            raise KeyError(name)
        if size > limit:
            raise WordError(f"文档的 {name} 超过 {_mb(limit)}（上限），不像是正常的文档，没有导入")
        try:
            return self.zip.read(name)
        except _READ_ERRORS as exc:
            raise _broken(exc) from exc

    def xml(self, name: str):
        """A small XML part parsed whole (size-capped), or None when the package lacks it."""
        if name not in self.sizes:
            return None
        data = self.read(name, self.limits.part_bytes)
        _check_prolog(data[:_PROLOG_BYTES], name)
        try:
            root = etree.fromstring(data, etree.XMLParser(**_PARSER_OPTIONS))
        except etree.XMLSyntaxError as exc:
            raise _broken(exc) from exc
        if root.getroottree().docinfo.internalDTD is not None:
            raise _dtd_refused(name)
        return root

    def relationships(self, part: str) -> dict[str, tuple[str, str, bool]]:
        """rId -> (type's last word, target part name or external address, external) of a part."""
        folder, base = posixpath.split(part)
        root = self.xml(posixpath.join(folder, "_rels", base + ".rels"))
        out = {}
        for rel in root.iter(f"{{{REL_NS}}}Relationship") if root is not None else ():
            rid, kind, target = rel.get("Id"), (rel.get("Type") or "").rsplit("/", 1)[-1], rel.get("Target") or ""
            external = rel.get("TargetMode") == "External"
            if rid:
                out[rid] = (kind, target if external else _resolve(folder, target), external)
        return out

    def target(self, part: str, kind: str) -> str | None:
        """The part a relationship of type `kind` of `part` points to (the first one), or None;
        part "" is the package itself (_rels/.rels)."""
        rels = self.rels if part == getattr(self, "main", None) else self.relationships(part)
        return next((t for k, t, ext in rels.values() if k == kind and not ext and t), None)

    def related_xml(self, kind: str):
        """The main part's related XML part of a type (styles, numbering, footnotes ...), or None."""
        name = self.target(self.main, kind)
        return self.xml(name) if name else None

    def blob(self, name: str) -> bytes:
        return self.read(name, self.limits.unpacked_bytes)

    # -- the body -----------------------------------------------------------------------

    def blocks(self) -> Iterator:
        """The body's paragraphs and tables in order, one at a time (content controls and custom
        XML are looked through). Each element is emptied once the caller moves on; its ancestors
        (an sdt's properties) are still there while it is handed out."""
        try:
            raw = self.zip.open(self.main)
        except _READ_ERRORS as exc:
            raise _broken(exc) from exc
        stream = _MeteredStream(raw, self.main, self.meter)
        checked, body = False, None
        counts = self.meter.counts
        max_paragraphs, max_tables = self.limits.paragraphs, self.limits.tables
        try:
            events = etree.iterparse(stream, events=("end",), tag=_STREAM_TAGS, **_PARSER_OPTIONS)
            for _, element in events:
                if not checked:
                    if element.getroottree().docinfo.internalDTD is not None:
                        raise _dtd_refused(self.main)
                    checked = True
                kind = "paragraphs" if element.tag == W_P else "tables"
                counts[kind] += 1
                if counts[kind] > (max_paragraphs if kind == "paragraphs" else max_tables):
                    self.meter.count(kind, 0)  # says which limit
                parent = element.getparent()
                if parent is not body:
                    if parent is not None and parent.tag in TRANSPARENT:
                        parent = _container(element)
                    if parent is None or parent.tag != W_BODY or parent.getparent() is None or parent.getparent().tag != W_DOCUMENT:
                        continue
                    if parent is element.getparent():
                        body = parent
                yield element
                parent = element.getparent()
                element.clear()
                while element.getprevious() is not None:
                    del parent[0]
                stream.mark()
            root = events.root
        except _READ_ERRORS as exc:
            raise _broken(exc) from exc
        if root is None or root.tag != W_DOCUMENT:
            raise WordError("这不是 Word 文档（.docx）：正文部分不是 Word 的格式（可能是 Excel 或 PowerPoint 文件）；请在 Word/WPS 中“另存为” .docx 格式后再导入")
        if not checked and root.getroottree().docinfo.internalDTD is not None:
            raise _dtd_refused(self.main)


def _resolve(folder: str, target: str) -> str:
    """A relationship target -> a part name in the zip (no leading slash, no ..)."""
    if target.startswith("/"):
        return posixpath.normpath(target.lstrip("/"))
    joined = posixpath.normpath(posixpath.join(folder, target))
    return joined.lstrip("/") if not joined.startswith("..") else ""


def read_limited(path, limits: Limits = LIMITS) -> bytes:
    """A file's bytes, refusing one over `limits.file_bytes` before reading it (OSError passes)."""
    from pathlib import Path

    size = Path(path).stat().st_size
    if size > limits.file_bytes:
        raise WordError(f"文件超过 {_mb(limits.file_bytes)}（上限），不像是案例文档；请压缩图片或拆成几个文件后再导入")
    return Path(path).read_bytes()
