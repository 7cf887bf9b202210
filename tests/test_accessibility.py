"""Accessibility of the built site in a real browser (Debian's headless Chromium through Playwright).

- axe-core (the copy the locked PyPI package axe-playwright-python ships) with the WCAG 2.0/2.1
  A and AA rules over every page type, in both colour schemes, at 1280 px and 390 px: no
  violations of any impact. A deliberately broken page proves the check can fail.
- What axe cannot see: the search box's placeholder, the closed search panel, chart labels
  inside the SVG images (4.5:1 against the chart's own background), the charts' names and tables.
- Print: a case page prints as the page alone, black on white, in every scheme and mode.
- The template overrides stay in step with Material's templates they copy.

Keyboard and 关怀模式 are in tests/test_keyboard_and_care.py; helpers in accessibility_support.py.
Screenshots go to tests/screenshots/ (git-ignored) for a human to look at.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accessibility_support import (  # noqa: F401 - browser and sites are fixtures
    PAGE_TYPES,
    SCHEMES,
    SCREENSHOTS,
    WIDTHS,
    contrast,
    axe_violations,
    longest_case,
    new_page,
    open_search_results,
    page_url,
    report,
    settle,
    shoot,
    sites,
    still,
)
from conftest import REPO

pytestmark = pytest.mark.browser


# -- axe-core ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def pages(browser):
    """One page per (scheme, width), shared by the axe tests; closed at the end of the module."""
    opened: dict[tuple[str, int], object] = {}

    def get(scheme: str, width: int):
        if (scheme, width) not in opened:
            opened[scheme, width] = new_page(browser, scheme, width)
        return opened[scheme, width][1]

    yield get
    for context, _ in opened.values():
        context.close()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("scheme", list(SCHEMES))
@pytest.mark.parametrize("kind", PAGE_TYPES)
def test_axe_finds_no_wcag_aa_violation(pages, sites, kind, scheme, width):
    page = pages(scheme, width)
    page.goto(page_url(sites["online"], sites["offline"], kind))
    settle(page)
    assert page.locator("body").get_attribute("data-md-color-scheme") == scheme
    if kind == "search":
        open_search_results(page)
    violations = axe_violations(page)
    if width == WIDTHS[0] or kind in ("case", "search"):
        shoot(page, f"{kind}-{scheme}-{width}")
    assert not violations, f"{kind} ({scheme}, {width} px):\n{report(violations)}"
    if kind == "search":
        page.keyboard.press("Escape")


def test_axe_reports_a_broken_page(browser, sites):
    """The same check on a real page made worse: it must report what was broken."""
    context, page = new_page(browser)
    try:
        page.goto(sites["online"].url(f"cases/{longest_case()}"))
        settle(page)  # (the same page passes in test_axe_finds_no_wcag_aa_violation)
        page.evaluate("""() => {
            document.documentElement.removeAttribute('lang');
            document.querySelector('article p').style.color = '#aaaaaa';
            document.querySelector('article .cb-meta a').replaceChildren();
        }""")
        found = {v["id"] for v in axe_violations(page)}
        assert {"html-has-lang", "color-contrast", "link-name"} <= found, found
    finally:
        context.close()


def test_language_and_skip_link_text(sites):
    """<html lang="zh-CN"> on every page; Material's other Chinese texts are still there."""
    root = sites["online"].root
    for path in sorted(root.rglob("*.html")):
        html = path.read_text(encoding="utf-8")
        assert '<html lang="zh-CN"' in html, path
    home = (root / "index.html").read_text(encoding="utf-8")
    assert re.search(r'class="md-skip">\s*跳到正文\s*</a>', home)
    assert 'placeholder="搜索案例"' in home and 'aria-label="搜索案例"' in home  # what is searched: the cases
    for text in ("没有找到符合条件的结果", "找到 1 个符合条件的结果", "找到 # 个符合条件的结果"):
        assert text.encode("unicode_escape").decode() in home, text
    page404 = (root / "404.html").read_text(encoding="utf-8")
    assert "<h1>404 - 找不到页面</h1>" in page404  # not English
    assert re.search(r"<title>找不到页面 - 两新党建工作法案例库</title>", page404)  # the tab says so too


# -- charts --------------------------------------------------------------------------------------

def test_contrast_formula():
    assert round(contrast("#ffffff", "#000000"), 1) == 21.0
    assert round(contrast("#767676", "#ffffff"), 2) == 4.54  # the lightest grey that passes on white
    assert round(contrast("#808080", "#ffffff"), 2) == 3.95  # the old chart labels
    assert round(contrast("#b71c1c", "#ffffff"), 2) == 6.57  # the site's red


colours = st.integers(0, 0xFFFFFF).map(lambda n: f"#{n:06x}")


@settings(max_examples=300)
@given(st.lists(st.tuples(colours, colours), min_size=1, max_size=20))
def test_browser_contrast_helper_agrees_with_the_formula(js_page, pairs):
    """The in-page helper that measures focus rings and placeholders (COLOUR_JS) gives WCAG's
    ratio, checked against the Python formula above on random colour pairs."""
    got = js_page.evaluate("""pairs => pairs.map(([a, b]) => {
        const rgb = h => [1, 3, 5].map(i => parseInt(h.slice(i, i + 2), 16)).concat([1]);
        return cbColour.contrast(rgb(a), rgb(b));
    })""", [list(p) for p in pairs])
    assert got == pytest.approx([contrast(a, b) for a, b in pairs], rel=1e-9)


@pytest.fixture(scope="module")
def js_page(browser):
    context, page = new_page(browser)
    page.goto("about:blank")
    yield page
    context.close()


def test_chart_text_and_bars_stand_out_from_the_chart_background(sites):
    ns = "{http://www.w3.org/2000/svg}"
    charts = sorted((sites["online"].root / "stats").glob("*.svg"))
    assert len(charts) >= 4
    for path in charts:
        svg = ET.fromstring(path.read_bytes())
        background, *bars = svg.findall(f".//{ns}rect")
        assert (background.get("width"), background.get("height")) == (svg.get("width"), svg.get("height"))
        text_colour = svg.find(f"{ns}g").get("fill")
        assert svg.findall(f".//{ns}text") and all(t.get("fill") in (None, text_colour) for t in svg.iter(f"{ns}text"))
        assert contrast(text_colour, background.get("fill")) >= 4.5, path.name
        assert bars and all(contrast(b.get("fill"), background.get("fill")) >= 3 for b in bars), path.name


def test_chart_images_are_named_and_followed_by_their_table(browser, sites):
    context, page = new_page(browser, "slate")
    try:
        page.goto(sites["online"].url("stats"))
        settle(page)
        charts = page.locator("article img.cb-chart:visible")
        assert charts.count() >= 4
        for i in range(charts.count()):
            info = charts.nth(i).evaluate("""img => ({alt: img.alt, heading: img.closest('p').previousElementSibling.textContent,
                next: img.closest('p').nextElementSibling.querySelector('table') !== null
                      || img.closest('p').nextElementSibling.tagName === 'TABLE'})""")
            topic = info["heading"].strip().removeprefix("按")
            assert info["alt"] == f"条形图：按{topic}统计的案例数，数据见下表" and info["next"], info
    finally:
        context.close()


# -- what axe cannot see ---------------------------------------------------------------------------

@pytest.mark.parametrize(("scheme", "width"), [("default", 1280), ("slate", 390)])
def test_search_placeholder_is_readable(browser, sites, scheme, width):
    """The search box's placeholder (axe does not check placeholders): in the red header, and in
    the opened box on a narrow screen."""
    context, page = new_page(browser, scheme, width)
    try:
        page.goto(sites["online"].url())
        settle(page)
        icon = page.locator('.md-header label.md-header__button[for="__search"]')
        if icon.is_visible():
            icon.click()
            still(page)
        ratio = page.evaluate("""() => {
            const input = document.querySelector('.md-search__input');
            const behind = cbColour.background(input);
            const text = cbColour.parse(getComputedStyle(input, '::placeholder').color);
            return cbColour.contrast(cbColour.over(text, behind), behind);
        }""")
        assert ratio >= 4.5, ratio
    finally:
        context.close()


def test_closed_search_panel_takes_no_focus(browser, sites):
    context, page = new_page(browser)
    try:
        page.goto(sites["online"].url())
        settle(page)
        wrap = page.locator(".md-search__scrollwrap")
        assert wrap.evaluate("e => getComputedStyle(e).visibility") == "hidden"
        open_search_results(page)
        assert wrap.evaluate("e => getComputedStyle(e).visibility") == "visible"
    finally:
        context.close()


# -- print ---------------------------------------------------------------------------------------

PRINT_JS = """() => {
  const shown = sel => [...document.querySelectorAll(sel)].filter(e => e.checkVisibility()).map(e => e.className || e.tagName);
  const colour = sel => { const e = document.querySelector(sel); const b = cbColour.background(e).slice(0, 3).map(Math.round);
    return [getComputedStyle(e).color, `rgb(${b.join(', ')})`]; };
  return {
    chrome: shown('.md-header, .md-tabs, .md-search, .md-sidebar, .md-footer, .md-top, .cb-care-toggle'),
    body: getComputedStyle(document.body).backgroundColor,
    text: [...document.querySelectorAll('article :is(h1, h2, p, li, dt, dd, a, td)')].map(e => getComputedStyle(e).color),
    card: colour('.cb-meta'),
    article: document.querySelector('article').checkVisibility(),
  };
}"""


@pytest.mark.parametrize(("scheme", "care"), [("default", False), ("slate", True)])
def test_case_page_prints_clean(browser, sites, scheme, care):
    context, page = new_page(browser, scheme)
    try:
        page.goto(sites["online"].url(f"cases/{longest_case()}"))
        settle(page)
        if care:
            page.locator("[data-cb-care]").click()
        page.emulate_media(media="print")
        still(page)  # links fade to black
        state = page.evaluate(PRINT_JS)
        assert state["article"] and not state["chrome"], state["chrome"]
        assert state["body"] == "rgb(255, 255, 255)", state["body"]
        assert set(state["text"]) == {"rgb(0, 0, 0)"}, set(state["text"])
        assert state["card"] == ["rgb(0, 0, 0)", "rgb(255, 255, 255)"], state["card"]
        if care:  # a PDF to look at (pdftoppm -png turns it into images)
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            pdf = SCREENSHOTS / f"a11y-print-{scheme}-care.pdf"
            page.pdf(path=str(pdf), format="A4")
            assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 10_000
    finally:
        context.close()


# -- the overrides stay in step with Material ---------------------------------------------------------

def test_palette_override_keeps_materials_switch():
    """overrides/partials/palette.html is Material's palette.html plus our button: a Material
    upgrade that changes the switch must be copied over (this test says when)."""
    import material

    theirs = (Path(material.__file__).parent / "templates" / "partials" / "palette.html").read_text(encoding="utf-8")
    ours = (REPO / "overrides" / "partials" / "palette.html").read_text(encoding="utf-8")
    body = theirs.split("-#}", 1)[1].strip()
    assert body in ours


def test_main_template_keeps_materials_sidebars():
    """overrides/main.html renders Material's two sidebars in two blocks (the table of contents
    after the content): the markup must still be Material's."""
    import material

    def lines(text: str) -> str:
        return "\n".join(line.strip() for line in text.strip().splitlines())

    base = (Path(material.__file__).parent / "templates" / "base.html").read_text(encoding="utf-8")
    block = base.split("{% block site_nav %}", 1)[1].split("{% endblock %}", 1)[0]
    primary, secondary = block.split('{% if "toc.integrate" not in features %}')
    ours = lines((REPO / "overrides" / "main.html").read_text(encoding="utf-8"))
    assert lines(primary) in ours
    assert lines('{% if "toc.integrate" not in features %}' + secondary) in ours
