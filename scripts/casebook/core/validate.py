"""Raw cases + schema -> Cases and findings. Pure: no printing, no file reading."""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import posixpath
import re
from collections import deque
from collections.abc import Callable

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from . import lints, sanitize, scan
from .load import Loader
from .model import Case, Finding, Honor, RawCase, Section, Taxonomy
from .rules import honor_year_ok, suggest, summary_problem, vocabulary_problem
from .schema import (
    ACTIVE_SUFFIXES,
    CODE_BY_ID,
    DATE_PATTERN,
    FIELD_BY_KEY,
    FIELDS,
    HONOR_KEYS,
    HONOR_YEAR_MIN,
    ID_PATTERN,
    IMAGE_SUFFIXES,
    MAX_YAML_DEPTH,
    PAIRS_TEXT,
    REQUIRED_SECTIONS,
    RESULTS_SECTION,
    SECTION_ORDER,
    VOCABULARIES,
    Field,
)

YAML_TAG = "tag:yaml.org,2002:"  # the prefix of YAML's standard tags (!!str is YAML_TAG + "str")
STR, NULL, BOOL, INT, FLOAT, TIMESTAMP = (YAML_TAG + t for t in ("str", "null", "bool", "int", "float", "timestamp"))
SAFE_TAGS = {STR, NULL, BOOL, INT, FLOAT, TIMESTAMP, YAML_TAG + "seq", YAML_TAG + "map"}
LABEL_TO_KEY = {f.label: f.key for f in FIELDS}
_LEADING = re.compile(r"^[ \t?-]+", re.M)
# sanitize.text_problem kinds -> codes for front-matter strings and for vocabulary values.
TEXT_CODES = {"tag": "E216", "url": "E217", "control": "E218", "bidi": "E219"}
TAXONOMY_CODES = {"tag": "E603", "url": "E604", "control": "E605", "bidi": "E606"}
TEXT_PROBLEMS = {
    "tag": "有 HTML 标签“{}”；这里只能写纯文字，请删除标签（书名请用《》）",
    "url": "有脚本地址“{}”；请删除",
    "control": "有控制字符 {}（不可见）；请删除，多半是从其他软件复制时带入的",
    "bidi": "有双向文字控制符 {}，会让文字显示的顺序与实际内容不同；请删除",
}


def describe(node: Node) -> str:
    if isinstance(node, SequenceNode):
        return "列表"
    if isinstance(node, MappingNode):
        return "映射"
    return {BOOL: "布尔值", INT: "整数", FLOAT: "小数", TIMESTAMP: "日期", NULL: "空值"}.get(node.tag, "文字")


def python_kind(value: object) -> str:
    kinds = {str: "文字", list: "列表", dict: "映射", int: "整数", float: "小数", bool: "布尔值", type(None): "空值"}
    return kinds.get(type(value), "其他类型")


def validate_taxonomy(data: object, shown: str, lines: dict[tuple[str, int], int] | None = None) -> tuple[Taxonomy, list[Finding], bool]:
    """Plain taxonomy data -> (Taxonomy, findings, usable). lines: (vocabulary, item index) -> file
    line (load.taxonomy_lines), for findings about single values."""
    if not isinstance(data, dict):
        return Taxonomy(), [Finding(shown, 1, "E602", f"taxonomy.yml 应是映射（词表名: 列表），实际是{python_kind(data)}")], False
    findings: list[Finding] = []
    vocab = []
    for name in VOCABULARIES:
        values = data.get(name)
        if values is None:
            values = []
            if name not in data:
                findings.append(Finding(shown, 1, "E602", f"taxonomy.yml 缺少词表 `{name}`（应为文字列表，可为空列表 []）"))
        if not isinstance(values, list) or not all(isinstance(v, str) and v.strip() for v in values):
            findings.append(Finding(shown, 1, "E602", f"taxonomy.yml 的 `{name}` 应是非空文字组成的列表"))
            values = [v for v in values if isinstance(v, str)] if isinstance(values, list) else []
        dupes = sorted({v for v in values if values.count(v) > 1})
        if dupes:
            findings.append(Finding(shown, 1, "W601", f"taxonomy.yml 的 `{name}` 中有重复取值：{'、'.join(dupes)}", "warning"))
        vocab.append((name, tuple(dict.fromkeys(v.strip() for v in values))))
    for name in sorted(str(k) for k in data if k not in VOCABULARIES):
        hint = suggest(name, VOCABULARIES)
        findings.append(Finding(shown, 1, "W601", f"taxonomy.yml 中有未知词表 `{name}`" + (f"（是否想写 `{hint}`？）" if hint else ""), "warning"))
    usable = not any(f.severity == "error" for f in findings)
    for name in VOCABULARIES:  # unsafe text: an error, but the vocabulary stays usable for the cases
        values = data.get(name)
        for i, value in enumerate(values if isinstance(values, list) else ()):
            problem = sanitize.text_problem(value) if isinstance(value, str) else None
            if problem:
                kind, part = problem
                line = (lines or {}).get((name, i), 1)
                findings.append(Finding(shown, line, TAXONOMY_CODES[kind], f"taxonomy.yml 的 `{name}` 中的取值“{value}”" + TEXT_PROBLEMS[kind].format(part)))
    return Taxonomy(tuple(vocab)), findings, usable


class NodeReader:
    """Reads one case's composed YAML nodes: file lines, structure (tags, aliases, depth),
    mappings with duplicate keys, text scalars. Collects findings instead of stopping."""

    def __init__(self, raw: RawCase):
        self.raw = raw
        self.findings: list[Finding] = list(raw.findings)
        # YAML also ends lines at U+0085, U+2028 and U+2029, so its marks' line numbers drift from the
        # file's: find the file line from the mark's character index, counting "\n" only.
        self._line_starts: list[int] | None = None  # built on the first finding that needs a line

    def add(self, line: int, code: str, message: str) -> None:
        self.findings.append(Finding(self.raw.shown, line, code, message, CODE_BY_ID[code].severity))

    def line(self, node: Node) -> int:
        return self.mark_line(node.start_mark)

    def mark_line(self, mark) -> int:
        if self._line_starts is None:
            self._line_starts = [0, *itertools.accumulate(len(ln) + 1 for ln in self.raw.front_lines)]
        return bisect.bisect_right(self._line_starts, mark.index) - 1 + self.raw.front_start

    # -- front matter ----------------------------------------------------------------

    def needs_structure_check(self) -> bool:
        """False when the text cannot hold a tag, an alias or deep nesting (the usual case).

        Tags need `!`, aliases `&`; each level of nesting needs a bracket or a leading space or
        indicator (`- `, `? `) on its line, so fewer than MAX_YAML_DEPTH of those cannot nest deeper.
        """
        text = "\n".join(self.raw.front_lines)
        if "&" in text or "*" in text or "!" in text:
            return True
        brackets = text.count("[") + text.count("{")
        leading = max(map(len, _LEADING.findall(text)), default=0)
        return brackets + leading >= MAX_YAML_DEPTH

    def check_structure(self, root: Node) -> bool:
        """Tags, aliases and nesting; walks every node once (an alias bomb stays linear)."""
        if not self.needs_structure_check():
            return True
        seen: set[int] = set()
        queue = deque([(root, 0)])  # breadth first: a repeated alias shows before deep nesting
        ok = True
        while queue:
            node, depth = queue.popleft()
            if id(node) in seen:
                self.add(self.alias_line(), "E110", "使用了 YAML 别名（`*名称`）引用锚点；请把值直接写出来")
                return False
            seen.add(id(node))
            if node.tag not in SAFE_TAGS:
                self.add(self.line(node), "E109", f"不允许的 YAML 标签 `{node.tag.replace(YAML_TAG, '!!')}`；请删除标签，直接写值")
                ok = False
            if depth > MAX_YAML_DEPTH:
                self.add(self.line(node), "E110", f"front matter 嵌套超过 {MAX_YAML_DEPTH} 层")
                return False
            if isinstance(node, SequenceNode):
                queue.extend((child, depth + 1) for child in node.value)
            elif isinstance(node, MappingNode):
                for k, v in node.value:
                    queue.extend(((k, depth + 1), (v, depth + 1)))
        return ok

    def alias_line(self) -> int:
        """The file line of the first alias (`*name`): composed nodes only know their anchor."""
        for event in yaml.parse("\n".join(self.raw.front_lines), Loader=Loader):
            if isinstance(event, yaml.AliasEvent):
                return self.mark_line(event.start_mark)
        return self.raw.front_start

    def mapping(self, node: MappingNode, what: str) -> dict[str, tuple[Node, Node]]:
        """Mapping node -> {key: (key node, value node)}, reporting duplicate keys."""
        out: dict[str, tuple[Node, Node]] = {}
        for knode, vnode in node.value:
            key = knode.value if isinstance(knode, ScalarNode) else None
            if not isinstance(key, str):
                self.add(self.line(knode), "E202", f"{what}中的键应是英文字段名，实际是{describe(knode)}")
                continue
            if key in out:
                first = self.line(out[key][0])
                self.add(self.line(knode), "E106", f"字段 `{key}` 重复出现（第一次在第 {first} 行）；YAML 只会保留最后一个，请删除多余的一行")
                continue
            out[key] = (knode, vnode)
        return out

    def text(self, field: Field, node: Node, label: str | None = None) -> str | None:
        """A scalar that must be text. Returns the text or None (finding added)."""
        label = label or f"`{field.key}`（{field.label}）"
        if isinstance(node, ScalarNode) and node.tag == STR:
            value = node.value.strip()
            if not value:
                self.add(self.line(node), "E205", f"{label}为空；请填写内容")
                return None
            if problem := sanitize.text_problem(node.value):  # unstripped: some controls are blanks
                kind, part = problem
                self.add(self.line(node), TEXT_CODES[kind], label + TEXT_PROBLEMS[kind].format(part))
                return None
            return value
        if isinstance(node, ScalarNode) and node.tag == NULL:
            self.add(self.line(node), "E205", f"{label}为空；请填写内容")
            return None
        if isinstance(node, ScalarNode):
            self.add(self.line(node), "E215", (
                f"{label}应是文字，但 YAML 把 `{node.value}` 读成了{describe(node)}；"
                f"请加引号：`'{node.value}'`"
            ))
            return None
        self.add(self.line(node), "E204", f"{label}应是文字，实际是{describe(node)}")
        return None



class CaseCheck(NodeReader):
    """Validates one raw case: each front-matter field by its schema kind (FIELD_CHECKS), then
    the body, its markup and personal data."""

    def __init__(self, raw: RawCase, taxonomy: Taxonomy | None, files: frozenset[str], today: dt.date):
        super().__init__(raw)
        self.taxonomy = taxonomy  # None when taxonomy.yml is unusable: skip vocabulary checks
        self.files = files
        self.today = today

    def in_vocabulary(self, field: Field, node: Node, value: str) -> bool:
        problem = vocabulary_problem(field, value, self.taxonomy)
        if problem:
            self.add(self.line(node), "E203", problem)
        return problem is None

    def check_list(self, field: Field, node: Node) -> tuple[str, ...] | None:
        if isinstance(node, ScalarNode) and node.tag == NULL:
            if field.required:
                self.add(self.line(node), "E205", f"`{field.key}`（{field.label}）为空；至少填写一项，如 `{field.key}: [取值]`")
                return None
            return ()
        if not isinstance(node, SequenceNode):
            items = node.value.replace("，", ", ").replace("、", ", ") if isinstance(node, ScalarNode) else ""
            hint = f"；请写成列表：`{field.key}: [{items}]`" if isinstance(node, ScalarNode) else ""
            self.add(self.line(node), "E204", f"`{field.key}`（{field.label}）应是列表，实际是{describe(node)}{hint}")
            return None
        if field.required and not node.value:
            self.add(self.line(node), "E205", f"`{field.key}`（{field.label}）是空列表；至少填写一项")
            return None
        values, ok = [], True
        for item in node.value:
            if isinstance(item, ScalarNode) and item.tag == STR and node.flow_style and "，" in item.value:
                self.add(self.line(item), "E108", (
                    f"`{field.key}` 的列表中用了全角逗号：“{item.value}”；请改成半角逗号 `,`，"
                    f"如 `[{item.value.replace('，', ', ')}]`"
                ))
                ok = False
                continue
            value = self.text(field, item, f"`{field.key}`（{field.label}）的列表项")
            if value is None or not self.in_vocabulary(field, item, value):
                ok = False
                continue
            values.append(value)
        return tuple(dict.fromkeys(values)) if ok else None

    def check_date(self, field: Field, node: Node) -> dt.date | None:
        text = node.value if isinstance(node, ScalarNode) else ""
        if not isinstance(node, ScalarNode) or node.tag not in (STR, TIMESTAMP) or not DATE_PATTERN.match(text.strip()):
            shown = text or describe(node)
            self.add(self.line(node), "E209", f"`{field.key}`（{field.label}）应写成 YYYY-MM-DD，如 2024-01-05；实际是“{shown}”")
            return None
        try:
            value = dt.date.fromisoformat(text.strip())
        except ValueError:
            self.add(self.line(node), "E210", f"`{field.key}`（{field.label}）：{text} 这一天不存在；请改成真实日期")
            return None
        if value > self.today:
            self.add(self.line(node), "E211", f"`{field.key}`（{field.label}）：{text} 晚于今天（{self.today.isoformat()}）；收录日期不能在将来")
            return None
        return value

    def check_bool(self, field: Field, node: Node) -> bool | None:
        if isinstance(node, ScalarNode) and node.tag == BOOL and node.value.lower() in ("true", "false"):
            return node.value.lower() == "true"
        found = node.value if isinstance(node, ScalarNode) else describe(node)
        code = "E215" if isinstance(node, ScalarNode) and node.tag == BOOL else "E204"
        self.add(self.line(node), code, f"`{field.key}`（{field.label}）应写 true 或 false，实际是“{found}”")
        return None

    def check_path(self, field: Field, node: Node) -> str | None:
        if isinstance(node, ScalarNode) and node.tag == NULL:
            return None  # optional: `cover:` left empty means no cover
        value = self.text(field, node)
        if value is None:
            return None
        path = posixpath.normpath(value)
        if value.startswith("/") or path.startswith("..") or "://" in value:
            self.add(self.line(node), "E213", f"`cover`（封面）应是库内图片的相对路径，如 assets/x.jpg；实际是“{value}”")
            return None
        if not path.lower().endswith(IMAGE_SUFFIXES):
            self.add(self.line(node), "E213", f"`cover`（封面）“{value}” 不是图片（可用 {'、'.join(IMAGE_SUFFIXES)}）")
            return None
        if path not in self.files:
            self.add(self.line(node), "E213", f"`cover`（封面）：库中找不到文件“{value}”；请把图片放进库目录（如 assets/）并检查路径和大小写")
            return None
        return path

    def check_honors(self, field: Field, node: Node) -> tuple[Honor, ...] | None:
        if isinstance(node, ScalarNode) and node.tag == NULL:
            return ()
        if not isinstance(node, SequenceNode):
            self.add(self.line(node), "E204", f"`honors`（荣誉）应是列表，每项写成 `{{level: 级别, title: 名称, year: 年份}}`；实际是{describe(node)}")
            return None
        honors, ok = [], True
        level_field = Field("level", "荣誉级别", "str", True, "honor_level")
        for item in node.value:
            if not isinstance(item, MappingNode):
                self.add(self.line(item), "E214", f"`honors` 的每一项应写成 `{{level: 级别, title: 名称, year: 年份}}`，实际是{describe(item)}")
                ok = False
                continue
            entries = self.mapping(item, "`honors` 条目")
            extra = sorted(set(entries) - set(HONOR_KEYS))
            missing = [k for k in HONOR_KEYS if k not in entries]
            if extra or missing:
                parts = ([f"缺少 {'、'.join(missing)}"] if missing else []) + ([f"多余的键 {'、'.join(extra)}"] if extra else [])
                self.add(self.line(item), "E214", f"`honors` 条目{'；'.join(parts)}（应为 level、title、year）")
                ok = False
                continue
            level = self.text(level_field, entries["level"][1], "`honors` 的 `level`")
            if level is not None and not self.in_vocabulary(level_field, entries["level"][1], level):
                level = None
            title = self.text(level_field, entries["title"][1], "`honors` 的 `title`")
            ynode = entries["year"][1]
            year = int(ynode.value) if isinstance(ynode, ScalarNode) and ynode.tag == INT and ynode.value.isdigit() else None
            if year is not None and not honor_year_ok(year, self.today.year):
                year = None
            if year is None:
                self.add(self.line(ynode), "E204", f"`honors` 的 `year` 应是 {HONOR_YEAR_MIN} 至 {self.today.year} 之间的年份整数，如 2023；实际是“{getattr(ynode, 'value', describe(ynode))}”")
            if level is None or title is None or year is None:
                ok = False
                continue
            honors.append(Honor(level, title, year))
        return tuple(honors) if ok else None

    def check_front(self) -> dict[str, object] | None:
        raw = self.raw
        root = raw.front_node
        if not isinstance(root, MappingNode):
            found = "空的" if root is None or (isinstance(root, ScalarNode) and root.tag == NULL) else f"一个{describe(root)}"
            self.add(2 if root is None else self.line(root), "E105", f"front matter 应是“字段: 值”的映射，实际是{found}；每行写成 `title: 标题` 的形式")
            return None
        if not self.check_structure(root):
            return None
        entries = self.mapping(root, "front matter ")
        values: dict[str, object] = {}
        for key, (knode, vnode) in entries.items():
            field = FIELD_BY_KEY.get(key)
            if field is None:
                hint = LABEL_TO_KEY.get(key) or suggest(key, FIELD_BY_KEY)
                self.add(self.line(knode), "E202", f"未知字段 `{key}`" + (f"；是否想写 `{hint}`？" if hint else f"；可用字段：{'、'.join(FIELD_BY_KEY)}"))
                continue
            value = FIELD_CHECKS[field.kind](self, field, vnode)
            if value is not None:
                values[key] = value
        for field in FIELDS:
            if field.required and field.key not in entries:
                self.add(1, "E201", f"缺少必填字段 `{field.key}`（{field.label}）：{field.rule}")
        front = "\n".join(self.raw.front_lines)
        if "\\" in front or not scan.all_paired(front):  # a YAML escape (\u201c) can hide a mark
            self.check_field_pairs(entries)
        return values

    def check_field_pairs(self, entries: dict[str, tuple[Node, Node]]) -> None:
        """W217: every text value (list items and honour titles too) closes its paired marks."""
        for key, (_, vnode) in entries.items():
            nodes = [vnode]
            while nodes:
                node = nodes.pop()
                if isinstance(node, SequenceNode):
                    nodes.extend(reversed(node.value))
                elif isinstance(node, MappingNode):
                    nodes.extend(v for _, v in reversed(node.value))
                elif node.tag == STR and scan.PAIR_CHARS.search(node.value):
                    for _, mark in scan.unpaired(node.value)[:1]:
                        field = FIELD_BY_KEY.get(key)
                        label = f"`{key}`（{field.label}）" if field else f"`{key}`"
                        self.add(self.line(node), "W217", (
                            f"{label}中的 `{mark}` 没有配对的 `{scan.partner(mark)}`；请补上或删去多余的一个"
                            f"（成对的标点：{PAIRS_TEXT}）"
                        ))

    def check_summary_figures(self, node: Node, summary: str) -> None:
        """W216: every figure in the summary can be found in the body."""
        # 11+ digits in a row are phone or ID numbers (E501/E502 judge those; never echo them)
        numbers = [n for n in scan.figures(summary) if len(n) < 11]
        if not numbers:
            return
        in_body = set(scan.figures(self.raw.body))
        missing = [n for n in dict.fromkeys(numbers) if n not in in_body]
        if missing:
            shown = "、".join(f"“{n}”" for n in missing)
            self.add(self.line(node), "W216", (
                f"`summary`（摘要）中的数字{shown}在正文中找不到；摘要里的每个数字都应能在正文中查到，"
                "请在正文写明出处，或从摘要删去"
            ))

    def check_str(self, field: Field, node: Node) -> str | None:
        if not field.required and isinstance(node, ScalarNode) and node.tag == NULL:
            return None
        value = self.text(field, node)
        if value is None or not self.in_vocabulary(field, node, value):
            return None
        if field.key == "id":
            stem = posixpath.splitext(posixpath.basename(self.raw.rel))[0]
            if not ID_PATTERN.match(value):
                self.add(self.line(node), "E206", f"`id` 只能用小写字母、数字和单个连字符（如 yangguang-chedui），实际是“{value}”")
                return None
            if value != stem:
                self.add(self.line(node), "E207", f"`id` 是“{value}”，但文件名是“{stem}.md”；两者应一致")
                return None
        if field.key == "summary" and (problem := summary_problem(value)):
            self.add(self.line(node), "E212", problem)
            return None
        if field.key == "source" and not scan.names_a_source(value):
            self.add(self.line(node), "W218", (
                f"`source`（来源）“{value[:40]}”没有写明出处；请写出文件或讲话的名称（如《……》）、"
                "会议名称或日期，便于读者核对"
            ))
        if field.key == "summary" and scan.DIGIT.search(value):
            self.check_summary_figures(node, value)
        return value

    # -- body ---------------------------------------------------------------------------

    def check_body(self) -> tuple[Section, ...]:
        raw = self.raw
        sections = scan.sections(raw.body, raw.body_line)
        canonical = SECTION_ORDER
        titles = [s.title for s in sections]
        for name in REQUIRED_SECTIONS:
            if name not in titles:
                self.add(1, "E301", f"正文缺少必需章节 `## {name}`（必需：{'、'.join(REQUIRED_SECTIONS)}，按此顺序）；内容暂缺时写“待补充”")
        seen: set[str] = set()
        last = -1
        for s in sections:
            if s.title in seen and s.title in canonical:
                self.add(s.line, "E302", f"章节 `## {s.title}` 重复出现；请合并为一个")
                continue
            seen.add(s.title)
            if s.title in canonical:
                rank = canonical.index(s.title)
                if rank < last:
                    self.add(s.line, "E302", f"章节 `## {s.title}` 应在 `## {canonical[last]}` 之前（顺序：{' → '.join(REQUIRED_SECTIONS)}，经验启示在后）")
                last = max(last, rank)
            if not s.text.strip():
                self.add(s.line, "E303", f"章节 `## {s.title}` 没有内容；请补写，来源中没有相关信息时写“待补充”")
            elif s.incomplete:
                self.add(s.line, "W301", f"章节 `## {s.title}` 为“待补充”，案例将标为不完整")
        self.check_results(sections)
        for line, code, message in lints.body_lints(sections, scan.prose_text(self.raw.body), self.raw.body_line):
            self.add(line, code, message)  # W304-W306: writing lints (lints.py)
        if not scan.all_paired(self.raw.body):
            self.check_body_pairs()
        return sections

    def check_results(self, sections: tuple[Section, ...]) -> None:
        """W302: `## 取得成效` states what was achieved, not what is planned."""
        lines: list[str] | None = None
        for i, s in enumerate(sections):
            if s.title != RESULTS_SECTION or s.incomplete or not scan.PLAN.search(s.text) or not scan.plan_word(s.text):
                continue  # the usual case: one search over the section decides
            if lines is None:
                lines = scan.prose_text(self.raw.body).split("\n")
            first = s.line - self.raw.body_line + 1
            end = sections[i + 1].line - self.raw.body_line if i + 1 < len(sections) else len(lines)
            for k in range(first, end):
                hit = scan.plan_word(lines[k])
                if hit:
                    word, context = hit
                    self.add(self.raw.body_line + k, "W302", (
                        f"`## {RESULTS_SECTION}` 中“{context}”的“{word}”写的是计划或打算；"
                        "成效应写已经取得的结果；计划写在主要做法或经验启示中"
                    ))

    def check_body_pairs(self) -> None:
        """W303: paired marks close within their paragraph, list item, heading or table row."""
        body = self.raw.body
        text = scan.prose_text(body)
        for pos, mark in scan.unpaired(text):
            self.add(self.raw.body_line + text.count("\n", 0, pos), "W303", (
                f"正文中的 `{mark}` 没有配对的 `{scan.partner(mark)}`；请补上或删去多余的一个"
                f"（成对的标点：{PAIRS_TEXT}，须在同一段落、列表项或表格行内配对）"
            ))

    def check_snippets(self) -> None:
        """E411: the site writes a snippet marker as text; the page would not show what was written."""
        for line in scan.snippet_lines(self.raw.body, self.raw.body_line):
            self.add(line, "E411", "正文用 `--8<--` 引入其他文件，站点不会执行；请删除这一行，把内容直接写进正文")

    def check_personal_data(self) -> None:
        for line, kind, value in scan.personal_data(self.raw.text):
            masked = value[:3] + "*" * (len(value) - 7) + value[-4:]
            if kind == "id":
                self.add(line, "E501", f"含有居民身份证号码（{masked}）；案例不得公开个人信息，请删除")
            else:
                self.add(line, "E502", f"含有手机号码（{masked}）；案例不得公开个人信息，请删除")

    # -- all ----------------------------------------------------------------------------

    def run(self) -> Case | None:
        if self.raw.findings:  # unparsable: the personal-data scan still runs on what was decoded
            if self.raw.text:
                self.check_personal_data()
            return None
        values = self.check_front()
        sections = self.check_body()
        self.check_snippets()
        self.check_personal_data()
        if values is None or any(f.severity == "error" for f in self.findings):
            return None
        return Case(
            rel=self.raw.rel,
            body=self.raw.body,
            body_line=self.raw.body_line,
            sections=sections,
            **values,  # type: ignore[arg-type]
        )


# schema.Field.kind -> the check that judges a field of that kind.
FIELD_CHECKS: dict[str, Callable[[CaseCheck, Field, Node], object]] = {
    "str": CaseCheck.check_str, "list": CaseCheck.check_list, "date": CaseCheck.check_date,
    "bool": CaseCheck.check_bool, "path": CaseCheck.check_path, "honors": CaseCheck.check_honors,
}
assert {f.kind for f in FIELDS} <= set(FIELD_CHECKS), "every field kind of the schema needs its check"


def validate_case(raw: RawCase, taxonomy: Taxonomy | None, files: frozenset[str], today: dt.date) -> tuple[Case | None, list[Finding]]:
    check = CaseCheck(raw, taxonomy, files, today)
    case = check.run()
    return case, check.findings


def check_assets(assets: tuple[str, ...], svgs: dict[str, str], shown_root: str) -> list[Finding]:
    """Library files published as they are: none a browser runs as a page; SVGs without script
    or external references (a reader may open one directly from the unzipped offline copy)."""
    findings = []
    for rel in assets:
        shown = rel if shown_root == "." else f"{shown_root}/{rel}"
        if rel.lower().endswith(ACTIVE_SUFFIXES):
            findings.append(Finding(shown, 1, "E413", f"文件“{rel}”会被浏览器当作网页或脚本打开，不能随站点发布；请删除，材料请转成 PDF 或图片"))
        for line, what in sanitize.svg_problems(svgs.get(rel, "")):
            findings.append(Finding(shown, line, "E412", f"SVG 图片含有{what}，读者直接打开时会运行脚本或访问其他网站；请重新导出为不含脚本和外部引用的 SVG，或改用 PNG"))
    return findings


def check_duplicate_ids(raws_and_cases: list[tuple[RawCase, Case | None]]) -> list[Finding]:
    """Ids must be unique across the library (subfolders make equal file names possible). A case's
    former ids (`aliases`) share that namespace: each names a page of the site (cases/<id>)."""
    first: dict[str, str] = {}
    findings = []
    for raw, case in raws_and_cases:
        if case is None:
            continue
        if case.id in first:
            findings.append(Finding(raw.shown, _front_line(raw, "id"), "E208", f"`id`“{case.id}” 与 {first[case.id]} 重复；请换一个 id 并同步文件名"))
        else:
            first[case.id] = raw.shown
    for raw, case in raws_and_cases:  # after every id: an alias never takes a case's own id
        for alias in case.aliases if case else ():
            if not ID_PATTERN.match(alias):
                findings.append(Finding(raw.shown, _front_line(raw, "aliases"), "E206", (
                    f"`aliases`（曾用编号）中的“{alias}”不是有效的编号：只能用小写字母、数字和单个连字符，如 yangguang-chedui")))
            elif alias in first:
                findings.append(Finding(raw.shown, _front_line(raw, "aliases"), "E208", (
                    f"`aliases`（曾用编号）中的“{alias}”与 {first[alias]} 的编号重复；曾用编号不能是现有案例的 id，"
                    "也不能出现在两个案例中")))
            else:
                first[alias] = raw.shown
    return findings


def _front_line(raw: RawCase, key: str) -> int:
    """The file line of a top-level front-matter key (1 when not found)."""
    return next((i + raw.front_start for i, ln in enumerate(raw.front_lines) if ln.startswith(key + ":")), 1)
