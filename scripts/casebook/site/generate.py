"""The one assembly: a validated library and typed options -> everything the site adds to the
hand-written docs (pages, files, copies) and the facts the theme shows (edit links, the build
line in the footer). The MkDocs plugin (virtual files), `casebook stage` (files in a docs tree)
and `casebook validate` (the pages it renders to predict the build) all call `assemble`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ..core.index import Index, build_index, reindexed
from ..core.model import Library
from ..core.volumes import BOOK_FORMATS, VOLUMES_FILE, VolumeFiles, read_volumes
from .errors import BuildError
from .provenance import MANIFEST_NAME, Manifest, edit_template, make_manifest, read_git
from .render import DOWNLOADS_DIR, Options, case_pages, library_file_uri, render_site



@dataclass(frozen=True)
class SiteOptions:
    """What one build of the site is made from, besides the library."""

    base_dir: Path  # the folder of mkdocs.yml: the repository root, which edit links are relative to
    docs_dir: Path  # the hand-written pages
    directory_urls: bool = True  # False in the offline copy (its plugin turns them off)
    edit_template: str | None = None  # MkDocs' edit_uri_template when the config sets one
    copyright: str | None = None  # the config's copyright line
    downloads: Path | None = None  # folder with the 案例汇编 (casebook book) to publish and link


@dataclass(frozen=True)
class Assembly:
    index: Index
    pages: dict[str, str]  # uri -> Markdown
    files: dict[str, bytes]  # uri -> bytes: exports, charts, build-info.json
    copies: dict[str, Path]  # uri -> a file published as it is: library images, the 案例汇编
    manifest: Manifest
    edit_template: str | None  # for every page's edit link; None: no edit links
    library_prefix: str | None  # the library's folder in the repository (None: outside it)
    docs_prefix: str | None  # docs_dir's folder in the repository
    copyright: str  # the footer line, safe HTML
    options: Options  # what the pages were rendered with

    def case_pages(self, library: Library, case_ids: Iterable[str]) -> dict[str, str]:
        """The pages of these cases (and their former ids) as `assemble` would make them from
        `library` with this assembly's options: the library's new index, one page each. For
        `casebook serve`, which shows an edited case before it has assembled everything again."""
        case_ids = set(case_ids)
        index = reindexed(self.index, library) or build_index(library, related_of=case_ids)
        cases_by_rel = {c.rel: c.id for c in index.cases}
        pages: dict[str, str] = {}
        for case_id in case_ids:
            if case_id in index.by_id:
                pages.update(case_pages(index.by_id[case_id], index, self.options, cases_by_rel))
        return pages

    @property
    def uris(self) -> set[str]:
        return {*self.pages, *self.files, *self.copies}


def assemble(library: Library, options: SiteOptions, env: Mapping[str, str]) -> Assembly:
    """Everything generated for one build. `env`: the environment edit links and the build
    manifest are read from (provenance.py)."""
    index = build_index(library)
    git = read_git(options.base_dir)
    template = options.edit_template or edit_template(env, git)
    downloads = book_files(options.downloads) if options.downloads else {}
    volumes = book_volumes(options.downloads, downloads) if options.downloads else ()
    prefix = relative_to(library.root.resolve(), options.base_dir.resolve())
    render_options = Options(options.directory_urls, template, prefix, tuple(downloads), volumes)
    site = render_site(index, render_options)
    manifest = make_manifest(env, git, len(index.cases))
    copies = {library_file_uri(rel): library.root / rel for rel in library.assets}
    copies.update({DOWNLOADS_DIR + name: path for name, path in downloads.items()})
    return Assembly(
        index, site.pages, {**site.files, MANIFEST_NAME: manifest.json()}, copies, manifest, template, prefix,
        relative_to(options.docs_dir.resolve(), options.base_dir.resolve()), copyright_line(options.copyright, manifest),
        render_options,
    )


def book_files(folder: Path) -> dict[str, Path]:
    """The book's .pdf/.docx in folder, by name (plain file names only: they become URLs)."""
    if not folder.is_dir():
        return {}
    return {p.name: p for p in sorted(folder.iterdir())
            if p.is_file() and p.suffix[1:] in BOOK_FORMATS and re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", p.name)}


def book_volumes(folder: Path, files: dict[str, Path]) -> tuple[VolumeFiles, ...]:
    """The volumes of a book split by `casebook book` (its volumes.json), each naming files that are
    in the folder; () for a book of one volume. BuildError when the list is broken."""
    path = folder / VOLUMES_FILE
    if not path.is_file():
        return ()
    try:
        volumes = read_volumes(path.read_bytes())
    except ValueError as exc:
        raise BuildError(f"{path}：{exc}；请重新运行 casebook book") from None
    for v in volumes:
        for name in v.files:
            if name not in files:
                raise BuildError(f"{path} 列出的第{v.number}册文件 {name} 不在 {folder} 中；请重新运行 casebook book")
    return volumes


def copyright_line(copyright: str | None, manifest: Manifest) -> str:
    """The footer: the site's copyright (if any) and which build this is, as safe HTML."""
    footer = html.escape(manifest.text())
    return f"{copyright} · {footer}" if copyright else footer


def relative_to(path: Path, base: Path) -> str | None:
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return None
