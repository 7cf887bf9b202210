"""Find a Chinese (CJK) font for the book PDF: a 宋体/serif face for the body, 黑体/sans for headings.

Typst lists the fonts it can see (system folders on Linux, macOS and Windows); we pick the first
family from a list of well-known faces, then hand Typst only the folders that hold them, so the
same machine always typesets with the same fonts. $CASEBOOK_FONT_DIRS (folders separated by the
path separator) replaces the system search, e.g. for fonts kept in a project folder.
"""

from __future__ import annotations

import functools
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
# Colour emoji (👍 ✅, and `:smile:` the book prints as 😄): the CJK faces have none, so without one
# of these the PDF shows a box (`casebook book` says so: `unprintable`). Optional.
EMOJI = ("Noto Color Emoji", "Apple Color Emoji", "Segoe UI Emoji", "Twemoji Mozilla", "JoyPixels")
MONO = "DejaVu Sans Mono"  # shipped inside Typst itself
ENV_DIRS = "CASEBOOK_FONT_DIRS"

NO_FONT = """\
没有找到中文字体，无法排版案例汇编 PDF（Word 版不需要字体，可用 --format docx 单独生成）。请安装其一后重试：
No Chinese (CJK) font found, so the book PDF cannot be typeset (the Word file needs none: --format docx). Install one and retry:

  Debian / Ubuntu:  sudo apt-get install fonts-noto-cjk fonts-noto-color-emoji
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
    emoji: str | None = None  # the colour emoji face, when there is one
    faces: tuple[tuple[str, int], ...] = ()  # (file, index in it) of each family's regular face


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
    regular: dict[str, tuple[int, str, int]] = {}  # family -> (distance from weight 400, file, index)
    for f in fonts:
        if f.path:
            paths.setdefault(f.family, set()).add(f.path)
            regular[f.family] = min(regular.get(f.family, (10**6, "", 0)), (abs(f.weight - 400), f.path, f.index))
    serif = next((name for name in SERIF if name in paths), None)
    sans = next((name for name in SANS if name in paths), None)
    if serif is None and sans is None:
        raise FontError(NO_FONT)
    serif, sans = serif or sans, sans or serif
    assert serif is not None and sans is not None
    emoji = next((name for name in EMOJI if name in paths), None)
    families = [serif, sans] + ([emoji] if emoji else [])
    dirs_used = sorted({str(Path(p).parent) for name in families for p in paths[name]})
    faces = tuple(dict.fromkeys(regular[name][1:] for name in families))
    return FontChoice(serif, sans, tuple(dirs_used), emoji, faces)


# Characters the book prints that need no glyph: spaces, line breaks, joiners and selectors.
_NO_GLYPH = frozenset("\t\n\r \u00a0\u200b\u200c\u200d\u2060\ufeff") | frozenset(map(chr, range(0xfe00, 0xfe10)))


@functools.lru_cache(maxsize=16)
def _characters(path: str, index: int) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    font = TTFont(path, fontNumber=index, lazy=True)
    try:
        return frozenset(font.getBestCmap() or {})
    finally:
        font.close()


def unprintable(text: str, fonts: FontChoice) -> list[str]:
    from fontTools.ttLib import TTLibError

    """The characters of `text` none of the chosen faces has (sorted): the PDF shows a box for each
    (a colour emoji 👍 without an emoji face, say). Typst's own fallback faces are for Latin text,
    which the CJK faces hold too."""
    from fontTools.ttLib import TTLibError

    wanted = {ord(c) for c in set(text) - _NO_GLYPH}
    for path, index in fonts.faces:
        if not wanted:
            break
        try:
            wanted -= _characters(path, index)
        except (OSError, TTLibError):  # a face fontTools cannot read (Typst may): nothing is said
            return []
    return [chr(c) for c in sorted(wanted)]
