"""Writing a file whole or not at all: every output casebook writes goes through here, so a full
disk, a killed process or a read-only folder never leaves half a file where a reader looks."""

from __future__ import annotations

import contextlib
import os
import zipfile
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


def stable_zip_entry(name: str) -> zipfile.ZipInfo:
    """A zip entry that is the same in every build: a fixed time (python's zipfile stamps the
    current one), rw-r--r--, deflated, its name flagged as UTF-8."""
    info = zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.flag_bits |= 0x800
    info.external_attr = 0o644 << 16
    return info
