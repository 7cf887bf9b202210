"""The package's layers: core/ imports no other part of casebook; site/, contrib/ and book/ import
only core/ (and themselves), never each other. Only cli.py and __main__.py see everything."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "scripts" / "casebook"
LAYERS = ("core", "site", "contrib", "book")
ALLOWED = {"core": {"core"}, **{layer: {layer, "core"} for layer in LAYERS[1:]}}


def imported_parts(source: str, module: tuple[str, ...]) -> set[str]:
    """The top-level parts of casebook (core, site, cli, ...) a module imports.
    `module` is its dotted path below casebook, e.g. ("site", "plugin")."""
    parts = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the module's own package
                base = list(module[:-1])[: len(module) - node.level]
                target = base + (node.module.split(".") if node.module else [])
            elif node.module and node.module.split(".")[0] == "casebook":
                target = node.module.split(".")[1:]
            else:
                continue
            names = [alias.name for alias in node.names]
            parts.update([target[0]] if target else names)  # `from .. import site` names the part
        elif isinstance(node, ast.Import):
            for alias in node.names:
                dotted = alias.name.split(".")
                if dotted[0] == "casebook" and len(dotted) > 1:
                    parts.add(dotted[1])
    return parts


def crossings(package: Path = PACKAGE) -> list[str]:
    found = []
    for path in sorted(package.rglob("*.py")):
        module = path.relative_to(package).with_suffix("").parts
        layer = module[0]
        if layer not in ALLOWED:
            continue  # cli.py, __main__.py, __init__.py: the top sees everything
        for part in sorted(imported_parts(path.read_text(encoding="utf-8"), module) - ALLOWED[layer]):
            found.append(f"{path.relative_to(package)} imports casebook.{part}")
    return found


def test_every_module_lives_in_a_layer():
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert top == ["__init__.py", "__main__.py", "cli.py"]
    assert sorted(p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__") == sorted(LAYERS)


def test_layers_import_only_core():
    assert crossings() == []


@pytest.mark.parametrize(
    ("layer", "source", "crossed"),
    [
        ("site", "from ..contrib.drafts import Draft\n", "contrib"),
        ("contrib", "from ..site import render\n", "site"),
        ("book", "from casebook.site.render import esc\n", "site"),
        ("core", "from ..book.fonts import MONO\n", "book"),
        ("core", "import casebook.cli\n", "cli"),
        ("site", "def f():\n    from .. import contrib\n", "contrib"),
    ],
)
def test_a_crossing_import_is_caught(tmp_path, layer, source, crossed):
    """The check can fail: a copy of the package with one forbidden import planted."""
    for name in (*LAYERS, ""):
        (tmp_path / name).mkdir(exist_ok=True)
    (tmp_path / layer / "planted.py").write_text(source, encoding="utf-8")
    assert crossings(tmp_path) == [f"{layer}/planted.py imports casebook.{crossed}"]


def test_allowed_imports_pass(tmp_path):
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "ok.py").write_text(
        "from . import charts\nfrom ..core.index import Index\nfrom casebook.core import schema\nimport yaml\n",
        encoding="utf-8",
    )
    assert crossings(tmp_path) == []
