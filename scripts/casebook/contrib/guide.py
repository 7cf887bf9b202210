"""The generated parts of the contributor guide (CONTRIBUTING.md), from schema.py.

CONTRIBUTING.md keeps each generated part between `<!-- NAME:start -->` and `<!-- NAME:end -->`;
`casebook sync` rewrites them and a test checks they equal what these functions return, so the
guide cannot disagree with the code. Pure: text in, text out.
"""

from __future__ import annotations

import datetime as dt
import re

from .errors import GuideError
from ..core.model import Taxonomy
from .drafts import Draft, render_draft
from ..core.schema import CODES, FIELDS, INCOMPLETE_MARK, OPTIONAL_SECTIONS, REQUIRED_SECTIONS
from .docxfile import LIMITS

GUIDE_PATH = "CONTRIBUTING.md"
KINDS = {
    "str": "文字",
    "list": "列表",
    "date": "日期",
    "bool": "`true` / `false`",
    "honors": "荣誉列表",
    "path": "图片路径",
}
SEVERITY = {"error": "错误", "warning": "警告"}
# The example in the guide's template block (a fixed date keeps the block stable).
EXAMPLE = (("id", "yangguang-chedui"), ("title", "“阳光车队”工作法"), ("organization", "某某公司"))
EXAMPLE_DATE = dt.date(2024, 1, 5)


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def field_table() -> str:
    """Every front-matter field: key, name, required, type, how to write it."""
    lines = ["| 字段 | 名称 | 必填 | 类型 | 写法 |", "| --- | --- | --- | --- | --- |"]
    for f in FIELDS:
        lines.append(f"| `{f.key}` | {f.label} | {'是' if f.required else '否'} | {KINDS[f.kind]} | {cell(f.rule)} |")
    lines += [
        "",
        f"正文用二级标题 `## ` 分节，必需的章节按此顺序：{' → '.join(f'`## {s}`' for s in REQUIRED_SECTIONS)}；"
        f"可选 {'、'.join(f'`## {s}`' for s in OPTIONAL_SECTIONS)} 放在其后，其他章节可以跟在后面。"
        f"来源中没有的内容写“{INCOMPLETE_MARK}”。",
    ]
    return "\n".join(lines)


def code_table() -> str:
    """Every finding code: what it means and how to fix it."""
    lines = ["| 代码 | 级别 | 含义 | 怎么改 |", "| --- | --- | --- | --- |"]
    for c in CODES:
        lines.append(f"| {c.code} | {SEVERITY[c.severity]} | {cell(c.title)} | {cell(c.fix)} |")
    return "\n".join(lines)


def template(taxonomy: Taxonomy) -> str:
    """What `casebook new` writes, for the example in the guide."""
    text = render_draft(Draft(EXAMPLE, ()), taxonomy, EXAMPLE_DATE)
    return f"```markdown\n{text}```"


def limits_list() -> str:
    """What one `casebook import` reads at most (docxfile.LIMITS); past any limit it stops, writes nothing."""
    limits = LIMITS

    def mb(n: int) -> str:
        return f"{n // 1_000_000} MB"

    return "\n".join([
        f"- 文件不超过 {mb(limits.file_bytes)}，解压后合计不超过 {mb(limits.unpacked_bytes)}，压缩包里不超过 {limits.entries:,} 个部件；",
        f"- 段落不超过 {limits.paragraphs:,} 个，表格不超过 {limits.tables:,} 个，图片不超过 {limits.images:,} 张（同一张图片出现两次算两张）；",
        f"- 一个段落或表格的 XML 不超过 {mb(limits.block_bytes)}，样式、编号、脚注等部件各不超过 {mb(limits.part_bytes)}；",
        f"- 读取和识别不超过 {limits.seconds:g} 秒；",
        "- 含 DTD 或实体声明（`<!DOCTYPE`）的文档一律拒绝：Word 和 WPS 不会写出这样的文件。",
    ])


def blocks(taxonomy: Taxonomy) -> dict[str, str]:
    return {"fields": field_table(), "template": template(taxonomy), "codes": code_table(), "limits": limits_list()}


def marker(name: str, end: bool = False) -> str:
    return f"<!-- {name}:{'end' if end else 'start'} -->"


def block(text: str, name: str) -> str | None:
    """The text between a block's markers (without the blank lines around it), or None."""
    m = re.search(re.escape(marker(name)) + r"\n(.*?)\n?" + re.escape(marker(name, True)), text, re.S)
    return m.group(1).strip("\n") if m else None


def fill(text: str, contents: dict[str, str]) -> str:
    """`text` with every named block replaced; GuideError names a block whose markers are missing."""
    for name, content in contents.items():
        if block(text, name) is None:
            raise GuideError(name, f"缺少标记 {marker(name)} … {marker(name, True)}")
        pattern = re.escape(marker(name)) + r".*?" + re.escape(marker(name, True))
        text = re.sub(pattern, lambda _: f"{marker(name)}\n{content}\n{marker(name, True)}", text, count=1, flags=re.S)
    return text
