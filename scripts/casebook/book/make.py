"""`casebook book` as steps the CLI runs and reports: read the options, plan the book, render each
format, write each file whole. Everything here raises BookError (a usage problem) or its kin; the
CLI only prints."""

from __future__ import annotations

import re
from pathlib import Path

from ..core.index import build_index
from ..core.model import Library
from .compose import CONFIG_FILE, Book, build_book, check_group_by, parse_config, parse_where
from .errors import BookError

FORMATS = ("pdf", "docx")


def parse_formats(text: str) -> list[str]:
    formats = list(dict.fromkeys(f.strip() for f in text.split(",") if f.strip()))
    if not formats or set(formats) - set(FORMATS):
        raise BookError(f"--format “{text}” 应为 pdf、docx 或 pdf,docx")
    return formats


def read_config(path: Path | None) -> dict[str, str]:
    """book.yml (or the --config file) -> title, compiler, name; no file: the defaults."""
    given = path is not None
    path = path or Path(CONFIG_FILE)
    if not given and not path.is_file():
        return parse_config(None)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise BookError(f"无法读取 {path}（{exc.strerror or exc}）") from None
    except UnicodeDecodeError:
        raise BookError(f"{path} 不是 UTF-8 文本") from None
    return parse_config(text, path.as_posix())


def plan_book(library: Library, *, title: str, compiler: str, group_by: str, where: list[str]) -> Book:
    index = build_index(library)
    return build_book(index, title=title, compiler=compiler, group_by=check_group_by(group_by),
                      where=parse_where(where, index), assets=library.assets)


def render(book: Book, fmt: str, root: Path, fonts) -> bytes:
    if fmt == "pdf":
        from .pdf import render_pdf

        return render_pdf(book, root, fonts)
    from .docx import render_docx

    return render_docx(book, root)


def output_path(out: Path, config: dict[str, str], book: Book, fmt: str) -> Path:
    return out / f"{config['name']}-{book.date.strftime('%Y%m%d')}.{fmt}"


FORMAT_LABELS = {"pdf": "PDF", "docx": "Word"}
_PAGES = re.compile(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)")


def page_count(data: bytes, fmt: str) -> int | None:
    """Pages of a PDF as Typst writes it (one page tree: `/Type /Pages /Count N`); None for Word
    (Word lays out pages when the file opens) or a PDF written otherwise."""
    if fmt != "pdf":
        return None
    found = [int(n) for n in _PAGES.findall(data)]
    return max(found) if found else None
