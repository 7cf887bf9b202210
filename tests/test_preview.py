"""`casebook serve` (site/serve.py, site/preview.py, engine.PageSite): the preview shows exactly
the pages `casebook build` writes (apart from its reload script), follows edits, additions,
deletions, the taxonomy, images and hand-written pages, shows errors as `casebook validate`
prints them and never writes into the library or docs/. One test drives the real server in
Chromium: edit -> the page reloads itself with the new text; an error -> banner; fixed -> page.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

from casebook.core.load import shown_path
from casebook.core.model import Finding
from casebook.site import preview
from casebook.site.preview import Change, Snapshot, banner, changes, inject, strip_injection
from conftest import EDIT_URL, REPO, VALID, project_copy

CASE = "shili-linlibang"  # a case of the valid fixture library (tests/fixtures/valid)


# -- the pure parts ------------------------------------------------------------------------------

def snap(library: dict[str, tuple[int, int]], site: dict[str, tuple[int, int]] | None = None) -> Snapshot:
    return Snapshot(library, site or {"/p/docs/index.md": (1, 1)})


def test_an_edited_case_touches_only_that_case():
    before = snap({"a.md": (1, 10), "b.md": (1, 10), "taxonomy.yml": (1, 5)})
    after = snap({"a.md": (2, 11), "b.md": (1, 10), "taxonomy.yml": (1, 5)})
    change = changes(before, after, ["a.md", "b.md"])
    assert change == Change(edited_cases=("a.md",))
    assert change.only_cases and change.any


def test_what_else_a_change_touches():
    base = {"a.md": (1, 10), "taxonomy.yml": (1, 5), "assets/x.png": (1, 3)}
    cases = ["a.md"]
    assert not changes(snap(base), snap(dict(base)), cases).any
    added = changes(snap(base), snap({**base, "c.md": (1, 1)}), cases)
    assert added.other_files == ("c.md",) and added.library and not added.only_cases
    removed = changes(snap(base), snap({k: v for k, v in base.items() if k != "a.md"}), cases)
    assert removed.other_files == ("a.md",) and removed.edited_cases == ()
    taxonomy = changes(snap(base), snap({**base, "taxonomy.yml": (2, 6)}), cases)
    assert taxonomy.other_files == ("taxonomy.yml",) and not taxonomy.only_cases
    image = changes(snap(base), snap({**base, "assets/x.png": (2, 3)}), cases)
    assert image.other_files == ("assets/x.png",)
    # An edited case together with anything else: not only cases (step 2 does all of it).
    both = changes(snap(base), snap({**base, "a.md": (2, 10), "taxonomy.yml": (2, 6)}), cases)
    assert both.edited_cases == ("a.md",) and not both.only_cases
    site = changes(snap(base), snap(base, {"/p/docs/index.md": (2, 1)}), cases)
    assert site.site and not site.library and not site.only_cases
    # A .md file that was not a case when last loaded (a draft with errors, say) is no edit of a case.
    assert changes(snap(base), snap({**base, "a.md": (2, 10)}), []).other_files == ("a.md",)


def test_changes_merge_as_one():
    first = Change(("a.md", "b.md"), ("assets/x.png",), False)
    later = Change(("a.md", "c.md"), ("b.md",), True)  # b.md removed after its edit
    assert first.merged(later) == Change(("a.md", "c.md"), ("assets/x.png", "b.md"), True)
    assert Change(("a.md",)).merged(Change(("a.md",))) == Change(("a.md",))


def test_scan_sees_files_not_editor_droppings(tmp_path):
    (tmp_path / "a.md").write_text("x", encoding="utf-8")
    (tmp_path / ".a.md.swp").write_text("x", encoding="utf-8")
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "p.png").write_bytes(b"123")
    assert sorted(preview.scan(tmp_path)) == ["a.md", "assets/p.png"]
    assert preview.scan(tmp_path)["assets/p.png"][1] == 3


def _walked(root: Path) -> dict:
    """The scan as os.walk makes it (the former code): the oracle for the scandir one."""
    found = {}
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in names:
            if not name.startswith("."):
                try:
                    st = os.stat(os.path.join(folder, name))
                except OSError:
                    continue
                found[os.path.relpath(os.path.join(folder, name), root).replace(os.sep, "/")] = (st.st_mtime_ns, st.st_size)
    return found


def test_scan_equals_a_walk_with_links_and_nested_folders(tmp_path):
    outside = tmp_path / "outside"
    (outside / "deep").mkdir(parents=True)
    (outside / "deep" / "x.md").write_text("x", encoding="utf-8")
    root = tmp_path / "lib"
    (root / "a" / "b" / ".hidden").mkdir(parents=True)
    (root / "a" / "b" / "c.md").write_text("cc", encoding="utf-8")
    (root / "a" / "b" / ".hidden" / "h.md").write_text("h", encoding="utf-8")
    (root / "top.md").write_text("t", encoding="utf-8")
    (root / "file-link.md").symlink_to(outside / "deep" / "x.md")
    (root / "folder-link").symlink_to(outside)
    (root / "broken.md").symlink_to(tmp_path / "nowhere.md")
    found = preview.scan(root)
    assert found == _walked(root)
    assert sorted(found) == ["a/b/c.md", "file-link.md", "top.md"]


def test_banner_escapes_every_string_from_a_case():
    evil = Finding("cases/<img src=x onerror=alert(1)>&.md", 3, "E203", "“<script>alert('x')</script>” 不在词表中 & \"quoted\"")
    shown = banner([evil])
    assert "<script>" not in shown and "<img" not in shown
    assert html.escape(evil.text()) in shown  # the line exactly as validate prints it, escaped
    assert html.unescape(re.search(r"<li>(.*?)</li>", shown).group(1)) == evil.text()
    assert banner([]) == ""
    many = banner([Finding(f"x{i}.md", 1, "E203", "m") for i in range(60)], shown=50)
    assert many.count("<li>") == 51 and "另有 10 个错误" in many


def test_inject_adds_one_external_script_and_strip_takes_it_out():
    page = "<html><head></head><body><p>正文</p>\n</body>\n</html>\n"
    errors = [Finding("a.md", 2, "E203", "<b>x</b>")]
    shown = inject(page, 'v"1', errors)
    assert shown.index(preview.START) < shown.index("</body>")
    assert '<script src="/__casebook/reload.js" data-token="v&quot;1"></script>' in shown
    assert "<b>" not in shown and shown.count("<script") == 1  # no inline script: the CSP needs no change
    assert strip_injection(shown) == page
    assert strip_injection(inject("<p>no body</p>", "t")) == "<p>no body</p>"


# -- judge_again: the first look at an edit, equal to reading the whole library -------------------

def _edit(path: Path, old: str, new: str) -> None:
    touch_write(path, path.read_text(encoding="utf-8").replace(old, new, 1))


@pytest.mark.parametrize("old, new, same", [
    ("党员志愿者组成", "党员志愿者们组成", True),  # text: judged again, as a whole load would
    ("“邻里帮”成为中心的志愿服务品牌。", "**待补充**", True),  # a warning more (W301)
    ("每周为独居老人上门服务", "每周两次为独居老人上门服务", False),  # the summary now too long: an error
    ("id: shili-linlibang", "id: shili-linlibang-2", False),  # a new id: library-wide checks decide
    ("title: ", "title: [", False),  # an error: the case is out, the whole load decides
])
def test_judge_again_equals_loading_the_whole_library(tmp_path, old, new, same):
    from casebook.core.library import Memo, judge_again, load_library

    lib = tmp_path / "lib"
    shutil.copytree(VALID, lib)
    memo = Memo()
    before = load_library(lib, memo=memo)
    path = lib / f"{CASE}.md"
    _edit(path, old, new)
    quick = judge_again(before, [path], memo)
    if not same:
        assert quick is None
        return
    assert quick is not None
    whole = load_library(lib, memo=Memo())
    assert quick.cases == whole.cases and quick.findings == whole.findings
    assert load_library(lib, memo=memo) == whole and memo.judged == 0  # the verdict was kept


def test_judge_again_leaves_links_and_library_wide_errors_to_the_whole_load(tmp_path):
    from casebook.core.library import Memo, judge_again, load_library

    lib = tmp_path / "lib"
    shutil.copytree(VALID, lib)
    (lib / "zz").mkdir()
    twin = lib / "zz" / f"{CASE}.md"  # the same id as CASE, read after it: fails the library-wide check (E208)
    twin.write_text((lib / f"{CASE}.md").read_text(encoding="utf-8"), encoding="utf-8")
    memo = Memo()
    before = load_library(lib, memo=memo)
    assert [c.rel for c in before.cases if c.id == CASE] == [f"{CASE}.md"]
    _edit(lib / f"{CASE}.md", "党员志愿者组成", "党员志愿者们组成")
    quick = judge_again(before, [lib / f"{CASE}.md"], memo)
    whole = load_library(lib, memo=Memo())
    assert quick is not None and quick.cases == whole.cases and quick.findings == whole.findings
    assert [f.path for f in whole.findings if f.code == "E208"] == [shown_path(twin)]  # the twin still out
    _edit(twin, "党员志愿者组成", "党员志愿者们组成")
    assert judge_again(quick, [twin], memo) is None  # its E208 is the library's to judge again
    _edit(lib / f"{CASE}.md", "id: shili-linlibang", "id: shili-linlibang\naliases: [shili-hongse-yizhan]")
    assert judge_again(quick, [lib / f"{CASE}.md"], memo) is None  # an alias another case's id may be
    outside = tmp_path / "outside.md"
    outside.write_text(twin.read_text(encoding="utf-8"), encoding="utf-8")
    twin.unlink()
    twin.symlink_to(outside)
    assert judge_again(before, [twin], memo) is None  # a link: the gate in walk_library decides


# -- the preview against the real build ----------------------------------------------------------

@pytest.fixture(scope="module")
def project(tmp_path_factory, build_site):
    """A library (the valid fixtures), its real `casebook build`, and the preview of it."""
    from casebook.site.serve import Preview

    root = tmp_path_factory.mktemp("preview")
    lib = root / "lib"
    shutil.copytree(VALID, lib)
    site = root / "site"
    build_site(lib, site)
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(REPO)  # as the build ran (cli in-process from the repository)
        mp.setenv("CASEBOOK_EDIT_URL", EDIT_URL)
        state = Preview(REPO / "mkdocs.yml", lib, log=_Log())
        yield {"lib": lib, "site": site, "preview": state}
        state.close()


def _search_ready(state, seconds: float = 180) -> None:
    """Run the catch-up thread's work until the served search files are made from the pages as
    they are now."""
    deadline = time.monotonic() + seconds
    while state.search_files is None or state.search_due():
        assert time.monotonic() < deadline, state.log.text
        state.catch_up()


def _site_search(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in (site / "search").rglob("*") if p.is_file()}


def test_search_is_the_builds_made_from_the_pages_the_preview_renders(project):
    """The preview's search files: the build's function on Material's entries of every page the
    preview renders (by the build's own code), byte for byte what the published build holds."""
    state, site = project["preview"], project["site"]
    _search_ready(state)
    built = _site_search(site)
    assert len(built) > 3 and set(state.search_files) == set(built)
    for rel, data in built.items():
        assert state.get(rel).body == data, rel
    assert state.get("search/../../etc/passwd").status == 404
    assert "搜索可用：启动后" in state.log.text
    state.cache.clear()  # a reader opening pages again renders them again ...
    assert state.get(f"cases/{CASE}/").status == 200 and state.get("overview/").status == 200
    assert not state.search_due()  # ... which does not make the search index due again


def test_search_follows_edits_rendering_only_what_changed(tmp_path, monkeypatch, build_site):
    """After an edit only the changed pages are rendered again; after edits, an added and a
    removed case, the served search equals a fresh `casebook build` of the library."""
    from casebook.site.serve import Preview

    monkeypatch.chdir(REPO)
    monkeypatch.setenv("CASEBOOK_EDIT_URL", EDIT_URL)
    lib = tmp_path / "lib"
    shutil.copytree(VALID, lib)
    state = Preview(REPO / "mkdocs.yml", lib, log=_Log())
    rendered = []  # the pages the searcher process renders
    real_entries = state.searcher.entries
    monkeypatch.setattr(state.searcher, "entries", lambda generation, uri, markdown:
                        rendered.append(uri) or real_entries(generation, uri, markdown))
    try:
        _search_ready(state)
        pages = len(state.site.doc_files)
        assert len(rendered) == pages  # each page once
        path = lib / f"{CASE}.md"
        text = path.read_text(encoding="utf-8")
        assert "搜索预览改名法".encode() not in b"".join(state.search_files.values())
        touch_write(path, text.replace("“邻里帮”志愿服务法", "“邻里帮”搜索预览改名法"))
        rendered.clear()
        state.update()
        _search_ready(state)
        assert "搜索预览改名法".encode() in b"".join(state.search_files.values())
        assert f"cases/{CASE}.md" in rendered and len(rendered) < pages / 2, rendered
        assert "搜索已更新：保存后" in state.log.text
        # A case added and another removed (MkDocs is set up again), then the whole search compared.
        new = text.replace(f"id: {CASE}", "id: shili-sousuo-xinjia").replace("“邻里帮”志愿服务法", "“邻里帮”新加搜索法")
        (lib / "shili-sousuo-xinjia.md").write_text(new, encoding="utf-8")
        (lib / "shili-xuexi-xiaozu.md").unlink()  # no other case links to it
        state.update()
        _search_ready(state)
        site = tmp_path / "site"
        build_site(lib, site)
        built = _site_search(site)
        assert state.search_files == built
        assert "新加搜索法".encode() in b"".join(built.values())
    finally:
        state.close()


def built_pages(site: Path) -> dict[str, Path]:
    """URL path (no leading /) -> built page, for every page the build wrote."""
    out = {}
    for path in site.rglob("index.html"):
        rel = path.parent.relative_to(site).as_posix()
        out["" if rel == "." else rel + "/"] = path
    return out


def test_every_page_of_the_preview_equals_the_build(project):
    state, site = project["preview"], project["site"]
    pages = built_pages(site)
    assert f"cases/{CASE}/" in pages and "overview/" in pages and "guide/codes/" in pages
    different = []
    for path, built in sorted(pages.items()):
        served = state.get(path)
        assert served.status == 200, path
        text = served.body.decode("utf-8")
        assert text.count(preview.START) == 1, path
        if strip_injection(text) != built.read_text(encoding="utf-8"):
            different.append(path)
    assert different == []
    # The same policy as the build: the reload script is a file of the site ('self'), not inline.
    case_page = state.get(f"cases/{CASE}/").body.decode("utf-8")
    assert re.search(r'<meta http-equiv="Content-Security-Policy" content="[^"]*script-src \'self\'', case_page)
    assert state.get("cases/no-such-case/").status == 404
    # Static files come from the same places as in the build.
    for rel in ("assets/stylesheets/casebook.css", "cases.json", "assets/cover.png"):
        built = site / rel if (site / rel).exists() else site / "cases" / rel
        assert state.get(rel if (site / rel).exists() else "cases/" + rel).body == built.read_bytes(), rel


@pytest.fixture
def live(tmp_path, monkeypatch):
    """A fresh copy of the valid library and its preview (for tests that edit files), with the
    book's picture check as `casebook serve` gives it."""
    from casebook.book.pictures import PictureVerdicts
    from casebook.site.serve import Preview

    monkeypatch.chdir(REPO)
    monkeypatch.setenv("CASEBOOK_EDIT_URL", EDIT_URL)
    lib = tmp_path / "lib"
    shutil.copytree(VALID, lib)
    state = Preview(REPO / "mkdocs.yml", lib, log=_Log(), search=False, pictures=PictureVerdicts())
    yield lib, state
    state.close()


class _Log:
    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> None:
        self.text += text

    def flush(self) -> None:
        pass


def page(state, path: str) -> str:
    served = state.get(path)
    return f"{served.status}\n" + served.body.decode("utf-8")


def touch_write(path: Path, text: str) -> None:
    """Write and make sure the stamp differs (coarse file-system clocks)."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text, encoding="utf-8")
    while path.stat().st_mtime_ns == before:
        time.sleep(0.01)
        path.write_text(text, encoding="utf-8")


def test_an_edit_shows_on_the_page_and_in_the_listings(live):
    lib, state = live
    path = lib / f"{CASE}.md"
    url = f"cases/{CASE}/"
    token = state.token(url)
    text = path.read_text(encoding="utf-8")
    touch_write(path, text.replace("“邻里帮”志愿服务法", "“邻里帮”预览改名法").replace("每周为独居老人上门服务。", "每周为独居老人上门服务。新加的一句话。"))
    change = state.update()
    assert change.edited_cases == (f"{CASE}.md",) and change.only_cases
    shown = page(state, url)
    assert shown.startswith("200") and "新加的一句话。" in shown and "预览改名法" in shown
    assert state.token(url) != token
    assert "预览改名法" in page(state, "overview/")  # step 2: the listings
    assert "cb-preview-errors" not in shown
    assert state.wait(url, state.token(url), seconds=0.05) == state.token(url)  # nothing new: waits, same token
    assert state.wait(url, token, seconds=5) == state.token(url)  # an old page is told at once


def test_an_error_shows_as_validate_prints_it_and_a_fix_clears_it(live, run_cli):
    lib, state = live
    path = lib / f"{CASE}.md"
    good = path.read_text(encoding="utf-8")
    touch_write(path, good.replace("region: 永康市", "region: <b>不存在</b>"))
    state.update()
    (expected,) = [line for line in run_cli("validate", "--cases", lib).stdout.splitlines() if " E" in line]
    assert ": E216 " in expected and "<b>不存在</b>" in expected
    for url in (f"cases/{CASE}/", "", "overview/"):
        shown = page(state, url)
        assert "cb-preview-errors" in shown and html.escape(expected) in shown and "<b>不存在</b>" not in shown
    assert page(state, f"cases/{CASE}/").startswith("404")  # the build would not publish it
    assert expected in state.log.text  # and the terminal says it
    touch_write(path, good)
    state.update()
    shown = page(state, f"cases/{CASE}/")
    assert shown.startswith("200") and "cb-preview-errors" not in shown and "“邻里帮”志愿服务法" in shown
    assert "错误都已改正" in state.log.text


def test_added_deleted_renamed_cases_taxonomy_and_images(live):
    lib, state = live
    text = (lib / f"{CASE}.md").read_text(encoding="utf-8")
    new = text.replace(f"id: {CASE}", "id: shili-xinjia").replace("“邻里帮”志愿服务法", "新加的案例法")
    touch_write(lib / "shili-xinjia.md", new)
    state.update()
    assert page(state, "cases/shili-xinjia/").startswith("200")
    assert "新加的案例法" in page(state, "overview/")
    (lib / "shili-xinjia.md").rename(lib / "shili-xinjia-2.md")  # renamed: id and file name disagree
    state.update()
    assert "E207" in page(state, "")
    (lib / "shili-xinjia-2.md").unlink()
    state.update()
    assert page(state, "cases/shili-xinjia/").startswith("404") and "新加的案例法" not in page(state, "overview/")
    assert "cb-preview-errors" not in page(state, "")
    # A new region in the taxonomy, used by a case: its facet page appears.
    taxonomy = (lib / "taxonomy.yml").read_text(encoding="utf-8")
    touch_write(lib / "taxonomy.yml", taxonomy.replace("  - 示例镇\n", "  - 示例镇\n  - 预览新区\n"))
    touch_write(lib / f"{CASE}.md", text.replace("region: 永康市", "region: 预览新区"))
    state.update()
    region_page = page(state, "browse/region/")
    assert "预览新区" in region_page
    # An image: the new bytes are served and every open page is told to reload.
    cover = lib / "assets" / "cover.png"
    token = state.token(f"cases/{CASE}/")
    data = cover.read_bytes()
    cover.write_bytes(data + b"\0")
    state.update()
    assert state.get("cases/assets/cover.png").body == data + b"\0"
    assert state.token(f"cases/{CASE}/") != token
    # A picture the book cannot place: E424, as validate says it; mended, the error goes.
    cover.write_bytes(data[:len(data) // 2])
    state.update()
    assert "assets/cover.png:1: E424 " in page(state, "")
    cover.write_bytes(data)
    state.update()
    assert "cb-preview-errors" not in page(state, "")


def test_hand_written_pages_are_followed_and_nothing_is_written(tmp_path, monkeypatch):
    """A project of its own (mkdocs.yml, docs/, overrides/ copied): a hand-written page edited and
    added; afterwards the library and docs/ hold exactly what the test wrote."""
    from casebook.site.serve import Preview

    project = project_copy(tmp_path / "project")
    lib = project / "cases"
    monkeypatch.chdir(project)
    state = Preview(project / "mkdocs.yml", lib, log=_Log(), search=False)
    try:
        before_lib, before_docs = preview.scan(lib), preview.scan(project / "docs")
        for url in ("", "overview/", f"cases/{CASE}/", "guide/codes/", "cases/missing/"):
            state.get(url)
        assert (preview.scan(lib), preview.scan(project / "docs")) == (before_lib, before_docs)
        city = project / "docs" / "city-overview.md"
        touch_write(city, city.read_text(encoding="utf-8") + "\n\n预览中新加的段落。\n")
        change = state.update()
        assert change.site and "预览中新加的段落。" in page(state, "city-overview/")
        touch_write(project / "docs" / "extra.md", "# 额外页面\n\n手写的新页面。\n")
        state.update()
        assert "手写的新页面。" in page(state, "extra/")
    finally:
        state.close()


def test_port_taken_is_a_sentence_not_a_traceback(run_cli):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        result = run_cli("serve", "--cases", VALID, "--port", port)
    assert result.returncode == 1
    assert f"端口 {port} 已被占用" in result.stderr and "--port" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_serve_binds_to_localhost_by_default():
    from casebook.cli import make_parser

    args = make_parser().parse_args(["serve"])
    assert (args.host, args.port) == ("127.0.0.1", 8000)
    with pytest.raises(SystemExit):
        make_parser().parse_args(["serve", "--port", "70000"])


# -- in a browser --------------------------------------------------------------------------------

def test_browser_reloads_on_edit_shows_error_banner_and_recovers(tmp_path, monkeypatch, browser):
    from browser_support import record_csp_violations

    from casebook.site.serve import Preview, make_server, watch

    monkeypatch.chdir(REPO)
    lib = tmp_path / "lib"
    shutil.copytree(VALID, lib)
    state = Preview(REPO / "mkdocs.yml", lib, log=_Log(), search=False)
    server = make_server("127.0.0.1", 0)
    server.preview = state
    stop = threading.Event()
    threads = [threading.Thread(target=server.serve_forever, daemon=True), threading.Thread(target=watch, args=(state, stop), daemon=True)]
    for thread in threads:
        thread.start()
    path = lib / f"{CASE}.md"
    good = path.read_text(encoding="utf-8")
    try:
        tab = browser.new_page()
        violations: list[str] = []
        record_csp_violations(tab, violations)
        tab.goto(f"http://127.0.0.1:{server.server_address[1]}/cases/{CASE}/")
        assert "“邻里帮”志愿服务法" in tab.inner_text("h1")
        touch_write(path, good.replace("每周为独居老人上门服务。", "每周为独居老人上门服务。浏览器里看到的新句子。"))
        # While the page reloads there is a moment without a body: each check allows for it.
        tab.wait_for_function("() => document.body && document.body.innerText.includes('浏览器里看到的新句子。')", timeout=15_000)
        touch_write(path, good.replace("region: 永康市", "region: 没有这个地区"))
        tab.wait_for_selector(".cb-preview-errors", timeout=15_000)
        banner_text = tab.inner_text(".cb-preview-errors")
        assert "E203" in banner_text and "没有这个地区" in banner_text and f"{CASE}.md:" in banner_text
        assert tab.evaluate("getComputedStyle(document.querySelector('.cb-preview-errors')).position") == "fixed"
        touch_write(path, good)
        tab.wait_for_function("() => document.body && !document.querySelector('.cb-preview-errors') && document.querySelector('h1') "
                              "&& document.querySelector('h1').innerText.includes('邻里帮')", timeout=15_000)
        assert "浏览器里看到的新句子。" not in tab.inner_text("article")
        assert violations == []  # the reload script runs under the published policy
        tab.close()
    finally:
        stop.set()
        server.shutdown()
        server.server_close()
        state.close()


def test_the_published_build_is_unchanged_by_the_preview(project):
    """No reload script, banner or preview stylesheet in anything the build wrote."""
    for path in project["site"].rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert 'src="/__casebook/' not in text and 'href="/__casebook/' not in text and preview.START not in text, path


# -- step 2 in its own thread --------------------------------------------------------------------

def test_step_2_waits_at_give_way_while_foreground_work_runs():
    from casebook.core.progress import give_way, giving_way
    from casebook.site.serve import Foreground

    foreground, counted, stop = Foreground(), [0], threading.Event()

    def step_2():
        with giving_way(foreground.wait):
            while not stop.is_set():
                give_way()
                counted[0] += 1
                time.sleep(0.001)

    worker = threading.Thread(target=step_2, daemon=True)
    try:
        with foreground:
            give_way()  # a thread without the hook never waits
            worker.start()
            time.sleep(0.2)
            assert counted[0] == 0
        time.sleep(0.2)
        assert counted[0] > 0
        foreground.hold(0.5)
        time.sleep(0.1)
        held = counted[0]
        time.sleep(0.2)
        assert counted[0] <= held + 1  # at most the pass under way when it was held
        time.sleep(0.4)
        assert counted[0] > held + 1
    finally:
        stop.set()
        worker.join(5)


@pytest.mark.parametrize("second", ["title", "error"])
def test_a_step_2_that_started_before_a_newer_edit_keeps_what_step_1_showed(live, monkeypatch, second):
    lib, state = live
    path, url = lib / f"{CASE}.md", f"cases/{CASE}/"
    text = path.read_text(encoding="utf-8")
    touch_write(path, text.replace("“邻里帮”志愿服务法", "“邻里帮”第一版法"))
    state.notice()
    real_check = state.check
    newer = (text.replace("“邻里帮”志愿服务法", "“邻里帮”第二版法") if second == "title"
             else text.replace("region: 永康市", "region: 不存在的地区"))

    def check_then_a_newer_save():
        library = real_check()  # step 2 has read the first version when the second is saved and shown
        touch_write(path, newer)
        watcher = threading.Thread(target=state.notice)  # the watcher's thread, as in `casebook serve`
        watcher.start()
        watcher.join()
        return library

    monkeypatch.setattr(state, "check", check_then_a_newer_save)
    assert state.catch_up()
    shown = page(state, url)
    if second == "title":
        assert shown.startswith("200") and "第二版法" in shown and "第一版法" not in shown
    else:
        assert "cb-preview-errors" in shown and "不存在的地区" in shown  # the banner step 1 showed stays
    assert "第一版法" in page(state, "overview/")  # its listings: as of the version it read
    monkeypatch.setattr(state, "check", real_check)
    assert state.catch_up()  # the step 2 the newer save queued
    shown, overview = page(state, url), page(state, "overview/")
    if second == "title":
        assert "第二版法" in shown and "第二版法" in overview and "第一版法" not in overview
    else:
        assert shown.startswith("404") and "cb-preview-errors" in shown and "第一版法" not in overview
    assert not state.catch_up()  # nothing left to do


def test_a_save_during_a_long_step_2_shows_at_once(live, monkeypatch):
    from casebook.site.serve import watch

    lib, state = live
    path, url = lib / f"{CASE}.md", f"cases/{CASE}/"
    text = path.read_text(encoding="utf-8")
    real_check, entered, release = state.check, threading.Event(), threading.Event()

    def slow_check():
        entered.set()
        release.wait(60)
        return real_check()

    monkeypatch.setattr(state, "check", slow_check)
    stop = threading.Event()
    watcher = threading.Thread(target=watch, args=(state, stop), daemon=True)
    watcher.start()
    try:
        touch_write(path, text.replace("“邻里帮”志愿服务法", "“邻里帮”第一版法"))
        assert entered.wait(10)  # step 2 of the first save is under way (and stays so)
        token = state.token(url)
        touch_write(path, text.replace("“邻里帮”志愿服务法", "“邻里帮”第二版法"))
        assert state.wait(url, token, seconds=10) != token
        assert "第二版法" in page(state, url)
        release.set()
        deadline = time.monotonic() + 30
        while "第二版法" not in page(state, "overview/") and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "第二版法" in page(state, "overview/")
    finally:
        release.set()
        stop.set()
        watcher.join(10)


def test_every_change_noticed_before_step_2_runs_is_caught_up(live):
    lib, state = live
    path, url = lib / f"{CASE}.md", f"cases/{CASE}/"
    touch_write(path, path.read_text(encoding="utf-8").replace("“邻里帮”志愿服务法", "“邻里帮”合并法"))
    state.notice()
    image = lib / "assets" / "cover.png"
    image.write_bytes(image.read_bytes() + b"\0")
    state.search_since = None  # as when the search index has just caught up (a race in `casebook serve`)
    state.notice()
    assert state.pending == Change((f"{CASE}.md",), ("assets/cover.png",), False)
    token = state.token(url)
    assert state.catch_up() and state.pending is None
    assert state.token(url) != token  # the image: every page that may show it reloads
    assert "合并法" in page(state, "overview/")


def test_a_page_that_fails_to_render_stops_search_once_and_says_so(tmp_path, monkeypatch):
    from casebook.site.searchrender import SearchRenderError
    from casebook.site.serve import Preview

    monkeypatch.chdir(REPO)
    lib = tmp_path / "lib"
    shutil.copytree(VALID, lib)
    state = Preview(REPO / "mkdocs.yml", lib, log=_Log())
    try:
        real = state.searcher.entries

        def broken(generation, uri, markdown):  # as the searcher answers a page whose render raised
            if uri == "overview.md":
                raise SearchRenderError("RuntimeError: 坏了")
            return real(generation, uri, markdown)

        monkeypatch.setattr(state.searcher, "entries", broken)
        assert state.catch_up()
        assert state.log.text.count("搜索索引没有更新：生成 overview.md 时出错（RuntimeError: 坏了）") == 1
        assert not state.search_due() and not state.catch_up()  # no retrying in a loop
        monkeypatch.setattr(state.searcher, "entries", real)
        path = lib / f"{CASE}.md"
        touch_write(path, path.read_text(encoding="utf-8").replace("“邻里帮”志愿服务法", "“邻里帮”修好法"))
        state.update()
        _search_ready(state)
        assert "修好法".encode() in b"".join(state.search_files.values())
    finally:
        state.close()


# -- the searcher process (site/searchrender.py) ---------------------------------------------------

def test_a_page_asked_for_while_the_searcher_renders_is_served_at_once(tmp_path, monkeypatch):
    """The search index's pages are rendered by the searcher process: while it is busy with a page
    (the overview of 20,000 cases takes seconds), the preview's own MkDocs objects are free, so a
    page a reader opens and a save's step 1 do not wait for it."""
    from casebook.site.serve import Preview

    monkeypatch.chdir(REPO)
    lib = tmp_path / "lib"
    shutil.copytree(VALID, lib)
    state = Preview(REPO / "mkdocs.yml", lib, log=_Log())
    real, entered, release = state.searcher.entries, threading.Event(), threading.Event()

    def slow(generation, uri, markdown):
        if uri == "overview.md":
            entered.set()
            release.wait(60)
        return real(generation, uri, markdown)

    monkeypatch.setattr(state.searcher, "entries", slow)
    catch_up = threading.Thread(target=state.catch_up, daemon=True)
    catch_up.start()
    try:
        assert entered.wait(60)  # the searcher is rendering the overview (and stays so)
        started = time.monotonic()
        assert page(state, "overview/").startswith("200")
        assert page(state, f"cases/{CASE}/").startswith("200")
        path, url = lib / f"{CASE}.md", f"cases/{CASE}/"
        token = state.token(url)
        touch_write(path, path.read_text(encoding="utf-8").replace("“邻里帮”志愿服务法", "“邻里帮”搜索中保存法"))
        state.notice()  # step 1
        assert state.token(url) != token and "搜索中保存法" in page(state, url)
        assert time.monotonic() - started < 30 and catch_up.is_alive()  # all while the searcher was busy
    finally:
        release.set()
        catch_up.join(60)
    try:
        _search_ready(state)  # the save's step 2, then the search index with the new text
        assert "搜索中保存法".encode() in b"".join(state.search_files.values())
    finally:
        state.close()
    assert state.searcher.process is None  # the child is gone with the preview


def test_the_searcher_renders_as_the_preview_and_says_what_it_cannot(tmp_path, monkeypatch):
    """The child's answers, for real: a page's entries equal those of the preview's own render of
    the same Markdown; no such page -> None; a broken mkdocs.yml -> its message; a child that died
    -> a message, and the next request starts a new one."""
    from casebook.site.searchrender import SearchRenderer, SearchRenderError
    from casebook.site.serve import Preview

    project = project_copy(tmp_path / "project")  # a mkdocs.yml of its own, to break at the end
    lib = project / "cases"
    monkeypatch.chdir(project)
    config = project / "mkdocs.yml"
    state = Preview(config, lib, log=_Log(), search=False)  # no child: its own site renders the page too
    searcher = SearchRenderer(config, lib)
    try:
        file = state.site.files.get_file_from_path(f"cases/{CASE}.md")
        markdown = file.content_string.replace("上门服务", "子进程服务")
        assert "子进程服务" in markdown
        entries, warnings = searcher.entries(0, f"cases/{CASE}.md", markdown)
        assert warnings == () and any("子进程服务" in e["text"].replace("\u200b", "") for e in entries)  # (jieba's cuts)
        state.site.set_content(f"cases/{CASE}.md", markdown)
        assert entries == state.site.render(file)[2]  # the same function on the same Markdown
        assert searcher.entries(0, "cases/no-such-case.md", markdown) is None
        assert searcher.entries(0, "city-overview.md", None)[0]  # a page of docs/, read from its file
        searcher.process.kill()
        searcher.process.join()
        with pytest.raises(SearchRenderError, match="搜索进程意外退出"):
            searcher.entries(0, "city-overview.md", None)
        assert searcher.entries(0, "city-overview.md", None)[0]  # a new child
        config.write_text("site_name: [\n", encoding="utf-8")
        with pytest.raises(SearchRenderError, match="MkDocs 配置"):
            searcher.entries(1, "city-overview.md", None)  # a new generation: the site loaded again
    finally:
        searcher.close()
        state.close()



def test_the_previews_state_is_out_of_the_garbage_collectors_walk(live, monkeypatch):
    """At 20,000 cases each full collection walked millions of live objects (0.3-0.4 s with the GIL
    held, a page asked for meanwhile waited): the state is frozen after start-up and after step 2;
    when MkDocs is set up again, the old site's cycles are collected first."""
    import gc

    from casebook.site import serve

    lib, state = live

    def walked(obj) -> bool:
        return any(o is obj for o in gc.get_objects())

    assert not walked(state.library) and not walked(state.site)
    calls = []
    settle = serve.settle
    monkeypatch.setattr(serve, "settle", lambda full: (calls.append(full), settle(full)))
    path = lib / f"{CASE}.md"
    touch_write(path, path.read_text(encoding="utf-8").replace("“邻里帮”志愿服务法", "“邻里帮”冻结法"))
    state.update()  # step 2 made a new library and assembly
    assert "冻结法" in page(state, "overview/")
    assert calls == [False] and not walked(state.library) and not walked(state.assembly)
    (lib / "added-case.md").write_text(path.read_text(encoding="utf-8").replace(f"id: {CASE}", "id: added-case"), encoding="utf-8")
    state.update()  # a case added: MkDocs set up again
    assert calls == [False, True] and not walked(state.site)


def test_settle_freezes_what_lives_and_a_full_settle_collects_cycles():
    import gc
    import weakref

    from casebook.site.serve import settle

    class Node:
        pass

    cycle = Node()
    cycle.me = cycle
    ref = weakref.ref(cycle)
    settle(full=False)
    assert not any(o is cycle for o in gc.get_objects())  # frozen: no collection walks it
    del cycle
    gc.collect()
    assert ref() is not None  # frozen garbage stays until a full settle
    settle(full=True)
    assert ref() is None


def test_restat_of_the_reported_files_equals_a_scan(live):
    """What the file system reports is stat-ed instead of scanning the library (0.09 s at 20,000
    files, up to 1.4 s while step 2 ran): the result is the scan's, or None where it cannot be."""
    lib, state = live
    path = lib / f"{CASE}.md"
    touch_write(path, path.read_text(encoding="utf-8").replace("“邻里帮”志愿服务法", "“邻里帮”报告法"))
    added = lib / "added-case.md"
    added.write_text("新文件", encoding="utf-8")
    hidden = lib / f".{CASE}.md.swp"
    hidden.write_text("编辑器的文件", encoding="utf-8")
    image = lib / "assets" / "cover.png"
    image.unlink()
    odd = lib / "assets" / "图 片 #1\n%E5.PNG"  # spaces, a newline, percent signs: names are input too
    odd.write_bytes(b"png")
    reported = {str(path), str(added), str(hidden), str(image), str(odd), str(REPO / "README.md")}
    assert state.restat(reported) == state.take_snapshot() != state.snapshot
    (lib / "sub").mkdir()
    assert state.restat({str(lib / "sub")}) is None  # a folder: its files are unknown
    outside = lib.parent / "outside"
    outside.mkdir()
    (outside / "x.png").write_bytes(b"png")
    (lib / "linked").symlink_to(outside)
    linked = state.restat({str(lib / "linked" / "x.png")})  # the scan does not follow linked folders
    assert linked == state.snapshot and "linked/x.png" not in state.take_snapshot().library
    assert state.restat({str(REPO / "docs" / "index.md")}) is None  # docs/ and mkdocs.yml: the scan
    assert state.restat({str(REPO / "mkdocs.yml")}) is None



def test_restat_knows_the_library_by_its_real_path(tmp_path, monkeypatch):
    """The system may name a file by another path than the one the library was given by (macOS:
    /private/var/... for /var/...): a library reached through a link is still recognised."""
    from casebook.site.serve import Preview

    monkeypatch.chdir(REPO)
    lib = tmp_path / "lib"
    shutil.copytree(VALID, lib)
    alias = tmp_path / "alias"
    alias.symlink_to(lib)
    state = Preview(REPO / "mkdocs.yml", alias, log=_Log(), search=False)
    try:
        path = lib / f"{CASE}.md"
        touch_write(path, path.read_text(encoding="utf-8").replace("“邻里帮”志愿服务法", "“邻里帮”真实路径法"))
        for named in (path, alias / f"{CASE}.md"):
            assert state.restat({str(named)}) == state.take_snapshot() != state.snapshot
    finally:
        state.close()


def test_the_file_system_reports_a_save_and_the_page_follows(live):
    from casebook.site.serve import Events

    lib, state = live
    events = Events.start(state)
    assert events is not None
    try:
        path, url = lib / f"{CASE}.md", f"cases/{CASE}/"
        (lib / "assets" / "cover.png").read_bytes()  # a read is not a change
        touch_write(path, path.read_text(encoding="utf-8").replace("“邻里帮”志愿服务法", "“邻里帮”事件法"))
        reported = events.take(5)
        assert reported == {str(path)}
        state.notice(reported)
        assert "事件法" in page(state, url)
        (lib / "sub").mkdir()
        assert events.take(5) is None and not events.paths  # a folder: scan everything
    finally:
        events.stop()


def test_without_file_system_reports_the_preview_polls(live, monkeypatch):
    from watchdog.observers import Observer

    from casebook.site.serve import Events

    lib, state = live

    def refuse(*args, **kwargs):
        raise OSError(28, "inotify watch limit reached")

    monkeypatch.setattr(Observer, "schedule", refuse)
    assert Events.start(state) is None
    assert "无法监听文件变化（[Errno 28] inotify watch limit reached）；改为每 0.2 秒查看一次文件" in state.log.text


def test_the_searchers_end_while_a_page_is_asked_for_is_quiet(tmp_path, monkeypatch):
    """The preview's end (Ctrl+C) closes the searcher while the catch-up thread waits for a page:
    no traceback (two threads closing), no "搜索进程意外退出", and no new child afterwards."""
    from casebook.site.searchrender import SearchRenderer

    monkeypatch.chdir(REPO)
    lib = tmp_path / "lib"
    shutil.copytree(VALID, lib)
    searcher = SearchRenderer(REPO / "mkdocs.yml", lib)
    assert searcher.entries(0, "city-overview.md", None)[0]
    answers, errors = [], []

    def ask() -> None:
        try:
            for _ in range(200):
                answers.append(searcher.entries(0, "city-overview.md", None))
        except Exception as exc:  # noqa: BLE001 - what the test looks for
            errors.append(exc)

    asking = threading.Thread(target=ask)
    asking.start()
    while not answers:
        time.sleep(0.01)
    searcher.close(stop=True)
    asking.join(30)
    assert not asking.is_alive() and errors == []
    assert answers[-1] is None and searcher.process is None and searcher.conn is None
    assert searcher.entries(0, "city-overview.md", None) is None and searcher.process is None
