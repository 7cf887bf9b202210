"""Nothing a case says can run script or make the reader's browser contact another host.

Every payload of tests/xss_corpus.py is placed in every front-matter text field (title,
organization, summary, source, an honour's title), in a vocabulary value of taxonomy.yml and in a
case body. For each placement, either validation reports a finding there, or the payload is
built into a site (both flavours) whose pages are inert: checked statically here (no event
handler, no script but the theme's, no off-site URL, no tag or attribute outside the allowlist,
the text shown exactly as written) and in real Chromium (tests/test_browser.py's setup): no
dialog, no page error, no request off 127.0.0.1 / the site's folder, and no Content Security
Policy violation: the policy (the second wall) must have had nothing to refuse. Every page carries
that policy, with a hash for exactly its own inline scripts.
"""

from __future__ import annotations

import csv
import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from browser_support import CHROMIUM_ARGS, VIEWPORT, StaticServer, chromium_path, missing_chromium_message, record_csp_violations
from casebook.core import sanitize
from conftest import check, TODAY, make_library, relative
from xss_corpus import PAYLOADS


FIELDS = ("title", "organization", "summary", "source", "honor")
PLACES = (*FIELDS, "vocabulary", "body")


def q(text: str) -> str:
    """A YAML double-quoted scalar (JSON, ASCII only: every control character escaped)."""
    return json.dumps(text)


def case_text(cid: str, place: str, payload: str) -> str:
    value = {f: payload if place == f else None for f in FIELDS}
    lines = [
        "---",
        f"id: {cid}",
        f"title: {q(value['title'] or '示例工作法')}",
        f"organization: {q(value['organization'] or '示例公司')}",
        "org_type: 非公有制企业",
        "region: 永康市",
        "category: [党建工作法]",
        f"tags: [{q(payload)}]" if place == "vocabulary" else "tags: [示范岗]",
        f"summary: {q(value['summary'] or '示例公司（虚构单位）的测试案例。')}",
        "date: 2024-01-05",
        f"source: {q(value['source'] or '测试资料')}",
    ]
    if value["honor"]:
        lines += ["honors:", f"  - {{level: 市级, title: {q(value['honor'])}, year: 2020}}"]
    body = "测试做法。\n\n" + payload if place == "body" else "测试做法。"  # a heading in it starts a section of its own
    lines += ["---", "", "## 基本情况", "", "示例公司是为测试虚构的单位。", "", "## 主要做法", "", body, "", "## 取得成效", "", "测试成效。", ""]
    return "\n".join(lines)


def taxonomy(extra_tags: list[str]) -> str:
    data = yaml.safe_load((Path(__file__).parent / "fixtures" / "valid" / "taxonomy.yml").read_text("utf-8"))
    out = [f"{name}: [{', '.join(q(v) for v in values)}]" for name, values in data.items() if name != "tags"]
    out += ["tags:"] + [f"  - {q(v)}" for v in data["tags"]] + [f"  - {q(v)}" for v in extra_tags]
    return "\n".join(out) + "\n"


def cid(i: int, place: str) -> str:
    return f"p{i:03d}-{place}"


# -- validation of every placement ----------------------------------------------------------------

@pytest.fixture(scope="module")
def verdicts(tmp_path_factory) -> dict[tuple[int, str], list[str]]:
    """(payload index, place) -> codes of the findings validation reports there ([] = accepted)."""
    root = tmp_path_factory.mktemp("corpus")
    cases = {f"{cid(i, p)}.md": case_text(cid(i, p), p, payload) for i, payload in enumerate(PAYLOADS) for p in PLACES}
    make_library(root, cases, taxonomy=taxonomy(list(PAYLOADS)))
    library = check(root, today=TODAY)
    tax_lines = (root / "taxonomy.yml").read_text("utf-8").split("\n")
    first_payload_line = len(tax_lines) - len(PAYLOADS)  # the payloads are the last tags, one a line
    out: dict[tuple[int, str], list[str]] = {(i, p): [] for i in range(len(PAYLOADS)) for p in PLACES}
    for f in library.findings:
        rel = relative(f.path, root)
        if rel == "taxonomy.yml":
            out[(f.line - first_payload_line, "vocabulary")].append(f.code)
        elif f.severity == "error":
            i, place = rel[1:4], rel[5:-3]
            out[(int(i), place)].append(f.code)
    return out


def test_every_payload_is_rejected_somewhere_and_placed_everywhere(verdicts) -> None:
    """A sanity check of the corpus itself: it has both kinds, and the common attacks are refused."""
    rejected = {k for k, codes in verdicts.items() if codes}
    assert len(rejected) > len(verdicts) // 3
    assert len(verdicts) - len(rejected) > 50  # enough accepted ones to build and open
    for i, payload in enumerate(PAYLOADS):
        if re.search(r"<(script|img|svg|iframe)\b", payload, re.I) and "```" not in payload and "&lt;" not in payload:
            for place in FIELDS + ("vocabulary",):
                assert verdicts[(i, place)], f"{place} accepted {payload!r}"


def test_plain_text_fields_refuse_markup_and_hidden_characters(verdicts) -> None:
    expected = {"tag": {"E216", "E603"}, "url": {"E217", "E604"}, "control": {"E218", "E605", "E101"}, "bidi": {"E219", "E606"}}
    for i, payload in enumerate(PAYLOADS):
        problem = sanitize.text_problem(payload)
        for place in FIELDS + ("vocabulary",):
            codes = set(verdicts[(i, place)])
            if problem:
                assert codes & expected[problem[0]], (place, payload, codes)
            else:
                assert not codes, (place, payload, codes)


# -- the site built from everything validation accepted ------------------------------------------

@pytest.fixture(scope="module")
def accepted(verdicts) -> list[tuple[int, str]]:
    return sorted(k for k, codes in verdicts.items() if not codes)


@pytest.fixture(scope="module")
def built(build_site, run_cli, tmp_path_factory, accepted) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("accepted") / "lib"
    tags = [PAYLOADS[i] for i, p in accepted if p == "vocabulary"]
    make_library(root, {f"{cid(i, p)}.md": case_text(cid(i, p), p, PAYLOADS[i]) for i, p in accepted}, taxonomy=taxonomy(tags))
    out = root.parent
    build_site(root, out / "online")  # --strict: a sanitiser removal (a validator gap) would fail it
    result = run_cli("build", "--cases", root, "--site-dir", out / "offline", "--offline")
    assert result.returncode == 0, result.stdout + result.stderr
    return {"online": out / "online", "offline": out / "offline", "library": root}


class Page(HTMLParser):
    """Every element of a page (tag, attributes), inline scripts' text, and the article's elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str], bool]] = []  # (tag, attrs, inside the article)
        self.scripts: list[str] = []
        self.depth = 0  # inside <article> when > 0
        self.in_script = False
        self.texts: dict[str, str] = {}
        self.capture: str | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "article":
            self.depth += 1
        self.elements.append((tag, a, self.depth > 0))
        if tag == "script" and "src" not in a:
            self.in_script = True
            self.scripts.append("")
        if tag in ("title", "h1") and tag not in self.texts:
            self.capture = tag
            self.texts[tag] = ""

    def handle_endtag(self, tag):
        if tag == "article":
            self.depth -= 1
        if tag == "script":
            self.in_script = False
        if tag == self.capture:
            self.capture = None

    def handle_data(self, data):
        if self.in_script:
            self.scripts[-1] += data
        if self.capture:
            self.texts[self.capture] += data


def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text("utf-8"))
    return page


# The theme's own inline scripts and ours (JSON data); anything else would be injected.
THEME_SCRIPTS = ("__md_scope=", "var palette=", "var target=document.getElementById(location.hash", '{"annotate"', '{"facets"')
URL_ATTRS = ("href", "src", "srcset", "poster", "background", "action", "formaction", "data", "xlink:href", "ping", "content")


def off_site(url: str) -> bool:
    return sanitize.off_site(url) and not url.startswith(("https://github.com/liangxin-dangjian/casebook/edit/",))


def html_pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


@pytest.mark.parametrize("flavour", ["online", "offline"])
def test_built_pages_are_inert(built, flavour) -> None:
    pages = html_pages(built[flavour])
    assert len(pages) > 60
    for path in pages:
        page = parse(path)
        where = path.relative_to(built[flavour]).as_posix()
        for tag, attrs, in_article in page.elements:
            for name, value in attrs.items():
                assert not name.startswith("on"), (where, tag, name, value)
                plain = re.sub(r"[\x00-\x20]", "", value).lower()
                assert not plain.startswith(("javascript:", "vbscript:", "data:text", "livescript:")), (where, tag, name, value)
            assert tag not in ("iframe", "object", "embed", "base", "frame", "frameset"), (where, tag)
            # The one http-equiv is the site's policy in <head> (test_every_page_carries_the_policy...).
            assert "http-equiv" not in attrs or (not in_article and attrs["http-equiv"] == "Content-Security-Policy"), (where, attrs)
            if in_article:  # the page's content (the theme's form is the search box, outside it)
                assert tag not in ("form", "meta", "link", "style", "input", "button", "textarea"), (where, tag)
            for name in ("src", "srcset", "poster", "background", "ping"):
                assert not (name in attrs and off_site(attrs[name])), (where, tag, name, attrs[name])
            if tag == "link":
                assert not off_site(attrs.get("href", "")), (where, attrs)
            if in_article and where.startswith("cases/"):
                assert tag in sanitize.TAGS or tag == "article", (where, tag)
                assert "style" not in attrs, (where, tag, attrs)
                if tag == "a" and off_site(attrs.get("href", "")):
                    assert attrs.get("rel") == "noopener noreferrer", (where, attrs)
        for text in page.scripts:
            assert text.strip().startswith(THEME_SCRIPTS), (where, text[:200])


class Policy(HTMLParser):
    """The CSP <meta> elements of a page, where they stand, and every inline script that runs."""

    DATA_TYPES = ("application/json", "application/ld+json", "text/template")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.policies: list[str] = []
        self.referrer: list[str] = []
        self.before_policy: list[str] = []  # tags before the first policy (only <html>, <head>, <meta charset>)
        self.scripts: list[str] = []
        self.current: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "meta" and a.get("http-equiv") == "Content-Security-Policy":
            self.policies.append(a["content"])
        elif not self.policies:
            self.before_policy.append(tag if "charset" not in a else "meta charset")
        if tag == "meta" and a.get("name") == "referrer":
            self.referrer.append(a["content"])
        if tag == "script" and "src" not in a and a.get("type", "").lower() not in self.DATA_TYPES:
            self.current = []

    def handle_data(self, data):
        if self.current is not None:
            self.current.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self.current is not None:
            self.scripts.append("".join(self.current))
            self.current = None


@pytest.mark.parametrize("flavour", ["online", "offline"])
def test_every_page_carries_the_policy_for_its_own_scripts(built, flavour) -> None:
    """Every page, 404.html too: one Content-Security-Policy <meta> right after <meta charset>,
    before any script or stylesheet; script-src is 'self' plus exactly the hashes of the page's
    inline scripts that run (read here by Python's own HTML parser); no 'unsafe-inline'; and
    the referrer policy. Pages of different depths have different theme scripts (__md_scope)."""
    from casebook.site.csp import script_hash

    seen_hashes = set()
    for path in html_pages(built[flavour]):
        where = path.relative_to(built[flavour]).as_posix()
        page = Policy()
        page.feed(path.read_text("utf-8"))
        assert len(page.policies) == 1, where
        assert page.before_policy == ["html", "head", "meta charset"], (where, page.before_policy)
        assert page.referrer == ["no-referrer"], where
        directives = {d.split()[0]: d.split()[1:] for d in page.policies[0].split(";")}
        assert directives["object-src"] == ["'none'"] and directives["base-uri"] == ["'self'"], where
        assert directives["form-action"] == ["'none'"] and directives["default-src"] == ["'self'"], where
        sources = directives["script-src"]
        assert sources[0] == "'self'" and not any("unsafe" in s for s in page.policies[0].split()), where
        assert page.scripts, f"{where}: no inline script found: the reader is broken"
        assert set(sources[1:]) == {script_hash(text) for text in page.scripts}, where
        seen_hashes.update(sources[1:])
    assert len(seen_hashes) > 3


def norm(text: str) -> str:
    return " ".join(text.split())


def test_text_shows_as_written(built, accepted) -> None:
    """The case page's <h1>, the browser's <title> and the header show the title exactly as written
    (escaped, never interpreted): `{{ 7*7 }}` stays `{{ 7*7 }}`, `&lt;` stays `&lt;`."""
    shown = 0
    for i, place in accepted:
        if place != "title":
            continue
        title = norm(PAYLOADS[i])
        page = parse(built["online"] / "cases" / cid(i, place) / "index.html")
        assert norm(page.texts["h1"]) == title, (PAYLOADS[i], page.texts["h1"])
        assert norm(page.texts["title"]) == f"{title} - 两新党建工作法案例库"
        shown += 1
    assert shown > 10


def test_exports_keep_exact_text_and_defuse_formulas(built, accepted) -> None:
    data = json.loads((built["online"] / "cases.json").read_text("utf-8"))
    by_id = {c["id"]: c for c in data["cases"]}
    raw = (built["online"] / "cases.csv").read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(raw, newline="")))
    col = {name: n for n, name in enumerate(rows[0])}
    csv_by_id = {r[col["编号"]]: r for r in rows[1:]}
    for i, place in accepted:
        if place not in ("title", "organization", "summary", "source"):
            continue
        value = PAYLOADS[i].strip()
        record = by_id[cid(i, place)]
        assert record[place] == value  # JSON is data: the exact text
        cell = csv_by_id[cid(i, place)][col[{"title": "标题", "organization": "单位", "summary": "摘要", "source": "来源"}[place]]]
        assert cell == ("'" + value if value[:1] in "=+-@\t\r" else value), (value, cell)
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


# -- in the browser --------------------------------------------------------------------------------

SEARCH = "示例"
HOVERABLE = "article [title], .md-nav--secondary .md-ellipsis"
HOVER_TARGETS = """selector => [...document.querySelectorAll(selector)].flatMap((e, n) => {
  const box = e.getBoundingClientRect();
  const visible = box.width > 0 && box.height > 0 && getComputedStyle(e).visibility !== "hidden";
  return visible && (e.hasAttribute("title") || e.scrollWidth > e.clientWidth) ? [n] : [];
})"""


@pytest.mark.browser
@pytest.mark.parametrize("flavour", ["online", "offline"])
def test_no_script_runs_and_nothing_leaves_the_site(built, flavour) -> None:
    path = chromium_path()
    if path is None:
        pytest.fail(missing_chromium_message(), pytrace=False)
    from playwright.sync_api import sync_playwright

    root = built[flavour]
    server = StaticServer(root) if flavour == "online" else None
    base = server.base if server else root.as_uri() + "/"
    dialogs: list[str] = []
    errors: list[str] = []
    foreign: list[str] = []
    violations: list[str] = []  # what the Content Security Policy refused (the second wall)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
            context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
            context.set_default_timeout(10_000)
            page = context.new_page()
            page.on("dialog", lambda d: (dialogs.append(f"{d.type}: {d.message} @ {page.url}"), d.dismiss()))
            page.on("pageerror", lambda e: errors.append(f"{e} @ {page.url}"))
            page.on("request", lambda r: r.url.startswith(base) or foreign.append(f"{r.url} @ {page.url}"))
            record_csp_violations(page, violations)
            # The hooks see what they must: one dialog, one script error, a fetch off the site (the
            # policy refuses it: a violation), a foreign request (a navigation, which no policy stops).
            page.goto(base + ("" if flavour == "online" else "index.html"))
            page.evaluate("() => { alert('self-test'); fetch('http://evil.example/self-test').catch(() => {}); setTimeout(() => { throw new Error('self-test') }, 0) }")
            # The violation arrives as an event and as console lines, each in its own time: wait for both kinds.
            for _ in range(100):
                if len(dialogs) == 1 and errors and {v.startswith("console:") for v in violations if "self-test" in v} == {True, False}:
                    break
                page.wait_for_timeout(50)
            page.route("http://evil.example/**", lambda route: route.abort())
            with pytest.raises(Exception):
                page.goto("http://evil.example/navigation-self-test")
            page.unroute("http://evil.example/**")
            assert len(dialogs) == 1 and len(errors) == 1 and len(foreign) == 1 and violations, (dialogs, errors, foreign, violations)
            assert any("connect-src" in v and "evil.example" in v for v in violations), violations
            assert any(v.startswith("console:") for v in violations) and any(not v.startswith("console:") for v in violations), violations
            dialogs.clear(), errors.clear(), foreign.clear(), violations.clear()
            visited = hovered = 0
            for n, html in enumerate(html_pages(root)):
                rel = html.relative_to(root).as_posix()
                if flavour == "offline" and rel.startswith("cases/") and n % 8:
                    continue  # the same pages as online but for their addresses: every eighth, and every listing
                url = base + (rel[: -len("index.html")] if flavour == "online" and rel.endswith("index.html") else rel)
                page.goto(url, wait_until="load")
                # Give timers, focus and late error handlers a moment; hover what a reader would:
                # elements with a title, TOC entries too long for the sidebar (tooltips).
                page.mouse.move(300, 300)
                if rel.startswith("cases/"):
                    # One round trip finds the targets (visible as Playwright means it: a box, not
                    # visibility:hidden); asking element by element cost a tenth of a second a page.
                    found = page.evaluate(HOVER_TARGETS, HOVERABLE)
                    for n in found:
                        page.locator(HOVERABLE).nth(n).hover()
                        page.wait_for_timeout(100)
                        hovered += 1
                page.wait_for_timeout(30)
                visited += 1
            # Search results render titles from the index as HTML: show the payload cases there.
            page.goto(base + ("" if flavour == "online" else "index.html"))
            box = page.locator("input.md-search__input")
            box.click()
            box.fill(SEARCH)
            page.keyboard.press("End")
            page.wait_for_selector(".md-search-result__item", timeout=15_000)
            page.mouse.wheel(0, 5000)
            page.wait_for_timeout(300)
            assert page.locator(".md-search-result__item").count() >= 10
            browser.close()
    finally:
        if server:
            server.close()
    assert visited > (60 if flavour == "online" else 20) and (hovered >= 2 or flavour == "offline")  # hovering: online, every page
    assert not dialogs, dialogs
    assert not errors, errors
    assert not foreign, foreign
    # Chromium reports a refused fetch up to three times (the event and two console lines), the
    # last one sometimes after the pages above have begun: the self-test's own reports are not findings.
    assert not [v for v in violations if "evil.example/self-test" not in v], violations


# -- validate rejects <=> the build would not publish it unchanged ---------------------------------

PUBLISH_CODES = {f"E4{n:02d}" for n in range(1, 18)} - {"E411", "E412", "E413"}


@pytest.fixture(scope="module")
def body_findings(tmp_path_factory):
    """(payload index) -> [(code, line, message)] of a library holding only the body placements."""
    root = tmp_path_factory.mktemp("bodies")
    make_library(root, {f"{cid(i, 'body')}.md": case_text(cid(i, "body"), "body", p) for i, p in enumerate(PAYLOADS)})
    out: dict[int, list[tuple[str, int, str]]] = {}
    for f in check(root, today=TODAY).findings:
        out.setdefault(int(relative(f.path, root)[1:4]), []).append((f.code, f.line, f.message))
    return out


def test_every_rejection_is_at_a_line_of_the_payload(body_findings) -> None:
    """What the page check finds (E401-E417) is reported at a line the payload occupies."""
    first = case_text("x", "body", "@@").split("\n").index("@@") + 1
    checked = 0
    for i, payload in enumerate(PAYLOADS):
        lines = range(first, first + payload.count("\n") + 1)
        for code, line, _ in body_findings.get(i, []):
            if code in PUBLISH_CODES:
                assert line in lines, (payload, code, line)
                checked += 1
    assert checked > 60


def test_what_validate_refuses_in_a_body_the_build_would_change(body_findings, tmp_path_factory) -> None:
    """The other half of `validate passes <=> the strict build publishes it unchanged`: every body
    payload refused for a publishing reason makes the real build (MkDocs and the plugin, not
    strict) warn about that very page, or stop."""
    import logging

    from casebook.core.library import load_library
    from casebook.core.model import Library
    from casebook.site import engine
    from conftest import REPO

    codes = {i: {c for c, _, _ in found} for i, found in body_findings.items()}
    refused = sorted(i for i, found in codes.items() if found & PUBLISH_CODES and "E417" not in found)
    assert len(refused) > 40
    # validate says these stop MkDocs itself (an address its URL parser rejects)
    stopping = {cid(i, "body") for i in refused if any("站点无法生成" in m or "无法生成本案例" in m for _, _, m in body_findings[i])}
    root = tmp_path_factory.mktemp("refused") / "lib"
    make_library(root, {f"{cid(i, 'body')}.md": case_text(cid(i, "body"), "body", PAYLOADS[i]) for i in refused})
    library = load_library(root, TODAY)  # the core's checks only: most pass them
    messages: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record):
            messages.append(record.getMessage())

    def build(cases) -> None:
        config = engine.load(REPO / "mkdocs.yml", site_dir=str(root.parent / "site"), strict=False)
        engine.configure(config, Library(library.root, library.taxonomy, tuple(cases), (), library.assets), None, False)
        handler = Collect(logging.WARNING)
        logging.getLogger("mkdocs").addHandler(handler)
        try:
            engine.run_build(config)
        finally:
            logging.getLogger("mkdocs").removeHandler(handler)

    cases = [c for c in library.published if c.id not in stopping]
    assert len(cases) > 40
    build(cases)
    quiet = [c.id for c in cases if not any(f"cases/{c.id}.md" in m for m in messages)]
    assert not quiet, [PAYLOADS[int(q[1:4])] for q in quiet]
    assert stopping
    for case in library.published:
        if case.id in stopping:
            with pytest.raises(Exception):  # noqa: B017 - whatever MkDocs raises, the build stops
                build([case])
