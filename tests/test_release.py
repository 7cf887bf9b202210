"""What a release hands out can be checked: SHA256SUMS (scripts/casebook/site/checksums.py,
`casebook checksums`), the CycloneDX SBOM (`make sbom`), and the reader's instructions in the
zip's 使用说明.txt and on the overview page.

The checksum list is checked against the real coreutils `sha256sum -c` and `shasum -a 256 -c`
(what a reader runs), the SBOM against requirements.lock itself.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from casebook.site import checksums
from casebook.site.build import readme_text
from casebook.site.provenance import MANIFEST_FIELDS, Manifest
from conftest import REPO

SBOM_NAME = "liangxin-dangjian-anliku-sbom.cdx.json"


# -- SHA256SUMS ------------------------------------------------------------------------------------

def test_sha256sums_format():
    text = checksums.sha256sums({"b.zip": "A" * 64, "a.pdf": "0" * 64})
    assert text == f"{'0' * 64}  a.pdf\n{'a' * 64}  b.zip\n"  # sorted by name, lower-case hex, 2 spaces
    assert checksums.sha256sums({}) == ""


@pytest.mark.parametrize("name", ["a\nb.zip", "a\\b.zip", "sub/a.zip", "a\rb.pdf"])
def test_names_sha256sum_would_escape_are_refused(name):
    with pytest.raises(checksums.ChecksumError):
        checksums.sha256sums({name: "0" * 64})


@pytest.mark.parametrize("digest", ["0" * 63, "g" * 64, "0" * 65, ""])
def test_only_sha256_digests(digest):
    with pytest.raises(checksums.ChecksumError):
        checksums.sha256sums({"a.zip": digest})


names = st.text(alphabet=st.sampled_from(list("abcXYZ019._-") + ["案", "例", " "]), min_size=1, max_size=12).map(str.strip).filter(
    lambda n: n and not n.startswith("."))
files = st.dictionaries(st.tuples(names, st.sampled_from([".zip", ".pdf", ".docx", ".cdx.json"])).map("".join),
                        st.binary(max_size=300), max_size=5)


@settings(max_examples=25, deadline=None)
@given(files)
def test_written_list_is_what_sha256sum_and_shasum_accept(tmp_path_factory, files):
    """Any set of release files: the written SHA256SUMS names each once, with the digest hashlib
    computes, and the tools readers use accept it; a changed byte is caught."""
    folder = tmp_path_factory.mktemp("dist")
    for name, data in files.items():
        (folder / name).write_bytes(data)
    (folder / "notes.txt").write_text("不发布的文件")  # not a distributable: not listed
    path, listed = checksums.write_checksums(folder)
    assert path == folder / "SHA256SUMS" and listed == sorted(files)
    lines = path.read_text("utf-8").splitlines()
    assert [line.split("  ", 1)[1] for line in lines] == sorted(files)
    assert all(line.split("  ", 1)[0] == hashlib.sha256(files[line.split("  ", 1)[1]]).hexdigest() for line in lines)
    for tool in (["sha256sum", "--check", "--strict"], ["shasum", "-a", "256", "--check", "--strict"]):
        if files:
            result = subprocess.run([*tool, "SHA256SUMS"], cwd=folder, capture_output=True, text=True, check=False)
            assert result.returncode == 0, result.stdout + result.stderr
    if files:
        victim = folder / sorted(files)[0]
        victim.write_bytes(victim.read_bytes() + b"!")
        result = subprocess.run(["sha256sum", "--check", "SHA256SUMS"], cwd=folder, capture_output=True, text=True, check=False)
        assert result.returncode == 1 and "FAILED" in result.stdout


def test_checksums_command(run_cli, tmp_path):
    (tmp_path / "x-offline-20260101.zip").write_bytes(b"zip")
    (tmp_path / "book.pdf").write_bytes(b"pdf")
    result = run_cli("checksums", tmp_path)
    assert result.returncode == 0, result.stderr
    assert "2 个文件" in result.stdout
    first = (tmp_path / "SHA256SUMS").read_bytes()
    assert run_cli("checksums", tmp_path).returncode == 0 and (tmp_path / "SHA256SUMS").read_bytes() == first  # deterministic
    missing = run_cli("checksums", tmp_path / "nowhere")
    assert missing.returncode == 2 and "找不到目录" in missing.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run_cli("checksums", empty)
    assert result.returncode == 0 and "没有要发布的文件" in result.stderr and (empty / "SHA256SUMS").read_text() == ""


def make(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """`make ARGS` in the repository as a fresh top-level make (not the one running `make test`)."""
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")}
    return subprocess.run(["make", "--no-print-directory", *args], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)


def test_make_site_and_release_write_checksums_last():
    """`make site` writes SHA256SUMS after everything it puts in dist/; `make release` runs the
    tests, then site, then the SBOM, and rewrites SHA256SUMS to cover the SBOM too."""
    recipe = make("-n", "release")
    assert recipe.returncode == 0, recipe.stderr
    site = make("-n", "site").stdout.splitlines()
    assert site[-1].endswith("casebook checksums dist")
    assert any("--zip dist" in line for line in site) and any(line.startswith("cp build/book/") for line in site)
    lines = recipe.stdout.splitlines()
    assert "pytest" in recipe.stdout and lines[-1].endswith("casebook checksums dist")
    order = [next(i for i, line in enumerate(lines) if needle in line) for needle in ("pytest", "--offline --zip dist", "cyclonedx-py")]
    assert order == sorted(order) and order[-1] < len(lines) - 1


# -- the SBOM --------------------------------------------------------------------------------------

def locked() -> dict[str, tuple[str, set[str]]]:
    """requirements.lock: name -> (version, hashes)."""
    text = (REPO / "requirements.lock").read_text("utf-8").replace("\\\n", " ")
    found = {}
    for line in text.splitlines():
        match = re.match(r"^([A-Za-z0-9._-]+)==(\S+)", line)
        if match:
            found[match[1].lower().replace("_", "-")] = (match[2], set(re.findall(r"--hash=sha256:([0-9a-f]{64})", line)))
    return found


@pytest.fixture(scope="module")
def sbom(tmp_path_factory) -> Path:
    """One real run of `make sbom` (cyclonedx-py over requirements.lock) into a scratch folder."""
    out = tmp_path_factory.mktemp("sbom")
    result = make("sbom", f"SBOM_DIR={out}", timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return out / SBOM_NAME


def test_sbom_lists_every_locked_package_with_its_hashes(sbom):
    data = json.loads(sbom.read_text("utf-8"))
    assert data["bomFormat"] == "CycloneDX" and data["specVersion"] == "1.6"
    project = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]
    root = data["metadata"]["component"]
    assert (root["name"], root["version"]) == (project["name"], project["version"])
    lock = locked()
    assert len(lock) > 50
    components = {c["name"].lower().replace("_", "-"): c for c in data["components"]}
    assert set(components) == set(lock)
    for name, (version, hashes) in lock.items():
        component = components[name]
        assert component["version"] == version and component["purl"] == f"pkg:pypi/{name}@{version}", component
        listed = {h["content"] for ref in component.get("externalReferences", []) for h in ref.get("hashes", [])}
        assert listed == hashes, name


def test_sbom_is_reproducible(sbom, tmp_path):
    """No serial number or timestamp: the same lock gives the same bytes."""
    data = json.loads(sbom.read_text("utf-8"))
    assert "serialNumber" not in data and "timestamp" not in data["metadata"]
    again = make("sbom", f"SBOM_DIR={tmp_path}", timeout=300)
    assert again.returncode == 0, again.stderr
    assert (tmp_path / SBOM_NAME).read_bytes() == sbom.read_bytes()


def test_sbom_is_covered_by_the_checksums(sbom, run_cli, tmp_path):
    shutil.copyfile(sbom, tmp_path / SBOM_NAME)
    assert run_cli("checksums", tmp_path).returncode == 0
    assert (tmp_path / "SHA256SUMS").read_text("utf-8").endswith(f"  {SBOM_NAME}\n")


# -- what a reader is told -------------------------------------------------------------------------

def test_manifest_fields_are_all_explained():
    assert list(MANIFEST_FIELDS) == [f.name for f in dataclasses.fields(Manifest)]


def test_readme_says_how_to_check_the_zip():
    text = readme_text("构建于 2026-11-27 · 版本 abc1234 · 3 个案例 · casebook 0.1.0")
    for needle in ("certutil -hashfile 文件名 SHA256", "shasum -a 256 文件名", "sha256sum 文件名", "SHA256SUMS",
                   "build-info.json", "abc1234", "双击", *MANIFEST_FIELDS, *MANIFEST_FIELDS.values()):
        assert needle in text, needle
    assert "`" not in text  # plain text, not Markdown


def test_instructions_are_one_text_in_two_forms():
    """使用说明.txt and the overview say the same words; only the dress differs (code marks, bullets)."""
    def words(lines: list[str]) -> str:
        return re.sub(r"[\s`·：-]", "", "".join(lines))

    plain = checksums.verify_instructions(markdown=False)
    markdown = checksums.verify_instructions(markdown=True)
    assert words(plain) == words(markdown)
    assert "`certutil -hashfile 文件名 SHA256`" in "\n".join(markdown)


def test_the_makefile_and_the_release_workflow_hand_out_the_files_checksums_lists():
    """`make site` clears and the release uploads exactly `checksums.DISTRIBUTABLES` (and
    SHA256SUMS): a book format added there is uploaded too, or this fails."""
    wanted = {f"dist/{pattern}" for pattern in checksums.DISTRIBUTABLES} | {f"dist/{checksums.CHECKSUMS_NAME}"}
    makefile = (REPO / "Makefile").read_text("utf-8")
    cleared = re.search(r"^\trm -f (dist/.*)$", makefile, re.M)
    assert cleared and set(cleared.group(1).split()) == wanted, cleared
    workflow = (REPO / ".github/workflows/release.yml").read_text("utf-8")
    uploaded = re.search(r"files=\((dist/[^)]*)\)", workflow)
    assert uploaded and set(uploaded.group(1).split()) == wanted, uploaded
