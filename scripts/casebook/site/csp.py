"""A built page -> the same page with a Content Security Policy and a referrer policy in its <head>.

The policy is the second wall behind the sanitiser (core/sanitize.py) and the escaping of every
field: if markup ever slipped through them, the browser still runs no script but the site's own
files and the inline scripts the theme writes around the content, each allowed by its SHA-256
hash, computed here from the page itself (Material's inline scripts differ from page to page:
`__md_scope` holds the page's relative base URL). A script that *starts* inside text that came
from the library (the page's content, its title: `untrusted`) never gets a hash, so a script
that got into the content is refused even though it is in the page when the hashes are taken.

The policy works over http(s), under a sub-path ('self' is the origin, whatever the path) and from
file:// (Chromium lets 'self' match file: URLs there, measured; other browsers may be stricter);
the offline copy's search runs in an iframe whose script is an external file
(docs/assets/javascripts/iframe-worker/shim.js), not inline. It is delivered in a
<meta> element, so `frame-ancestors`, `report-uri` and `sandbox` are not available (browsers
ignore them there); GitHub Pages cannot send headers.

Pure: text in, text out.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from collections.abc import Iterable
from dataclasses import dataclass

from ..core.scan import ATTRIBUTE, HTML_COMMENT

# Directive -> sources; script-src gets the page's hashes appended. No 'unsafe-inline' anywhere:
# inline <style> elements and style="" attributes are refused too (the site uses none; Material
# sets styles through the CSSOM, which a policy does not restrict).
DIRECTIVES: tuple[tuple[str, str], ...] = (
    ("default-src", "'self'"),  # styles, fonts, frames, workers, fetches: this site only
    ("script-src", "'self'"),  # + 'sha256-…' for each inline script of the theme
    ("img-src", "'self' data:"),  # Material's stylesheet draws its icons as data: SVG images
    ("object-src", "'none'"),
    ("base-uri", "'self'"),
    ("form-action", "'none'"),  # the search box and the overview's filters are never submitted
)
REFERRER = '<meta name="referrer" content="no-referrer">'  # links to other sites do not say where from

# The types a browser runs as script (HTML: "JavaScript MIME type essence match", and "module");
# any other type (application/json ...) is a data block, never executed, so it needs no hash.
JAVASCRIPT_TYPES = frozenset({
    "", "module", "application/ecmascript", "application/javascript", "application/x-ecmascript",
    "application/x-javascript", "text/ecmascript", "text/javascript", "text/javascript1.0",
    "text/javascript1.1", "text/javascript1.2", "text/javascript1.3", "text/javascript1.4",
    "text/javascript1.5", "text/jscript", "text/livescript", "text/x-ecmascript", "text/x-javascript",
})

# What the HTML tokenizer sees at the top level, in order: a comment (skipped whole, as a browser
# does), or a <script> start tag, its text and end tag. Raw-text elements other than script
# cannot hold a <script> tag, and none of them is written by the theme around a script.
_TOKENS = re.compile(
    f"(?:{HTML_COMMENT.pattern})"
    r"|<script(?P<attrs>(?:[\s/][^>]*)?)>(?P<text>.*?)(?:</script[\s/>]|\Z)",
    re.S | re.I,
)
_HEAD = re.compile(r"<head(?:[\s/][^>]*)?>", re.I)
_CHARSET = re.compile(r"\s*<meta\s+charset=[^>]*>", re.I)
_SCRIPT_START = re.compile(r"<script[\s/>]", re.I)


class PolicyError(ValueError):
    """The page cannot be given a policy safely (no <head>; library text not found in it)."""


@dataclass(frozen=True)
class Script:
    start: int  # offset of its "<script" in the page
    text: str  # the text the browser hashes
    runs: bool  # a classic or module script (not a data block)
    external: bool  # has src="…": loaded from a file, governed by 'self'


def _attributes(raw: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for match in ATTRIBUTE.finditer(raw):
        name, value = match.group(1).lower(), match.group(2) or ""
        if value[:1] in ("'", '"'):
            value = value[1:-1]
        found.setdefault(name, html.unescape(value))  # the first of a repeated attribute counts
    return found


def scripts(page: str) -> list[Script]:
    """Every <script> element of the page, in order (comments skipped)."""
    found = []
    for match in _TOKENS.finditer(page):
        if match.group("attrs") is None and match.group("text") is None:
            continue  # a comment
        attrs = _attributes(match.group("attrs") or "")
        kind = attrs.get("type", "").strip().lower()
        found.append(Script(match.start(), match.group("text") or "", kind in JAVASCRIPT_TYPES, "src" in attrs))
    return found


def script_hash(text: str) -> str:
    """A CSP hash source for a script's text, as the browser computes it: SHA-256 of the UTF-8 of
    the text after HTML's input preprocessing (CR LF and CR become LF)."""
    normal = text.replace("\r\n", "\n").replace("\r", "\n")
    digest = hashlib.sha256(normal.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def _regions(page: str, untrusted: Iterable[str]) -> list[tuple[int, int]]:
    """Where library text that could start a script sits in the page (start, end)."""
    regions = []
    for fragment in untrusted:
        if not fragment or not _SCRIPT_START.search(fragment):
            continue  # cannot open a script element: nothing to find
        at = page.find(fragment)
        if at < 0:
            raise PolicyError("页面中找不到案例库内容的原样文本，无法确定哪些脚本属于主题")
        while at >= 0:
            regions.append((at, at + len(fragment)))
            at = page.find(fragment, at + 1)
    return regions


def theme_hashes(page: str, untrusted: Iterable[str] = ()) -> list[str]:
    """Sorted hash sources of the inline scripts that run and do not start in untrusted text."""
    regions = _regions(page, untrusted)
    return sorted({
        script_hash(s.text) for s in scripts(page)
        if s.runs and not s.external and not any(a <= s.start < b for a, b in regions)
    })


def policy(hashes: Iterable[str] = ()) -> str:
    """The policy text with these hash sources added to script-src."""
    extra = " ".join(hashes)
    return "; ".join(f"{name} {sources} {extra}" if name == "script-src" and extra else f"{name} {sources}"
                     for name, sources in DIRECTIVES)


def meta(hashes: Iterable[str] = ()) -> str:
    return f'<meta http-equiv="Content-Security-Policy" content="{html.escape(policy(hashes), quote=False)}">'


def add_policy(page: str, untrusted: Iterable[str] = ()) -> str:
    """The page with the policy (for its own inline scripts) and the referrer policy placed first in
    <head>, after <meta charset> if that comes first: a policy covers only what follows it.

    `untrusted`: text from the library as it was put into the page (the content HTML, the title);
    a script starting inside it gets no hash. Raises PolicyError when there is no <head>, or when
    such text could open a script and is not found verbatim in the page.
    """
    head = _HEAD.search(page)
    if head is None:
        raise PolicyError("页面没有 <head>，无法加入内容安全策略")
    at = head.end()
    charset = _CHARSET.match(page, at)
    if charset:
        at = charset.end()
    block = meta(theme_hashes(page, untrusted)) + REFERRER
    return page[:at] + block + page[at:]
