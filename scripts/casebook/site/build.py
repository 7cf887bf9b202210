"""Run MkDocs into a scratch folder and swap it into place; pack the offline copy as a zip.

MkDocs runs in a child process so the CLI never imports it (the plugin is the only glue) and a
failed build cannot leave half-written output behind.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from ..core.errors import BuildError
from .checksums import verify_instructions
from .provenance import SITE_URL_ENV, read_manifest

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


def build_site(config: Path, cases: Path, site_dir: Path, offline: bool = False, site_url: str | None = None,
               downloads: Path | None = None) -> None:
    """Build into a sibling scratch folder, then replace site_dir only when MkDocs succeeded.

    `site_url` (else $CASEBOOK_SITE_URL) is where the site will be served; the offline copy is
    opened from file:// and never has one. `downloads`: a folder with the 案例汇编 (casebook book)
    to publish and link.
    """
    site_dir = site_dir.resolve()
    site_dir.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{site_dir.name}.new-", dir=site_dir.parent))
    env = dict(os.environ, CASEBOOK_CASES=str(cases.resolve()), OFFLINE="true" if offline else "false", NO_MKDOCS_2_WARNING="1",
               CASEBOOK_DOWNLOADS=str(downloads.resolve()) if downloads else "")
    env.pop(SITE_URL_ENV, None)
    url = None if offline else (site_url or os.environ.get(SITE_URL_ENV) or None)
    if url:
        env[SITE_URL_ENV] = url if url.endswith("/") else url + "/"
    # Not --quiet: it hides the warnings that --strict counts, and broken links would pass.
    cmd = [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config), "-d", str(scratch)]
    try:
        result = subprocess.run(cmd, env=env, check=False, capture_output=True, text=True)
        for line in (result.stdout + result.stderr).splitlines():
            if line.strip() and not line.startswith("INFO"):  # warnings, errors and what follows them
                print(line, file=sys.stderr)
        if result.returncode != 0:
            raise BuildError(f"MkDocs 构建失败（退出码 {result.returncode}）")
        swap(scratch, site_dir)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def swap(new: Path, target: Path) -> None:
    """Replace target by new with two renames; the old copy is removed only afterwards."""
    old = None
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
        old.rmdir()
        target.rename(old)
    new.rename(target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def pack_zip(site_dir: Path, dist: Path, today: dt.date | None = None) -> Path:
    """site_dir -> dist/<name>-offline-<YYYYMMDD>[-<commit>].zip with one top folder; byte-stable
    for the same input. Date and commit come from the build's manifest (build-info.json)."""
    manifest = read_manifest(site_dir)
    date = dt.date.fromisoformat(manifest.date) if manifest else (today or dt.date.today())
    top = f"{ZIP_NAME}-offline-{date.strftime('%Y%m%d')}"
    if manifest and manifest.commit:
        top += f"-{manifest.commit}"
    dist.mkdir(parents=True, exist_ok=True)
    target = dist / f"{top}.zip"
    partial = target.with_suffix(".zip.part")
    fixed_time = (1980, 1, 1, 0, 0, 0)
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as zf:
        def add(name: str, data: bytes) -> None:
            info = zipfile.ZipInfo(f"{top}/{name}", fixed_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.flag_bits |= 0x800  # UTF-8 file names
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)

        shown = manifest.text() if manifest else "（没有构建信息）"
        add(README_NAME, readme_text(shown).encode("utf-8"))
        for path in sorted(p for p in site_dir.rglob("*") if p.is_file()):
            add(path.relative_to(site_dir).as_posix(), path.read_bytes())
    partial.replace(target)
    return target
