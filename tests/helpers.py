"""Shared helpers for tests that build the real site (no mocks: the real CLI and MkDocs)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"
VALID = FIXTURES / "valid"


def run_casebook(*args: str, cwd: Path = REPO, env: dict | None = None) -> subprocess.CompletedProcess:
    """The real command line (`python -m casebook ...`), captured as text."""
    full_env = dict(os.environ, NO_MKDOCS_2_WARNING="1", **(env or {}))
    return subprocess.run(
        [sys.executable, "-m", "casebook", *args],
        cwd=cwd, env=full_env, capture_output=True, text=True, check=False,
    )


# Test builds link "编辑此案例" to a fixed repository, whatever the machine's git remote or CI.
EDIT_URL = "https://git.example.org/owner/anliku/edit/main/{path}"


def build(cases: Path, site_dir: Path, offline: bool = False, env: dict | None = None) -> subprocess.CompletedProcess:
    """`casebook build` from the repo root with the project's mkdocs.yml; asserts success."""
    args = ["build", "--cases", str(cases), "--site-dir", str(site_dir)] + (["--offline"] if offline else [])
    result = run_casebook(*args, env={"CASEBOOK_EDIT_URL": EDIT_URL, **(env or {})})
    assert result.returncode == 0, result.stdout + result.stderr
    return result
