"""The page cache (issue 22): `casebook build` on the same site folder reuses the pages whose
inputs did not change, and the site it writes is byte-identical to a cold build (`--no-cache`)
of the same library, whatever changed. Real builds of the shipped library, compared file by file."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import zlib
from pathlib import Path

import pytest

from conftest import EDIT_URL, SHIPPED
from casebook.site.pagecache import PageCache, cache_file

REUSED = re.compile(r"^写出页面：([\d,]+) 个页面(?:，其中 ([\d,]+) 个未变、取自页面缓存)?（", re.M)


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def assert_same_site(warm: Path, cold: Path) -> None:
    a, b = tree(warm), tree(cold)
    assert sorted(a) == sorted(b)
    differ = [name for name in a if a[name] != b[name]]
    assert not differ, f"differ from the cold build: {differ[:10]}"


def written(stdout: str) -> tuple[int, int]:
    """(pages written, of which reused) from the build's stage line."""
    m = REUSED.search(stdout)
    assert m, stdout
    return int(m[1].replace(",", "")), int((m[2] or "0").replace(",", ""))


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture(autouse=True)
def one_build_date(monkeypatch):
    """Every build here on one date: a new day rebuilds every page (the footer names the build's
    date), so a warm build and its cold twin on either side of midnight would differ."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764806400")


@pytest.fixture
def library(tmp_path) -> Path:
    return Path(shutil.copytree(SHIPPED, tmp_path / "cases"))


def test_rebuilds_reuse_unchanged_pages_and_equal_a_cold_build(run_cli, build_site, library, tmp_path):
    site = tmp_path / "site"
    pages, reused = written(build_site(library, site).stdout)
    assert reused == 0 and cache_file(site).is_file() and cache_file(site).parent == tmp_path

    def rebuild_and_compare(label: str) -> tuple[int, int]:
        result = build_site(library, site)
        cold = tmp_path / f"cold-{label}"
        check = run_cli("build", "--cases", library, "--site-dir", cold, "--no-cache", env={"CASEBOOK_EDIT_URL": EDIT_URL})
        assert check.returncode == 0, check.stdout + check.stderr
        assert not cache_file(cold).exists()  # --no-cache neither reads nor writes one
        assert_same_site(site, cold)
        return written(result.stdout)

    # Nothing changed: every page outside the navigation comes from the cache.
    total, reused = rebuild_and_compare("same")
    assert total == pages and reused > pages - 15

    # One case's body: its page is made again; the other cases' pages are reused.
    case = library / "kangdi-yangguang-chedui.md"
    edit(case, "。", "。（缓存测试）")
    total, again = rebuild_and_compare("body")
    assert again < reused and again > pages - 20
    assert "（缓存测试）" in (site / "cases" / "kangdi-yangguang-chedui" / "index.html").read_text(encoding="utf-8")

    # A case's title: listings and related cases that show it change too.
    edit(case, "title: '", "title: '缓存测试")
    rebuild_and_compare("title")

    # A case added, a case removed: every page's footer counts the cases, so every page is new.
    text = case.read_text(encoding="utf-8").replace("id: kangdi-yangguang-chedui", "id: huancun-ceshi", 1)
    (library / "huancun-ceshi.md").write_text(text, encoding="utf-8")
    assert rebuild_and_compare("added") == (pages + 1, 0)
    assert rebuild_and_compare("same-again")[1] > pages - 15
    (library / "huancun-ceshi.md").unlink()
    assert rebuild_and_compare("removed") == (pages, 0)


def test_a_page_is_reused_only_while_the_files_it_links_to_are_as_they_were(build_site, library, tmp_path):
    site = tmp_path / "site"
    build_site(library, site)
    # Pretend the file one page links to had another address when that page was cached.
    with sqlite3.connect(cache_file(site)) as db:
        rows = db.execute("SELECT key, rest FROM pages").fetchall()
        for key, rest in rows:
            entry = json.loads(zlib.decompress(rest))
            if entry["lookups"]:
                path = next(iter(entry["lookups"]))
                entry["lookups"][path] = ["elsewhere/", "InclusionLevel.NOT_IN_NAV"]
                db.execute("UPDATE pages SET rest = ? WHERE key = ?", (zlib.compress(json.dumps(entry).encode()), key))
                break
    total, reused = written(build_site(library, site).stdout)
    assert reused == len(rows) - 1
    total, reused = written(build_site(library, site).stdout)
    assert reused == len(rows)  # that page's entry was made again


def test_the_offline_flavour_has_its_own_cache_and_reuses_it(build_site, library, tmp_path):
    offline, online = tmp_path / "offline", tmp_path / "online"
    build_site(library, offline, offline=True)
    build_site(library, online)
    assert cache_file(offline) != cache_file(online) and cache_file(online).is_file()
    total, reused = written(build_site(library, offline, offline=True).stdout)
    assert reused > total - 15


def test_a_broken_cache_file_is_replaced_and_the_build_goes_on(build_site, library, tmp_path):
    site = tmp_path / "site"
    cache_file(site).write_bytes(b"not a database" * 100)
    result = build_site(library, site)
    assert f"页面缓存 {cache_file(site)} 已损坏，已删除；本次不用缓存" in result.stdout
    build_site(library, site)  # starts a new cache
    assert written(build_site(library, site).stdout)[1] > 0


def test_a_cache_in_use_by_another_build_is_left_alone(build_site, library, tmp_path):
    site = tmp_path / "site"
    build_site(library, site)
    other = PageCache(cache_file(site))  # holds the file's lock as a running build does
    try:
        result = build_site(library, site)
    finally:
        other.discard()
    assert "正被另一个构建使用，本次不用缓存" in result.stdout
    assert written(result.stdout)[1] == 0
    assert written(build_site(library, site).stdout)[1] > 0  # the cache survived


def test_a_failed_build_keeps_the_cache_as_it_was(run_cli, build_site, library, tmp_path):
    site = tmp_path / "site"
    build_site(library, site)
    before = cache_file(site).read_bytes()
    downloads = tmp_path / "book"
    downloads.mkdir()
    (downloads / "volumes.json").write_text("{", encoding="utf-8")  # fails the build after validation
    edit(library / "kangdi-yangguang-chedui.md", "。", "。（失败的构建）")
    result = run_cli("build", "--cases", library, "--site-dir", site, "--downloads", downloads)
    assert result.returncode == 1 and "volumes.json" in result.stderr
    assert cache_file(site).read_bytes() == before
    with sqlite3.connect(cache_file(site)) as db:
        assert db.execute("SELECT count(*) FROM pages").fetchone()[0] > 50


def test_entries_a_build_no_longer_uses_are_dropped(build_site, library, tmp_path):
    site = tmp_path / "site"
    build_site(library, site)
    with sqlite3.connect(cache_file(site)) as db:
        first = db.execute("SELECT count(*) FROM pages").fetchone()[0]
    edit(library / "kangdi-yangguang-chedui.md", "。", "。（新的一句）")
    build_site(library, site)
    with sqlite3.connect(cache_file(site)) as db:
        assert db.execute("SELECT count(*) FROM pages").fetchone()[0] == first


def test_a_reused_page_keeps_its_title_and_anchors_for_mkdocs_checks(caplog):
    """A reused page is not rendered, yet MkDocs still checks links into it and out of it."""
    from mkdocs.structure.files import Files
    from mkdocs.structure.pages import Page

    from conftest import REPO
    from casebook.site import engine
    from casebook.site.plugin import REUSED_TEMPLATE, _stand_in

    config = engine.load(REPO / "mkdocs.yml")
    a, b = (engine._generated(config, f"cases/{n}.md", "x") for n in "ab")
    files = Files([a, b])
    page = Page(None, a, config)
    _stand_in(page, {"html": "<p>甲</p>", "search": [], "title": "甲", "anchors": ["jingyan"],
                     "links": {"cases/b.md": {"zuofa": "b.md#zuofa"}, "cases/gone.md": {"x": "gone.md#x"}}})
    page.read_source(config)
    page.render(config, files)
    assert (page.title, page.present_anchor_ids, page.meta["template"]) == ("甲", {"jingyan"}, REUSED_TEMPLATE)
    assert page.links_to_anchors == {b: {"zuofa": "b.md#zuofa"}}
    target = Page(None, b, config)
    target.present_anchor_ids = set()  # b lost its heading #zuofa: the link from a is reported
    page.validate_anchor_links(files=files, log_level=30)
    assert "zuofa" in caplog.text


def test_a_cache_of_another_layout_starts_empty(build_site, library, tmp_path):
    site = tmp_path / "site"
    with sqlite3.connect(cache_file(site)) as db:  # an earlier casebook's table
        db.execute("CREATE TABLE pages (key BLOB PRIMARY KEY, value BLOB NOT NULL)")
        db.execute("INSERT INTO pages VALUES (x'00', x'00')")
    result = build_site(library, site)
    assert "页面缓存" not in result.stdout.replace("取自页面缓存", "")  # no complaint: simply a cold build
    assert written(build_site(library, site).stdout)[1] > 0


def test_a_failed_first_build_leaves_no_cache_file(run_cli, library, tmp_path):
    downloads = tmp_path / "book"
    downloads.mkdir()
    (downloads / "volumes.json").write_text("{", encoding="utf-8")  # fails the build after validation
    site = tmp_path / "site"
    result = run_cli("build", "--cases", library, "--site-dir", site, "--downloads", downloads)
    assert result.returncode == 1 and "volumes.json" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book", "cases"]  # neither site nor cache


# -- generated edits -----------------------------------------------------------------------------

def _field(path: Path, key: str, value: str) -> None:
    text = path.read_text(encoding="utf-8")
    new, found = re.subn(rf"(?m)^{key}: .*$", f"{key}: {value}", text, count=1)
    path.write_text(new if found else text.replace("\n---\n", f"\n{key}: {value}\n---\n", 1), encoding="utf-8")


def _random_edit(rng, library: Path) -> str:
    """One edit of a kind a contributor makes, chosen and filled in by `rng`; the library stays valid."""
    import yaml

    taxonomy = yaml.safe_load((library / "taxonomy.yml").read_text(encoding="utf-8"))
    cases = sorted(library.glob("*.md"))
    case = rng.choice(cases)
    kind = rng.choice(["title", "summary", "region", "category", "body", "date", "featured", "link", "heading", "image", "taxonomy"])
    if kind == "title":
        _field(case, "title", f"'测试{rng.randint(0, 99)}工作法'")
    elif kind == "summary":
        _field(case, "summary", f"测试摘要{rng.randint(0, 99)}。")
    elif kind in ("region", "category"):
        values = rng.sample(taxonomy[kind], rng.randint(1, 2))
        _field(case, kind, values[0] if kind == "region" else "[" + ", ".join(values) + "]")
    elif kind == "body":
        edit(case, "。\n", f"（改{rng.randint(0, 99)}）。\n")
    elif kind == "date":
        _field(case, "date", f"2025-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}")
    elif kind == "featured":
        _field(case, "featured", rng.choice(["true", "false"]))
    elif kind == "link":  # into another case's section: its anchor must exist
        edit(case, "\n## 取得成效", f"\n另见[相关案例]({rng.choice(cases).name}#主要做法)。\n\n## 取得成效")
    elif kind == "heading":  # a new heading changes the page's anchors and table of contents
        edit(case, "\n## 取得成效", f"\n### 小节{rng.randint(0, 9)}\n\n说明。\n\n## 取得成效")
    elif kind == "image":  # a new image, or new bytes for one already there
        name = f"图{rng.randint(0, 2)}.png"
        image = library / "assets" / name
        fresh = not image.exists()
        image.parent.mkdir(exist_ok=True)
        image.write_bytes((Path(__file__).parent / "fixtures" / "valid" / "assets" / "cover.png").read_bytes() + bytes([rng.randint(0, 255)]))
        if fresh:
            edit(case, "\n## 取得成效", f"\n![示意](assets/{name})\n\n## 取得成效")
    else:  # the order of two regions: listings follow the vocabulary's order
        vocabulary, a, b = library / "taxonomy.yml", "  - 东城街道\n", "  - 西城街道\n"
        text = vocabulary.read_text(encoding="utf-8")
        vocabulary.write_text(text.replace(a + b, b + a) if a + b in text else text.replace(b + a, a + b), encoding="utf-8")
    return f"{case.name}: {kind}"


def test_generated_edits_keep_the_cached_build_equal_to_a_cold_one(run_cli, build_site, library, tmp_path):
    """A seeded sequence of edits of every kind (front matter, body, links with anchors, headings,
    images, the vocabulary's order): after each, the build that reuses cached pages is byte-identical
    to a cold build. (A longer campaign of the same kind, 72 edits over three seeds, found nothing.)"""
    import random

    rng = random.Random(20261207)
    site = tmp_path / "site"
    build_site(library, site)
    done = []
    for step in range(5):
        done.append(_random_edit(rng, library))
        build_site(library, site)
        cold = tmp_path / f"cold-{step}"
        check = run_cli("build", "--cases", library, "--site-dir", cold, "--no-cache", env={"CASEBOOK_EDIT_URL": EDIT_URL})
        assert check.returncode == 0, check.stdout + check.stderr
        try:
            assert_same_site(site, cold)
        except AssertionError as exc:
            raise AssertionError(f"after {done}: {exc}") from None
        shutil.rmtree(cold)
