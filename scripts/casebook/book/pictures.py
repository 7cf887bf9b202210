"""Which pictures Typst, which typesets the book's PDF, can place: the book's own rule, which
`casebook validate` asks too (E424), so that a library validate passes makes a book.

A picture is placed as `pdf.typeset` places it (a page of its own, PDF), with the library folder
as Typst's root: Typst reads nothing outside the library.
"""

from __future__ import annotations

import json
import multiprocessing
import time
from collections import deque
from collections.abc import Sequence
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from pathlib import Path

from ..core.load import read_image_heads

# Pixels one process decodes before a new one takes over: Typst keeps every picture it decoded for
# the life of its process (comemo), four bytes a pixel and more, so a process holds at most about
# 200 MB. Raster pictures up to IN_PROCESS_PIXELS in all (what is kept is small) are placed here.
BATCH_PIXELS = 50_000_000
IN_PROCESS_PIXELS = 2_000_000
SVG_PIXELS = 250_000  # an SVG's cost, for batching only (it has no pixel size of its own)
# An SVG Typst has not placed after this long is refused: a few KB of filters (dozens of large
# blurs) take it minutes, in validate and again in the book. A raster picture's time is bounded by
# its pixels, which E423 bounds (100 million pixels of noise: 9 s here).
PICTURE_SECONDS = 20
WORKERS = 2  # processes at a time: one per core of the machines this runs on


def pictures_refused(root: Path, rels: Sequence[str]) -> dict[str, str]:
    """Why the book cannot place each of these pictures (library paths; a phrase that follows the
    picture's name), in the order given; the pictures it can place are absent.

    Each is placed on a page of its own, as `pdf.typeset` places it. Small raster pictures are
    placed in this process, all in one go (a run that fails is halved down to the pictures that
    fail alone). The rest in processes of their own, WORKERS at a time, each placing at most
    BATCH_PIXELS; a process that takes longer than PICTURE_SECONDS over an SVG is stopped and
    that SVG refused; one that dies refuses the picture it was placing."""
    if not rels:
        return {}
    batches = _batches(root, rels)
    if len(batches) == 1 and batches[0][1] <= IN_PROCESS_PIXELS and not any(_is_svg(rel) for rel in rels):
        found = {rel: _undecodable(reason) for rel, reason in _typst_refuses(str(root), list(rels)).items()}
    else:
        found = _in_children(str(root), [batch for batch, _ in batches])
    return {rel: found[rel] for rel in rels if rel in found}


def _undecodable(typst_says: str) -> str:
    return f"的内容解不开（排版程序 Typst 说：{typst_says}），网页上多半也显示为破图"


def _is_svg(rel: str) -> bool:
    return rel.lower().endswith(".svg")


def _typst_refuses(root: str, rels: list[str]) -> dict[str, str]:
    """Typst's own words for each of `rels` it cannot place: one compile of them all, halved on failure."""
    import typst

    try:
        typst.compile(b"#for src in json(bytes(sys.inputs.srcs)) { page(image(src)) }", root=root, ignore_system_fonts=True,
                      sys_inputs={"srcs": json.dumps(["/" + rel for rel in rels])}, format="pdf")
        return {}
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # TypstError; or a panic of the compiler (pyo3's PanicException is a BaseException)
        if len(rels) == 1:
            return {rels[0]: " ".join(str(exc).split()) or type(exc).__name__}
    half = len(rels) // 2
    return _typst_refuses(root, rels[:half]) | _typst_refuses(root, rels[half:])


def _place_each(root: str, rels: list[str], out: Connection) -> None:
    """(In a process of its own.) Each of `rels` placed alone; after each, (path, Typst's words
    or None) sent to `out`, so that the parent knows which picture a slow or dead process was on."""
    for rel in rels:
        out.send((rel, _typst_refuses(root, [rel]).get(rel)))
    out.close()


def _in_children(root: str, batches: list[list[str]]) -> dict[str, str]:
    context = multiprocessing.get_context("spawn")  # not fork: the caller may have threads (the preview)
    todo = deque(batches)
    running: dict[Connection, tuple[BaseProcess, list[str]]] = {}
    since: dict[Connection, float] = {}  # when each process began its current picture
    found: dict[str, str] = {}

    def start(batch: list[str]) -> None:
        here, there = context.Pipe(duplex=False)
        process = context.Process(target=_place_each, args=(root, batch, there), daemon=True)
        process.start()
        there.close()
        running[here], since[here] = (process, list(batch)), time.monotonic()

    def stop(conn: Connection, why: str | None) -> None:
        process, left = running.pop(conn)
        del since[conn]
        if why is not None:
            process.kill()
        process.join()
        conn.close()
        if left:  # it was on left[0]: refused; the rest go on in a new process
            found[left[0]] = why or f"让排版程序 Typst 中途退出了（退出码 {process.exitcode}）"
            if left[1:]:
                todo.appendleft(left[1:])

    try:
        while todo or running:
            while todo and len(running) < WORKERS:
                start(todo.popleft())
            due = [since[conn] + PICTURE_SECONDS for conn, (_, left) in running.items() if left and _is_svg(left[0])]
            for conn in wait(list(running), timeout=max(0.0, min(due) - time.monotonic()) if due else None):
                try:
                    rel, typst_says = conn.recv()
                except EOFError:  # the process has ended: done, or died over its current picture
                    stop(conn, None)
                    continue
                left = running[conn][1]
                left.remove(rel)
                since[conn] = time.monotonic()
                if typst_says is not None:
                    found[rel] = _undecodable(typst_says)
            now = time.monotonic()
            for conn in [c for c, (_, left) in running.items() if left and _is_svg(left[0]) and now - since[c] > PICTURE_SECONDS]:
                stop(conn, f"要排版程序 Typst 花 {PICTURE_SECONDS} 秒以上才能放进案例汇编（多半是 SVG 中模糊之类的滤镜太多、太大）")
    finally:
        for conn in list(running):
            running[conn][0].kill()
            stop(conn, "")
    return found


class PictureVerdicts:
    """`pictures_refused`, each picture's verdict kept while its file is unchanged (size,
    modification time, inode): `casebook serve` asks again after every save."""

    def __init__(self) -> None:
        self.known: dict[tuple[str, tuple], str | None] = {}

    def __call__(self, root: Path, rels: Sequence[str]) -> dict[str, str]:
        keys = {rel: (rel, _stamp(root / rel)) for rel in rels}
        unknown = [rel for rel in rels if keys[rel] not in self.known]
        refused = pictures_refused(root, unknown)
        self.known = {key: self.known[key] if key in self.known else refused.get(rel) for rel, key in keys.items()}
        return {rel: reason for rel in rels if (reason := self.known[keys[rel]]) is not None}


def _stamp(path: Path) -> tuple:
    try:
        st = path.stat()
    except OSError:
        return ()
    return (st.st_mtime_ns, st.st_size, st.st_ino, st.st_ctime_ns)


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
