"""Where a build comes from: the repository its edit links open, and the manifest a reader sees.

`read_git` is the only part that touches the outside world (it asks git); the rest are pure
functions of what it and the environment say, so each source can be tested on its own.

Edit links never point at a made-up address: the template comes from, in this order,
`CASEBOOK_EDIT_URL` (explicit; `none` switches links off), GitHub Actions' `GITHUB_SERVER_URL` +
`GITHUB_REPOSITORY`, the `origin` remote of the repository (https or ssh form); when none of these
is known there are no edit links at all.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path

EDIT_URL_ENV = "CASEBOOK_EDIT_URL"
SITE_URL_ENV = "CASEBOOK_SITE_URL"
MANIFEST_NAME = "build-info.json"
DEFAULT_BRANCH = "main"


@dataclass(frozen=True)
class GitFacts:
    remote: str | None = None  # `git remote get-url origin`
    branch: str | None = None  # the remote's default branch, else the checked-out one
    commit: str | None = None  # short hash of HEAD
    dirty: bool = False  # uncommitted changes to tracked files


def _git(cwd: Path, *args: str) -> str | None:
    try:
        result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip() or None if result.returncode == 0 else None


def read_git(cwd: Path) -> GitFacts:
    """What git knows about the checkout around `cwd`; empty facts outside a checkout or without git."""
    if _git(cwd, "rev-parse", "--is-inside-work-tree") != "true":
        return GitFacts()
    head = _git(cwd, "symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD")  # origin/main
    branch = head.split("/", 1)[1] if head and "/" in head else _git(cwd, "symbolic-ref", "--quiet", "--short", "HEAD")
    return GitFacts(
        remote=_git(cwd, "remote", "get-url", "origin"),
        branch=branch,
        commit=_git(cwd, "rev-parse", "--short=7", "HEAD"),
        dirty=bool(_git(cwd, "status", "--porcelain", "--untracked-files=no")),
    )


# scp-like `git@host:owner/repo.git`, or a URL `https://[user@]host[:port]/owner/repo[.git]` /
# `ssh://git@host[:port]/owner/repo.git`. Anything else (a local path, file://) names no web page.
_SCP = re.compile(r"^[\w.-]+@(?P<host>[\w.-]+):(?P<path>[^/][\w./-]*?)(?:\.git)?/?$")
_URL = re.compile(r"^(?P<scheme>https?|ssh|git)://(?:[^@/]+@)?(?P<host>[\w.-]+)(?::\d+)?/(?P<path>[\w./-]+?)(?:\.git)?/?$")


def web_url(remote: str) -> str | None:
    """A remote's web address (https://host/owner/repo), credentials and `.git` dropped."""
    remote = remote.strip()
    match = _URL.match(remote) or _SCP.match(remote)
    if not match or "." not in match["host"] or match["path"].count("/") < 1:
        return None
    return f"https://{match['host']}/{match['path']}"


def edit_template_for(repo_web: str, branch: str) -> str:
    """`{path}` in the repository -> its edit page (GitLab spells the route differently)."""
    route = "-/edit" if "gitlab" in repo_web.split("/")[2] else "edit"
    return f"{repo_web}/{route}/{branch}/{{path}}"


def actions_branch(env: Mapping[str, str]) -> str:
    """The branch an Actions run edits: a pull request's target, the pushed branch, else main."""
    if env.get("GITHUB_BASE_REF"):  # pull requests: the head branch may live in a fork
        return env["GITHUB_BASE_REF"]
    if env.get("GITHUB_REF_TYPE") == "branch" and env.get("GITHUB_REF_NAME"):
        return env["GITHUB_REF_NAME"]
    return DEFAULT_BRANCH  # a tag build: edits go to the default branch


def edit_template(env: Mapping[str, str], git: GitFacts) -> str | None:
    """The edit-link template (with `{path}`), or None when no repository is known."""
    explicit = env.get(EDIT_URL_ENV, "").strip()
    if explicit:
        return None if explicit.lower() == "none" else explicit
    server, repository = env.get("GITHUB_SERVER_URL"), env.get("GITHUB_REPOSITORY")
    if server and repository:
        return edit_template_for(f"{server.rstrip('/')}/{repository}", actions_branch(env))
    repo_web = web_url(git.remote) if git.remote else None
    if repo_web:
        return edit_template_for(repo_web, git.branch or DEFAULT_BRANCH)
    return None


# -- the build manifest ------------------------------------------------------------------------

# What each field of build-info.json means, for readers (使用说明.txt, the overview page).
MANIFEST_FIELDS = {
    "commit": "生成这一版的源代码提交（Git 提交号的前 7 位；带 -dirty 表示构建时有未提交的改动）",
    "date": "构建日期",
    "cases": "收录的案例数",
    "version": "构建所用 casebook 程序的版本",
}


@dataclass(frozen=True)
class Manifest:
    commit: str | None  # short hash; "-dirty" when the checkout had uncommitted changes
    date: str  # ISO date of the build
    cases: int  # published cases
    version: str  # casebook's version

    def json(self) -> bytes:
        return (json.dumps(asdict(self), ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")

    def text(self) -> str:
        """One line for the page footer and the reader's instructions."""
        commit = self.commit or "未知"
        return f"构建于 {self.date} · 版本 {commit} · {self.cases} 个案例 · casebook {self.version}"


def build_date(env: Mapping[str, str], today: dt.date | None = None) -> dt.date:
    """SOURCE_DATE_EPOCH (reproducible builds) when set, else today."""
    epoch = env.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isascii() and epoch.isdigit():  # `²` is a digit to isdigit(), not to int()
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).date()
    return today or dt.date.today()


def make_manifest(env: Mapping[str, str], git: GitFacts, cases: int, today: dt.date | None = None) -> Manifest:
    sha = env.get("GITHUB_SHA", "")[:7] or None
    commit = sha or (git.commit + ("-dirty" if git.dirty else "") if git.commit else None)
    return Manifest(commit, build_date(env, today).isoformat(), cases, casebook_version())


def casebook_version() -> str:
    try:
        return metadata.version("casebook")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def read_manifest(site_dir: Path) -> Manifest | None:
    path = site_dir / MANIFEST_NAME
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return Manifest(**{k: data.get(k) for k in ("commit", "date", "cases", "version")})
