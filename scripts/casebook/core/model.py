"""Plain, immutable data passed between the stages load -> validate -> index -> render."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .schema import is_incomplete


def printable(text: str) -> str:
    """Control and line-breaking characters shown as escapes (\\n, \\x1b, \\u2028)."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


@dataclass(frozen=True)
class Finding:
    """One problem in one file: `path:line: CODE message`."""

    path: str  # relative to the current directory where possible, POSIX slashes
    line: int  # 1-based
    code: str
    message: str
    severity: str = "error"  # error | warning

    def __post_init__(self) -> None:
        # Messages echo what the file says: a YAML escape must not break the one-line format
        # or send control codes to a terminal or CI log.
        object.__setattr__(self, "message", printable(self.message))
        object.__setattr__(self, "path", printable(self.path))

    def text(self) -> str:
        return f"{self.path}:{self.line}: {self.code} {self.message}"


@dataclass(frozen=True)
class RawCase:
    """A case file as read from disk: no judging beyond what parsing itself reports."""

    path: Path  # on disk
    rel: str  # relative to the library root, POSIX
    shown: str  # the path as shown in findings
    text: str  # decoded, newlines normalised; "" when undecodable
    front_start: int  # file line of the first front-matter line (after the opening ---)
    front_lines: tuple[str, ...]  # front matter text lines
    front_node: Any  # the composed yaml node of the front matter (None when unparsable/empty)
    body: str
    body_line: int  # file line of the first body line
    findings: tuple[Finding, ...] = ()


@dataclass(frozen=True)
class Honor:
    level: str
    title: str
    year: int


@dataclass(frozen=True)
class Section:
    title: str
    text: str  # Markdown content without the heading
    line: int  # file line of the heading

    @property
    def incomplete(self) -> bool:
        return is_incomplete(self.text)


@dataclass(frozen=True)
class Case:
    id: str
    title: str
    organization: str
    org_type: str
    region: str
    category: tuple[str, ...]
    summary: str
    date: dt.date
    source: str
    rel: str  # source file relative to the library root
    body: str
    sections: tuple[Section, ...]
    party_org: str | None = None
    industry: str | None = None
    tags: tuple[str, ...] = ()
    honors: tuple[Honor, ...] = ()
    featured: bool = False
    status: str = "published"
    cover: str | None = None
    body_line: int = 1  # file line of the body's first line (findings about the page point into it)
    aliases: tuple[str, ...] = ()  # former ids (merged or renamed cases): their pages point here

    @property
    def incomplete_sections(self) -> tuple[str, ...]:
        return tuple(s.title for s in self.sections if s.incomplete)

    @property
    def published(self) -> bool:
        return self.status == "published"


@dataclass(frozen=True)
class Taxonomy:
    """Vocabulary name -> allowed values, in the library's order."""

    vocab: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def values(self, name: str) -> tuple[str, ...]:
        for key, values in self.vocab:
            if key == name:
                return values
        return ()


@dataclass(frozen=True)
class Library:
    root: Path
    taxonomy: Taxonomy
    cases: tuple[Case, ...]  # every valid case, drafts included, sorted by id
    findings: tuple[Finding, ...] = field(default_factory=tuple)  # sorted
    assets: tuple[str, ...] = ()  # other files (images), library-relative POSIX paths, sorted
    held_back: tuple[str, ...] = ()  # files of a kind the site does not publish (E703: LibraryFiles.held_back)

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "warning")

    @property
    def published(self) -> tuple[Case, ...]:
        return tuple(c for c in self.cases if c.published)

    def with_findings(self, more: list[Finding], shown: dict[str, str] | None = None) -> Library:
        """This library with `more` findings; a case with a new error is no longer among the valid
        cases. `shown`: case rel -> the path its findings carry (default: the rel itself)."""
        if not more:
            return self
        failed = {f.path for f in more if f.severity == "error"}
        shown = shown or {}
        cases = tuple(c for c in self.cases if shown.get(c.rel, c.rel) not in failed)
        findings = tuple(sorted(set(self.findings) | set(more), key=lambda f: (f.path, f.line, f.code, f.message)))
        return Library(self.root, self.taxonomy, cases, findings, self.assets, self.held_back)


def shown_in(shown_root: str, rel: str) -> str:
    """A library file as findings show it, by its path in the library (a link: the link itself)."""
    return rel if shown_root == "." else f"{shown_root}/{rel}"
