"""`casebook serve`, the pure parts: what a change on disk touches, and what the preview adds to
a page the build made (the live-reload script and, while the library has errors, a banner with
them). Nothing here renders a page: serve.py asks the build's own code for each one.

Pure: stamps in, decisions out; text in, text out.
"""

from __future__ import annotations

import html
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ..core.load import hidden
from ..core.model import Finding

# The preview's own files and requests live under this path, which no page of the site uses.
PREFIX = "/__casebook/"
# What is inserted before </body>: between these markers, so a test can take it out again.
START, END = "<!-- casebook serve -->", "<!-- /casebook serve -->"

Stamp = tuple[int, int]  # (st_mtime_ns, st_size)


@dataclass(frozen=True)
class Snapshot:
    """The watched files: the library's (by library-relative POSIX path) and the site's own
    (docs/, mkdocs.yml, theme overrides: by absolute path)."""

    library: Mapping[str, Stamp]
    site: Mapping[str, Stamp]


def scan(root: Path, skip_hidden: bool = True) -> dict[str, Stamp]:
    """Every file under `root` (relative POSIX path -> stamp; a link to a file: the file's stamp;
    links to folders are not followed); a single file: its name. os.scandir, not os.walk: half the
    time at 20,000 files, and this runs five times a second."""
    found: dict[str, Stamp] = {}
    if root.is_file():
        st = root.stat()
        return {root.name: (st.st_mtime_ns, st.st_size)}
    folders = [("", str(root))]
    while folders:
        prefix, folder = folders.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:  # gone or unreadable: the next scan sees it again
            continue
        for entry in entries:
            if skip_hidden and hidden(entry.name):
                continue
            try:
                if entry.is_dir():
                    if not entry.is_symlink():
                        folders.append((f"{prefix}{entry.name}/", entry.path))
                    continue
                st = entry.stat()
            except OSError:  # a broken link, or gone between listing and stat
                continue
            found[prefix + entry.name] = (st.st_mtime_ns, st.st_size)
    return found


@dataclass(frozen=True)
class Change:
    """What differs between two snapshots, and so what must be done again."""

    edited_cases: tuple[str, ...] = ()  # case files whose text changed (they were and are there)
    other_files: tuple[str, ...] = ()  # anything else in the library: added, removed, taxonomy.yml, images
    site: bool = False  # docs/, mkdocs.yml, overrides: MkDocs is set up again

    @property
    def library(self) -> bool:
        return bool(self.other_files)

    @property
    def any(self) -> bool:
        return bool(self.edited_cases or self.library or self.site)

    @property
    def only_cases(self) -> bool:
        """Only the text of known case files changed: their pages can be shown before the rest."""
        return bool(self.edited_cases) and not (self.library or self.site)

    def merged(self, later: Change) -> Change:
        """This change and a later one, as one (a file both edited and added or removed counts
        as the latter)."""
        other = set(self.other_files) | set(later.other_files)
        edited = (set(self.edited_cases) | set(later.edited_cases)) - other
        return Change(tuple(sorted(edited)), tuple(sorted(other)), self.site or later.site)


def changes(before: Snapshot, after: Snapshot, case_rels: Iterable[str]) -> Change:
    """What a change touches. `case_rels`: the case files of the library as last loaded."""
    cases = set(case_rels)
    lib_before, lib_after = before.library, after.library
    changed = {rel for rel in lib_before.keys() | lib_after.keys() if lib_before.get(rel) != lib_after.get(rel)}
    edited = {rel for rel in changed if rel in cases and rel in lib_before and rel in lib_after}
    return Change(tuple(sorted(edited)), tuple(sorted(changed - edited)), dict(before.site) != dict(after.site))


# -- what the preview adds to a page -----------------------------------------------------------------

def banner(errors: Iterable[Finding], shown: int = 50) -> str:
    """The library's errors as HTML: each line as `casebook validate` prints it, escaped (every
    path and message may hold text from a case file)."""
    errors = list(errors)
    if not errors:
        return ""
    lines = "".join(f"<li>{html.escape(f.text())}</li>" for f in errors[:shown])
    more = f"<li>……另有 {len(errors) - shown} 个错误，见终端</li>" if len(errors) > shown else ""
    return (
        '<div class="cb-preview-errors" role="alert"><p><strong>'
        f"校验未通过（{len(errors)} 个错误）：构建会失败。改正后本页自动刷新。</strong></p>"
        f"<ul>{lines}{more}</ul></div>"
    )


def inject(page: str, token: str, errors: Iterable[Finding] = ()) -> str:
    """The page with the preview's stylesheet, error banner and reload script before </body>.
    The script is a file of this server ('self' under the page's CSP: no policy changes);
    `token` says which version of the page this is."""
    block = (
        f'{START}<link rel="stylesheet" href="{PREFIX}preview.css">{banner(errors)}'
        f'<script src="{PREFIX}reload.js" data-token="{html.escape(token)}"></script>{END}'
    )
    at = page.lower().rfind("</body>")
    return page[:at] + block + page[at:] if at >= 0 else page + block


def strip_injection(page: str) -> str:
    """The page as the build made it: what `inject` added taken out."""
    start = page.find(START)
    end = page.find(END, start)
    return page if start < 0 or end < 0 else page[:start] + page[end + len(END):]


RELOAD_JS = """\
// casebook serve: wait for this page to change, then load it again (long poll: one request at a
// time; after the server stops, try again every two seconds).
(function () {
  var token = document.currentScript.getAttribute("data-token");
  function wait() {
    var url = "/__casebook/wait?path=" + encodeURIComponent(location.pathname) + "&token=" + encodeURIComponent(token);
    fetch(url, { cache: "no-store" }).then(function (response) {
      return response.json();
    }).then(function (answer) {
      if (answer.token !== token) {
        location.reload();
      } else {
        wait();
      }
    }, function () {
      setTimeout(wait, 2000);
    });
  }
  wait();
})();
"""

PREVIEW_CSS = """\
.cb-preview-errors { position: fixed; left: 0; right: 0; bottom: 0; z-index: 1000; max-height: 50vh;
  overflow: auto; margin: 0; padding: .8rem 1.2rem; background: #fff3f3; color: #7f0000;
  border-top: 4px solid #b71c1c; font-size: .8rem; box-shadow: 0 -2px 8px rgba(0, 0, 0, .2); }
.cb-preview-errors ul { margin: .4rem 0 0; padding-left: 1.2rem; font-family: monospace; }
.cb-preview-errors p { margin: 0; }
"""
