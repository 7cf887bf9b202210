"""Writing a file whole or not at all: every output casebook writes goes through here, so a full
disk, a killed process or a read-only folder never leaves half a file where a reader looks."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path


def write_whole(target: Path, data: bytes) -> None:
    """Write `data` beside `target`, then rename it into place; on any error the partial file is
    removed and the error raised (the target keeps what it held)."""
    with partial_file(target) as partial:
        partial.write_bytes(data)


@contextlib.contextmanager
def partial_file(target: Path) -> Iterator[Path]:
    """A path beside `target` to write; renamed to `target` when the block ends without an error,
    removed when it raises."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.part-{os.getpid()}")
    try:
        yield partial
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
