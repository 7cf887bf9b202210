"""The new-case issue form: its fields (from the schema), its YAML, and reading a filed issue.

People who do not use Git file an issue with the form `.github/ISSUE_TEMPLATE/new-case.yml`;
GitHub renders each answer as `### <label>` followed by the answer. The form is generated from
schema.py and the shipped taxonomy (`casebook sync` rewrites it; a test checks it is current),
and `parse_issue` reads the labels defined here, so the form and the reader cannot drift.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import yaml

from ..core.model import Taxonomy
from ..core.rules import OTHER_SITE, honor_year_ok, url_kind
from ..core.scan import written_images
from ..core.schema import (BASICS_SECTION, FIELD_BY_KEY, FIELDS, INCOMPLETE_MARK, LESSONS_SECTION, PRACTICE_SECTION,
                           REQUIRED_SECTIONS, RESULTS_SECTION, SECTION_ORDER)
from .drafts import Draft, recognise, section_notes

NO_RESPONSE = "_No response_"  # what GitHub writes for an optional question left empty
# Fields a contributor does not fill in the form: the maintainer's tools set them.
NOT_IN_FORM = ("id", "date", "featured", "status", "cover", "aliases")
FORM_PATH = ".github/ISSUE_TEMPLATE/new-case.yml"

SECTION_HELP = {
    BASICS_SECTION: f"单位和党组织的基本情况、做法产生的背景。来源中没有的写“{INCOMPLETE_MARK}”，不要编写。",
    PRACTICE_SECTION: "具体怎么做：每条做法一段，或每行以“- ”开头列出。",
    RESULTS_SECTION: f"有来源支持的成效；来源中没有的写“{INCOMPLETE_MARK}”，不要编写。",
    LESSONS_SECTION: "选填：可推广的经验和启示。",
}
HONORS_HELP = "每行一项：级别，名称，年份。级别取自词表 honor_level，如：省级，省级先进基层党组织，2023"


@dataclass(frozen=True)
class Question:
    """One question of the form and where its answer goes in the case."""

    id: str  # form element id
    label: str  # the heading GitHub shows in the issue: `### 标题`
    type: str  # input | textarea | dropdown
    required: bool
    field: str | None = None  # front-matter key, or
    section: str | None = None  # body section
    multiple: bool = False
    description: str = ""


def questions() -> tuple[Question, ...]:
    """The form's questions: the schema's fields (minus NOT_IN_FORM), then the body sections."""
    out = []
    for f in FIELDS:
        if f.key in NOT_IN_FORM:
            continue
        if f.vocabulary:
            kind = "dropdown"
        elif f.key in ("summary", "honors"):
            kind = "textarea"
        else:
            kind = "input"
        if f.key == "honors":
            description = HONORS_HELP
        elif f.vocabulary:
            description = f"从列表中选择{'（可多选）' if f.kind == 'list' else ''}；取值来自词表 {f.vocabulary}"
        else:
            description = f.rule.replace("`", "")
        out.append(Question(f.key, f.label, kind, f.required, field=f.key, multiple=f.kind == "list", description=description))
    for i, name in enumerate(SECTION_ORDER, 1):
        required = name in REQUIRED_SECTIONS
        description = SECTION_HELP.get(name) or ("" if required else "选填。")
        out.append(Question(f"section-{i}", name, "textarea", required, section=name, description=description))
    return tuple(out)


INTRO = f"""\
不用 Git 也能提交案例：填写下面的表单，维护者会用 `casebook from-issue` 把它转成案例文件，校验后发布。

- 只写有来源的事实；来源中没有的内容写“{INCOMPLETE_MARK}”，不要编写。
- 组织类型、地区、类别等从下拉列表中选择；列表中没有合适的取值时，在“来源”或正文中说明。
- 不要填写手机号码、身份证号码等个人信息。
- 图片可以直接拖进正文的输入框，维护者会把它放入案例库。
"""


def form(taxonomy: Taxonomy) -> dict:
    """The issue form as data (GitHub issue forms syntax)."""
    body: list[dict] = [{"type": "markdown", "attributes": {"value": INTRO}}]
    for q in questions():
        attributes: dict[str, object] = {"label": q.label, "description": q.description}
        field = FIELD_BY_KEY.get(q.field or "")
        if q.type == "dropdown" and field is not None:
            options = list(taxonomy.values(field.vocabulary or ""))
            if not options:
                continue  # GitHub refuses a dropdown without options; an empty vocabulary has nothing to pick
            attributes["multiple"] = q.multiple
            attributes["options"] = options
        body.append({"type": q.type, "id": q.id, "attributes": attributes, "validations": {"required": q.required}})
    return {
        "name": "提交新案例",
        "description": "不用 Git 也能提交：填写表单，维护者把它转成案例文件。",
        "title": "[新案例] ",
        "labels": ["新案例"],
        "body": body,
    }


def form_yaml(taxonomy: Taxonomy) -> str:
    """The text of .github/ISSUE_TEMPLATE/new-case.yml."""
    header = (
        "# 由 `casebook sync` 根据 scripts/casebook/core/schema.py 和 cases/taxonomy.yml 生成，请勿手工修改。\n"
        "# 下拉选项与词表一致；词表变化后运行 `casebook sync` 更新本文件（测试会检查）。\n"
    )
    return header + yaml.dump(form(taxonomy), Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)


class _Dumper(yaml.SafeDumper):
    """Multi-line text as `|` blocks, as people write issue forms by hand."""


_Dumper.add_representer(
    str,
    lambda dumper, value: dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None),
)


# -- reading a filed issue ----------------------------------------------------------------

_HEADING = re.compile(r"^###[ \t]+(.+?)[ \t]*#*[ \t]*$")
_DEEP_HEADING = re.compile(r"^(#{1,2})(?=[ \t])", re.M)


def answers(body: str) -> dict[str, str]:
    """An issue body -> {label: answer}. Only the form's own labels, in the form's order, start
    an answer; a `### ...` line inside an answer stays part of it."""
    labels = [q.label for q in questions()]
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in body.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        m = _HEADING.match(line)
        if m and m.group(1) in labels and m.group(1) not in found:
            current = found[m.group(1)] = []
            continue
        if current is not None:
            current.append(line)
    out = {}
    for label, lines in found.items():
        text = "\n".join(lines).strip()
        out[label] = "" if text == NO_RESPONSE else text
    return out


def parse_honors(text: str, taxonomy: Taxonomy, this_year: int) -> tuple[list[dict], list[str]]:
    """`省级，名称，2023` lines -> honors; lines that do not fit become notes."""
    honors, notes = [], []
    levels = taxonomy.values("honor_level")
    for line in text.splitlines():
        line = line.strip().lstrip("-*").strip()
        if not line:
            continue
        parts = [p.strip() for p in re.split(r"[,，|｜\t]", line) if p.strip()]
        year = parts[2].rstrip("年") if len(parts) == 3 else ""
        if parts[0] in levels and re.fullmatch(r"[0-9]{4}", year) and honor_year_ok(int(year), this_year):
            honors.append({"level": parts[0], "title": parts[1], "year": int(year)})
        else:
            notes.append(f"荣誉“{line}”无法识别（应为“级别，名称，年份”，级别取自 {'、'.join(levels)}）；请手工填写 honors")
    return honors, notes


def to_draft(body: str, taxonomy: Taxonomy, today: dt.date | None = None) -> Draft:
    """A filed issue's body -> a Draft with what the form answered; notes for the rest."""
    given = answers(body)
    meta: dict[str, object] = {}
    notes: list[str] = []
    sections: list[tuple[str, str]] = []
    if not given:
        notes.append("没有找到表单的任何问题（`### 标题` 等）；这不像是用“提交新案例”表单提交的 issue")
    for q in questions():
        text = given.get(q.label, "")
        if q.type == "dropdown" and text == "None":  # GitHub's own choice for "nothing selected"
            text = ""
        if q.section:
            text = _DEEP_HEADING.sub("###", text)  # the answer's own headings stay inside its section
            if text or q.required:
                sections.append((q.section, text or INCOMPLETE_MARK))
            continue
        field = FIELD_BY_KEY[q.field or ""]
        if field.kind == "honors":
            honors, honor_notes = parse_honors(text, taxonomy, (today or dt.date.today()).year)
            notes += honor_notes
            if honors:
                meta["honors"] = honors
            continue
        value, field_notes = recognise(field, text, taxonomy)
        notes += field_notes
        if value is not None:
            meta[field.key] = value
    notes += section_notes(sections)
    for title, text in sections:
        if any(url_kind(address) in OTHER_SITE for _, address in written_images(text)):
            notes.append(f"“{title}”中有图片链接到 GitHub：请下载到 assets/，改成相对路径引用（校验会报 E404）")
    return Draft(tuple(meta.items()), tuple(sections), tuple(dict.fromkeys(notes)))
