"""The file system is input too (issue 19), tested with real objects: symbolic links, upper-case
extensions, names that collide on Windows and macOS, folders and files that cannot be read or
written, a full disk, the scratch folders of a killed build.

Permission tests drop root's privileges for the command (`setpriv` to `nobody`): as root, the
kernel would let every read and write through. The full disk is a real 64 KB tmpfs mount.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unicodedata
from pathlib import Path

import pytest

from casebook.core.load import walk_library
from casebook.core.model import printable
from casebook.site.build import remove_leftovers, replacing
from conftest import MINIMAL_CASE, REPO, VALID, check, make_library

SECRET = "SECRET-TOKEN-do-not-print"
PNG = (VALID / "assets" / "cover.png").read_bytes()  # an image file that is one (E421 reads its first bytes)


def rel(path: str, root: Path) -> str:
    """A finding's path relative to the library, links not followed (they may point anywhere)."""
    return Path(os.path.relpath(os.path.abspath(path), root)).as_posix()


def codes(library, root: Path) -> list[tuple[str, str]]:
    return sorted((rel(f.path, root), f.code) for f in library.findings if f.severity == "error")


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder beside the library holding what must never get in."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret.md").write_text(f"{SECRET}\n---\nid: x\n---\n", "utf-8")
    (folder / "secret.png").write_bytes(SECRET.encode())
    (folder / "case.md").write_text(MINIMAL_CASE.format(id="linked"), "utf-8")
    return folder


# -- symbolic links ----------------------------------------------------------------------------------

def test_a_symlink_out_of_the_library_is_refused_and_never_read(tmp_path, outside, run_cli) -> None:
    root = make_library(tmp_path / "lib", {"a.md": MINIMAL_CASE.format(id="a")})
    (root / "linked.md").symlink_to(outside / "case.md")  # a valid case, but not the library's
    (root / "secret.md").symlink_to(outside / "secret.md")  # its first line would be echoed by E102
    (root / "assets" / "logo.png").symlink_to(outside / "secret.png")
    (root / "docs").symlink_to(outside, target_is_directory=True)
    (root / "dangling.png").symlink_to(tmp_path / "nowhere.png")
    library = check(root)
    assert codes(library, root) == [("assets/logo.png", "E701"), ("dangling.png", "E701"), ("docs", "E701"),
                                    ("linked.md", "E701"), ("secret.md", "E701")]
    assert [c.id for c in library.cases] == ["a"] and "assets/logo.png" not in library.assets
    result = run_cli("validate", "--cases", root)
    assert result.returncode == 1 and SECRET not in result.stdout + result.stderr
    built = run_cli("build", "--cases", root, "--site-dir", tmp_path / "site")
    assert built.returncode == 1 and not (tmp_path / "site").exists()


def test_a_link_inside_the_library_publishes_only_what_the_library_publishes_itself(tmp_path, run_cli) -> None:
    """A link is published under its own name: one to a hidden file (.env, .git/config) or to a
    file of another kind (a draft's source behind a .txt) would publish that file renamed. E701,
    never read; a link to an image of the library stays usable."""
    draft = MINIMAL_CASE.format(id="d").replace("source: 测试资料", "source: 测试资料\nstatus: draft").replace("测试做法。", SECRET)
    root = make_library(tmp_path / "lib", {"a.md": MINIMAL_CASE.format(id="a"), "d.md": draft})
    (root / ".env").write_text(f"TOKEN={SECRET}\n", "utf-8")
    (root / ".git").mkdir()
    (root / ".git" / "config.csv").write_text(SECRET, "utf-8")
    (root / "assets" / "notes.txt").symlink_to("../.env")
    (root / "assets" / "cfg.csv").symlink_to("../.git/config.csv")
    (root / "assets" / "draft.txt").symlink_to("../d.md")
    (root / "assets" / "same.png").symlink_to("cover.png")
    (root / "assets" / "upper.PNG").symlink_to("cover.png")  # the same kind, whatever the case
    library = check(root)
    assert codes(library, root) == [("assets/cfg.csv", "E701"), ("assets/draft.txt", "E701"), ("assets/notes.txt", "E701")]
    assert {"assets/same.png", "assets/upper.PNG"} <= set(library.assets)
    for name in ("cfg.csv", "draft.txt", "notes.txt"):
        (root / "assets" / name).unlink()
    site = tmp_path / "site"
    assert run_cli("build", "--cases", root, "--site-dir", site).returncode == 0
    (root / "assets" / "draft.txt").symlink_to("../d.md")
    assert run_cli("build", "--cases", root, "--site-dir", site).returncode == 1
    published = [p for p in site.rglob("*") if p.is_file()]
    assert (site / "cases" / "assets" / "same.png").read_bytes() == PNG
    assert not any(SECRET.encode() in p.read_bytes() for p in published)


def test_special_files_are_refused_at_once_and_never_opened(tmp_path, run_cli) -> None:
    """A named pipe or a socket in the library: reading one waits for ever (validate hung on a pipe
    named f.md, f.png or taxonomy.yml; the build stopped at one named f.pdf). E705 for each, E601
    for the vocabulary, in well under the time limit."""
    import socket

    root = make_library(tmp_path / "lib", {"a.md": MINIMAL_CASE.format(id="a")})
    for name in ("f.md", "assets/f.png", "assets/f.pdf", "assets/g.svg"):
        os.mkfifo(root / name)
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(root / "assets" / "s.pdf"))
        (root / "assets" / "p.pdf").symlink_to("f.pdf")  # a link to a pipe
        result = _entry_point_with_timeout("validate", "--cases", root, cwd=tmp_path)
        found = sorted((line.split(" ")[0], line.split(" ")[1]) for line in result.stdout.splitlines() if line.startswith("lib/"))
        assert found == [("lib/assets/f.pdf:1:", "E705"), ("lib/assets/f.png:1:", "E705"), ("lib/assets/g.svg:1:", "E705"),
                         ("lib/assets/p.pdf:1:", "E701"), ("lib/assets/s.pdf:1:", "E705"), ("lib/f.md:1:", "E705")], result.stdout
        assert "命名管道" in result.stdout and result.returncode == 1
        (root / "taxonomy.yml").unlink()
        os.mkfifo(root / "taxonomy.yml")
        result = _entry_point_with_timeout("validate", "--cases", root, cwd=tmp_path)
        assert "lib/taxonomy.yml:1: E601 无法读取词表文件 taxonomy.yml（不是普通文件）" in result.stdout, result.stdout
        assert "E705" not in [line.split(" ")[1] for line in result.stdout.splitlines() if "taxonomy.yml" in line]


def _entry_point_with_timeout(*args, cwd: Path) -> subprocess.CompletedProcess:
    """`python -m casebook ARGS` that fails the test, instead of hanging it, when it waits on a file."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "NO_MKDOCS_2_WARNING": "1"}
    try:
        return subprocess.run([sys.executable, "-m", "casebook", *map(str, args)], cwd=cwd, env=env,
                              capture_output=True, text=True, timeout=60, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"casebook {' '.join(map(str, args))} still running after 60 s: it is waiting on a file")


def test_a_name_that_is_not_utf8_is_refused_and_the_offline_copy_is_not_attempted(tmp_path, run_cli) -> None:
    """A name made of bytes that are not UTF-8 (written on another system in GBK): no address or
    zip entry can carry it (the offline build stopped with a traceback in zipfile). E706."""
    root = make_library(tmp_path / "lib", {"a.md": MINIMAL_CASE.format(id="a")})
    name = os.fsdecode(b"assets/\xb2\xe2\xca\xd4.pdf")  # 测试 in GBK
    (root / name).write_bytes(b"%PDF-1.4\n")
    library = check(root)
    assert [(f.code, f.line) for f in library.findings] == [("E706", 1)] and "UTF-8" in library.findings[0].message
    result = run_cli("build", "--cases", root, "--site-dir", tmp_path / "offline", "--offline", "--zip", tmp_path / "dist")
    assert result.returncode == 1 and "Traceback" not in result.stderr and not (tmp_path / "dist").exists()


def test_a_taxonomy_linked_out_of_the_library_is_not_read(tmp_path, outside, run_cli) -> None:
    root = make_library(tmp_path / "lib", {"a.md": MINIMAL_CASE.format(id="a")})
    (outside / "vocabulary.yml").write_text(f"{SECRET}: [x]\n", "utf-8")  # its keys would be echoed by W601
    (root / "taxonomy.yml").unlink()
    (root / "taxonomy.yml").symlink_to(outside / "vocabulary.yml")
    for cwd in (tmp_path, root):
        result = run_cli("validate", "--cases", root, cwd=cwd)
        assert result.returncode == 1 and SECRET not in result.stdout + result.stderr and "outside" not in result.stdout
        assert [line.split(" ")[1] for line in result.stdout.splitlines() if "taxonomy.yml" in line] == ["E701"], result.stdout
    (root / "taxonomy.yml").unlink()
    (root / "taxonomy.yml").symlink_to("/etc/passwd")  # read, it would be E602 "实际是文字"
    assert [f.code for f in check(root).findings] == ["E701"]


def test_a_mkdocs_yml_in_the_library_is_never_loaded(tmp_path, run_cli) -> None:
    """MkDocs reads its configuration with PyYAML's full loader: a `!!python` tag runs code. A
    library is contributors' input, so no file of it is taken for the configuration: not found by
    looking (validate, book), not as build's default ./mkdocs.yml, not when named."""
    body = "测试做法（[链接](https://example.org/)）。"  # a link: validate renders the page with the configuration
    root = make_library(tmp_path / "lib", {"a.md": MINIMAL_CASE.format(id="a").replace("测试做法。", body)})
    marker = tmp_path / "ran.txt"
    (root / "mkdocs.yml").write_text(f"site_name: x\nfoo: !!python/object/apply:pathlib.Path.touch [{str(marker)!r}]\n", "utf-8")
    config = ("--config-file", root / "mkdocs.yml")
    runs = [  # (cwd, arguments, refused as configuration: else validated without one)
        (tmp_path, ["validate"], False),
        (root, ["validate"], False),
        (root, ["book", "--out", tmp_path / "dist", "--format", "docx"], False),
        (root, ["build", "--site-dir", tmp_path / "site"], True),
        (tmp_path, ["validate", *config], True),
        (tmp_path, ["build", "--site-dir", tmp_path / "site", *config], True),
        (tmp_path, ["serve", "--port", "0", *config], True),
        (tmp_path, ["validate", "--config-file", tmp_path / "outer.yml"], True),  # INHERITs the library's file
    ]
    (tmp_path / "outer.yml").write_text((REPO / "mkdocs.yml").read_text("utf-8") + "\nINHERIT: lib/mkdocs.yml\n", "utf-8")
    for cwd, args, refused in runs:
        result = run_cli(*args, "--cases", root, cwd=cwd)
        said = result.stdout + result.stderr
        assert not marker.exists(), (args, said)
        assert "Traceback" not in said
        if refused:
            assert result.returncode == 2 and "在案例库里面" in result.stderr, (args, said)
        else:
            assert result.returncode == 1 and "E703" in said and "找不到 MkDocs 配置" in result.stderr, (args, said)
    assert not (tmp_path / "site").exists()


def test_a_symlink_inside_the_library_is_a_file_of_it(tmp_path) -> None:
    root = make_library(tmp_path / "lib", {"a.md": MINIMAL_CASE.format(id="a").replace("测试做法。", "![图](assets/alias.png)")})
    (root / "assets" / "alias.png").symlink_to(root / "assets" / "cover.png")
    library = check(root)
    assert library.errors == () and "assets/alias.png" in library.assets


# -- files that are not what they seem ----------------------------------------------------------------

def test_every_file_is_a_case_an_asset_or_an_error(tmp_path) -> None:
    root = make_library(tmp_path / "lib", {
        "a.md": MINIMAL_CASE.format(id="a"),
        "b.MD": MINIMAL_CASE.format(id="b").replace("13800138000", ""),
        "c.markdown": MINIMAL_CASE.format(id="c"),
        "assets/d.md": MINIMAL_CASE.format(id="d"),
        "notes.rtf": "x", "LICENSE": "x", "tool.exe": "x",
        "assets/plan.pdf": "%PDF", "assets/table.xlsx": "x",
        ".hidden.md": "not a case", ".git/config": "[core]", "assets/Thumbs.db": "x", "desktop.ini": "x",
    })
    library = check(root)
    assert codes(library, root) == [("LICENSE", "E703"), ("assets/d.md", "E702"), ("b.MD", "E702"),
                                    ("c.markdown", "E702"), ("notes.rtf", "E703"), ("tool.exe", "E703")]
    assert library.assets == ("assets/cover.png", "assets/plan.pdf", "assets/table.xlsx")
    message = next(f.message for f in library.findings if f.code == "E702" and f.path.endswith("b.MD"))
    assert "b.md" in message  # says what to rename it to


def test_an_upper_case_case_file_is_not_published_unchecked(tmp_path, run_cli) -> None:
    phone = MINIMAL_CASE.format(id="x").replace("测试做法。", "联系电话 13812345678。")
    root = make_library(tmp_path / "lib", {"a.md": MINIMAL_CASE.format(id="a"), "x.MD": phone})
    result = run_cli("build", "--cases", root, "--site-dir", tmp_path / "site")
    assert result.returncode == 1 and "E702" in result.stderr
    assert not (tmp_path / "site").exists()


def test_names_that_collide_on_windows_and_macos(tmp_path) -> None:
    nfc, nfd = unicodedata.normalize("NFC", "café"), unicodedata.normalize("NFD", "café")
    root = make_library(tmp_path / "lib", {"a.md": MINIMAL_CASE.format(id="a")})
    for name in ("Logo.png", "logo.png", f"{nfc}.png", f"{nfd}.png"):
        (root / "assets" / name).write_bytes(PNG)
    if len(list((root / "assets").iterdir())) < 5:
        pytest.fail("this file system folds names itself: run on Linux")
    library = check(root)
    found = [(rel(f.path, root), f.code) for f in library.findings]
    assert sorted(found) == sorted([("assets/Logo.png", "E704"), ("assets/logo.png", "E704"),
                                    (f"assets/{nfc}.png", "E704"), (f"assets/{nfd}.png", "E704")])
    message = next(f.message for f in library.findings if f.path.endswith("Logo.png"))
    assert "assets/logo.png" in message  # names the other file


def test_a_file_and_a_folder_that_differ_only_by_case_collide(tmp_path) -> None:
    root = make_library(tmp_path / "lib", {"a.md": MINIMAL_CASE.format(id="a")})
    (root / "assets" / "x.pdf").write_bytes(b"%PDF-1.4\n")
    (root / "assets" / "X.pdf").mkdir()
    (root / "assets" / "X.pdf" / "y.png").write_bytes(PNG)
    (root / "Assets").mkdir()  # two folders merge into one there: nothing is lost
    (root / "Assets" / "z.png").write_bytes(PNG)
    library = check(root)
    assert [(rel(f.path, root), f.code) for f in library.findings] == [("assets/x.pdf", "E704")]
    assert "“assets/X.pdf/”" in library.findings[0].message


WINDOWS_NAMES = ["a:b.png", "a?b.png", 'a"b.png', "a<b>.png", "a|b.png", "a*b.png", "a\\b.png", "a\tb.png",
                 "a.png.", "a.png ", "nul.png", "CON.pdf", "com1.txt", "lpt9.png", "prn", "aux.png"]


def test_names_windows_cannot_hold_are_refused_and_not_published(tmp_path, run_cli) -> None:
    """The offline copy is unpacked on Windows: a name it cannot hold (reserved characters, a
    trailing dot or space, a device name) is E706, named, and left out; names close to them pass."""
    root = make_library(tmp_path / "lib", {"a.md": MINIMAL_CASE.format(id="a")})
    for name in WINDOWS_NAMES + ["console.png", "nul-a.png", "com10.png", "a.b.png", "（图）[1].png"]:
        (root / "assets" / name).write_bytes(PNG if name.endswith(".png") else b"x")
    (root / "sub:dir").mkdir()
    (root / "sub:dir" / "b.png").write_bytes(PNG)
    library = check(root)
    found = sorted((rel(f.path, root), f.code, f.line) for f in library.findings)
    expected = sorted([(rel(printable(str(root / "assets" / name)), root), "E706", 1) for name in WINDOWS_NAMES] + [("sub:dir/b.png", "E706", 1)])
    assert found == expected
    assert ("assets/a\\tb.png", "E706", 1) in found  # a control character is shown escaped, not sent to the terminal
    message = next(f.message for f in library.findings if f.path.endswith("a:b.png"))
    assert "“a:b.png”含有字符“:”" in message
    assert "设备名“CON”" in next(f.message for f in library.findings if f.path.endswith("CON.pdf"))
    assert "sub:dir/b.png" not in walk_library(root).files and "assets/console.png" in walk_library(root).files
    result = run_cli("build", "--cases", root, "--site-dir", tmp_path / "site")
    assert result.returncode == 1 and "E706" in result.stderr and not (tmp_path / "site").exists()


def test_a_file_where_a_page_is_written_is_refused(tmp_path, run_cli) -> None:
    """A folder `<id>.html/` (or one at a former id, in any case) holds files the offline copy
    would write where the case's page `cases/<id>.html` goes: E707, and the build stops before
    writing anything; folders and names beside a page's place pass."""
    case = MINIMAL_CASE.format(id="a").replace("id: a\n", "id: a\naliases: [old]\n")
    root = make_library(tmp_path / "lib", {"a.md": case})
    refused = ["a.html/x.png", "A.Html/y.png", "old.html/z.pdf"]
    passing = ["a/x.png", "a.htm/x.png", "a.html.png", "ab.html/x.png", "old/a.html/x.png", "b.html/x.png"]
    for name in refused + passing:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(PNG if name.endswith(".png") else b"%PDF-1.4\n")
    library = check(root)
    assert sorted((rel(f.path, root), f.code, f.line) for f in library.findings) == sorted((n, "E707", 1) for n in refused)
    message = next(f.message for f in library.findings if f.path.endswith("a.html/x.png"))
    assert "cases/a.html/x.png" in message and "“cases/a.html”" in message
    for offline in ([], ["--offline"]):
        result = run_cli("build", "--cases", root, "--site-dir", tmp_path / "site", *offline)
        assert result.returncode == 1 and "E707" in result.stderr and "Traceback" not in result.stderr
        assert not (tmp_path / "site").exists()
    for name in refused:
        shutil.rmtree(root / name.split("/")[0])
    assert not check(root).findings
    result = run_cli("build", "--cases", root, "--site-dir", tmp_path / "site", "--offline")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "site" / "cases" / "a.html.png").is_file() and (tmp_path / "site" / "cases" / "a.html").is_file()


def test_the_gate_decides_once_for_every_stage(tmp_path) -> None:
    root = make_library(tmp_path / "lib", {"a.md": MINIMAL_CASE.format(id="a"), "sub/b.md": MINIMAL_CASE.format(id="b")})
    found = walk_library(root)
    assert [p.relative_to(root).as_posix() for p in found.cases] == ["a.md", "sub/b.md"]
    assert found.files >= {"a.md", "sub/b.md", "taxonomy.yml", "assets/cover.png"}
    assert found.assets == ("assets/cover.png",) and found.problems == ()


# -- what cannot be read or written: one sentence, nothing half-written --------------------------------

def as_nobody(*args, cwd: Path) -> subprocess.CompletedProcess:
    """`python -m casebook ARGS` without root's privileges (as root, no permission is ever denied)."""
    cmd = [sys.executable, "-m", "casebook", *map(str, args)]
    if os.geteuid() == 0:
        cmd = ["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups", *cmd]
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "NO_MKDOCS_2_WARNING": "1", "HOME": str(cwd)}
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture
def shared() -> Path:
    """A folder `nobody` can enter (pytest's own temporary folders are root's alone)."""
    folder = Path(tempfile.mkdtemp(prefix="casebook-fs-"))
    folder.chmod(0o755)
    yield folder
    subprocess.run(["chmod", "-R", "u+rwx", str(folder)], check=False)
    shutil.rmtree(folder, ignore_errors=True)


def world_readable(root: Path) -> None:
    for path in [root, *root.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)


def one_sentence(result: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("casebook:")]
    assert lines, result.stderr


def test_unreadable_folder_and_file_are_findings(shared) -> None:
    root = make_library(shared / "lib", {"a.md": MINIMAL_CASE.format(id="a"), "locked/b.md": MINIMAL_CASE.format(id="b"),
                                         "c.md": MINIMAL_CASE.format(id="c")})
    world_readable(root)
    (root / "locked").chmod(0o000)
    (root / "c.md").chmod(0o000)
    result = as_nobody("validate", "--cases", root, cwd=shared)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    found = {tuple(line.split(" ", 2)[:2]) for line in result.stdout.splitlines() if line.startswith("lib/")}
    assert ("lib/locked:1:", "E705") in found and ("lib/c.md:1:", "E101") in found


def test_files_published_as_they_are_must_be_readable(shared) -> None:
    """A PDF nobody may read, or one in a folder nobody may enter: validate passed and the build
    stopped on it. E705 for each; the build is not attempted."""
    root = make_library(shared / "lib", {"a.md": MINIMAL_CASE.format(id="a")})
    (root / "assets" / "doc.pdf").write_bytes(b"%PDF-1.4\n")
    (root / "closed").mkdir()
    (root / "closed" / "in.pdf").write_bytes(b"%PDF-1.4\n")
    world_readable(root)
    (root / "assets" / "doc.pdf").chmod(0o000)
    (root / "closed").chmod(0o644)  # its names can be listed, its files not opened
    result = as_nobody("validate", "--cases", root, cwd=shared)
    found = sorted(tuple(line.split(" ", 2)[:2]) for line in result.stdout.splitlines() if line.startswith("lib/"))
    assert found == [("lib/assets/doc.pdf:1:", "E705"), ("lib/closed/in.pdf:1:", "E705")], result.stdout + result.stderr
    built = as_nobody("build", "--cases", root, "--site-dir", shared / "site", cwd=REPO)
    assert built.returncode == 1 and "E705" in built.stdout + built.stderr and not (shared / "site").exists()


def test_unwritable_outputs_are_one_sentence_and_leave_nothing(shared) -> None:
    root = make_library(shared / "lib", {"a.md": MINIMAL_CASE.format(id="a").replace("测试做法。", '<p style="x">做法</p>')})
    world_readable(root)
    (shared / "out").mkdir(mode=0o755)  # root's: nobody may not write in it
    (shared / "file").write_text("x")
    config = REPO / "mkdocs.yml"
    runs = {
        "build into a read-only folder": ("build", "--cases", root, "--site-dir", shared / "out" / "site", "--config-file", config),
        "build below a regular file": ("build", "--cases", root, "--site-dir", shared / "file" / "site", "--config-file", config),
        "book into a read-only folder": ("book", "--cases", root, "--out", shared / "out", "--format", "docx"),
        "stage into a read-only folder": ("stage", "--cases", root, "--out", shared / "out" / "stage", "--config-file", config),
        "fix a read-only case file": ("validate", "--cases", root, "--fix", "--config-file", config),
    }
    (root / "a.md").chmod(0o444)
    root.chmod(0o555)
    for what, args in runs.items():
        result = as_nobody(*args, cwd=shared)
        assert result.returncode in (1, 2), (what, result.stdout, result.stderr)
        one_sentence(result)
    assert list((shared / "out").iterdir()) == [] and (shared / "file").read_text() == "x"
    assert sorted(p.name for p in root.iterdir()) == ["a.md", "assets", "taxonomy.yml"]  # no partial file
    assert 'style="x"' in (root / "a.md").read_text("utf-8")


# Runs inside a private mount namespace: mounts a 16 KiB tmpfs on DISK, writes old.txt, runs the
# commands given as JSON lists, prints [[returncode, stderr], ...] and the folder's listing as JSON.
_ON_SMALL_DISK = """
import json, os, subprocess, sys
disk, commands = sys.argv[1], json.loads(sys.argv[2])
subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", disk], check=True)
with open(os.path.join(disk, "old.txt"), "w") as f:
    f.write("old")
env = {**os.environ, "PYTHONIOENCODING": "utf-8", "NO_MKDOCS_2_WARNING": "1"}
out = []
for command in commands:
    r = subprocess.run([sys.executable, "-m", "casebook", *command], env=env, capture_output=True, text=True)
    out.append([r.returncode, r.stderr, sorted(os.listdir(disk))])
print(json.dumps(out))
"""


def test_a_full_disk_is_one_sentence_and_keeps_the_old_output(tmp_path) -> None:
    """A real 16 KB file system (tmpfs): neither the book's Word file nor the site fits. Mounted in a
    private mount namespace (as root), or in a user namespace where a user may make one."""
    disk = tmp_path / "disk"
    disk.mkdir()
    commands = [["book", "--cases", str(VALID), "--out", str(disk), "--format", "docx"],
                ["build", "--cases", str(VALID), "--site-dir", str(disk / "site")]]
    unshare = ["unshare", "--mount"] if os.geteuid() == 0 else ["unshare", "--user", "--map-root-user", "--mount"]
    if shutil.which("unshare") is None:
        pytest.skip("unshare (util-linux) is missing: cannot make a small file system here")
    ran = subprocess.run([*unshare, sys.executable, "-c", _ON_SMALL_DISK, str(disk), json.dumps(commands)],
                         cwd=REPO, capture_output=True, text=True, encoding="utf-8", timeout=300, check=False)
    if ran.returncode != 0 and not ran.stdout:
        pytest.skip(f"this machine lets no one here mount a small file system (root or user namespaces needed): {ran.stderr.strip()[-300:]}")
    (book_rc, book_err, after_book), (site_rc, site_err, after_site) = json.loads(ran.stdout)
    assert book_rc == 1 and "磁盘空间不足" in book_err and "Traceback" not in book_err, book_err
    assert after_book == ["old.txt"]  # no partial file
    assert site_rc == 1 and "磁盘空间不足" in site_err and "Traceback" not in site_err, site_err
    assert after_site == ["old.txt"]


# -- scratch folders ---------------------------------------------------------------------------------

def test_leftovers_of_a_killed_build_are_removed_and_ignored_by_git(tmp_path) -> None:
    site = tmp_path / "site"
    dead = tmp_path / ".site.new-999999999-abc"
    mine = tmp_path / f".site.new-{os.getpid()}-def"
    old = tmp_path / ".site.old-999999999-ghi"
    for folder in (dead, mine, old):
        (folder / "x").mkdir(parents=True)
    with replacing(site) as scratch:
        (scratch / "index.html").write_text("new")
    assert not dead.exists() and not old.exists() and mine.exists()  # a running build keeps its own
    assert (site / "index.html").read_text() == "new"
    assert remove_leftovers(site) == []
    ignored = subprocess.run(["git", "check-ignore", "--no-index", ".site.new-123-abc/x", "build/.offline.old-5-x/y",
                              "dist/.a.zip.part-7"], cwd=REPO, capture_output=True, text=True)
    assert len(ignored.stdout.split()) == 3, ignored.stdout


def test_a_failed_write_leaves_the_old_tree(tmp_path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "old.html").write_text("old")
    with pytest.raises(RuntimeError), replacing(site) as scratch:
        (scratch / "half.html").write_text("half")
        raise RuntimeError("killed")
    assert [p.name for p in tmp_path.iterdir()] == ["site"] and (site / "old.html").read_text() == "old"
