"""`casebook stage`: a standalone docs tree that plain MkDocs (no casebook plugin) builds into the
same pages as `casebook build`."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

from casebook.core.sanitize import clean
from conftest import EDIT_URL, REPO, VALID


class AnyTags(yaml.SafeLoader):
    """Reads mkdocs.yml with its !ENV and !!python tags as plain None."""


AnyTags.add_multi_constructor("", lambda loader, suffix, node: None)


# The header's edit button, which only the plugin adds (README: “casebook stage”).
EDIT_BUTTON = re.compile(r'<a [^>]*class="md-content__button[^"]*"[^>]*>.*?</a>', re.S)


def article(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    start, end = text.find("<article"), text.rfind("</article>")
    assert start != -1 and end != -1, path
    return " ".join(clean(EDIT_BUTTON.sub("", text[start:end])).split())  # layout whitespace aside


def html_pages(site: Path) -> set[str]:
    return {p.relative_to(site).as_posix() for p in site.rglob("*.html")}


def test_staged_tree_builds_without_the_plugin_into_the_same_pages(tmp_path, run_cli, build_site):
    out = tmp_path / "stage"
    result = run_cli("stage", "--cases", str(VALID), "--out", str(out), env={"CASEBOOK_EDIT_URL": EDIT_URL})
    assert result.returncode == 0, result.stderr
    config = (out / "mkdocs.yml").read_text(encoding="utf-8")
    plugins = [p if isinstance(p, str) else next(iter(p)) for p in yaml.load(config, Loader=AnyTags)["plugins"]]
    assert "casebook" not in plugins and "search" in plugins
    assert "custom_dir: overrides" in config and (out / "overrides" / "partials" / "palette.html").is_file()
    assert (out / "docs" / "cases" / "assets" / "cover.png").is_file()  # library images
    assert (out / "docs" / "build-info.json").is_file() and (out / "docs" / "cases.csv").is_file()
    assert (out / "docs" / "city-overview.md").is_file()  # hand-written pages
    assert (out / "CONTRIBUTING.md").is_file()  # included by docs/guide/contributing.md

    staged_site = tmp_path / "staged-site"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    plain = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(staged_site)],
                           cwd=out, env=env, capture_output=True, text=True, check=False)
    assert plain.returncode == 0, plain.stderr
    assert "casebook" not in plain.stderr

    built = tmp_path / "built"
    build_site(VALID, built)
    assert html_pages(staged_site) == html_pages(built)
    assert len(html_pages(built)) > 20
    # Every page says the same: its article, compared after the sanitiser normalises how both
    # write their markup (the staged site has no nh3 pass: README, “casebook stage”).
    for page in sorted(html_pages(built)):
        assert article(staged_site / page) == article(built / page), page
    # The staged case pages carry the same content; search stays Material's own (see README).
    case = next(p for p in sorted(html_pages(built)) if p.startswith("cases/") and p.endswith("index.html"))
    staged_page = (staged_site / case).read_text(encoding="utf-8")
    assert "编辑此案例" in staged_page and EDIT_URL.split("{")[0] in staged_page
    assert "workers/search." in staged_page and "search-worker.js" not in staged_page
    # The theme overrides that need no plugin are the same: language, skip link, 关怀模式.
    assert '<html lang="zh-CN"' in staged_page and "跳到正文" in staged_page
    assert "data-cb-care" in staged_page and "assets/javascripts/accessibility.js" in staged_page


def test_stage_refuses_a_library_with_errors_and_the_project_folder(tmp_path, run_cli):
    bad = run_cli("stage", "--cases", str(REPO / "tests" / "fixtures" / "invalid"), "--out", str(tmp_path / "x"))
    assert bad.returncode == 1 and "校验未通过" in bad.stderr
    assert not (tmp_path / "x").exists()
    before = (REPO / "mkdocs.yml").read_bytes()
    clash = run_cli("stage", "--cases", str(VALID), "--out", str(REPO))
    assert clash.returncode == 2 and "重叠" in clash.stderr
    inside = REPO / "overrides" / "staged"  # the overrides are copied into the output: not into themselves
    clash = run_cli("stage", "--cases", str(VALID), "--out", str(inside))
    assert clash.returncode == 2 and "重叠" in clash.stderr and not inside.exists()
    assert (REPO / "mkdocs.yml").read_bytes() == before


def test_stage_reads_the_config_as_mkdocs_reads_it(tmp_path):
    """The staged addresses follow the project's settings as MkDocs reads them (engine.site_options):
    `use_directory_urls: no` is false to YAML and MkDocs (stage once read it as the text "no")."""
    import json
    import shutil

    from casebook.core.library import load_library
    from casebook.site.stage import prepare_stage

    project = tmp_path / "project"
    for name in ("docs", "overrides"):
        shutil.copytree(REPO / name, project / name)
    shutil.copytree(VALID, project / "cases")
    (project / "mkdocs.yml").write_text("use_directory_urls: no\n" + (REPO / "mkdocs.yml").read_text(encoding="utf-8"),
                                        encoding="utf-8")
    stage = prepare_stage(project / "mkdocs.yml", load_library(project / "cases"), {})
    urls = [case["url"] for case in json.loads(stage.generated.files["cases.json"])["cases"]]
    assert urls and all(re.fullmatch(r"cases/[a-z0-9-]+\.html", url) for url in urls), urls
    assert stage.theme_dir == "overrides" and stage.docs_dir == project / "docs"
