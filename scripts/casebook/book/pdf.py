"""Book -> PDF with Typst (the `typst` wheel ships the compiler; nothing else to install).

The template (templates/book.typ) is fixed; the book arrives as one JSON string in
`sys.inputs`, so case text is data to Typst, never markup. Images are read from the library:
the library folder is Typst's root and image paths are library paths.
"""

from __future__ import annotations

import json
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from importlib import resources
from pathlib import Path

from ..core.schema import FIELD_BY_KEY, INCOMPLETE_MARK, INCOMPLETE_NOTE
from .errors import TypesetError
from .compose import PICTURE_MAX_CM, Book, chinese_date, volume_text
from .fonts import MONO, FontChoice
from .pictures import pictures_refused


def book_data(book: Book, fonts: FontChoice) -> dict:
    return {
        "title": book.title,
        "compiler": book.compiler,
        "date": [book.date.year, book.date.month, book.date.day],
        "date_text": chinese_date(book.date),
        "count": book.count,
        "scope": book.scope,
        "volume": book.volume,
        "volume_text": volume_text(book),
        "holds": book.holds,
        "incomplete": [INCOMPLETE_MARK, INCOMPLETE_NOTE],
        "summary_label": FIELD_BY_KEY["summary"].label,
        "picture_max_cm": PICTURE_MAX_CM,
        "fonts": {"serif": fonts.serif, "sans": fonts.sans, "mono": MONO, "emoji": fonts.emoji},
        "parts": [
            {
                "title": part.title,
                "cases": [
                    {
                        "title": e.case.title,
                        "organization": e.case.organization,
                        "summary": e.case.summary,
                        "meta": [list(row) for row in e.meta],
                        "cover": {"src": "/" + e.cover["src"], "alt": e.cover["alt"]} if e.cover else None,
                        "sections": [{**s, "blocks": _rooted(s["blocks"])} for s in e.sections],
                    }
                    for e in entries
                ],
            }
            for part, entries in book.parts
        ],
    }


def _rooted(blocks: list[dict]) -> list[dict]:
    """Library paths -> paths from Typst's root (the library folder)."""
    out = []
    for b in blocks:
        if b["t"] == "img" and b["src"]:
            b = {**b, "src": "/" + b["src"]}
        elif b["t"] == "list":
            b = {**b, "items": [_rooted(item) for item in b["items"]]}
        elif b["t"] == "quote":
            b = {**b, "blocks": _rooted(b["blocks"])}
        out.append(b)
    return out


def render_pdf(book: Book, library_root: Path, fonts: FontChoice) -> bytes:
    """The PDF. A volume of a split book is typeset in a process of its own: Typst memoises what it
    lays out for the life of the process (comemo), so volumes typeset one after another in one
    process would hold every earlier volume's memory too (2,000 cases in four volumes: 1.5 GB
    instead of 0.6 GB)."""
    template = resources.files(__package__).joinpath("templates/book.typ").read_bytes()
    data = json.dumps(book_data(book, fonts), ensure_ascii=False, separators=(",", ":"))
    args = (template, str(library_root.resolve()), list(fonts.dirs), data)
    if not book.volumes:
        return typeset(*args)
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(typeset, *args).result()


def typeset(template: bytes, root: str, font_dirs: list[str], data: str) -> bytes:
    import typst

    try:
        return typst.compile(
            template,
            root=root,
            font_paths=font_dirs,
            ignore_system_fonts=True,
            sys_inputs={"book": data},
            format="pdf",
        )
    except typst.TypstError as exc:
        message = str(exc)
        if "image" in message or "SVG" in message:  # Typst names the template's line, not the file
            refused = pictures_refused(Path(root), [src.lstrip("/") for src in _pictures(json.loads(data))])
            if refused:
                bad = next((rel for rel, why in refused.items() if why.lasting), next(iter(refused)))  # undecodable first
                message = f"图片“{bad}”无法排版（{message}）；请用看图或绘图软件打开它、重新导出后再放回库中"
        raise TypesetError(message) from None


def _pictures(node) -> list[str]:
    """The `src` of every picture in the book's data (cover and body images), in order, once."""
    found: dict[str, None] = {}
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if isinstance(item.get("src"), str):
                found[item["src"]] = None
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            stack.extend(reversed(item))
    return list(found)
