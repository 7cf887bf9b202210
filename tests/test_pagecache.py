"""The page cache (issue 22): `casebook build` on the same site folder reuses the pages whose
inputs did not change, and the site it writes is byte-identical to a cold build (`--no-cache`)
of the same library, whatever changed. Real builds of the shipped library, compared file by file."""

from __future__ import annotations

import re
import shutil
import sqlite3
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

    # A case removed: the set of files changed, every page is made again.
    other = sorted(p for p in library.glob("*.md") if p != case)[0]
    other.unlink()
    total, reused = rebuild_and_compare("removed")
    assert reused == 0


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
