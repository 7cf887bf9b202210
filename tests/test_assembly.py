"""The one assembly (site/generate.py `assemble`): the fixture library's pages and files as text,
compared with golden copies in tests/golden/assembly/. Most of what a page says is tested here,
fast, without MkDocs; the real builds in test_site.py check what only the engine shows.

After a deliberate change, regenerate and review the diff:

    CASEBOOK_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_assembly.py
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from casebook.site.generate import SiteOptions, assemble
from conftest import EDIT_URL, REPO, TODAY, VALID, check

GOLDEN = REPO / "tests" / "golden" / "assembly"
UPDATE = os.environ.get("CASEBOOK_UPDATE_GOLDEN") == "1"


@pytest.fixture(scope="module")
def assembly(tmp_path_factory):
    library = check(VALID, TODAY)
    base = tmp_path_factory.mktemp("no-git")  # no repository: edit links come from CASEBOOK_EDIT_URL only
    options = SiteOptions(base_dir=base, docs_dir=REPO / "docs", directory_urls=True)
    env = {"SOURCE_DATE_EPOCH": "1764806400", "CASEBOOK_EDIT_URL": EDIT_URL}
    return assemble(library, options, env)


def outputs(assembly) -> dict[str, bytes]:
    out = {uri: text.encode("utf-8") for uri, text in assembly.pages.items()}
    out.update(assembly.files)
    out["copies.txt"] = "".join(f"{uri} <- {path.relative_to(REPO).as_posix()}\n" for uri, path in sorted(assembly.copies.items())).encode()
    return out


def test_assembly_matches_the_golden_copies(assembly) -> None:
    made = outputs(assembly)
    if UPDATE:
        for path in sorted(GOLDEN.rglob("*"), reverse=True):
            path.unlink() if path.is_file() else path.rmdir()
        for uri, data in made.items():
            (GOLDEN / uri).parent.mkdir(parents=True, exist_ok=True)
            (GOLDEN / uri).write_bytes(data)
    golden = {p.relative_to(GOLDEN).as_posix(): p.read_bytes() for p in GOLDEN.rglob("*") if p.is_file()}
    assert sorted(made) == sorted(golden), "pages added or gone: regenerate (see the module docstring)"
    differ = [uri for uri in made if made[uri] != golden[uri]]
    assert not differ, f"changed: {differ[:10]} (regenerate and review the diff, see the module docstring)"


def test_assembly_is_deterministic(assembly, tmp_path) -> None:
    library = check(VALID, TODAY)
    again = assemble(library, SiteOptions(base_dir=tmp_path, docs_dir=REPO / "docs"),
                     {"SOURCE_DATE_EPOCH": "1764806400", "CASEBOOK_EDIT_URL": EDIT_URL})
    assert outputs(again) == outputs(assembly)


def test_the_golden_copies_can_catch_a_change(assembly) -> None:
    """The comparison is not vacuous: one changed character in one page is a difference."""
    made = outputs(assembly)
    uri = next(u for u in sorted(made) if u.startswith("cases/") and u.endswith(".md"))
    changed = made[uri].replace("基本情况".encode(), "基本状况".encode(), 1)
    assert changed != made[uri] and changed != (GOLDEN / uri).read_bytes()
