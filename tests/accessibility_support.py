"""Helpers for the accessibility tests (tests/test_accessibility.py, tests/test_keyboard_and_care.py):
the page types to check, pages in either colour scheme and width, axe-core, and the in-page
measurements (the focused element, colours behind an element, WCAG contrast).

The builds are the shared session builds of the shipped library (conftest.shipped_builds); the
`sites` and `browser` fixtures here are imported by both test modules.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

from browser_support import SEARCH_TIMEOUT_MS, Site, StaticServer, load_cases
from conftest import REPO, SHIPPED

SCREENSHOTS = REPO / "tests" / "screenshots"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SCHEMES = {"default": "light", "slate": "dark"}  # Material's scheme -> the browser's preference
WIDTHS = [1280, 390]
SEARCH_QUERY = "阳光车队"


# -- what to test --------------------------------------------------------------------------------

PUBLISHED = set(load_cases(SHIPPED))


def longest_case() -> str:
    """Id of the published case with the most text (the longest page to check)."""
    sizes = {}
    for path in SHIPPED.rglob("*.md"):
        text = path.read_text(encoding="utf-8-sig")
        match = re.search(r"^id:\s*(\S+)", text, re.M)
        if match and match.group(1) in PUBLISHED:
            sizes[match.group(1)] = len(text)
    return max(sorted(sizes), key=sizes.get)


def facet_page(site_root: Path) -> str:
    """The first category page of the build (browse/category/<slug>)."""
    pages = sorted(p.parent.name for p in (site_root / "browse" / "category").glob("*/index.html"))
    assert pages, "no category pages were built"
    return f"browse/category/{pages[0]}"


PAGE_TYPES = ["home", "overview", "browse", "facet", "case", "stats", "guide", "404", "search", "offline-home"]


def page_url(site: Site, offline: Site, kind: str) -> str:
    return {
        "home": site.url(),
        "overview": site.url("overview"),
        "browse": site.url("browse/"),
        "facet": site.url(facet_page(site.root)),
        "case": site.url(f"cases/{longest_case()}"),
        "stats": site.url("stats"),
        "guide": site.url("guide/contributing"),
        "404": site.base + "404.html",
        "search": site.url("browse/"),
        "offline-home": offline.url(),
    }[kind]


# -- fixtures and pages -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sites(shipped_builds):
    """{"online": Site over http://127.0.0.1, "offline": Site over file://}."""
    server = StaticServer(shipped_builds["online"])
    offline = shipped_builds["offline"]
    try:
        yield {"online": Site("online", shipped_builds["online"], server.base),
               "offline": Site("offline", offline, offline.as_uri() + "/")}
    finally:
        server.close()


def new_page(browser, scheme: str = "default", width: int = 1280):
    """A fresh context (its own localStorage: no saved scheme or care mode) and page."""
    context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=SCHEMES[scheme],
                                  locale="zh-CN")
    context.set_default_timeout(10_000)
    context.add_init_script(COLOUR_JS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.errors = errors  # checked by the tests that drive the page
    return context, page


def shoot(page, name: str, full_page: bool = True) -> None:
    """A screenshot to look at: the whole page, or only the window for very long pages (a
    full-page shot of those costs seconds and is too tall to look at anyway)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tall = page.evaluate("() => document.documentElement.scrollHeight") > 5000
    page.screenshot(path=str(SCREENSHOTS / f"a11y-{name}.png"), full_page=full_page and not tall)


def settle(page) -> None:
    """Wait for Material (and our scripts) to have set the page up: fonts, images, the overview's
    filters, the tables' scroll boxes."""
    page.wait_for_load_state("load")
    page.wait_for_function("() => document.fonts.status === 'loaded' && [...document.images].every(i => i.complete)")
    if page.locator("[data-cb-overview]").count():
        page.wait_for_selector("select[data-cb-facet]")
    still(page)


def still(page) -> None:
    """Wait for CSS transitions to end (axe blends colours with an opacity still fading in)."""
    page.wait_for_function("() => document.getAnimations().every(a => a.playState !== 'running')")


def open_search_results(page, query: str = SEARCH_QUERY) -> None:
    """Open Material's search and show the results for `query` (on a narrow screen the box
    hides behind the header's search icon)."""
    icon = page.locator('.md-header label.md-header__button[for="__search"]')
    if icon.is_visible():
        icon.click()
    box = page.locator("input.md-search__input")
    box.click()
    box.fill(query)
    page.keyboard.press("End")  # Material searches on keyup
    page.wait_for_selector(".md-search-result__item", timeout=SEARCH_TIMEOUT_MS)
    still(page)


# -- axe-core ------------------------------------------------------------------------------------

AXE = Axe()


def axe_violations(page, tags: list[str] | None = None, rules: list[str] | None = None, context=None) -> list[dict]:
    """axe-core's violations on the page as it is now: [{id, impact, help, nodes: [target, ...]}]."""
    run_only = {"type": "rule", "values": rules} if rules else {"type": "tag", "values": tags or WCAG_AA}
    result = AXE.run(page, context=context, options={"runOnly": run_only, "resultTypes": ["violations"]})
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [(" ".join(map(str, n["target"])), n.get("failureSummary", "")) for n in v["nodes"]]}
            for v in result.response["violations"]]


def report(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']}")
        lines += [f"    {target}: {summary.splitlines()[-1].strip() if summary else ''}" for target, summary in v["nodes"][:8]]
    return "\n".join(lines)


# -- colours and focus ------------------------------------------------------------------------------

def contrast(a: str, b: str) -> float:
    def lum(hex_colour: str) -> float:
        rgb = [int(hex_colour.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4)]
        lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    hi, lo = sorted([lum(a), lum(b)], reverse=True)
    return (hi + 0.05) / (lo + 0.05)


# The colour behind an element (its own, or its ancestors' composited), and WCAG contrast.
COLOUR_JS = r"""
window.cbColour = (() => {
  const parse = c => { const m = c.match(/rgba?\(([^)]+)\)/); if (!m) return [0, 0, 0, 0];
    const p = m[1].split(/[ ,\/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
  const over = (top, below) => { const a = top[3]; return [0, 1, 2].map(i => top[i] * a + below[i] * (1 - a)).concat([1]); };
  const background = el => {
    const layers = [];
    for (let e = el; e && e.nodeType === 1; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c[3] > 0) layers.push(c);
      if (c[3] >= 1) break;
    }
    let colour = [255, 255, 255, 1];
    for (const c of layers.reverse()) colour = over(c, colour);
    return colour;
  };
  const lum = c => { const f = v => { v /= 255; return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
  const contrast = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  return {parse, over, background, contrast};
})();
"""

# The focused element as the reader sees it. Material's colour switch is a visually hidden radio
# button whose focus is drawn on the label next to it.
FOCUS_JS = r"""() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const shown = el.matches('.md-option') ? el.nextElementSibling : el;
  const r = shown.getBoundingClientRect();
  const cs = getComputedStyle(shown);
  const region = el.closest('.md-skip') ? 'skip' : el.closest('.md-header') ? 'header' : el.closest('.md-tabs') ? 'tabs'
    : el.closest('.md-sidebar--primary') ? 'nav' : el.closest('.md-sidebar--secondary') ? 'toc'
    : el.closest('article') ? 'content' : el.closest('.md-footer') ? 'footer' : el.closest('.md-top') ? 'top' : 'other';
  const ring = cbColour.parse(cs.outlineColor);
  const behind = cbColour.background(shown.parentElement);
  const visible = shown.checkVisibility({opacityProperty: true, visibilityProperty: true})
    && r.width > 0 && r.height > 0 && r.right > 0 && r.bottom > 0 && r.left < innerWidth && r.top < innerHeight;
  return {
    name: (el.getAttribute('aria-label') || el.innerText || el.value || el.className || el.tagName).trim().slice(0, 40),
    tag: el.tagName, region, visible, x: Math.round(r.left), y: Math.round(r.top + scrollY),
    outline: cs.outlineStyle, width: parseFloat(cs.outlineWidth),
    ringContrast: Math.round(cbColour.contrast(cbColour.over(ring, behind), behind) * 100) / 100,
    key: el.id || el.getAttribute('href') || el.getAttribute('for') || el.className + '|' + el.tagName + '|' + (el.innerText || '').slice(0, 20),
  };
}"""

# The columns in the order they are seen: the table of contents (right) after the content.
REGIONS = ["skip", "header", "tabs", "nav", "content", "toc", "top", "footer"]


def focused(page, wait_ms: int = 1500) -> dict | None:
    """The focused element once it has had time to appear and its transitions have ended (the
    skip link and the narrow-screen search box slide in when focused, the search box turns
    white)."""
    waited = 0
    while True:
        state, moving = page.evaluate(f"() => [({FOCUS_JS})(), document.getAnimations().some(a => a.playState === 'running')]")
        if not state or (state["visible"] and not moving) or waited >= wait_ms:
            return state
        page.wait_for_timeout(50)
        waited += 50


def tab_walk(page, limit: int = 250) -> list[dict]:
    """Press Tab from the top of the page until focus comes back to the first stop."""
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    stops: list[dict] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        state = focused(page)
        if state is None:  # past the last stop (the browser's own UI)
            continue
        if stops and state["key"] == stops[0]["key"]:
            return stops
        stops.append(state)
    raise AssertionError(f"Tab never came back to the first stop after {limit} presses: {[s['name'] for s in stops[-10:]]}")


def check_stops(stops: list[dict], what: str) -> None:
    problems = []
    for s in stops:
        if not s["visible"]:
            problems.append(f"hidden element takes focus: {s['name']!r} ({s['tag']}, {s['region']})")
        elif s["outline"] == "none" or s["width"] < 2:
            problems.append(f"no focus ring: {s['name']!r} ({s['region']}): outline {s['outline']} {s['width']}px")
        elif s["ringContrast"] < 3:
            problems.append(f"focus ring too faint: {s['name']!r} ({s['region']}): {s['ringContrast']}:1")
    assert not problems, f"{what}:\n" + "\n".join(problems)
    order = [REGIONS.index(s["region"]) if s["region"] in REGIONS else -1 for s in stops]
    assert -1 not in order, f"{what}: a Tab stop outside the page's regions: {[s for s in stops if s['region'] not in REGIONS]}"
    assert order == sorted(order), f"{what}: Tab order jumps between regions: {[(s['region'], s['name']) for s in stops]}"
    content = [s for s in stops if s["region"] == "content"]
    for a, b in zip(content, content[1:]):
        assert b["y"] > a["y"] - 4 or (abs(b["y"] - a["y"]) <= 4 and b["x"] >= a["x"]), (
            f"{what}: inside the page, Tab goes back up from {a['name']!r} to {b['name']!r}")


def drawer_walk(page) -> list[dict]:
    """Tab from the focused element while focus stays in the navigation drawer."""
    stops = [focused(page)]
    while True:
        page.keyboard.press("Tab")
        state = focused(page)
        if not state or state["region"] != "nav":
            return stops
        stops.append(state)
