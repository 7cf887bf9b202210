"""load -> validate (-> index -> render): the one road both the CLI and MkDocs take."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import replace
from pathlib import Path

from .fanout import map_forked
from .load import file_stamp, load_case, load_taxonomy, read_image_heads, read_svgs, shown_path, taxonomy_lines, walk_library
from .model import Case, Finding, Library, RawCase, Taxonomy, shown_in
from .progress import give_way
from .validate import check_assets, check_duplicate_ids, validate_case, validate_taxonomy


def load_checked_taxonomy(root: Path) -> tuple[Taxonomy | None, list[Finding], bool]:
    """The library's taxonomy.yml read and validated: (taxonomy or None when it cannot be read
    at all, findings, usable: no errors, so cases can be checked against it)."""
    data, findings = load_taxonomy(root)
    if data is None:
        return None, findings, False
    taxonomy, more, usable = validate_taxonomy(data, shown_path(root / "taxonomy.yml"), taxonomy_lines(root))
    return taxonomy, findings + more, usable


class Memo:
    """What load_library read and judged of each case file, kept between calls on one library
    (`casebook serve` re-reads only the files that changed). A file's verdict depends on its
    bytes, the taxonomy, the library's list of files and the day: it is reused while the file's
    stat (size, modification time, inode) and those three are the same, else judged again."""

    def __init__(self) -> None:
        self.context: tuple | None = None
        self.cases: dict[Path, tuple[tuple, tuple[RawCase, Case | None, list[Finding]]]] = {}
        self.judged = 0  # files read and judged by the last call (the rest came from here)


def load_library(root: Path, today: dt.date | None = None, memo: Memo | None = None) -> Library:
    """Read and validate a whole library; every finding is collected, then sorted. `memo`: the
    verdicts of an earlier call on the same library, reused for files that have not changed."""
    today = today or dt.date.today()
    taxonomy, findings, usable = load_checked_taxonomy(root)
    taxonomy = taxonomy or Taxonomy()
    found = walk_library(root)
    files = found.files
    shown_root = shown_path(root)
    findings += [Finding(shown_in(shown_root, rel), 1, code, message) for rel, code, message in found.problems]
    if memo is not None:
        context = (taxonomy, usable, files, today, shown_root)
        if memo.context != context:
            memo.context, memo.cases = context, {}
        kept = {path: memo.cases[path] for path in found.cases if path in memo.cases}
        memo.cases, memo.judged = kept, 0

    def judge(path: Path) -> tuple[RawCase, Case | None, list[Finding]]:
        give_way()
        return _judge(path, root, shown_root, taxonomy, usable, files, today)

    results = []
    if memo is None:  # a build or `casebook validate`: every file judged, on every core
        for raw, case, case_findings in map_forked(judge, found.cases):
            findings += case_findings
            results.append((raw, case))
    for path in found.cases if memo is not None else ():
        stamp = file_stamp(path)
        if stamp is not None and path in memo.cases and memo.cases[path][0] == stamp:
            raw, case, case_findings = memo.cases[path][1]
        else:
            raw, case, case_findings = judge(path)
            if stamp is not None:
                memo.cases[path] = (stamp, (raw, case, case_findings))
                memo.judged += 1
        findings += case_findings
        results.append((raw, case))
    findings += check_duplicate_ids(results)
    assets = found.assets
    findings += check_assets(assets, read_svgs(root, assets), shown_root, read_image_heads(root, assets))
    # Library-wide checks (duplicate ids, dead links) can fail a case that passed on its own.
    failed = {f.path for f in findings if f.severity == "error"}
    cases = sorted((c for raw, c in results if c is not None and raw.shown not in failed), key=lambda c: c.id)
    return Library(root, taxonomy, tuple(cases), tuple(sorted(set(findings), key=_order)), assets, found.held_back)


def _judge(path: Path, root: Path, shown_root: str, taxonomy: Taxonomy, usable: bool, files: frozenset[str],
           today: dt.date) -> tuple[RawCase, Case | None, list[Finding]]:
    """One case file read and validated in its library's context."""
    raw = load_case(path, root, shown_root)
    # Without a usable taxonomy, vocabulary checks are skipped rather than flooding every case.
    case, findings = validate_case(raw, taxonomy if usable else None, files, today)
    # Drop the YAML nodes once judged: thousands of live node graphs make Python's cyclic
    # garbage collector rescan them over and over (validate time grew faster than linear). The
    # file's text goes too (the body stays, in the case): nothing after judging reads it, and a
    # forked judge (core.fanout) sends a third less back.
    return replace(raw, front_node=None, text=""), case, findings


def judge_again(library: Library, paths: list[Path], memo: Memo, today: dt.date | None = None) -> Library | None:
    """`library` (the last load_library with `memo`) with only the case files `paths` read and
    judged again: `casebook serve`'s first look at an edit, without listing the whole library.
    Valid only when nothing but those files' text changed (same taxonomy, same files, same day),
    their ids and aliases are the same, and `library` holds no finding of theirs beyond their own
    (a duplicate id, a check of the rendered page): None otherwise, and for a file that is no
    longer a plain file (the gate in walk_library decides about links). The caller then loads the
    whole library."""
    today = today or dt.date.today()
    if memo.context is None:
        return None
    taxonomy, usable, files, day, shown_root = memo.context
    if day != today or any(os.path.islink(path) or not path.is_file() or path not in memo.cases for path in paths):
        return None
    judged = {}
    for path in paths:
        stamp = file_stamp(path)
        raw, case, findings = _judge(path, library.root, shown_root, taxonomy, usable, files, today)
        _, old, old_findings = memo.cases[path][1]
        if stamp is None or old is None or case is None or (case.id, case.aliases) != (old.id, old.aliases):
            return None  # a new id or alias may collide with another case's: the library-wide checks decide
        if {f for f in library.findings if f.path == raw.shown} - set(old_findings):
            return None  # library-wide or rendered-page findings: only the whole load can say if they still hold
        memo.cases[path] = (stamp, (raw, case, findings))
        judged[raw.shown] = (case, findings)
    findings = [f for f in library.findings if f.path not in judged]
    for _, case_findings in judged.values():
        findings += case_findings
    failed = {f.path for f in findings if f.severity == "error"}
    rels = {case.rel for case, _ in judged.values()}
    cases = [c for c in library.cases if c.rel not in rels]
    cases += [case for shown, (case, _) in judged.items() if shown not in failed]
    return replace(library, cases=tuple(sorted(cases, key=lambda c: c.id)), findings=tuple(sorted(set(findings), key=_order)))


def _order(f: Finding) -> tuple:
    return (f.path, f.line, f.code, f.message)
