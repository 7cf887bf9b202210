"""Reading a case's composed YAML nodes: file lines, structure (tags, aliases, depth), mappings with
duplicate keys, text scalars. The field checks (fields.py) and body checks (body.py) build on it."""

from __future__ import annotations

import bisect
import itertools
import re
from collections import deque

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from . import sanitize
from .load import KEY_NAME, Loader
from .model import Finding, RawCase
from .schema import CODE_BY_ID, FIELDS, MAX_YAML_DEPTH, Field

YAML_TAG = "tag:yaml.org,2002:"  # the prefix of YAML's standard tags (!!str is YAML_TAG + "str")
STR, NULL, BOOL, INT, FLOAT, TIMESTAMP = (YAML_TAG + t for t in ("str", "null", "bool", "int", "float", "timestamp"))
SAFE_TAGS = {STR, NULL, BOOL, INT, FLOAT, TIMESTAMP, YAML_TAG + "seq", YAML_TAG + "map"}
LABEL_TO_KEY = {f.label: f.key for f in FIELDS}
_KEY = re.compile(KEY_NAME + ":")  # a mapping's key at the start of a line's text
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


class NodeReader:
    """Reads one case's composed YAML nodes: file lines, structure (tags, aliases, depth),
    mappings with duplicate keys, text scalars. Collects findings instead of stopping."""

    def __init__(self, raw: RawCase):
        self.raw = raw
        self.findings: list[Finding] = list(raw.findings)
        # YAML also ends lines at U+0085, U+2028 and U+2029, so its marks' line numbers drift from the
        # file's: find the file line from the mark's character index, counting "\n" only.
        self._line_starts: list[int] | None = None  # built on the first finding that needs a line
        self._text: str | None = None
        self._any_comment: bool | None = None  # whether the front matter holds a `#` at all

    def add(self, line: int, code: str, message: str) -> None:
        self.findings.append(Finding(self.raw.shown, line, code, message, CODE_BY_ID[code].severity))

    def line(self, node: Node) -> int:
        return self.mark_line(node.start_mark)

    def mark_line(self, mark) -> int:
        if self._line_starts is None:
            self._line_starts = [0, *itertools.accumulate(len(ln) + 1 for ln in self.raw.front_lines)]
        return bisect.bisect_right(self._line_starts, mark.index) - 1 + self.raw.front_start

    def comment_after(self, node: Node) -> str:
        """The comment (`# …`) after a scalar on its line, "" when there is none."""
        text = self._front_text()
        end = node.end_mark.index
        rest = text[end:text.find("\n", end) if "\n" in text[end:] else len(text)].strip()
        return rest if rest.startswith("#") else ""

    def _front_text(self) -> str:
        if self._text is None:
            self._text = "\n".join(self.raw.front_lines)
        return self._text

    def cut_by_comment(self, node: ScalarNode, label: str) -> None:
        """W220 for a value `# 话题` or `#2023` cut short: YAML reads `#` after a blank as the start of
        a comment, and a contributor's comments are written `# ` (as the template's are)."""
        if node.style in ("|", ">"):
            return  # a block's value ends with its lines: a `#` line after it is a comment of its own
        comment = self.comment_after(node)
        if comment[1:2].strip():
            whole = f"{node.value} {comment}".strip()
            quoted = "'" + whole.replace("'", "''") + "'"
            line = self.raw.front_lines[self.line(node) - self.raw.front_start].lstrip()
            item = line[1:].lstrip() if line.startswith("-") else None  # a list's item: `- 值` or `- title: 值`
            keyed = item if item is None or _KEY.match(item) else None
            form = f"- {quoted}" if keyed is None and item is not None else f"{'- ' if item is not None else ''}{(keyed or line).split(':', 1)[0].strip()}: {quoted}"
            self.add(self.line(node), "W220", (
                f"{label}中“{comment[:30]}”被当作注释，没有读进来（`#` 前有空格时，其后的文字是注释）；"
                f"若它是值的一部分，请给整个值加单引号：`{form}`"))

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
            if self._any_comment is None:
                self._any_comment = "#" in self._front_text()
            if self._any_comment:
                self.cut_by_comment(node, label)
            return value
        if isinstance(node, ScalarNode) and node.tag == NULL:
            if node.value.strip():  # `null`, `NULL`, `~`: YAML's words for "empty"
                self.add(self.line(node), "E215", (
                    f"{label}应是文字，但 YAML 把 `{node.value}` 读成了空值；"
                    f"若要写的就是它，请加引号：`'{node.value}'`；否则请填写内容"))
            elif comment := self.comment_after(node):
                self.add(self.line(node), "E205", (
                    f"{label}为空：这一行的“{comment[:30]}”是注释（`#` 前有空格时，其后的文字是注释），不算值；"
                    "值要写在冒号和 `#` 之间，值本身以 `#` 开头时请给整个值加单引号"))
            else:
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
