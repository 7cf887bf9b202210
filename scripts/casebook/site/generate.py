"""Everything the site adds to the hand-written docs, as plain data: the one function behind
both the MkDocs plugin (virtual files) and `casebook stage` (files written into a docs tree)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

from ..core.index import Index
from ..core.model import Library
from .provenance import MANIFEST_NAME, Manifest
from .render import Options, library_file_uri, render_site

DOWNLOADS_DIR = "downloads/"


@dataclass(frozen=True)
class Generated:
    pages: dict[str, str]  # uri -> Markdown
    files: dict[str, bytes]  # uri -> bytes: exports, charts, build-info.json
    copies: dict[str, Path]  # uri -> a file published as it is: library images, the 案例汇编


def generate(library: Library, index: Index, options: Options, manifest: Manifest,
             downloads: dict[str, Path]) -> Generated:
    site = render_site(index, options)
    copies = {library_file_uri(rel): library.root / rel for rel in library.assets}
    copies.update({DOWNLOADS_DIR + name: path for name, path in downloads.items()})
    return Generated(site.pages, {**site.files, MANIFEST_NAME: manifest.json()}, copies)


def book_files(folder: Path) -> dict[str, Path]:
    """The book's .pdf/.docx in folder, by name (plain file names only: they become URLs)."""
    if not folder.is_dir():
        return {}
    return {p.name: p for p in sorted(folder.iterdir())
            if p.is_file() and p.suffix in (".pdf", ".docx") and re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", p.name)}


def copyright_line(copyright: str | None, manifest: Manifest) -> str:
    """The footer: the site's copyright (if any) and which build this is, as safe HTML."""
    footer = html.escape(manifest.text())
    return f"{copyright} · {footer}" if copyright else footer


def relative_to(path: Path, base: Path) -> str | None:
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return None
