"""Check the 案例汇编's page estimate (book/compose.py estimate_pages) against Typst's output.

    .venv/bin/python scripts/book_pages.py LIBRARY [LIBRARY ...]

For each library: typesets the whole book as one PDF (casebook's own template and fonts), reads
each case's real page count from the PDF's outline (pypdf) and compares it with the estimate made
before typesetting. Prints, per library and over all: cases, real and estimated pages, how many
cases were estimated below / above their real count, and the front matter (cover, contents, 篇
pages) real and estimated. The constants in compose.py were chosen with this script.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from pypdf import PdfReader

from casebook.book.compose import build_book, estimate_pages, front_pages
from casebook.book.fonts import find_cjk_fonts
from casebook.book.pdf import render_pdf
from casebook.core.index import build_index
from casebook.core.library import load_library


def outline(reader: PdfReader) -> list[tuple[int, str, int]]:
    """The PDF's bookmarks, flattened: (level, title, 0-based page) in order."""
    flat: list[tuple[int, str, int]] = []

    def walk(items, level: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, level + 1)
            else:
                flat.append((level, item.title, reader.get_destination_page_number(item)))

    walk(reader.outline, 1)
    return flat


def real_pages(pdf: bytes) -> tuple[int, int, dict[str, int]]:
    """(pages, pages before the first 篇's contents entry... i.e. cover + contents, case title -> pages)."""
    reader = PdfReader(io.BytesIO(pdf))
    flat = outline(reader)
    total = len(reader.pages)
    cases = {}
    for i, (level, title, page) in enumerate(flat):
        if level == 2:
            cases[title] = (flat[i + 1][2] if i + 1 < len(flat) else total) - page
    return total, flat[0][2], cases


def main(libraries: list[str]) -> int:
    if not libraries or any(a.startswith("-") for a in libraries):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    missing = [a for a in libraries if not Path(a).is_dir()]
    if missing:
        print(f"book_pages: 不是案例库文件夹：{'、'.join(missing)}", file=sys.stderr)
        return 2
    fonts = find_cjk_fonts()
    all_cases = all_real = all_est = below = above = 0
    for folder in libraries:
        library = load_library(Path(folder))
        book = build_book(build_index(library), assets=library.assets)
        total, before, real = real_pages(render_pdf(book, library.root, fonts))
        est = {e.case.title: estimate_pages(e) for e in book.entries}
        lo = sum(est[t] < real[t] for t in real)
        hi = sum(est[t] > real[t] for t in real)
        front = total - sum(real.values())
        print(f"{folder}: {len(real)} cases, pages real {sum(real.values())} / estimated {sum(est.values())}; "
              f"estimate below {lo}, above {hi}; front matter (cover, contents, 篇) real {front} / estimated "
              f"{front_pages(book.count, len(book.parts))}; whole book real {total}")
        all_cases += len(real)
        all_real += sum(real.values())
        all_est += sum(est.values())
        below += lo
        above += hi
    print(f"all: {all_cases} cases, case pages real {all_real} / estimated {all_est} ({all_est / all_real - 1:+.1%}); "
          f"below {below}, above {above}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
