"""Shared paths, helpers and fixtures for the casebook tests (the only helper module).

Running the CLI: the `run_cli` fixture calls `cli.main(argv)` in this process; `run_entry_point`
runs `python -m casebook` in a subprocess (kept for the few tests of the entry point itself);
`build_site` is `casebook build` with the project's mkdocs.yml. MkDocs itself always runs as a
subprocess of `casebook build`, as it does for a user.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import io
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import NamedTuple

import pytest
from hypothesis import HealthCheck, settings

from casebook import cli

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"
VALID = FIXTURES / "valid"
INVALID = FIXTURES / "invalid"
PICTURES = FIXTURES / "pictures"  # small real pictures of each format the book takes
SHIPPED = REPO / "cases"

# A fixed "today": the future-date fixture (2999-01-01) and the honours year range stay stable.
TODAY = dt.date(2026, 11, 27)

# Property tests: modest example counts and a generous deadline keep the suite fast and calm on
# slow CI machines. No example database: nothing is written into the repository. Derandomised:
# `make test` tries the same examples on every run, so a pass or a failure is the code's, not the
# draw's (a random draw once failed a CI run on a bug older than the change). To look for new
# failures, run with HYPOTHESIS_PROFILE=explore (random examples, ten times as many).
settings.register_profile(
    "casebook",
    max_examples=200,
    deadline=2000,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("explore", parent=settings.get_profile("casebook"), max_examples=2000, derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "casebook"))


class Result(NamedTuple):
    """What a `casebook` run gave: exit code and captured output (`code, out, err = result`)."""

    returncode: int
    stdout: str
    stderr: str


# cli.main runs in this process: cwd, os.environ and sys.stdout/stderr are process-wide, so one
# run at a time (a thread pool of builds would be serialised here; parallel runs come from xdist).
_IN_PROCESS = threading.Lock()


def _in_process(*args: str | Path, cwd: Path = REPO, env: dict | None = None, drop: tuple[str, ...] = ()) -> Result:
    """`casebook ARGS` as `cli.main(argv)` in this process: cwd set to `cwd`, `drop` removed from
    and then `env` added to the environment for the run, output captured."""
    out, err = io.StringIO(), io.StringIO()
    with _IN_PROCESS:
        saved_env, saved_cwd = dict(os.environ), os.getcwd()
        for key in drop:
            os.environ.pop(key, None)
        os.environ.update({"NO_MKDOCS_2_WARNING": "1", **(env or {})})
        try:
            os.chdir(cwd)
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    code = cli.main([str(a) for a in args])
                except SystemExit as exc:  # argparse: usage errors and --help
                    code = exc.code if isinstance(exc.code, int) else 1
        finally:
            os.chdir(saved_cwd)
            os.environ.clear()
            os.environ.update(saved_env)
    return Result(code, out.getvalue(), err.getvalue())


def _entry_point(*args: str | Path, cwd: Path = REPO, env: dict | None = None, input: str | None = None,
                 timeout: float = 300) -> Result:
    """`python -m casebook ARGS` in a subprocess: the real entry point, as a user runs it."""
    full_env = {**os.environ, "PYTHONIOENCODING": "utf-8", "NO_MKDOCS_2_WARNING": "1", **(env or {})}
    result = subprocess.run(
        [sys.executable, "-m", "casebook", *map(str, args)],
        cwd=cwd, env=full_env, input=input, capture_output=True, text=True, encoding="utf-8",
        timeout=timeout, check=False,
    )
    return Result(result.returncode, result.stdout, result.stderr)


# Test builds link "编辑此案例" to a fixed repository, whatever the machine's git remote or CI.
EDIT_URL = "https://git.example.org/owner/anliku/edit/main/{path}"


def _build(cases: Path, site_dir: Path, offline: bool = False, env: dict | None = None) -> Result:
    """`casebook build` from the repo root with the project's mkdocs.yml; asserts success."""
    args = ["build", "--cases", cases, "--site-dir", site_dir] + (["--offline"] if offline else [])
    result = _in_process(*args, env={"CASEBOOK_EDIT_URL": EDIT_URL, **(env or {})})
    assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.fixture(scope="session")
def run_cli():
    """run_cli(*ARGS, cwd=REPO, env=None, drop=()) -> Result: the CLI in this process (fast)."""
    return _in_process


@pytest.fixture(scope="session")
def run_entry_point():
    """run_entry_point(*ARGS, cwd=REPO, env=None, input=None) -> Result: `python -m casebook` in a
    subprocess. Only for what only the real entry point shows (stdin, exit status, encoding)."""
    return _entry_point


@pytest.fixture(scope="session")
def build_site():
    """build_site(cases, site_dir, offline=False, env=None) -> Result: `casebook build`, asserted."""
    return _build


@functools.cache
def _mkdocs_config():
    from casebook.site import engine

    return engine.load(REPO / "mkdocs.yml")


def check(root: Path, today: dt.date = TODAY):
    """The whole validation `casebook validate` runs: the core's checks, every case page as the
    strict build would render and sanitise it (the project's mkdocs.yml), and every picture as
    the book's typesetter would place it."""
    from casebook.book.pictures import pictures_refused
    from casebook.site import engine
    from casebook.site.publish import check_library

    return check_library(root, lambda library: engine.page_context(_mkdocs_config(), library), today, pictures=pictures_refused)


@pytest.fixture(scope="session")
def shipped_builds(tmp_path_factory) -> dict[str, Path]:
    """Both flavours of the shipped library, built once per test process for the browser tests:
    {"online": site folder, "offline": the offline zip unzipped elsewhere (holds index.html)}."""
    from browser_support import build_and_unzip

    online = tmp_path_factory.mktemp("shipped-online") / "site"
    _build(SHIPPED, online)
    return {"online": online, "offline": build_and_unzip(_in_process, SHIPPED, tmp_path_factory.mktemp("shipped-offline"))}


def project_copy(root: Path, remote: str | None = None) -> Path:
    """mkdocs.yml, docs/, CONTRIBUTING.md and the valid fixture library, outside this checkout;
    with `remote`, a git repository with one commit and that `origin`."""
    root.mkdir(parents=True)
    for name in ("mkdocs.yml", "CONTRIBUTING.md"):
        shutil.copyfile(REPO / name, root / name)
    shutil.copytree(REPO / "docs", root / "docs")
    shutil.copytree(REPO / "overrides", root / "overrides")
    shutil.copytree(VALID, root / "cases")
    if remote is not None:
        git = functools.partial(subprocess.run, cwd=root, check=True, capture_output=True)
        git(["git", "init", "-q", "-b", "main"])
        git(["git", "remote", "add", "origin", remote])
        git(["git", "add", "-A"])
        git(["git", "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q", "-m", "library"])
    return root


def make_library(root: Path, cases: dict[str, str | bytes], taxonomy: str | bytes | None = None) -> Path:
    """A small library in `root`: the valid fixtures' taxonomy.yml (or `taxonomy`) and `cases`.

    `cases` maps relative paths to text (written as UTF-8) or bytes; so may `taxonomy`. Delete
    taxonomy.yml afterwards to test a library without one.
    """
    root.mkdir(parents=True, exist_ok=True)
    if taxonomy is None:
        shutil.copyfile(VALID / "taxonomy.yml", root / "taxonomy.yml")
    else:
        data = taxonomy.encode("utf-8") if isinstance(taxonomy, str) else taxonomy
        (root / "taxonomy.yml").write_bytes(data)
    (root / "assets").mkdir(exist_ok=True)
    shutil.copyfile(VALID / "assets" / "cover.png", root / "assets" / "cover.png")
    for rel, content in cases.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return root


def relative(finding_path: str, root: Path) -> str:
    """A finding's path (relative to the cwd or absolute) -> relative to the library root."""
    return Path(finding_path).resolve().relative_to(root.resolve()).as_posix()


def line_of(path: Path, needle: str, nth: int = 1) -> int:
    """1-based line number of the nth line of a UTF-8 file containing `needle`."""
    text = path.read_bytes().decode("utf-8-sig").replace("\r\n", "\n")
    hits = [i for i, line in enumerate(text.split("\n"), 1) if needle in line]
    assert len(hits) >= nth, f"{needle!r} not found {nth} time(s) in {path}"
    return hits[nth - 1]


# A minimal valid case; tests build variants of it with str.replace.
MINIMAL_CASE = """\
---
id: {id}
title: 示例工作法
organization: 示例公司
org_type: 非公有制企业
region: 永康市
category: [党建工作法]
summary: 示例公司（虚构单位）的测试案例。
date: 2024-01-05
source: 测试资料
---

## 基本情况

示例公司是为测试虚构的单位。

## 主要做法

测试做法。

## 取得成效

测试成效。
"""


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for a test module (Playwright's sync API allows one at a time)."""
    from browser_support import launched_chromium

    with launched_chromium() as chromium:
        yield chromium
