"""Findings -> text | json | github annotations."""

from __future__ import annotations

import json

from .model import Finding, Library


def summary(library: Library) -> str:
    errors, warnings = len(library.errors), len(library.warnings)
    cases = len(library.cases)
    if not errors and not warnings:
        return f"校验通过：{cases} 个案例，没有问题。"
    return f"共 {errors} 个错误、{warnings} 个警告（{cases} 个案例通过校验）。"


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
