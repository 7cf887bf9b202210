"""Stage lines for long work, so a build of thousands of cases never looks hung: one line a stage,
`<stage>：<counts>（<seconds> 秒）`. Pure: a clock and text; the glue decides where lines go."""

from __future__ import annotations

import time
from collections.abc import Callable


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
