"""Draft case files: the template, ids from titles, vocabulary checks, and the text of a draft.

`casebook new`, `casebook import` and `casebook from-issue` all end here: each builds a `Draft`
(front-matter values, body sections, notes for a person) and `render_draft` turns it into the
text of a case file that `casebook validate` accepts once a person fills what is still missing.
Everything is derived from schema.py. No printing; only `save_draft` writes.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from ..core import scan
from ..core.index import pinyin_slug
from .errors import DraftError
from ..core.library import load_checked_taxonomy
from ..core.load import load_case, shown_path, walk_library
from ..core.model import Finding, Taxonomy
from ..core.schema import (
    FIELD_BY_KEY,
    FIELDS,
    INCOMPLETE_MARK,
    REQUIRED_SECTIONS,
    SECTION_ORDER,
    Field,
    id_problem,
)
from ..core.rules import parse_date_text, parse_honors_text, section_problems, summary_problem, vocabulary_problem
from ..core.validate import validate_case

ID_MAX = 50  # characters of a derived id; longer titles are cut at a syllable boundary
VOCAB_SHOWN = 6  # vocabularies up to this size are spelled out in the template's comments
# A list typed on one line: 党建工作法、品牌创建 / 党建工作法, 品牌创建 / 党建工作法；品牌创建
LIST_SPLIT = re.compile(r"\s*[,，、;；]\s*")


@dataclass(frozen=True)
class Draft:
    """A case still to be completed: known values, body sections, and what a person must do."""

    meta: tuple[tuple[str, object], ...]  # front-matter key -> value, only the known ones
    sections: tuple[tuple[str, str], ...]  # (## title, Markdown content) in body order
    notes: tuple[str, ...] = ()  # Chinese, one line each: what still needs a person

    def value(self, key: str) -> object:
        return dict(self.meta).get(key)


# -- the library ------------------------------------------------------------------------


def library_taxonomy(root: Path) -> Taxonomy:
    """The library's vocabularies; DraftError when taxonomy.yml is missing or unusable."""
    taxonomy, findings, usable = load_checked_taxonomy(root)
    if taxonomy is None:
        raise DraftError(f"{shown_path(root)} 不是可用的案例库：{findings[0].message if findings else '缺少 taxonomy.yml'}")
    if not usable:
        problems = "；".join(f.message for f in findings if f.severity == "error")
        raise DraftError(f"{shown_path(root)}/taxonomy.yml 有错误，请先修正（{problems}）")
    return taxonomy


def ids_in_use(root: Path) -> dict[str, Path]:
    """File stem -> path of every case file in the library (ids equal file names)."""
    return {p.stem: p for p in walk_library(root).cases}


def id_taken(root: Path, case_id: str, in_use: dict[str, Path]) -> tuple[str, Path] | None:
    """Why a new case may not take `case_id`: ("file", ID.md) when that name is there (a file, or a
    link even to nothing: writing would follow it), ("case", its file) when another case has the
    id (`ids_in_use`); None when it is free."""
    target = root / f"{case_id}.md"
    if target.exists() or target.is_symlink():
        return "file", target
    return ("case", in_use[case_id]) if case_id in in_use else None


def check_case(root: Path, path: Path, today: dt.date) -> list[Finding]:
    """What `casebook validate` says about one case file of the library (sorted)."""
    return check_cases(root, [path], today)[path]


def check_cases(root: Path, paths: Iterable[Path], today: dt.date) -> dict[Path, list[Finding]]:
    """What `casebook validate` says about some case files of the library (the taxonomy and the
    library's files are read once, however many cases)."""
    taxonomy, _, usable = load_checked_taxonomy(root)
    assets = walk_library(root).files
    out = {}
    for path in paths:
        _, findings = validate_case(load_case(path, root), taxonomy if usable else None, assets, today)
        out[path] = sorted(set(findings), key=lambda f: (f.line, f.code, f.message))
    return out


# -- ids ----------------------------------------------------------------------------------


def derive_id(title: str) -> str | None:
    """An id from a title's pinyin (one word per syllable, as page names are made), or None."""
    slug = pinyin_slug(title)
    if len(slug) > ID_MAX:
        slug = slug[: ID_MAX + 1].rsplit("-", 1)[0]
    return slug if slug and id_problem(slug) is None else None


def check_id(value: str) -> str:
    if problem := id_problem(value):
        raise DraftError(f"编号（id）“{value}” 不合规：{problem}")
    return value


# -- values -------------------------------------------------------------------------------


def split_list(value: str) -> list[str]:
    return [v for v in LIST_SPLIT.split(value.strip()) if v]


def checked_values(given: Mapping[str, object], taxonomy: Taxonomy) -> dict[str, object]:
    """Values typed by a person, checked against the schema; DraftError lists every problem."""
    problems: list[str] = []
    out: dict[str, object] = {}
    for key, value in given.items():
        field = FIELD_BY_KEY[key]
        if value is None or value == "" or value == []:
            continue
        values = list(value) if isinstance(value, (list, tuple)) else [value]
        if field.kind == "list":
            values = [item for v in values for item in split_list(str(v))]
        values = [" ".join(str(v).split()) for v in values]
        if not all(values):
            problems.append(f"{field.label}（{field.key}）不能为空")
            continue
        problems += [p for v in values if (p := vocabulary_problem(field, v, taxonomy))]
        if field.key == "summary" and (problem := summary_problem(values[0])):
            problems.append(problem)
        out[key] = list(dict.fromkeys(values)) if field.kind == "list" else values[0]
    if problems:
        raise DraftError("\n".join(problems))
    return out


def recognise(field: Field, text: str, taxonomy: Taxonomy) -> tuple[object, list[str]]:
    """A value read from a document or a form -> (value to use or None, notes for a person).

    Vocabulary values are used only when they are in the vocabulary; the rest goes to the notes.
    """
    text = " ".join(text.split())
    if not text:
        return None, []
    if field.kind == "date":
        day = parse_date_text(text)
        return day, [] if day else [f"{field.label}“{text}”不是日期（应写作 2024-01-05 或 2024年1月5日）；请手工填写 {field.key}"]
    if field.kind == "honors":
        honors, rest = parse_honors_text(text)
        levels = taxonomy.values("honor_level")
        good = [{"level": h.level, "title": h.title, "year": h.year} for h in honors if h.level in levels]
        notes = [f"荣誉“{h.title}”的级别“{h.level}”不在词表 honor_level 中（可选：{'、'.join(levels)}）；请手工填写 honors"
                 for h in honors if h.level not in levels]
        notes += [f"荣誉“{r}”无法识别（应为“名称（级别，2023年）”）；请手工填写 honors" for r in rest]
        return (good or None), notes
    if field.kind == "list":
        values = split_list(text)
        good = [v for v in values if not vocabulary_problem(field, v, taxonomy)]
        notes = [p for v in values if (p := vocabulary_problem(field, v, taxonomy))]
        return (list(dict.fromkeys(good)) or None), notes
    problem = vocabulary_problem(field, text, taxonomy)
    if problem:
        return None, [problem]
    if field.key == "summary" and (problem := summary_problem(text)):
        return text, [problem]
    return text, []


# -- the text of a draft ------------------------------------------------------------------


def yaml_value(value: object) -> str:
    """One value as YAML flow text: quoted where YAML would change it (`no`, `010`, dates)."""
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    text = yaml.safe_dump(value, allow_unicode=True, default_flow_style=True, width=10**9, sort_keys=False)
    return text.removesuffix("\n").removesuffix("\n...")


def field_hint(field: Field, taxonomy: Taxonomy) -> str:
    """The comment beside an unfilled field: 必填/选填 and what to write, from the schema."""
    need = "必填" if field.required else "选填"
    if field.vocabulary:
        values = taxonomy.values(field.vocabulary)
        shown = "、".join(values) if len(values) <= VOCAB_SHOWN else "、".join(values[:3]) + f" 等 {len(values)} 项"
        many = "一项或多项，" if field.kind == "list" else ""
        return f"{need}：{many}取自 taxonomy.yml 的 {field.vocabulary}（{shown}）"
    return f"{need}：{field.rule.replace('`', '')}"


# Placeholders for fields nobody has filled: what the validator reads as "empty" (E205) for
# required fields, and as "absent" for optional ones (an empty `cover:` too: no cover). The
# cover line is written as a comment instead, with an example path to fill in and uncomment.
def placeholder(field: Field) -> str:
    if field.kind == "list" or field.kind == "honors":
        return "[]"
    if field.kind == "bool":
        return "false"
    return "''" if field.required else ""


def render_draft(draft: Draft, taxonomy: Taxonomy, today: dt.date) -> str:
    """The case file: every field of the schema in schema order, then the body sections."""
    meta = dict(draft.meta)
    meta.setdefault("date", today)
    meta["status"] = "draft"
    lines = ["---"]
    for field in FIELDS:
        value = meta.get(field.key)
        if value is not None and value != [] and value != "":
            comment = "  # 草稿：校验但不发布；内容完整、核对无误后改为 published" if field.key == "status" else ""
            lines.append(f"{field.key}: {yaml_value(value)}{comment}")
        elif field.kind == "path":
            lines.append(f"# {field.key}: assets/图片.jpg  # {field_hint(field, taxonomy)}；需要时去掉行首的 #")
        else:
            lines.append(f"{field.key}: {placeholder(field)}".rstrip() + f"  # {field_hint(field, taxonomy)}")
    lines.append("---")
    for title, text in complete_sections(draft.sections):
        lines += ["", f"## {title}", "", text.strip("\n") or INCOMPLETE_MARK]
    return "\n".join(lines) + "\n"


def complete_sections(sections: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Sections with every required one present (待补充 where missing), in the schema's order.

    The standard sections keep their places among the others, but are put in the required order;
    a missing one is inserted before the first standard section that should follow it.
    """
    out = [(t, s) for t, s in sections]
    standard = [(t, s) for t, s in out if t in SECTION_ORDER]
    slots = [i for i, (t, _) in enumerate(out) if t in SECTION_ORDER]
    for i, item in zip(slots, sorted(standard, key=lambda ts: SECTION_ORDER.index(ts[0]))):
        out[i] = item
    for name in REQUIRED_SECTIONS:
        if any(t == name for t, _ in out):
            continue
        rank = SECTION_ORDER.index(name)
        later = [i for i, (t, _) in enumerate(out) if t in SECTION_ORDER and SECTION_ORDER.index(t) > rank]
        out.insert(later[0] if later else len(out), (name, INCOMPLETE_MARK))
    return out


def section_notes(sections: Iterable[tuple[str, str]]) -> list[str]:
    """Notes on the body: sections reordered, missing, or still 待补充."""
    missing, misplaced = section_problems([t for t, _ in sections])
    notes = []
    if any(kind == "order" for _, kind, _ in misplaced):
        notes.append(f"章节顺序已调整为 {' → '.join(REQUIRED_SECTIONS)}（经验启示在后），请核对")
    notes += [f"缺少章节“{name}”，已写“{INCOMPLETE_MARK}”；有可靠来源后补写" for name in missing]
    return notes


@dataclass(frozen=True)
class SavedDraft:
    path: Path  # the case file written
    pictures: tuple[Path, ...]  # pictures written into the library
    notes: tuple[str, ...]  # what still needs a person, without repeats
    findings: tuple[Finding, ...]  # what `casebook validate` says about the new file


def save_draft(root: Path, draft: Draft, taxonomy: Taxonomy, today: dt.date,
               pictures: Mapping[str, bytes] | None = None, check: bool = True) -> SavedDraft:
    """Write ROOT/<id>.md and its pictures, never over an existing file. On failure nothing stays
    written and DraftError says why. `check=False` leaves the findings to the caller."""
    target = root / f"{draft.value('id')}.md"
    text = render_draft(draft, taxonomy, today)
    written: list[Path] = []
    try:
        for rel, data in (pictures or {}).items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("xb") as out:
                out.write(data)
            written.append(path)
        with target.open("x", encoding="utf-8", newline="\n") as out:
            out.write(text)
    except OSError as exc:
        for path in written:
            path.unlink(missing_ok=True)
        reason = "文件已存在" if isinstance(exc, FileExistsError) else (exc.strerror or str(exc))
        raise DraftError(f"无法写入 {shown_path(Path(exc.filename or target))}（{reason}），没有生成草稿") from exc
    notes = tuple(dict.fromkeys([*draft.notes, *personal_data_notes(text)]))
    return SavedDraft(target, tuple(written), notes, tuple(check_case(root, target, today)) if check else ())


def save_drafts(root: Path, items: Iterable[tuple[Draft, Mapping[str, bytes]]], taxonomy: Taxonomy,
                today: dt.date) -> list[SavedDraft]:
    """Write several drafts with their pictures, all or none: on any failure (or an interrupt) the
    files already written by this call are removed again, and DraftError says why."""
    assets = root / "assets"
    had_assets = assets.exists()
    saved: list[SavedDraft] = []
    try:
        for draft, pictures in items:
            saved.append(save_draft(root, draft, taxonomy, today, pictures, check=False))
    except BaseException:
        for done in saved:
            for path in (done.path, *done.pictures):
                path.unlink(missing_ok=True)
        if not had_assets and assets.is_dir() and not any(assets.iterdir()):
            assets.rmdir()
        raise
    findings = check_cases(root, [s.path for s in saved], today)
    return [replace(s, findings=tuple(findings[s.path])) for s in saved]


def personal_data_notes(text: str) -> list[str]:
    """Phone and ID numbers in a draft: the validator refuses them (E501/E502)."""
    notes = []
    for line, kind, _ in scan.personal_data(text):
        what, code = ("居民身份证号码", "E501") if kind == "id" else ("手机号码", "E502")
        notes.append(f"第 {line} 行含有{what}（个人信息），校验会报 {code}；请删除")
    return notes
