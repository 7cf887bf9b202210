"""Findings -> text | json | github annotations."""

from __future__ import annotations

import json

from .model import Finding, Library


CODES_PAGE = "docs/guide/codes.md"  # every code's meaning and fix (also on the site: 校验代码一览)
_DRAFTS_NAMED = 5


def summary(library: Library) -> str:
    """One line: the counts, the drafts that passed but will not be published, where codes are explained."""
    errors, warnings = len(library.errors), len(library.warnings)
    cases = len(library.cases)
    drafts = [c.id for c in library.cases if not c.published]
    named = "、".join(drafts[:_DRAFTS_NAMED]) + (" 等" if len(drafts) > _DRAFTS_NAMED else "")
    draft_note = f"其中 {len(drafts)} 个是草稿（status: draft），不会发布：{named}" if drafts else ""
    if not errors and not warnings:
        return f"校验通过：{cases} 个案例，没有问题" + (f"；{draft_note}。" if drafts else "。")
    return (f"共 {errors} 个错误、{warnings} 个警告（{cases} 个案例通过校验" + (f"，{draft_note}" if drafts else "")
            + f"）。各代码的含义和改法见 {CODES_PAGE}。")


def as_text(library: Library) -> str:
    lines = [f.text() for f in library.findings]
    return "\n".join(lines + [summary(library)]) + "\n"


def _entry(f: Finding) -> dict:
    return {"path": f.path, "line": f.line, "code": f.code, "message": f.message}


def as_json(library: Library) -> str:
    data = {
        "cases": len(library.cases),
        "errors": [_entry(f) for f in library.errors],
        "warnings": [_entry(f) for f in library.warnings],
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def _escape(value: str, prop: bool = False) -> str:
    # GitHub workflow commands: % CR LF always; : and , inside properties.
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return value.replace(":", "%3A").replace(",", "%2C") if prop else value


def as_github(library: Library) -> str:
    lines = [
        f"::{f.severity} file={_escape(f.path, True)},line={f.line},title={f.code}::{_escape(f.code + ' ' + f.message)}"
        for f in library.findings
    ]
    return "\n".join(lines + [summary(library)]) + "\n"


FORMATS = {"text": as_text, "json": as_json, "github": as_github}
