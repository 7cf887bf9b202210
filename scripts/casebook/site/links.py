"""Hand-written pages that link to cases.

docs/ belongs to the site and the library can be swapped (`--cases`, the test fixtures): a page
such as 全市概况 links to cases of the shipped library, and those pages exist only when that
library is built. A link to a case page the build does not have is shown as its text, so the
strict build of another library does not fail on it; links to anything else are left for MkDocs
to check. The plugin (on_page_markdown) and `casebook stage` (the copied docs) call this one
function. Pure.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable

from ..core import scan
from ..core.rules import library_path
from .render import CASES_DIR, case_id_of


def case_target(url: str, page_uri: str) -> str | None:
    """The case page (cases/<id>.md, relative to the docs root) a link of page_uri points at,
    resolved as every relative address is (rules.library_path: percent-decoded, #anchor and ?query
    aside), as MkDocs resolves it."""
    target = library_path(posixpath.dirname(page_uri), url.strip("<>"))
    return target if target is not None and case_id_of(target) is not None else None


def unlink_missing_cases(markdown: str, page_uri: str, exists: Callable[[str], bool]) -> tuple[str, list[str]]:
    """(the page with links to missing case pages replaced by their text, those pages' uris).
    Code is left alone."""
    if CASES_DIR not in markdown:
        return markdown, []
    missing: list[str] = []
    out: list[str] = []
    at = 0
    for start, end, text, url in scan.inline_links(markdown):
        target = case_target(url, page_uri)
        if target is not None and not exists(target):
            missing.append(target)
            out += [markdown[at:start], text]
            at = end
    return "".join(out) + markdown[at:], missing
