"""Which pictures Typst, which typesets the book's PDF, can place: the book's own rule, which
`casebook validate` asks too (E424), so that a library validate passes makes a book.

A picture is placed as `pdf.typeset` places it (a page of its own, PDF; an SVG with text with the
book's fonts), with the library folder as Typst's root: Typst reads nothing outside the library.
"""

from __future__ import annotations

import json
import multiprocessing
import re
import time
from collections import deque
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from pathlib import Path

from ..core.load import file_stamp, read_image_heads
from ..core.schema import is_svg
from .errors import BookError, FontError

# Pixels one process decodes before a new one takes over: Typst keeps every picture it decoded for
# the life of its process (comemo), four bytes a pixel and more, so a process holds at most about
# 200 MB. Raster pictures up to IN_PROCESS_PIXELS in all (what is kept is small) are placed here.
BATCH_PIXELS = 50_000_000
IN_PROCESS_PIXELS = 2_000_000
SVG_PIXELS = 250_000  # an SVG's cost, for batching only (it has no pixel size of its own)
# A picture Typst has not placed after this long is refused. An SVG's time has no bound: a few KB
# of filters (dozens of large blurs) take Typst minutes, in validate and again in the book. A
# raster picture's is bounded by its pixels, which E423 bounds (100 million pixels of noise: 9 s
# here); its limit only keeps a hang from lasting for ever.
SVG_SECONDS = 20
RASTER_SECONDS = 300
START_SECONDS = 120  # for a new process to import Typst and say it is ready
WORKERS = 2  # processes at a time: one per core of the machines this runs on
# Text in an SVG is drawn with the fonts Typst is given (the book gives its CJK fonts): only such
# an SVG is placed with them, as loading them costs each placing about 70 ms.
_SVG_TEXT = re.compile(rb"<(?:[\w.-]+:)?text[\s>/]")


class Refusal(str):
    """Why the book cannot place a picture: a phrase that follows the picture's name and ends with
    what to do. `lasting` is False for a verdict of this machine at this moment (too slow, the
    process died), which a later check asks again."""

    lasting = True


def _for_now(why: str) -> Refusal:
    refusal = Refusal(why)
    refusal.lasting = False
    return refusal


def _undecodable(typst_says: str) -> Refusal:
    return Refusal(f"的内容解不开（排版程序 Typst 说：{typst_says}），案例汇编无法收入它，网页上多半也显示为破图；请用看图或绘图软件打开它，"
                   "另存为 PNG 或 JPEG（SVG 的宽和高不能为 0）后再放回库中")


def _too_slow(seconds: float) -> Refusal:
    return _for_now(f"要排版程序 Typst 花 {seconds:g} 秒以上才能放进案例汇编（SVG 中模糊之类的滤镜太多、太大时会这样）；"
                    "请在绘图软件里减少这些效果，或另存为 PNG 后再放回库中")


def _died(code: int | None) -> Refusal:
    return _for_now(f"让排版程序 Typst 中途退出了（退出码 {code}；也可能是这台机器的内存不够），案例汇编无法收入它；"
                    "请用看图或绘图软件打开它，另存为较小的 PNG 或 JPEG 后再放回库中")


class PictureCheckError(BookError):
    """The picture check itself could not run (Typst would not start): nothing to blame a picture for."""


def pictures_refused(root: Path, rels: Sequence[str], say: Callable[[str], None] | None = None) -> dict[str, Refusal]:
    """Why the book cannot place each of these pictures (library paths), in the order given; the
    pictures it can place are absent.

    Each is placed on a page of its own, as `pdf.typeset` places it. Small raster pictures are
    placed in this process, all in one go (a run that fails is halved down to the pictures that
    fail alone). The rest in processes of their own, WORKERS at a time, each placing at most
    BATCH_PIXELS; a process that takes longer than SVG_SECONDS over an SVG (RASTER_SECONDS over
    another picture) is stopped and that picture refused; one that dies refuses the picture it
    was placing. PictureCheckError when a process cannot start Typst at all. `say`: told, before
    that slower road is taken, how many pictures it is for (a library of photos takes minutes)."""
    if not rels:
        return {}
    batches = _batches(root, rels)
    if len(batches) == 1 and batches[0][1] <= IN_PROCESS_PIXELS and not any(is_svg(rel) for rel in rels):
        found = {rel: _undecodable(says) for rel, says in _typst_refuses(str(root), list(rels), []).items()}
    else:
        if say is not None:
            say(f"正在请排版程序 Typst 逐张试放 {len(rels):,} 张图片，看案例汇编能否收入（E424；一张照片约 0.05 秒）…")
        found = _in_children(str(root), [batch for batch, _ in batches], _text_fonts(root, rels))
    return {rel: found[rel] for rel in rels if rel in found}


class PictureVerdicts:
    """`pictures_refused`, each picture's lasting verdict kept while its file is unchanged (size,
    modification time, inode): `casebook serve` asks again after every save."""

    def __init__(self, say: Callable[[str], None] | None = None) -> None:
        self.known: dict[tuple[str, tuple | None], Refusal | None] = {}
        self.say = say  # as pictures_refused's

    def __call__(self, root: Path, rels: Sequence[str]) -> dict[str, Refusal]:
        keys = {rel: (rel, file_stamp(root / rel)) for rel in rels}
        unknown = [rel for rel in rels if keys[rel] not in self.known]
        refused = pictures_refused(root, unknown, self.say)
        verdicts = {rel: self.known[keys[rel]] if rel not in unknown else refused.get(rel) for rel in rels}
        self.known = {keys[rel]: why for rel, why in verdicts.items() if why is None or why.lasting}
        return {rel: why for rel, why in verdicts.items() if why is not None}


def _text_fonts(root: Path, rels: Sequence[str]) -> dict[str, list[str]]:
    """The book's font folders for each SVG with text among `rels` (none found: none given, as
    without them the book's PDF is not made at all)."""
    texts = []
    for rel in rels:
        if is_svg(rel):
            try:
                if _SVG_TEXT.search((root / rel).read_bytes()):
                    texts.append(rel)
            except OSError:
                pass
    if not texts:
        return {}
    from .fonts import find_cjk_fonts

    try:
        dirs = list(find_cjk_fonts().dirs)
    except FontError:
        return {}
    return {rel: dirs for rel in texts}


def _batches(root: Path, rels: Sequence[str]) -> list[tuple[list[str], int]]:
    """`rels` in runs of at most BATCH_PIXELS (as their headers claim; E423 bounds each), with
    the pixels of each run."""
    sizes = read_image_heads(root, tuple(rels))
    batches: list[tuple[list[str], int]] = [([], 0)]
    for rel in rels:
        size = sizes.get(rel, (b"", None))[1]
        cost = size[0] * size[1] if size else SVG_PIXELS
        batch, pixels = batches[-1]
        if batch and pixels + cost > BATCH_PIXELS:
            batches.append(([], 0))
            batch, pixels = batches[-1]
        batch.append(rel)
        batches[-1] = (batch, pixels + cost)
    return batches


def _typst_refuses(root: str, rels: list[str], font_dirs: list[str]) -> dict[str, str]:
    """Typst's own words for each of `rels` it cannot place: one compile of them all, halved on failure."""
    import typst

    try:
        typst.compile(b"#for src in json(bytes(sys.inputs.srcs)) { page(image(src)) }", root=root, font_paths=font_dirs,
                      ignore_system_fonts=True, sys_inputs={"srcs": json.dumps(["/" + rel for rel in rels])}, format="pdf")
        return {}
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # TypstError; or a panic of the compiler (pyo3's PanicException is a BaseException)
        if len(rels) == 1:
            return {rels[0]: " ".join(str(exc).split()) or type(exc).__name__}
    half = len(rels) // 2
    return _typst_refuses(root, rels[:half], font_dirs) | _typst_refuses(root, rels[half:], font_dirs)


_READY = ""  # what a new process sends once Typst is loaded
PROCESS_NAME = "casebook-picture-check"


def _place_each(root: str, rels: list[str], fonts: dict[str, list[str]], out: Connection) -> None:
    """(In a process of its own.) Typst loaded, then each of `rels` placed alone; after each,
    (path, Typst's words or None) sent to `out`, so that the parent knows which picture a slow or
    dead process was on."""
    import typst  # noqa: F401  (loaded before the first picture's clock starts)

    out.send((_READY, None))
    for rel in rels:
        out.send((rel, _typst_refuses(root, [rel], fonts.get(rel, [])).get(rel)))
    out.close()


def _in_children(root: str, batches: list[list[str]], fonts: dict[str, list[str]]) -> dict[str, Refusal]:
    context = multiprocessing.get_context("spawn")  # not fork: the caller may have threads (the preview)
    todo = deque(batches)
    running: dict[Connection, tuple[BaseProcess, list[str]]] = {}
    ready: set[Connection] = set()
    since: dict[Connection, float] = {}  # when each process began its current picture (or started)
    found: dict[str, Refusal] = {}

    def start(batch: list[str]) -> None:
        here, there = context.Pipe(duplex=False)
        process = context.Process(target=_place_each, args=(root, batch, fonts, there), name=PROCESS_NAME, daemon=True)
        process.start()
        there.close()
        running[here], since[here] = (process, list(batch)), time.monotonic()

    def limit(conn: Connection) -> float:
        left = running[conn][1]
        if conn not in ready:
            return START_SECONDS
        return SVG_SECONDS if left and is_svg(left[0]) else RASTER_SECONDS

    def stop(conn: Connection, killed: bool) -> None:
        seconds = limit(conn)
        process, left = running.pop(conn)
        del since[conn]
        if killed:
            process.kill()
        process.join()
        conn.close()
        if conn not in ready:
            raise PictureCheckError(f"无法启动排版程序 Typst 来检查图片（子进程退出码 {process.exitcode}）；"
                                    "请确认 typst 已按 requirements.lock 安装（make 会安装），机器的内存没有用尽")
        ready.discard(conn)
        if left:  # it was on left[0]: refused; the rest go on in a new process
            found[left[0]] = _too_slow(seconds) if killed else _died(process.exitcode)
            if left[1:]:
                todo.appendleft(left[1:])

    try:
        while todo or running:
            while todo and len(running) < WORKERS:
                start(todo.popleft())
            due = min(since[conn] + limit(conn) for conn in running)
            for conn in wait(list(running), timeout=max(0.0, due - time.monotonic())):
                try:
                    rel, typst_says = conn.recv()
                except EOFError:  # the process has ended: done, or died over its current picture
                    stop(conn, killed=False)
                    continue
                since[conn] = time.monotonic()
                if rel == _READY:
                    ready.add(conn)
                    continue
                running[conn][1].remove(rel)
                if typst_says is not None:
                    found[rel] = _undecodable(typst_says)
            now = time.monotonic()
            for conn in [c for c in running if now - since[c] > limit(c)]:
                stop(conn, killed=True)
    finally:
        for conn in list(running):
            running[conn][0].kill()
            running[conn][0].join()
            conn.close()
    return found
