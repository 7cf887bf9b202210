"""Shared paths and helpers for the casebook tests."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

from hypothesis import HealthCheck, settings

REPO = Path(__file__).parents[1]
FIXTURES = REPO / "tests" / "fixtures"
VALID = FIXTURES / "valid"
INVALID = FIXTURES / "invalid"
SHIPPED = REPO / "cases"

# A fixed "today": the future-date fixture (2999-01-01) and the honours year range stay stable.
TODAY = dt.date(2026, 11, 27)

# Property tests: modest example counts and a generous deadline keep the suite fast and calm on
# slow CI machines. No example database: nothing is written into the repository.
settings.register_profile(
    "casebook",
    max_examples=200,
    deadline=2000,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("casebook")


def run_cli(*args: str, cwd: Path = REPO, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`python -m casebook ARGS` in a subprocess: the real entry point, as a user runs it."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [sys.executable, "-m", "casebook", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
    )


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
