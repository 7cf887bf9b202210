"""The plugin's options are declared with MkDocs' config_options: MkDocs itself checks them."""

from __future__ import annotations

import re
import shutil

import pytest
from jinja2 import Environment
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import Files

from casebook.core import report
from casebook.site import engine
from casebook.site.plugin import CasebookPlugin, use_our_worker

from conftest import REPO, VALID, check


def plugin_with(options: dict, config_file: str) -> tuple[CasebookPlugin, list]:
    plugin = CasebookPlugin()
    errors, _ = plugin.load_config(options, config_file_path=config_file)
    return plugin, errors


def test_cases_must_be_an_existing_folder_next_to_mkdocs_yml(tmp_path):
    (tmp_path / "lib").mkdir()
    plugin, errors = plugin_with({"cases": "lib"}, str(tmp_path / "mkdocs.yml"))
    assert errors == []
    assert plugin.config.cases == str(tmp_path / "lib")  # relative to mkdocs.yml, not the cwd
    assert plugin.config.enabled is True and plugin.config.downloads == ""
    _, errors = plugin_with({"cases": "missing"}, str(tmp_path / "mkdocs.yml"))
    assert [name for name, _ in errors] == ["cases"]


def test_disabled_plugin_leaves_the_build_to_mkdocs(tmp_path):
    plugin, errors = plugin_with({"enabled": False, "cases": str(VALID)}, str(tmp_path / "mkdocs.yml"))
    assert errors == []
    config = object()  # never looked at when disabled
    assert plugin.on_config(config) is config
    assert plugin.on_files("files", config=config) == "files"
    env = plugin.on_env(Environment(), config=config, files=None)
    block = '{"workers": "assets/javascripts/workers/search.0123abcd.min.js"}'
    assert env.filters["casebook_search_worker"](block) == block  # Material's own worker stays
    enabled, _ = plugin_with({"cases": str(VALID)}, str(tmp_path / "mkdocs.yml"))
    env = enabled.on_env(Environment(), config=config, files=Files([]))
    assert env.filters["casebook_search_worker"](block) == use_our_worker(block) != block


def test_invalid_library_stops_the_build_with_the_cli_report(tmp_path):
    broken = tmp_path / "lib"
    shutil.copytree(VALID, broken)
    case = broken / "shili-linlibang.md"
    text = case.read_text("utf-8")
    case.write_text(re.sub(r"(?m)^region: .*$", "region: 火星市", text, count=1), "utf-8")
    plugin, errors = plugin_with({"cases": str(broken)}, str(tmp_path / "mkdocs.yml"))
    assert errors == []
    with pytest.raises(PluginError) as raised:
        plugin.on_config(engine.load(REPO / "mkdocs.yml"))
    library = check(broken)
    first, rest = str(raised.value).split("\n", 1)
    assert first == f"案例库校验失败（{len(library.errors)} 个错误）："
    assert rest == report.as_text(library).rstrip()  # one home for the message format
    assert re.search(r"shili-linlibang\.md:\d+: E203 ", rest) and rest.endswith(report.summary(library))


def test_casebook_build_sets_the_plugins_options_whatever_the_config_says(tmp_path, run_cli, monkeypatch):
    """Another --config-file whose casebook options name another library: `casebook build` still
    builds --cases (options are passed explicitly, not through the environment or mkdocs.yml), and
    reads and validates the library once."""
    import casebook.core.library as core_library
    import casebook.site.publish as publish

    text = (REPO / "mkdocs.yml").read_text("utf-8").replace("cases: cases", f"cases: {REPO / 'tests' / 'fixtures' / 'invalid'}")
    other = REPO / "mkdocs-other-test.yml"
    other.write_text(text, "utf-8")
    calls = []
    real = core_library.load_library
    monkeypatch.setattr(publish, "load_library", lambda *a, **k: calls.append(a) or real(*a, **k))
    try:
        result = run_cli("build", "--cases", VALID, "--site-dir", tmp_path / "site", "--config-file", other)
    finally:
        other.unlink()
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(calls) == 1
    assert (tmp_path / "site" / "cases" / "shili-linlibang" / "index.html").is_file()
    assert not (tmp_path / "site" / "cases" / "e101-gbk").exists()


def test_offline_is_an_option_of_the_build_not_of_the_config(tmp_path, run_cli):
    assert "!ENV" not in (REPO / "mkdocs.yml").read_text("utf-8")  # no environment as the interface
    result = run_cli("build", "--cases", VALID, "--site-dir", tmp_path / "off", "--offline", drop=("OFFLINE",))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "off" / "index.html").is_file() and (tmp_path / "off" / "search" / "search_index.js").is_file()


def test_a_config_file_elsewhere_is_read_from_its_own_folder(tmp_path, run_cli):
    """`--config-file` run from another folder: the snippets mkdocs.yml names (CONTRIBUTING.md in
    the contributing guide) are found next to it, as MkDocs finds docs/; a snippet that is missing
    stops the build with a sentence, not a traceback."""
    from conftest import project_copy

    project = project_copy(tmp_path / "project")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    config = engine.load(project / "mkdocs.yml")
    assert config.mdx_configs["pymdownx.snippets"]["base_path"] == [str(project / ".")]
    site = tmp_path / "site"
    result = run_cli("build", "--cases", VALID, "--site-dir", site, "--config-file", project / "mkdocs.yml", cwd=elsewhere)
    assert result.returncode == 0, result.stdout + result.stderr
    guide = (site / "guide" / "contributing" / "index.html").read_text("utf-8")
    first = next(line for line in (REPO / "CONTRIBUTING.md").read_text("utf-8").splitlines() if line.startswith("# "))
    assert first[2:].strip() in guide
    (project / "CONTRIBUTING.md").unlink()
    result = run_cli("build", "--cases", VALID, "--site-dir", tmp_path / "site2", "--config-file", project / "mkdocs.yml", cwd=elsewhere)
    assert result.returncode == 1 and "MkDocs 构建失败" in result.stderr and "CONTRIBUTING.md" in result.stderr, result.stderr
    assert not (tmp_path / "site2").exists()
