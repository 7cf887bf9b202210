"""load -> validate (-> index -> render): the one road both the CLI and MkDocs take."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

from .load import load_case, load_taxonomy, read_svgs, shown_path, taxonomy_lines, walk_library
from .model import Finding, Library, Taxonomy
from .validate import check_assets, check_duplicate_ids, validate_case, validate_taxonomy


def load_checked_taxonomy(root: Path) -> tuple[Taxonomy | None, list[Finding], bool]:
    """The library's taxonomy.yml read and validated: (taxonomy or None when it cannot be read
    at all, findings, usable: no errors, so cases can be checked against it)."""
    data, findings = load_taxonomy(root)
    if data is None:
        return None, findings, False
    taxonomy, more, usable = validate_taxonomy(data, shown_path(root / "taxonomy.yml"), taxonomy_lines(root))
    return taxonomy, findings + more, usable


def load_library(root: Path, today: dt.date | None = None) -> Library:
    """Read and validate a whole library; every finding is collected, then sorted."""
    today = today or dt.date.today()
    taxonomy, findings, usable = load_checked_taxonomy(root)
    taxonomy = taxonomy or Taxonomy()
    found = walk_library(root)
    files = found.files
    shown_root = shown_path(root)
    findings += [Finding(rel if shown_root == "." else f"{shown_root}/{rel}", 1, code, message) for rel, code, message in found.problems]
    results = []
    for path in found.cases:
        raw = load_case(path, root, shown_root)
        # Without a usable taxonomy, vocabulary checks are skipped rather than flooding every case.
        case, case_findings = validate_case(raw, taxonomy if usable else None, files, today)
        findings += case_findings
        # Drop the YAML nodes once judged: thousands of live node graphs make Python's cyclic
        # garbage collector rescan them over and over (validate time grew faster than linear).
        results.append((replace(raw, front_node=None), case))
    findings += check_duplicate_ids(results)
    assets = found.assets
    findings += check_assets(assets, read_svgs(root, assets), shown_root)
    # Library-wide checks (duplicate ids, dead links) can fail a case that passed on its own.
    failed = {f.path for f in findings if f.severity == "error"}
    cases = sorted((c for raw, c in results if c is not None and raw.shown not in failed), key=lambda c: c.id)
    return Library(root, taxonomy, tuple(cases), tuple(sorted(set(findings), key=_order)), assets)


def _order(f: Finding) -> tuple:
    return (f.path, f.line, f.code, f.message)
