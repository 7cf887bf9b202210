"""`casebook stage`: the whole site as a plain docs tree and a config without the casebook plugin,
for an engine that runs no MkDocs plugins (Zensical reads mkdocs.yml but ignores them).

The tree holds the hand-written pages (docs_dir), the generated pages and files, the library's
images and the 案例汇编, from the same `generate` the plugin uses. What the plugin does after
Markdown is rendered cannot be carried by files, so the staged site differs in three ways
(README, “casebook stage”):

- Case pages are not passed through the nh3 allowlist after rendering. The staged tree is only
  written from a library that validates (E401-E413 refuse every tag, attribute and address the
  allowlist would remove), so the HTML is the same; the second line of defence is what is lost.
- Search is Material's own (its worker and lunr index); our prebuilt index and worker
  (search.py) need the plugin: overrides/main.html swaps the worker only when the plugin's Jinja
  filter is there. The rest of overrides/ (关怀模式, zh-CN, the skip link's text) is copied and
  used as it is.
- The header's edit button: the edit link inside each case page remains (it is in the page).

Pure except `write_stage`, which writes the tree.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..core.model import Library
from ..core.scan import snippet_includes
from .errors import BuildError
from .generate import Assembly, SiteOptions, assemble
from .links import unlink_missing_cases

STAGED_DOCS = "docs"
STAGE_HEADER = "# Written by `casebook stage`: a complete docs tree, built without the casebook plugin.\n"
CONFIG_NAME = "mkdocs.yml"


@dataclass(frozen=True)
class Stage:
    config: str  # the staged mkdocs.yml
    generated: Assembly
    docs_dir: Path  # the hand-written pages to copy
    base_dir: Path  # the folder of the original mkdocs.yml
    snippets: tuple[str, ...]  # files the pages include with --8<--, relative to base_dir
    theme_dir: str | None = None  # the theme's custom_dir (overrides/), relative to base_dir


def _get(node: MappingNode, key: str) -> Node | None:
    return next((v for k, v in node.value if isinstance(k, ScalarNode) and k.value == key), None)


def _set(node: MappingNode, key: str, value: str) -> None:
    node.value = [(k, v) for k, v in node.value if not (isinstance(k, ScalarNode) and k.value == key)]
    node.value.append((ScalarNode("tag:yaml.org,2002:str", key), ScalarNode("tag:yaml.org,2002:str", value)))


def _drop(node: MappingNode, key: str) -> None:
    node.value = [(k, v) for k, v in node.value if not (isinstance(k, ScalarNode) and k.value == key)]


def _plugin_name(item: Node) -> str | None:
    if isinstance(item, ScalarNode):
        return item.value
    if isinstance(item, MappingNode) and len(item.value) == 1:
        return item.value[0][0].value
    return None


def staged_config(text: str, copyright: str) -> str:
    """mkdocs.yml without the casebook plugin, reading the staged docs/ (and the theme overrides
    copied beside it). Tags (!ENV, !!python/name ...) pass through untouched: nodes, not values."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if not isinstance(root, MappingNode):
        raise BuildError("MkDocs 配置不是“键: 值”的映射")
    _set(root, "docs_dir", STAGED_DOCS)
    _set(root, "copyright", copyright)
    plugins = _get(root, "plugins")
    if isinstance(plugins, SequenceNode):
        plugins.value = [p for p in plugins.value if _plugin_name(p) != "casebook"]
    elif isinstance(plugins, MappingNode):
        _drop(plugins, "casebook")
    header = STAGE_HEADER
    return header + yaml.serialize(root, allow_unicode=True, width=100)


def snippet_files(docs: Path, base_dir: Path) -> tuple[str, ...]:
    """Files the hand-written pages include with pymdownx.snippets (`--8<-- "CONTRIBUTING.md"`,
    base_path [.]), relative to base_dir: copied to the same place beside the staged config."""
    found: list[str] = []
    for page in sorted(docs.rglob("*.md")):
        for name in snippet_includes(page.read_text(encoding="utf-8")):
            if (base_dir / name).is_file() and name not in found:
                found.append(name)
    return tuple(found)


def prepare_stage(config_path: Path, library: Library, env: Mapping[str, str], downloads: Path | None = None) -> Stage:
    """What `casebook stage` writes, from a library that validated (no errors): the one assembly
    (generate.assemble) with the options the config sets, as MkDocs reads them (engine.site_options:
    `use_directory_urls: no`, `!ENV` values)."""
    from dataclasses import replace

    from . import engine  # MkDocs: loaded for the config only

    config = engine.load(config_path)
    options = replace(engine.site_options(config), downloads=downloads)
    site = assemble(library, options, env)
    text = config_path.read_text(encoding="utf-8")
    return Stage(staged_config(text, site.copyright), site, options.docs_dir, options.base_dir,
                 snippet_files(options.docs_dir, options.base_dir), theme_dir(config.theme.custom_dir, options.base_dir))


def theme_dir(custom_dir: str | None, base_dir: Path) -> str | None:
    """The theme's custom_dir when it is a folder inside the project (copied beside the staged
    config, so the same relative path works there)."""
    if not custom_dir:
        return None
    folder = (base_dir / custom_dir).resolve()
    if not folder.is_relative_to(base_dir) or not folder.is_dir():
        return None
    return folder.relative_to(base_dir).as_posix()


def stage_problem(stage: Stage, out: Path) -> str | None:
    """Why `out` cannot take the staged tree: it would overwrite the project's own files."""
    out, base, docs = out.resolve(), stage.base_dir.resolve(), stage.docs_dir.resolve()
    theme = base / stage.theme_dir if stage.theme_dir else None
    if out == base or out == docs or docs.is_relative_to(out) or out.is_relative_to(docs) or (
            theme is not None and (theme.is_relative_to(out) or out.is_relative_to(theme))):
        return f"输出目录 {out} 与项目的 mkdocs.yml、docs/ 或 {stage.theme_dir}/ 重叠；请换一个空目录"
    if out.is_file():
        return f"输出目录 {out} 是一个文件；请换一个目录"
    if out.is_dir() and any(out.iterdir()) and not _staged_before(out):
        return f"输出目录 {out} 不是空的，也不是 casebook stage 写出的目录；它会被整个替换，请换一个空目录"
    return None


def _staged_before(out: Path) -> bool:
    try:
        return (out / CONFIG_NAME).read_text(encoding="utf-8").startswith(STAGE_HEADER)
    except (OSError, UnicodeDecodeError):
        return False


def write_stage(stage: Stage, out: Path) -> int:
    """Write the tree into the empty folder `out` (the CLI swaps it into place whole); returns the
    file count."""
    docs = out / STAGED_DOCS
    shutil.copytree(stage.docs_dir, docs)
    count = sum(1 for p in docs.rglob("*") if p.is_file())
    pages = stage.generated.pages
    for path in sorted(docs.rglob("*.md")):  # hand-written pages: links to cases this library lacks
        uri = path.relative_to(docs).as_posix()
        text = path.read_text(encoding="utf-8")
        new, _ = unlink_missing_cases(text, uri, lambda u: u in pages or (docs / u).is_file())
        if new != text:
            path.write_text(new, encoding="utf-8", newline="\n")
    for uri, content in {**stage.generated.pages, **stage.generated.files}.items():
        target = docs / uri
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            target.write_text(content, encoding="utf-8", newline="\n")
        else:
            target.write_bytes(content)
        count += 1
    for uri, path in stage.generated.copies.items():
        target = docs / uri
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        count += 1
    if stage.theme_dir:
        theme = out / stage.theme_dir
        shutil.copytree(stage.base_dir / stage.theme_dir, theme)
    for name in stage.snippets:
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(stage.base_dir / name, out / name)
    (out / CONFIG_NAME).write_text(stage.config, encoding="utf-8", newline="\n")
    return count
