"""`[func(x) for x in items]` on every core: the calling process and forked children take the
items a chunk at a time, and the results come back in order.

Reading and judging the case files is pure, per-file work (2,000 cases: 0.6 s of CPU); on two
cores it takes half the time. A forked child inherits what the caller has set up (the taxonomy,
the library's list of files) without sending it, and sends back its results pickled.

Chunks, not fixed shares: a child judges more slowly than the caller (its first writes copy the
pages it shares with the caller) and must also pickle what it found, which the caller then
unpickles. Each process claims the next chunk from a pipe of chunk numbers as it gets free, and
the caller reads a child's finished chunks between its own, so all finish together.

Only where forking is safe and cheap: Linux (elsewhere `fork` without `exec` is discouraged or
missing), a process with a single thread (a fork copies no other thread, and locks another
thread held stay held in the child), and enough items that a child pays for itself. Otherwise,
and for every chunk a child did not deliver, the caller does the work itself: the result is
always the same list.
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

MIN_PER_PROCESS = 250  # 2,000 cases judge in 0.6 s: 250 are 75 ms, a fork and its results about 10 ms


def processes(count: int, min_per_process: int = MIN_PER_PROCESS) -> int:
    """How many processes (the caller included) share `count` items here."""
    if sys.platform != "linux" or not hasattr(os, "fork") or not _single_threaded():
        return 1
    cores = len(os.sched_getaffinity(0))
    return max(1, min(cores, count // min_per_process))


def _single_threaded() -> bool:
    """One thread in this process: Python's own, and those a library started that Python does not
    list (numpy's BLAS starts one on import)."""
    if threading.active_count() != 1:
        return False
    try:
        with open("/proc/self/status", "rb") as status:
            for line in status:
                if line.startswith(b"Threads:"):
                    return int(line.split()[1]) == 1
    except (OSError, ValueError):
        pass
    return False


CHUNKS_PER_PROCESS = 16  # fine enough that the last chunk is a short wait


def map_forked(func: Callable[[T], R], items: Sequence[T], min_per_process: int = MIN_PER_PROCESS) -> list[R]:
    """`[func(x) for x in items]`, shared among `processes(len(items))` processes."""
    n = processes(len(items), min_per_process)
    if n == 1:
        return [func(x) for x in items]
    size = max(1, -(-len(items) // (n * CHUNKS_PER_PROCESS)))
    chunks = [items[i:i + size] for i in range(0, len(items), size)]
    queue, numbers = os.pipe()  # chunk numbers, 4 bytes each: a pipe read of 4 bytes takes one whole
    os.write(numbers, b"".join(k.to_bytes(4, "little") for k in range(len(chunks))))  # < 64 KB: never blocks
    os.close(numbers)
    children: list[_Child] = []
    try:
        for _ in range(n - 1):
            children.append(_start(func, chunks, queue, children))
        done: dict[int, list] = {}
        while (k := _claim(queue)) is not None:
            done[k] = [func(x) for x in chunks[k]]
            for child in children:
                done.update(_receive(child, block=False))
        for child in children:
            done.update(_receive(child, block=True))
            _reap(child)
        out: list[R] = []
        for k, chunk in enumerate(chunks):  # a chunk a child claimed but did not deliver: done here
            out += done[k] if k in done else [func(x) for x in chunk]
        return out
    finally:
        os.close(queue)
        for child in children:
            _reap(child)


def _claim(queue: int) -> int | None:
    number = os.read(queue, 4)
    return int.from_bytes(number, "little") if number else None


class _Child:
    def __init__(self, pid: int, fd: int) -> None:
        self.pid, self.fd, self.reaped = pid, fd, False
        self.received = bytearray()


def _start(func: Callable[[T], R], chunks: list[Sequence[T]], queue: int, others: list[_Child]) -> _Child:
    read, write = os.pipe()
    with contextlib.suppress(OSError, AttributeError):  # a larger pipe: the child waits less for the caller to read
        fcntl.fcntl(write, fcntl.F_SETPIPE_SZ, 1 << 20)
    pid = os.fork()
    if pid == 0:  # the child: work, send, leave without running the parent's exit handlers
        status = 1
        try:
            gc.disable()  # short-lived: its memory goes with it, and a collection would copy every page it walks
            os.close(read)
            for other in others:
                os.close(other.fd)
            with os.fdopen(write, "wb") as pipe:
                while (k := _claim(queue)) is not None:
                    frame = pickle.dumps((k, [func(x) for x in chunks[k]]), protocol=pickle.HIGHEST_PROTOCOL)
                    pipe.write(len(frame).to_bytes(8, "little") + frame)
                    pipe.flush()
            status = 0
        finally:
            os._exit(status)
    os.close(write)
    os.set_blocking(read, False)
    return _Child(pid, read)


def _receive(child: _Child, block: bool) -> dict[int, list]:
    """The chunks a child has finished, read from its pipe: what is there now, or (block) all it
    will send. A frame cut short (the child died while writing) is dropped: its chunk is redone."""
    if child.fd < 0:
        return {}
    if block:
        os.set_blocking(child.fd, True)
    while True:
        try:
            data = os.read(child.fd, 1 << 20)
        except BlockingIOError:
            break
        if not data:
            os.close(child.fd)
            child.fd = -1
            break
        child.received += data
    found, buffer, at = {}, child.received, 0
    with memoryview(buffer) as view:
        while len(buffer) - at >= 8 and len(buffer) - at - 8 >= (size := int.from_bytes(view[at:at + 8], "little")):
            try:
                k, results = pickle.loads(view[at + 8:at + 8 + size])
            except Exception:  # not what a child writes: nothing more is taken from it (its chunks are redone)
                at = len(buffer)
                if child.fd >= 0:
                    os.close(child.fd)
                    child.fd = -1
                break
            found[k] = results
            at += 8 + size
    del buffer[:at]
    return found


def _reap(child: _Child) -> None:
    """A child stopped (when it is still running: the caller's own work raised, or Ctrl+C) and
    waited for; its pipe closed."""
    if child.fd >= 0:
        os.close(child.fd)
        child.fd = -1
    if not child.reaped:
        child.reaped = True
        try:
            os.kill(child.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(child.pid, 0)
