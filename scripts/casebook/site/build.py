"""Run MkDocs into a scratch folder and swap it into place; pack the offline copy as a zip.

A failed build leaves nothing behind: MkDocs writes into a scratch folder beside the site,
which replaces the site only when the build succeeded.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import glob
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

from ..core.files import partial_file, stable_zip_entry
from ..core.model import Library
from .checksums import verify_instructions
from .pagecache import PageCache, cache_file
from .provenance import read_manifest

ZIP_NAME = "liangxin-dangjian-anliku"
README_NAME = "使用说明.txt"
README_TEXT = """两新党建工作法案例库（离线版）

1. 把本压缩包完整解压到任意文件夹（不要直接在压缩包里打开）。
2. 双击文件夹中的 index.html，用浏览器打开即可浏览、筛选和搜索。
3. 不需要联网，也不需要安装任何软件。

本版本：{manifest}
（详见 build-info.json）

核对压缩包是否完整、是否是发布的原件（可选）：

{verify}
"""


def readme_text(shown: str) -> str:
    """使用说明.txt: how to open the copy, which build it is, how to check the download."""
    return README_TEXT.format(manifest=shown, verify="\n".join(verify_instructions(markdown=False)))


def build_site(config_file: Path, library: Library, site_dir: Path, offline: bool = False, site_url: str | None = None,
               downloads: Path | None = None, progress: Callable[[str], None] | None = None,
               cache: bool = True) -> None:
    """Build the validated `library` with MkDocs into a sibling scratch folder, then replace
    site_dir only when the build succeeded (strict: a warning fails it).

    The options go to the plugins explicitly, whatever mkdocs.yml says: the library (validated
    already: the plugin does not read or check it again), the 案例汇编 folder `downloads`, the
    offline flavour. `site_url` is where the site will be served; the offline copy is opened from
    file:// and never has one. `progress` receives the plugin's stage lines (assembly, pages
    written, search index). `cache`: reuse the pages of the last build into `site_dir` whose
    inputs are unchanged (pagecache.py), and keep this build's for the next one.
    """
    from . import engine  # MkDocs: loaded for a build only

    say = progress or (lambda line: None)
    pages, problem = PageCache.open(cache_file(site_dir)) if cache else (None, None)
    if problem:
        say(problem)
    try:
        with replacing(site_dir) as scratch:
            config = engine.load(config_file, site_dir=str(scratch), strict=True,
                                 site_url=None if offline else site_url)
            engine.configure(config, library, downloads, offline, progress=progress, cache=pages)
            engine.run_build(config)
    except BaseException:
        if pages is not None:
            pages.discard()
        raise
    if pages is not None:
        pages.commit()
        if pages.problem:
            say(pages.problem)


@contextlib.contextmanager
def replacing(target: Path) -> Iterator[Path]:
    """A scratch folder beside `target` to write a whole tree into; it replaces `target` when the
    block ends without an error and is removed when it raises. Scratch folders left by a build that
    was killed (its process is gone) are removed first."""
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(target)
    scratch = Path(tempfile.mkdtemp(prefix=f".{target.name}.new-{os.getpid()}-", dir=target.parent))
    try:
        yield scratch
        swap(scratch, target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


_LEFTOVER = re.compile(r"^\.(?P<name>.+)\.(?:new|old)-(?P<pid>\d+)-")


def remove_leftovers(target: Path) -> list[Path]:
    """The scratch folders of `target` whose build is no longer running (killed, or the machine
    restarted), removed; a build still running keeps its own."""
    removed = []
    for path in target.parent.glob(f".{glob.escape(target.name)}.*-*"):
        m = _LEFTOVER.match(path.name)
        if m and m.group("name") == target.name and path.is_dir() and not _running(int(m.group("pid"))):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: running
        return True
    return True


def swap(new: Path, target: Path) -> None:
    """Replace target by new with two renames; the old copy is removed only afterwards."""
    old = None
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-{os.getpid()}-", dir=target.parent))
        old.rmdir()
        target.rename(old)
    new.rename(target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def pack_zip(site_dir: Path, dist: Path, today: dt.date | None = None) -> tuple[Path, int]:
    """site_dir -> dist/<name>-offline-<YYYYMMDD>[-<commit>].zip with one top folder; byte-stable
    for the same input. Date and commit come from the build's manifest (build-info.json).
    Returns the zip's path and how many files it holds."""
    manifest = read_manifest(site_dir)
    date = dt.date.fromisoformat(manifest.date) if manifest else (today or dt.date.today())
    top = f"{ZIP_NAME}-offline-{date.strftime('%Y%m%d')}"
    if manifest and manifest.commit:
        top += f"-{manifest.commit}"
    dist.mkdir(parents=True, exist_ok=True)
    target = dist / f"{top}.zip"
    with partial_file(target) as partial, zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as zf:
        def add(name: str, data: bytes) -> None:
            zf.writestr(stable_zip_entry(f"{top}/{name}"), data)

        shown = manifest.text() if manifest else "（没有构建信息）"
        add(README_NAME, readme_text(shown).encode("utf-8"))
        files = sorted(p for p in site_dir.rglob("*") if p.is_file())
        for path in files:
            add(path.relative_to(site_dir).as_posix(), path.read_bytes())
    return target, len(files) + 1


def tree_size(folder: Path) -> tuple[int, int]:
    """(files, bytes) under folder."""
    count = size = 0
    for root, _, names in os.walk(folder):
        for name in names:
            count += 1
            size += os.stat(os.path.join(root, name), follow_symlinks=False).st_size
    return count, size
