"""Publishing: edit links from the real repository (or none), a Pages sub-path, the build manifest.

The pure rules in provenance.py are tested source by source; then real builds of a copy of the
project (outside this checkout, so its git remote cannot leak in) and a real Chromium visit of a
404 page served under a sub-path.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import http.server
import json
import re
import shutil
import subprocess
import threading
import zipfile
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from casebook.site.provenance import GitFacts, Manifest, build_date, edit_template, make_manifest, web_url
from conftest import REPO, VALID, project_copy

# -- where the repository is (pure) ---------------------------------------------------------------

@pytest.mark.parametrize(("remote", "web"), [
    ("https://github.com/owner/anliku.git", "https://github.com/owner/anliku"),
    ("https://github.com/owner/anliku", "https://github.com/owner/anliku"),
    ("https://x-access-token:SECRET@github.com/owner/anliku.git", "https://github.com/owner/anliku"),
    ("git@github.com:owner/anliku.git", "https://github.com/owner/anliku"),
    ("ssh://git@github.com:22/owner/anliku.git", "https://github.com/owner/anliku"),
    ("git@gitlab.example.org:group/sub/anliku.git", "https://gitlab.example.org/group/sub/anliku"),
    ("/work/main", None),
    ("file:///work/main", None),
    ("../other", None),
    ("https://localhost/x", None),
    ("", None),
])
def test_web_url_of_remote_forms(remote, web):
    assert web_url(remote) == web


ACTIONS = {"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "owner/anliku"}
GIT = GitFacts(remote="git@github.com:other/fork.git", branch="trunk", commit="abc1234")


def test_edit_template_from_github_actions():
    push = {**ACTIONS, "GITHUB_REF_TYPE": "branch", "GITHUB_REF_NAME": "main"}
    assert edit_template(push, GIT) == "https://github.com/owner/anliku/edit/main/{path}"
    pull = {**ACTIONS, "GITHUB_REF_TYPE": "branch", "GITHUB_REF_NAME": "7/merge", "GITHUB_BASE_REF": "dev"}
    assert edit_template(pull, GIT) == "https://github.com/owner/anliku/edit/dev/{path}"
    tag = {**ACTIONS, "GITHUB_REF_TYPE": "tag", "GITHUB_REF_NAME": "v1.0.0"}
    assert edit_template(tag, GitFacts()) == "https://github.com/owner/anliku/edit/main/{path}"


def test_edit_template_from_git_remote():
    assert edit_template({}, GIT) == "https://github.com/other/fork/edit/trunk/{path}"
    gitlab = GitFacts(remote="https://gitlab.com/g/anliku.git")
    assert edit_template({}, gitlab) == "https://gitlab.com/g/anliku/-/edit/main/{path}"


def test_edit_template_explicit_wins_and_none_switches_off():
    explicit = {"CASEBOOK_EDIT_URL": "https://code.example.org/r/edit/{path}", **ACTIONS}
    assert edit_template(explicit, GIT) == "https://code.example.org/r/edit/{path}"
    assert edit_template({"CASEBOOK_EDIT_URL": "none", **ACTIONS}, GIT) is None


def test_no_repository_known_means_no_edit_template():
    assert edit_template({}, GitFacts()) is None
    assert edit_template({}, GitFacts(remote="/srv/git/anliku")) is None  # a local clone's origin


def test_manifest_from_environment_and_git():
    today = dt.date(2026, 11, 27)
    m = make_manifest({}, GitFacts(commit="abc1234", dirty=True), 11, today)
    assert (m.commit, m.date, m.cases) == ("abc1234-dirty", "2026-11-27", 11)
    assert make_manifest({"GITHUB_SHA": "0123456789abcdef"}, GIT, 3, today).commit == "0123456"
    assert make_manifest({}, GitFacts(), 0, today).commit is None
    assert build_date({"SOURCE_DATE_EPOCH": "1700000000"}) == dt.date(2023, 11, 14)
    assert build_date({"SOURCE_DATE_EPOCH": "²"}, today) == today  # a digit to isdigit(), not to int(): not a timestamp
    text = Manifest("abc1234", "2026-11-27", 11, "0.1.0").text()
    assert all(part in text for part in ("2026-11-27", "abc1234", "11 个案例", "casebook 0.1.0"))


# -- real builds of a copy of the project ---------------------------------------------------------

# What may point a build at a repository (CI sets GITHUB_*): removed for the builds below.
REPOSITORY_HINTS = ("CASEBOOK_EDIT_URL", "CASEBOOK_SITE_URL", "GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_SHA",
                    "GITHUB_REF_NAME", "GITHUB_REF_TYPE", "GITHUB_BASE_REF")


def build_copy(run_cli, project: Path, *args: str, env: dict | None = None) -> Path:
    """`casebook build` in the project copy, without repository hints in the environment (+ `env`)."""
    site = project / "site"
    result = run_cli("build", "--cases", "cases", "--site-dir", "site", *args, cwd=project, env=env, drop=REPOSITORY_HINTS)
    assert result.returncode == 0, result.stdout + result.stderr
    return site


def edit_links(site: Path) -> list[str]:
    """Every "编辑此案例" link and Material edit button (rel=edit) in the built pages."""
    found = []
    for page in site.rglob("*.html"):
        text = page.read_text("utf-8")
        found += re.findall(r'<a href="([^"]+)"[^>]*rel="edit"', text)
        found += re.findall(r'<a class="cb-edit" href="([^"]+)"|<a href="([^"]+)" class="cb-edit"', text)
    return [u if isinstance(u, str) else next(filter(None, u)) for u in found if u]


@pytest.fixture(scope="module")
def plain_site(run_cli, tmp_path_factory) -> Path:
    """A project copy outside any git checkout, no repository hints, no options (shared by tests)."""
    return build_copy(run_cli, project_copy(tmp_path_factory.mktemp("plain") / "p"))


def test_no_repository_no_edit_links_anywhere(plain_site):
    site = plain_site
    assert edit_links(site) == []
    assert not any("编辑此案例" in p.read_text("utf-8") for p in site.rglob("*.html"))
    assert not any("liangxin-dangjian/casebook" in p.read_text("utf-8") for p in site.rglob("*.html"))


def test_local_clone_remote_gives_no_edit_links(run_cli, tmp_path):
    site = build_copy(run_cli, project_copy(tmp_path / "p", remote=str(tmp_path / "upstream")))
    assert edit_links(site) == []


@pytest.fixture(scope="module")
def published_site(run_cli, tmp_path_factory) -> Path:
    """A git checkout whose origin is on GitHub, built for its sub-path address (no trailing /:
    the build adds it). Shared by the edit-link, sub-path and 404 tests, which look at different
    parts of the output."""
    project = project_copy(tmp_path_factory.mktemp("published") / "p", remote="git@github.com:owner/anliku.git")
    return build_copy(run_cli, project, "--site-url", "https://owner.github.io/anliku")


def test_ssh_remote_gives_edit_links_to_the_source_files(published_site):
    site = published_site
    links = edit_links(site)
    assert links, "no edit link although the remote is known"
    prefix = "https://github.com/owner/anliku/edit/main/"
    assert all(u.startswith(prefix) for u in links), links
    case_page = (site / "cases" / "shili-yangguang-chedui" / "index.html").read_text("utf-8")
    assert f'{prefix}cases/shili-yangguang-chedui.md' in case_page


def test_actions_environment_gives_edit_links(run_cli, tmp_path):
    env = dict(GITHUB_SERVER_URL="https://github.com", GITHUB_REPOSITORY="owner/anliku",
                    GITHUB_REF_TYPE="branch", GITHUB_REF_NAME="main", GITHUB_SHA="feedbeef00112233")
    site = build_copy(run_cli, project_copy(tmp_path / "p", remote="git@github.com:other/fork.git"), env=env)
    links = edit_links(site)
    assert links and all(u.startswith("https://github.com/owner/anliku/edit/main/") for u in links)
    assert json.loads((site / "build-info.json").read_text("utf-8"))["commit"] == "feedbee"


def test_site_url_puts_404_sitemap_and_canonical_under_the_sub_path(published_site):
    site = published_site
    page404 = (site / "404.html").read_text("utf-8")
    refs = re.findall(r'(?:href|src)="([^"#]+)"', page404)
    local = [r for r in refs if not r.startswith(("http:", "https:", "data:"))]
    assert local and all(r.startswith("/anliku/") for r in local), local
    locs = re.findall(r"<loc>([^<]+)</loc>", (site / "sitemap.xml").read_text("utf-8"))
    assert locs and all(u.startswith("https://owner.github.io/anliku/") for u in locs)
    overview = (site / "overview" / "index.html").read_text("utf-8")
    assert '<link rel="canonical" href="https://owner.github.io/anliku/overview/">' in overview


def test_without_site_url_pages_link_relatively(plain_site):
    site = plain_site
    overview = (site / "overview" / "index.html").read_text("utf-8")
    assert 'rel="canonical"' not in overview
    assert re.search(r'href="\.\./assets/stylesheets/main\.[0-9a-f]+\.min\.css"', overview)


def test_site_url_must_be_a_web_address(run_cli):
    result = run_cli("build", "--site-url", "owner.github.io/anliku")
    assert result.returncode == 2
    assert "站点地址应是 http(s):// 开头的网址" in result.stderr


def test_offline_zip_carries_date_commit_instructions_and_manifest(run_cli, tmp_path):
    project = project_copy(tmp_path / "p", remote="git@github.com:owner/anliku.git")
    commit = subprocess.run(["git", "rev-parse", "--short=7", "HEAD"], cwd=project, capture_output=True, text=True).stdout.strip()
    env = dict(CASEBOOK_SITE_URL="https://owner.github.io/anliku/")  # ignored offline
    build_copy(run_cli, project, "--offline", "--zip", "dist", env=env)
    (archive,) = (project / "dist").glob("*.zip")
    assert re.fullmatch(rf"liangxin-dangjian-anliku-offline-\d{{8}}-{commit}\.zip", archive.name)
    with zipfile.ZipFile(archive) as zf:
        top = archive.stem
        manifest = json.loads(zf.read(f"{top}/build-info.json"))
        readme = zf.read(f"{top}/使用说明.txt").decode("utf-8")
        index = zf.read(f"{top}/index.html").decode("utf-8")
    published = sum(1 for p in (project / "cases").rglob("*.md") if "status: draft" not in p.read_text("utf-8"))
    assert manifest["commit"] == commit and manifest["cases"] == published
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", manifest["date"]) and manifest["version"]
    assert "双击" in readme and "index.html" in readme and commit in readme
    assert "owner.github.io" not in index  # no site URL in the offline copy
    footer = re.search(r'md-copyright__highlight">\s*(.*?)\s*</div>', index, re.S).group(1)
    assert commit in footer and f"{published} 个案例" in footer


# -- the 404 page under a sub-path, in a real browser ---------------------------------------------

class SubPathHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the site under /anliku/ and answers unknown paths with 404.html, as Pages does."""

    prefix = "/anliku/"

    def log_message(self, format, *args):  # noqa: A002
        pass

    def translate_path(self, path):
        path = unquote(urlsplit(path).path)
        if not path.startswith(self.prefix):
            return "/nonexistent"
        return super().translate_path("/" + path[len(self.prefix):])

    def send_head(self):
        target = Path(self.translate_path(self.path))
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file():
            body = (Path(self.directory) / "404.html").read_bytes()
            self.send_response(404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return None
        return super().send_head()


@contextlib.contextmanager
def chromium_under_sub_path(site: Path):
    """(browser, base): Chromium, and the site served under /anliku/ as GitHub Pages serves a project."""
    from browser_support import CHROMIUM_ARGS, chromium_path, missing_chromium_message
    from playwright.sync_api import sync_playwright

    path = chromium_path()
    assert path, missing_chromium_message()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(SubPathHandler, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
            yield browser, f"http://127.0.0.1:{server.server_address[1]}/anliku/"
            browser.close()
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.browser
def test_404_page_under_sub_path_loads_styles_scripts_and_links(published_site):
    responses, failed = [], []
    with chromium_under_sub_path(published_site) as (browser, base):
        page = browser.new_page()
        page.on("response", lambda r: responses.append((r.status, r.url)))
        page.on("requestfailed", lambda r: failed.append(r.url))
        first = page.goto(base + "a/b/c/missing-page/")
        assert first.status == 404
        page.wait_for_load_state("networkidle")
        assets = [(s, u) for s, u in responses if "/assets/" in u]
        assert any(u.endswith(".css") for _, u in assets) and any(u.endswith(".js") for _, u in assets)
        assert all(s == 200 for s, _ in assets), assets
        assert not failed, failed
        # Material's stylesheet is applied: the header is coloured, not an unstyled block.
        color = page.evaluate("getComputedStyle(document.querySelector('.md-header')).backgroundColor")
        assert color not in ("rgba(0, 0, 0, 0)", "transparent"), color
        hrefs = page.evaluate("[...document.querySelectorAll('a[href]')].map(a => a.href)")
        internal = sorted({h.split("#")[0] for h in hrefs if h.startswith(base)})
        assert len(internal) >= 3, hrefs
        for url in internal:
            assert page.request.get(url).status == 200, url


@pytest.mark.browser
def test_site_under_sub_path_works_under_its_policy(published_site):
    """GitHub Pages serves a project site under /REPO/. The pages' Content Security Policy ('self'
    is the origin, whatever the path): search, the palette switch (kept across a reload by a hashed
    inline script) and the overview's filters work there, with no violation and nothing off-site."""
    from browser_support import SEARCH_TIMEOUT_MS, PageLog, Site, load_cases, open_empty_search, toggle_palette

    cases = load_cases(VALID)
    with chromium_under_sub_path(published_site) as (browser, base):
        page = browser.new_page(locale="zh-CN")
        log = PageLog(Site("online", published_site, base))
        log.attach(page)
        page.goto(base)
        assert page.locator('meta[http-equiv="Content-Security-Policy"]').count() == 1

        box = open_empty_search(page)
        box.fill("阳光车队")
        page.keyboard.press("End")
        first = page.locator(".md-search-result__item > a").first
        first.wait_for(timeout=SEARCH_TIMEOUT_MS)
        assert first.get_attribute("href").split("?")[0] == base + "cases/shili-yangguang-chedui/"
        page.keyboard.press("Escape")

        assert toggle_palette(page) == "slate"
        page.goto(base + "overview/")
        page.reload()
        assert page.locator("body").get_attribute("data-md-color-scheme") == "slate"

        page.wait_for_selector("select[data-cb-facet=category]")
        category = "品牌创建"
        expected = {c["title"] for c in cases.values() if category in c["category"]}
        assert 0 < len(expected) < len(cases)
        page.select_option("select[data-cb-facet=category]", category)
        shown = {t.strip() for t in page.locator("article table:has(th.cb-sortable) tbody tr:visible td:first-child a").all_inner_texts()}
        assert shown == expected
        log.assert_clean()
