"""`casebook book` as steps the CLI runs and reports: read the options, plan the book, render each
format, write each file whole. Everything here raises BookError (a usage problem) or its kin; the
CLI only prints."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from ..core.index import build_index
from ..core.model import Library
from ..core.volumes import BOOK_FORMATS, DEFAULT_VOLUME_PAGES
from .compose import (CONFIG_FILE, Book, VolumePlan, book_entry, check_group_by, compose_book, entry_text,
                      estimate_pages, group_cases, parse_config, parse_where, scope_text, split_volumes)
from .errors import BookError

FORMATS = tuple(BOOK_FORMATS)


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


@dataclass(frozen=True)
class Plan:
    """The book to make: what the cover says and its volumes (one when it fits the budget). Each
    volume's Book is composed only when it is rendered (`volume_book`), so one volume's text and
    blocks are in memory at a time."""

    title: str
    compiler: str
    date: dt.date
    scope: str
    group_by: str
    assets: frozenset[str]
    volumes: tuple[VolumePlan, ...]

    @property
    def count(self) -> int:
        return sum(len(cases) for v in self.volumes for _, cases in v.groups)

    @property
    def parts(self) -> int:
        return len({part.number for v in self.volumes for part, _ in v.groups})

    @property
    def pages(self) -> int:
        return sum(v.pages for v in self.volumes)


def plan_volumes(library: Library, *, title: str, compiler: str, group_by: str, where: list[str], budget: int,
                 date: dt.date | None = None) -> Plan:
    """The selection grouped into 篇 and split into volumes of about `budget` pages (estimated from
    each case's blocks, which are not kept)."""
    if budget < 1:
        raise BookError(f"--volume-pages 应是正整数（每册的页数上限，默认约 {DEFAULT_VOLUME_PAGES} 页），实际是 {budget}")
    index = build_index(library)
    conditions = parse_where(where, index)
    groups = group_cases(index, check_group_by(group_by), conditions)
    assets = frozenset(library.assets)
    volumes = split_volumes(groups, lambda case: estimate_pages(book_entry(case, assets)), budget)
    return Plan(title, compiler, date or dt.date.today(), scope_text(conditions), group_by, assets, volumes)


def volume_book(plan: Plan, volume: VolumePlan) -> Book:
    many = len(plan.volumes) > 1
    return compose_book(volume.groups, title=plan.title, compiler=plan.compiler, date=plan.date, scope=plan.scope,
                        group_by=plan.group_by, assets=plan.assets, volume=volume.number if many else 0,
                        volumes=len(plan.volumes) if many else 0, holds=volume.holds)


def render(book: Book, fmt: str, root: Path, fonts) -> bytes:
    if fmt == "pdf":
        from .pdf import render_pdf

        return render_pdf(book, root, fonts)
    from .docx import render_docx

    return render_docx(book, root)


def unprintable(book: Book, fonts) -> list[tuple[str, str]]:
    """(character, the first case printing it) for each character of the book no chosen face has."""
    from .fonts import unprintable as missing

    first: dict[str, str] = {}
    for entry in book.entries:
        text = entry_text(entry)
        for c in missing(text, fonts):
            first.setdefault(c, entry.case.rel)
    for c in missing(book.title + book.compiler + book.scope + book.holds, fonts):
        first.setdefault(c, "")
    return sorted(first.items())


def output_path(out: Path, config: dict[str, str], book: Book, fmt: str) -> Path:
    """<name>-<date>.<fmt>; a volume: <name>-<date>-ce01.<fmt> (册 01), numbered to sort."""
    volume = f"-ce{book.volume:0{max(2, len(str(book.volumes)))}d}" if book.volumes else ""
    return out / f"{config['name']}-{book.date.strftime('%Y%m%d')}{volume}.{fmt}"


FORMAT_LABELS = BOOK_FORMATS
_PAGES = re.compile(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)")


def page_count(data: bytes, fmt: str) -> int | None:
    """Pages of a PDF as Typst writes it (one page tree: `/Type /Pages /Count N`); None for Word
    (Word lays out pages when the file opens) or a PDF written otherwise."""
    if fmt != "pdf":
        return None
    found = [int(n) for n in _PAGES.findall(data)]
    return max(found) if found else None
