"""SHA256SUMS for the files a release hands out, and the reader's instructions for checking them.

The offline zip, the 案例汇编 (PDF, Word) and the SBOM travel from hand to hand; SHA256SUMS lets a
reader see that a copy is the one the project published (the release also carries a signed
build-provenance attestation of every file listed). The instructions are written once, here, and
shown in two places: the zip's 使用说明.txt (plain text) and the overview page (Markdown).

`sha256sums` is pure; `write_checksums` reads the files and writes the list.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path

from ..core.files import write_whole
from ..core.volumes import BOOK_FORMATS
from .provenance import MANIFEST_FIELDS, MANIFEST_NAME

CHECKSUMS_NAME = "SHA256SUMS"
# What a release hands out (`make release` writes them to dist/): the offline zip, the 案例汇编
# and the CycloneDX SBOM of requirements.lock.
DISTRIBUTABLES = ("*.zip", *(f"*.{fmt}" for fmt in BOOK_FORMATS), "*.cdx.json")


class ChecksumError(ValueError):
    """A file name SHA256SUMS cannot hold as it is (a line break or a backslash in it)."""


def sha256sums(digests: Mapping[str, str]) -> str:
    """file name -> SHA-256 hex digest, as `sha256sum` prints it: one `<digest>  <name>` line per
    file, sorted by name, lower-case hex. `sha256sum -c`, `shasum -a 256 -c` and GitHub's
    attestation action (subject-checksums) read it."""
    lines = []
    for name in sorted(digests):
        digest = digests[name].lower()
        if "\n" in name or "\r" in name or "\\" in name or "/" in name:
            raise ChecksumError(f"文件名不能写进 {CHECKSUMS_NAME}：{name!r}")
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise ChecksumError(f"{name}：不是 SHA-256 校验值：{digest!r}")
        lines.append(f"{digest}  {name}\n")
    return "".join(lines)


def file_sha256(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def distributables(folder: Path) -> list[Path]:
    """The files in `folder` that SHA256SUMS covers, sorted by name."""
    found = {p for pattern in DISTRIBUTABLES for p in folder.glob(pattern) if p.is_file()}
    return sorted(found, key=lambda p: p.name)


def write_checksums(folder: Path) -> tuple[Path, list[str]]:
    """folder/SHA256SUMS for its distributables (replaced whole); returns its path and the names."""
    files = distributables(folder)
    text = sha256sums({p.name: file_sha256(p) for p in files})
    target = folder / CHECKSUMS_NAME
    write_whole(target, text.encode("utf-8"))
    return target, [p.name for p in files]


# -- what a reader is told (one text, two forms) ---------------------------------------------------

# (system, how to start, command); "文件名" stands for the downloaded file's name.
COMMANDS = (
    ("Windows", "在文件所在的文件夹中打开“命令提示符”（在地址栏输入 cmd 回车），运行", "certutil -hashfile 文件名 SHA256"),
    ("macOS", "打开“终端”，进入文件所在的文件夹，运行", "shasum -a 256 文件名"),
    ("Linux", "在终端中运行", "sha256sum 文件名"),
)


def verify_instructions(markdown: bool) -> list[str]:
    """How to check a download against SHA256SUMS and what build-info.json says, in plain Chinese:
    lines of plain text (使用说明.txt) or of Markdown (the overview page)."""
    code = (lambda s: f"`{s}`") if markdown else (lambda s: s)
    item = "- " if markdown else "  · "
    lines = [
        f"每次发布都附有 {code(CHECKSUMS_NAME)} 文件（与离线版压缩包、案例汇编放在同一个发布页面上），"
        "列出每个文件的 SHA-256 校验值：64 个字母和数字。文件在传递中损坏或被人改动过，算出的值就对不上。",
        "",
        "算出手中文件的校验值：",
        "",
    ]
    for system, how, command in COMMANDS:
        lines += [f"{item}{system}：{how} {code(command)}"] if markdown else [f"{item}{system}：{how}：", f"      {command}"]
    lines += [
        "",
        "命令中的“文件名”换成下载的文件的名字（可以把文件拖进窗口，自动填上带路径的名字）。",
        "",
        f"把显示的 64 个字符与 {code(CHECKSUMS_NAME)} 中同名文件那一行比对（不分大小写），完全相同才是发布的原件。"
        f"macOS 和 Linux 也可以把 {code(CHECKSUMS_NAME)} 放在同一个文件夹中，运行 "
        f"{code('shasum -a 256 -c --ignore-missing ' + CHECKSUMS_NAME)} 或 {code('sha256sum -c --ignore-missing ' + CHECKSUMS_NAME)}，"
        "每个文件后显示 OK 即一致。",
        "",
        "发布还附有 GitHub 签发的构建来源证明：装有 GitHub CLI 的电脑上运行 "
        f"{code('gh attestation verify 文件名 --repo 所有者/仓库名')}（仓库即发布页面所在的仓库），"
        "可以确认文件确实由该仓库的发布流程构建。",
        "",
        f"{code(MANIFEST_NAME)}（站点根目录和离线包中都有）记录这一版是怎样构建的：",
        "",
    ]
    lines += [f"{item}{code(key)}：{meaning}" for key, meaning in MANIFEST_FIELDS.items()]
    return lines
