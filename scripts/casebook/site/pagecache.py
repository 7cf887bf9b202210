"""The build's page cache: a rebuild on the same site folder reuses the pages whose inputs did
not change (issue 22: one case edited of 5,000 rebuilds that case's page and the listings that
show it, not every page).

What a page's HTML depends on is hashed into its key (plugin.py decides what; `digest` here):
its Markdown, its addresses, and everything shared by all pages (code, theme, configuration,
footer, the set of files, the navigation). An entry holds what the build made of the page: the
HTML it wrote, Material's search entries for it, its title and its anchors (for MkDocs' anchor
checks). So a page comes either from the cache or from MkDocs, never from a second renderer,
and a rebuild is byte-identical to a cold build (tests/test_pagecache.py compares whole sites).

Storage: one SQLite file per site folder, beside it and outside it (`.site.pagecache.sqlite`
for `site/`). One transaction per build: entries of a build that fails are never kept; after a build that
succeeds, entries it did not use are dropped. Deleting the file is always safe (the next build
is a cold one), and an unreadable or locked file only turns the cache off for that build.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import zlib
from pathlib import Path

def digest(*parts: str | bytes) -> bytes:
    """SHA-256 of the parts, each length-prefixed (no two lists of parts give the same input)."""
    h = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "big"))
        h.update(data)
    return h.digest()


def cache_file(site_dir: Path) -> Path:
    """The cache of the site built into `site_dir`: a hidden file beside it (one per site
    folder: the site and the offline copy differ in every page)."""
    site_dir = site_dir.resolve()
    return site_dir.parent / f".{site_dir.name}.pagecache.sqlite"


SCHEMA = 2  # the table's layout (PRAGMA user_version): a file of another layout starts empty


def _pack(text: str) -> bytes:
    # surrogatepass: a page may hold a lone surrogate (MkDocs writes it as a character reference)
    return zlib.compress(text.encode("utf-8", "surrogatepass"), 1)


def _unpack(data: bytes) -> str:
    return zlib.decompress(data).decode("utf-8", "surrogatepass")


class PageCache:
    """Entries by key, read and written inside one transaction: a page's HTML (`put`; compressed
    UTF-8, read on its own by `html`) and the rest of what the build made of it (`complete`: a
    JSON object, read by `get`)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.used: set[bytes] = set()
        self.hits = self.misses = 0
        self.problem: str | None = None  # why the cache was turned off during the build
        path.parent.mkdir(parents=True, exist_ok=True)
        self.created = not path.exists()  # a build that fails leaves no new file behind
        self.db = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            self.db.execute("BEGIN EXCLUSIVE")  # a second build on the same folder does without
            if self.db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA:  # an older casebook's
                self.db.execute("DROP TABLE IF EXISTS pages")
                self.db.execute(f"PRAGMA user_version = {SCHEMA}")
            self.db.execute("CREATE TABLE IF NOT EXISTS pages (key BLOB PRIMARY KEY, html BLOB NOT NULL, rest BLOB NOT NULL)")
        except sqlite3.Error:
            self._close()
            raise

    @classmethod
    def open(cls, path: Path) -> tuple[PageCache | None, str | None]:
        """(the cache, None), or (None, why not: in Chinese) when the file is in use or broken
        (a broken file is removed: the next build starts a new one)."""
        try:
            return cls(path), None
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc):
                return None, f"页面缓存 {path} 正被另一个构建使用，本次不用缓存"
            return None, f"无法打开页面缓存 {path}（{exc}），本次不用缓存"
        except sqlite3.DatabaseError:
            path.unlink(missing_ok=True)
            return None, f"页面缓存 {path} 已损坏，已删除；本次不用缓存"
        except OSError as exc:
            return None, f"无法创建页面缓存 {path}（{exc.strerror or exc}），本次不用缓存"

    def get(self, key: bytes) -> dict | None:
        if self.problem:
            return None
        try:
            row = self.db.execute("SELECT rest FROM pages WHERE key = ?", (key,)).fetchone()
            entry = json.loads(_unpack(row[0])) if row else None
        except (sqlite3.Error, zlib.error, ValueError) as exc:
            self._broken(exc)
            return None
        if entry is None:
            self.misses += 1
        else:
            self.hits += 1
            self.used.add(key)
        return entry

    def html(self, key: bytes) -> str | None:
        """The HTML of an entry `get` returned (read when the page is written, not with the entry:
        MkDocs reads every page before it writes any, and 20,000 pages of HTML would wait in memory)."""
        if self.problem:
            return None
        try:
            row = self.db.execute("SELECT html FROM pages WHERE key = ?", (key,)).fetchone()
            return _unpack(row[0]) if row else None
        except (sqlite3.Error, zlib.error, ValueError) as exc:
            self._broken(exc)
            return None

    def put(self, key: bytes, html: str) -> None:
        """Store a page's HTML; the rest of its entry follows with `complete` (in the same build:
        an entry not completed is read as broken)."""
        self._write("INSERT OR REPLACE INTO pages (key, html, rest) VALUES (?, ?, ?)", (key, _pack(html), b""))
        self.used.add(key)

    def complete(self, key: bytes, rest: dict) -> None:
        """The rest of the entry whose HTML `put` stored (JSON: search entries, title, anchors ...)."""
        self._write("UPDATE pages SET rest = ? WHERE key = ?", (_pack(json.dumps(rest, ensure_ascii=False, sort_keys=True)), key))

    def _write(self, statement: str, values: tuple) -> None:
        if self.problem:
            return
        try:
            self.db.execute(statement, values)
        except sqlite3.Error as exc:
            self._broken(exc)

    def _broken(self, exc: Exception) -> None:
        self.problem = f"页面缓存 {self.path} 读写出错（{exc}），其余页面不用缓存"

    def commit(self) -> None:
        """Keep this build's entries, drop the others; the file is released."""
        if self.problem:
            self._close()
            return
        try:
            self.db.execute("CREATE TEMP TABLE used (key BLOB PRIMARY KEY)")
            self.db.executemany("INSERT INTO used (key) VALUES (?)", ((k,) for k in self.used))
            self.db.execute("DELETE FROM pages WHERE key NOT IN (SELECT key FROM used)")
            self.db.execute("COMMIT")
        except sqlite3.Error as exc:  # a cache that cannot be written costs time, never the build
            self.problem = f"页面缓存 {self.path} 写入失败（{exc}）"
            self._close()
        else:
            self.db.close()

    def discard(self) -> None:
        """The build failed: nothing of it is kept."""
        self._close()

    def _close(self) -> None:
        """Roll back and close; a file this build created is removed again."""
        try:
            self.db.execute("ROLLBACK")
        except sqlite3.Error:
            pass
        finally:
            self.db.close()
        if self.created:
            for leftover in (self.path, self.path.with_name(self.path.name + "-journal")):
                leftover.unlink(missing_ok=True)
