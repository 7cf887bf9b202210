"""Each front-matter field judged by its schema kind: text, list, date, true/false, path, honours
(FIELD_CHECKS maps schema.Field.kind to its check). Findings are collected, never raised."""

from __future__ import annotations

import datetime as dt
import posixpath
import re
import unicodedata
from collections.abc import Callable

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from . import scan
from .model import Honor, RawCase, Taxonomy
from .nodes import BOOL, INT, LABEL_TO_KEY, NULL, STR, TIMESTAMP, NodeReader, describe
from .rules import TYPED_SEPARATORS, honor_year_ok, is_image, list_items, suggest, summary_problem, vocabulary_problem
from .schema import DATE_PATTERN, FIELD_BY_KEY, FIELDS, HONOR_KEYS, HONOR_YEAR_MIN, IMAGE_SUFFIXES, id_problem, PAIRS_TEXT, Field

_TYPED_SEPARATOR = re.compile(f"[{TYPED_SEPARATORS}]")


class FieldCheck(NodeReader):
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

    def allowed(self, field: Field, value: str) -> bool:
        """A value the field's vocabulary (or fixed choices) holds: checked, and there."""
        if field.choices:
            return value in field.choices
        return bool(field.vocabulary and self.taxonomy is not None and value in self.taxonomy.values(field.vocabulary))

    def value_in_comment(self, field: Field, node: ScalarNode) -> str | None:
        """A vocabulary value typed after the comment beside an empty field (the template's
        `party_org:  # 选填：…（党委、党总支…） 党支部`): the comment's last word, when it is one."""
        if not field.vocabulary or not (comment := self.comment_after(node)):
            return None
        last = comment.split()[-1]
        return last if self.allowed(field, last) else None

    @staticmethod
    def items_typed(node: SequenceNode) -> list[str]:
        """A list's items, each split where people type separators other than `,` (list_items)."""
        return [part for item in node.value if isinstance(item, ScalarNode) for part in list_items(item.value)]

    def check_list(self, field: Field, node: Node) -> tuple[str, ...] | None:
        if isinstance(node, ScalarNode) and node.tag == NULL:
            if field.required:
                self.add(self.line(node), "E205", f"`{field.key}`（{field.label}）为空；至少填写一项，如 `{field.key}: [取值]`")
                return None
            return ()
        if not isinstance(node, SequenceNode):
            items = ", ".join(list_items(node.value)) if isinstance(node, ScalarNode) else ""
            hint = f"；请写成列表：`{field.key}: [{items}]`" if isinstance(node, ScalarNode) else ""
            self.add(self.line(node), "E204", f"`{field.key}`（{field.label}）应是列表，实际是{describe(node)}{hint}")
            return None
        if field.required and not node.value:
            self.add(self.line(node), "E205", f"`{field.key}`（{field.label}）是空列表；至少填写一项")
            return None
        values, ok = [], True
        for item in node.value:
            if (isinstance(item, ScalarNode) and item.tag == STR and node.flow_style and _TYPED_SEPARATOR.search(item.value)
                    and len(parts := list_items(item.value)) > 1 and not self.allowed(field, item.value.strip())):
                self.add(self.line(item), "E108", (
                    f"`{field.key}` 的列表中用了“{_TYPED_SEPARATOR.search(item.value).group()}”分隔：“{item.value}”；"
                    f"列表项之间请用半角逗号 `,`：`{field.key}: [{', '.join(self.items_typed(node))}]`"
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
        if isinstance(node, ScalarNode) and not text.isascii() and (plain := unicodedata.normalize("NFKC", text).strip()).isascii() \
                and DATE_PATTERN.match(plain):
            self.add(self.line(node), "E209", f"`{field.key}`（{field.label}）的日期用了全角数字或符号“{text}”；请用半角：`{field.key}: {plain}`")
            return None
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
        if not is_image(path):
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
        meant: set[str] = set()  # required fields an unknown key was taken for: E202 says it, not E201 as well
        for key, (knode, vnode) in entries.items():
            field = FIELD_BY_KEY.get(key)
            if field is None:
                hint = LABEL_TO_KEY.get(key) or suggest(key, FIELD_BY_KEY)
                if hint and hint not in entries:
                    meant.add(hint)
                self.add(self.line(knode), "E202", f"未知字段 `{key}`" + (f"；是否想写 `{hint}`？" if hint else f"；可用字段：{'、'.join(FIELD_BY_KEY)}"))
                continue
            value = FIELD_CHECKS[field.kind](self, field, vnode)
            if value is not None:
                values[key] = value
        for field in FIELDS:
            if field.required and field.key not in entries and field.key not in meant:
                self.add(1, "E201", f"缺少必填字段 `{field.key}`（{field.label}）：{field.rule}")
        front = self._front_text()
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
        if isinstance(node, ScalarNode) and not node.value.strip() and (written := self.value_in_comment(field, node)):
            self.add(self.line(node), "E205" if field.required else "W220", (  # required: empty is the error
                f"`{field.key}`（{field.label}）是空的：“{written}”写在了 `#` 后面的注释里，不算值；"
                f"请写在冒号和 `#` 之间：`{field.key}: {written}`（注释可以删去）"))
            return None
        if not field.required and isinstance(node, ScalarNode) and node.tag == NULL:
            return None
        value = self.text(field, node)
        if value is None or not self.in_vocabulary(field, node, value):
            return None
        if field.key == "id":
            stem = posixpath.splitext(posixpath.basename(self.raw.rel))[0]
            if problem := id_problem(value):
                self.add(self.line(node), "E206", f"`id`“{value}”{problem}")
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
        if field.key == "summary" and scan.FIGURE_DIGIT.search(value):
            self.check_summary_figures(node, value)
        return value


# schema.Field.kind -> the check that judges a field of that kind.
FIELD_CHECKS: dict[str, Callable[[FieldCheck, Field, Node], object]] = {
    "str": FieldCheck.check_str, "list": FieldCheck.check_list, "date": FieldCheck.check_date,
    "bool": FieldCheck.check_bool, "path": FieldCheck.check_path, "honors": FieldCheck.check_honors,
}
assert {f.kind for f in FIELDS} <= set(FIELD_CHECKS), "every field kind of the schema needs its check"
