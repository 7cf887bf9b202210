"""Stage lines for long work, so a build of thousands of cases never looks hung: one line a stage,
`<stage>：<counts>（<seconds> 秒）`. Pure: a clock and text; the glue decides where lines go.
And points where long work gives way to urgent work (`give_way`)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager


def stage_line(stage: str, counts: str, seconds: float) -> str:
    """`写出页面：5,060 个页面（40.2 秒）`."""
    return f"{stage}：{counts}（{seconds:.1f} 秒）"


def amount(n: int, unit: str) -> str:
    """5060, "个页面" -> "5,060 个页面"."""
    return f"{n:,} {unit}"


def megabytes(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


class Stages:
    """Times consecutive stages: each `done` reports the time since the previous one (or since
    the start) through `emit`."""

    def __init__(self, emit: Callable[[str], None], clock: Callable[[], float] = time.monotonic) -> None:
        self.emit, self.clock = emit, clock
        self.started = self.last = clock()

    def done(self, stage: str, counts: str) -> float:
        now = self.clock()
        seconds, self.last = now - self.last, now
        self.emit(stage_line(stage, counts, seconds))
        return seconds

    def restart(self) -> None:
        """The next stage starts now (time spent elsewhere is not counted)."""
        self.last = self.clock()

    def total(self) -> float:
        return self.clock() - self.started


# -- giving way ----------------------------------------------------------------------------------
# `casebook serve` validates and assembles the whole library again in a thread of its own while
# another thread shows the page just edited; both need the one interpreter lock. Long loops of the
# core call `give_way()` now and then, which does nothing unless the calling thread has a hook
# (`giving_way`): the preview's hook waits while a reader is waiting for a page.

_hooks = threading.local()


def give_way() -> None:
    """A point where long work may pause for more urgent work (see above)."""
    hook = getattr(_hooks, "hook", None)
    if hook is not None:
        hook()


@contextmanager
def giving_way(hook: Callable[[], None]) -> Iterator[None]:
    """Within this block, `give_way()` in this thread calls `hook`."""
    before = getattr(_hooks, "hook", None)
    _hooks.hook = hook
    try:
        yield
    finally:
        _hooks.hook = before


def passing_on(fn: Callable) -> Callable:
    """`fn`, to be run in a worker thread, giving way as the calling thread does."""
    hook = getattr(_hooks, "hook", None)
    if hook is None:
        return fn

    def run(*args, **kwargs):
        with giving_way(hook):
            return fn(*args, **kwargs)

    return run
