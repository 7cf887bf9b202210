"""The Content Security Policy builder (scripts/casebook/site/csp.py), as a pure function.

Promises: the policy goes first in <head> (after <meta charset>), with the referrer policy; its
script-src lists the SHA-256 hash of exactly the inline scripts that run and do not start in text
from the library; the hash is the one a browser computes. Real pages in Chromium: the browser
tests (tests/test_browser.py, tests/test_publish.py); every built page: tests/test_injection.py.
"""

from __future__ import annotations

import base64
import hashlib
from html.parser import HTMLParser

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from casebook.site import csp

HEAD = '<!doctype html>\n<html lang="zh">\n  <head>\n    <meta charset="utf-8">\n    <title>t</title>\n'
TAIL = "  </body>\n</html>\n"


def page(*body: str, head: str = "") -> str:
    return HEAD + head + "  </head>\n  <body>\n" + "\n".join(body) + "\n" + TAIL


def policy_of(html: str) -> dict[str, list[str]]:
    """The first CSP <meta> of a page, read by Python's own HTML parser: directive -> sources."""

    class Meta(HTMLParser):
        found: str | None = None

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag == "meta" and (a.get("http-equiv") or "").lower() == "content-security-policy" and self.found is None:
                self.found = a["content"]

    parser = Meta()
    parser.feed(html)
    assert parser.found is not None, "no CSP meta"
    return {part.split()[0]: part.split()[1:] for part in parser.found.split(";") if part.strip()}


def hashes_of(html: str) -> set[str]:
    return {s for s in policy_of(html)["script-src"] if s.startswith("'sha256-")}


def test_hash_is_the_one_browsers_compute():
    # The example of the CSP specification (and MDN): alert('Hello, world.');
    assert csp.script_hash("alert('Hello, world.');") == "'sha256-qznLcsROx4GACP2dm0UCKCzCG+HiZ1guq6ZZDob/Tng='"
    # HTML turns CR LF and lone CR into LF before the script exists.
    assert csp.script_hash("a()\r\nb()\rc()") == csp.script_hash("a()\nb()\nc()")
    # Non-ASCII text is hashed as UTF-8.
    digest = base64.b64encode(hashlib.sha256("x='中文'".encode("utf-8")).digest()).decode()
    assert csp.script_hash("x='中文'") == f"'sha256-{digest}'"


def test_policy_first_in_head_after_charset_with_referrer():
    html = page("<script>a()</script>", head='    <script src="x.js"></script>\n')
    out = csp.add_policy(html)
    charset = out.index('<meta charset="utf-8">')
    meta = out.index('<meta http-equiv="Content-Security-Policy"')
    referrer = out.index('<meta name="referrer" content="no-referrer">')
    assert charset < meta < referrer < out.index("<title>") < out.index("<script")
    assert out.replace(csp.meta(csp.theme_hashes(html)) + csp.REFERRER, "") == html  # nothing else changed
    directives = policy_of(out)
    assert directives == {
        "default-src": ["'self'"],
        "script-src": ["'self'", csp.script_hash("a()")],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'none'"],
    }
    assert "'unsafe-inline'" not in out and "'unsafe-eval'" not in out and "'unsafe-hashes'" not in out


def test_policy_without_charset_goes_right_after_head():
    html = "<!doctype html><html><head><title>t</title><script>a()</script></head><body></body></html>"
    out = csp.add_policy(html)
    assert out.startswith('<!doctype html><html><head><meta http-equiv="Content-Security-Policy"')
    assert hashes_of(out) == {csp.script_hash("a()")}


def test_which_scripts_get_a_hash():
    html = page(
        "<script>classic()</script>",
        '<script type="module">mod()</script>',
        '<script type=" Text/JavaScript ">typed()</script>',
        '<script type="application/json" id="__config">{"a": 1}</script>',  # data: never runs
        '<script type="text/template">tpl()</script>',
        '<script src="ext.js">ignored()</script>',  # external: 'self' decides
        "<!-- <script>commented()</script> -->",
        "<SCRIPT>upper()</SCRIPT >",
        "<script>\n  multi();\n  line();\n</script>",
        "<p>&lt;script&gt;text()&lt;/script&gt;</p>",
    )
    assert hashes_of(csp.add_policy(html)) == {csp.script_hash(t) for t in
                                               ("classic()", "mod()", "typed()", "upper()", "\n  multi();\n  line();\n")}


def test_no_inline_script_means_only_self():
    out = csp.add_policy(page('<script src="a.js"></script>'))
    assert policy_of(out)["script-src"] == ["'self'"]


def test_a_script_in_library_text_gets_no_hash():
    """The second wall: a script that reached the content (a sanitiser bug) is in the page when the
    hashes are taken, but it starts inside the content, so it is refused."""
    theme = "var palette=1"
    injected = '<p>案例正文</p><script>steal()</script><img src=x onerror="steal()">'
    html = page(f"<script>{theme}</script>", f'<article class="md-content__inner">{injected}</article>', f"<script>{theme}</script>")
    out = csp.add_policy(html, untrusted=[injected])
    assert hashes_of(out) == {csp.script_hash(theme)}
    # Without being told what came from the library, the builder would allow it: the test bites.
    assert csp.script_hash("steal()") in hashes_of(csp.add_policy(html))


def test_library_text_is_excluded_wherever_it_occurs():
    """The builder cannot tell which copy of a repeated text came from the library (a title shows
    in <title> and in the header), so every copy is refused: a library text that repeats a theme
    script switches that script off (the page loses a feature, nothing foreign runs)."""
    theme = "var target=1"
    content = f"<script>{theme}</script>"
    html = page(f"<div>{content}</div>", f"<script>{theme}</script>", "<script>other()</script>")
    assert hashes_of(csp.add_policy(html, untrusted=[content])) == {csp.script_hash("other()")}


def test_an_unclosed_script_in_library_text_cannot_borrow_the_theme_s_end_tag():
    """`<script>evil()//` left open in the content swallows the page up to the theme's next
    </script>; the script a browser then sees starts in the content: no hash for it."""
    content = "<script>evil()//"
    html = page(f"<article>{content}</article>", "<script>theme()</script>")
    hashes = hashes_of(csp.add_policy(html, untrusted=[content]))
    assert hashes == set()


def test_library_text_that_could_open_a_script_must_be_found():
    html = page("<p>x</p>")
    with pytest.raises(csp.PolicyError):
        csp.add_policy(html, untrusted=["<p>not in the page<script>x()</script></p>"])
    # Text that cannot open a script is not looked for (the common case: no cost).
    assert csp.add_policy(html, untrusted=["not in the page", "", "&lt;script&gt;"]) == csp.add_policy(html)


def test_a_page_without_head_is_refused():
    with pytest.raises(csp.PolicyError):
        csp.add_policy("<p>片段</p>")
    with pytest.raises(csp.PolicyError):
        csp.add_policy("<html><header>x</header><body></body></html>")  # <header> is not <head>


def test_deterministic():
    html = page("<script>b()</script>", "<script>a()</script>", "<script>b()</script>")
    out = csp.add_policy(html)
    assert out == csp.add_policy(html)
    listed = [s for s in policy_of(out)["script-src"] if s.startswith("'sha256-")]
    assert listed == sorted({csp.script_hash("a()"), csp.script_hash("b()")})


# -- generated pages against an independent reader (Python's html.parser) -----------------------

class InlineScripts(HTMLParser):
    """The oracle: text of each inline script, its type, by the standard library's tokenizer.
    convert_charrefs: without it, html.parser reads `&#` before a tag as text up to the next
    `;` or end (`<p>&#</p><script>` would hide the script); script text is never converted."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str]] = []
        self.current: list[str] | None = None
        self.kind = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script" and "src" not in a:
            self.current, self.kind = [], (a.get("type") or "").strip().lower()

    def handle_data(self, data):
        if self.current is not None:
            self.current.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self.current is not None:
            self.found.append(("".join(self.current), self.kind))
            self.current = None


# Script text: anything but what ends a script or changes how its end is found (`</script`,
# `<!--`), with CR/LF, quotes, angle brackets, entities and non-ASCII in it.
script_text = st.lists(st.sampled_from(list("ab(){};='\"<>/&#\r\n\t 中文😀") + ["&amp;", "&lt;", "-->"]),
                       max_size=30).map("".join).filter(lambda t: "</script" not in t.lower() and "<!--" not in t)
script_type = st.sampled_from(["", ' type="module"', ' type="text/javascript"', ' type="application/json"', ' type="text/x-template"'])
element = st.one_of(
    st.builds(lambda k, t: f"<script{k}>{t}</script>", script_type, script_text),
    st.builds(lambda t: f'<script src="a.js">{t}</script>', script_text),
    st.builds(lambda t: f"<p>{t.replace('<', '&lt;')}</p>", script_text),
    st.builds(lambda t: f"<!-- <script>{t.replace('-->', '')}</script> -->", script_text),
)


@given(st.lists(element, max_size=8))
@example(["<p>&#</p>", "<script></script>"])  # a character reference cut short before a tag
def test_hashes_match_an_independent_reader(body):
    html = page(*body)
    reader = InlineScripts()
    reader.feed(html)
    reader.close()
    expected = {csp.script_hash(text) for text, kind in reader.found if kind in csp.JAVASCRIPT_TYPES}
    assert hashes_of(csp.add_policy(html)) == expected


@given(st.lists(script_text, min_size=1, max_size=4), script_text)
def test_scripts_in_library_text_never_get_a_hash(injected, theme):
    content = "".join(f"<script>x{t}</script>" for t in injected)
    html = page(f"<script>{theme}</script>", f"<article>{content}</article>")
    hashes = hashes_of(csp.add_policy(html, untrusted=[content]))
    assert hashes == {csp.script_hash(theme)}
