"""Find a Chinese (CJK) font for the book PDF: a 宋体/serif face for the body, 黑体/sans for headings.

Typst lists the fonts it can see (system folders on Linux, macOS and Windows); we pick the first
family from a list of well-known faces, then hand Typst only the folders that hold them, so the
same machine always typesets with the same fonts. $CASEBOOK_FONT_DIRS (folders separated by the
path separator) replaces the system search, e.g. for fonts kept in a project folder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .errors import FontError

# Preferred families, best first. Simplified-Chinese faces; Typst matches family names exactly.
SERIF = ("Noto Serif CJK SC", "Source Han Serif SC", "Source Han Serif CN", "Noto Serif SC", "Songti SC",
         "STSong", "SimSun", "NSimSun", "FangSong", "AR PL UMing CN", "AR PL SungtiL GB")
SANS = ("Noto Sans CJK SC", "Source Han Sans SC", "Source Han Sans CN", "Noto Sans SC", "PingFang SC",
        "Heiti SC", "STHeiti", "Microsoft YaHei", "SimHei", "DengXian", "WenQuanYi Zen Hei",
        "WenQuanYi Micro Hei", "Droid Sans Fallback", "AR PL UKai CN")
MONO = "DejaVu Sans Mono"  # shipped inside Typst itself
ENV_DIRS = "CASEBOOK_FONT_DIRS"

NO_FONT = """\
没有找到中文字体，无法排版案例汇编 PDF（Word 版不需要字体，可用 --format docx 单独生成）。请安装其一后重试：
No Chinese (CJK) font found, so the book PDF cannot be typeset (the Word file needs none: --format docx). Install one and retry:

  Debian / Ubuntu:  sudo apt-get install fonts-noto-cjk
  Fedora:           sudo dnf install google-noto-serif-cjk-fonts google-noto-sans-cjk-fonts
  Arch:             sudo pacman -S noto-fonts-cjk
  macOS / Windows:  系统自带的宋体、黑体（Songti/PingFang，SimSun/Microsoft YaHei）即可；也可安装思源宋体、思源黑体
                    (the system's Songti/PingFang or SimSun/Microsoft YaHei will do; or install Source Han Serif/Sans)

或者把环境变量 CASEBOOK_FONT_DIRS 指向存放字体文件（.ttf/.otf/.ttc）的文件夹。
Or point $CASEBOOK_FONT_DIRS at a folder holding the font files (.ttf/.otf/.ttc).
"""


@dataclass(frozen=True)
class FontChoice:
    serif: str  # body (宋体 where available)
    sans: str  # headings (黑体 where available)
    dirs: tuple[str, ...]  # folders to give Typst (system fonts are then ignored)


def find_cjk_fonts() -> FontChoice:
    """The best serif and sans CJK families present; FontError (NO_FONT) when there is none.
    With only one kind present, it serves for both."""
    import typst

    given = os.environ.get(ENV_DIRS)
    if given is not None:
        dirs = [d for d in given.split(os.pathsep) if d and os.path.isdir(d)]
        fonts = typst.Fonts(include_system_fonts=False, include_embedded_fonts=False, font_paths=dirs).fonts() if dirs else []
    else:
        fonts = typst.Fonts(include_system_fonts=True, include_embedded_fonts=False).fonts()
    paths: dict[str, set[str]] = {}
    for f in fonts:
        if f.path:
            paths.setdefault(f.family, set()).add(f.path)
    serif = next((name for name in SERIF if name in paths), None)
    sans = next((name for name in SANS if name in paths), None)
    if serif is None and sans is None:
        raise FontError(NO_FONT)
    serif, sans = serif or sans, sans or serif
    assert serif is not None and sans is not None
    dirs_used = sorted({str(Path(p).parent) for p in paths[serif] | paths[sans]})
    return FontChoice(serif, sans, tuple(dirs_used))
