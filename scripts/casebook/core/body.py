"""The body of a case: its sections, results that are plans, paired marks, snippet markers,
personal data (the writing lints are lints.py). Findings are collected, never raised."""

from __future__ import annotations

import html
import re

from . import lints, markup, sanitize, scan
from .model import Section
from .nodes import NodeReader
from .rules import SECTION_SYNONYMS, heading_key, outline_number, section_of, section_problems
from .schema import INCOMPLETE_MARK, is_incomplete, PAIRS_TEXT, REQUIRED_SECTIONS, RESULTS_SECTION, SECTION_ORDER


# A numeric character reference as HTML reads one (the `;` may be left out).
_CHARACTER_REFERENCE = re.compile(r"&#(?:[xX][0-9a-fA-F]+|[0-9]+);?")


def _referenced(reference: str) -> str:
    """The character a numeric reference stands for, as HTML reads it (Python's html.unescape
    drops the controls a browser keeps): nothing there is U+FFFD, 0x80-0x9F are Windows-1252's."""
    digits = reference[2:].rstrip(";")
    digits = (digits[:1] + digits[1:].lstrip("0")) if digits[:1] in "xX" else digits.lstrip("0")
    if len(digits) > 8:
        return "\ufffd"
    n = int(digits[1:] or "0", 16) if digits[:1] in "xX" else int(digits or "0")
    if n == 0 or n > 0x10FFFF or 0xD800 <= n <= 0xDFFF:
        return "\ufffd"
    return (html.unescape(f"&#{n};") or chr(n)) if 0x80 <= n <= 0x9F else chr(n)


# A line written as a heading some other way: `#`s, bold, a Word outline number, a note in brackets.
_HEADING_MARKS = re.compile(r"^[#＃]{1,6}[ \t\u3000]*|^[*_]{2}|[*_]{2}$")  # (＃: typed with an input method)
_SUB_HEADING = re.compile(r"^(?:#{3,6}|＃{3,6})[ \t\u3000]")  # `### 背景` under 主要做法 is its own sub-heading
_BRACKETED_NOTE = re.compile(r"[（(][^（）()]*[）)]$")
_HEADING_MAX = 16  # characters of a line that may be a heading (the longest other name is 5)


def headings_meaning(body: str, names: list[str]) -> dict[str, tuple[int, str]]:
    """For each of the standard sections `names`, the first body line (0-based, code skipped)
    that is its heading written otherwise: `一、基本情况`, `**主要做法**`, `# 基本情况`,
    `## 工作成效`, `## 取得成效（2023年）`, or the name alone on a line: (line, as written). A line
    without such marks counts only when it is exactly one of the section's names (not `取得成效显著。`)."""
    out: dict[str, tuple[int, str]] = {}
    for i, line in enumerate(scan.prose_text(body).split("\n")):
        written = line.strip()
        if not written or len(written) > _HEADING_MAX * 2:
            continue
        unmarked = _HEADING_MARKS.sub("", written).strip(" \t\u3000*_")
        text = _BRACKETED_NOTE.sub("", outline_number().sub("", unmarked)).strip(" \t\u3000：:")
        if len(text) > _HEADING_MAX or not (name := section_of(text)) or name not in names or name in out:
            continue
        if _SUB_HEADING.match(written) and text != name:
            continue  # a sub-heading counts only when it is the section's own name (`### 基本情况`)
        if text != written or heading_key(text) in SECTION_SYNONYMS[name]:
            out[name] = (i, written)
    return out


def leftover_marks(text: str) -> list[int]:
    """The lines (0-based in `text`) of the paragraphs that are only 待补充 in a section that has
    other content: the template's mark, left behind (code is text, not a paragraph)."""
    lines = scan.prose_text(text).split("\n")
    out, start = [], None
    for i, line in enumerate(lines + [""]):
        if line.strip() and start is None:
            start = i
        elif not line.strip() and start is not None:
            if is_incomplete("\n".join(lines[start:i])):
                out.append(start)
            start = None
    return out


class BodyCheck(NodeReader):

    def check_body(self) -> tuple[Section, ...]:
        raw = self.raw
        sections = scan.sections(raw.body, raw.body_line)
        titles = {s.line - raw.body_line: s.title for s in sections}
        differences = markup.heading_differences(raw.body, list(titles))
        lines = raw.body.split("\n") if differences else []
        for line, shown in differences:
            if shown is None and (start := markup.html_around(lines, line)) is not None:
                self.add(raw.body_line + start, "E304", (  # said where the HTML begins: the cause, above the section
                    f"从这一行起的 HTML 注释或 HTML 块一直延续到第 {raw.body_line + line} 行的 `## {titles[line]}`，"
                    "这个章节标题在页面上因此不是标题：网页上没有这一章，案例汇编和数据导出却把它当作一章；"
                    "请检查这里的注释是否用 `-->` 结束、标签是否都配对（如 `<p>` 与 `</p>`），章节不要放在注释里"))
            elif shown is None:
                self.add(raw.body_line + line, "E304", (
                    f"`## {titles[line]}` 在页面上不是标题（行首有空格）：网页上没有这一章，"
                    "案例汇编和数据导出却把它当作一章；请把 `##` 顶格写"))
            else:
                self.add(raw.body_line + line, "E304", (
                    f"这一行在页面上是二级标题“{shown}”，却不算章节：章节标题写作 `## {shown}`（顶格，`##` 后一个半角空格，不是全角空格；前后各空一行）"))
        missing, misplaced = section_problems([s.title for s in sections])
        meant = headings_meaning(raw.body, missing) if missing else {}
        said = {line for line, _ in differences}  # E304 already names the heading there and how to write it
        for name in missing:
            if name in meant and meant[name][0] in said:
                continue
            if name in meant:
                line, written = meant[name]
                self.add(raw.body_line + line, "E301", (
                    f"正文缺少必需章节 `## {name}`：这一行“{written[:30]}”看起来是它的标题，但章节标题要写作 `## {name}`"
                    "（顶格，两个 `#` 后一个半角空格，用这个标准名称，不加编号、加粗或括号里的说明）"))
            else:
                self.add(1, "E301", f"正文缺少必需章节 `## {name}`（必需：{'、'.join(REQUIRED_SECTIONS)}，按此顺序）；内容暂缺时写“{INCOMPLETE_MARK}”")
        for i, kind, other in misplaced:
            s = sections[i]
            if kind == "duplicate":
                self.add(s.line, "E302", f"章节 `## {s.title}` 重复出现；请合并为一个")
            else:
                self.add(s.line, "E302", f"章节 `## {s.title}` 应在 `## {other}` 之前（顺序：{' → '.join(REQUIRED_SECTIONS)}，经验启示在后）")
        for k, s in enumerate(sections):
            if not s.text or s.text.isspace():  # (no copy of the text, as strip() makes)
                following = sections[k + 1].title if k + 1 < len(sections) else None
                if following is not None and following not in SECTION_ORDER and section_of(following) is None:
                    self.add(s.line, "E303", (
                        f"章节 `## {s.title}` 没有内容：紧接着的 `## {following}` 另起了一章。若它是这一章里的小标题，"
                        f"请用三个 `#`：`### {following}`；若它是另外的一章，请给 `## {s.title}` 补写内容，"
                        f"来源中没有相关信息时写“{INCOMPLETE_MARK}”"))
                else:
                    self.add(s.line, "E303", f"章节 `## {s.title}` 没有内容；请补写，来源中没有相关信息时写“{INCOMPLETE_MARK}”")
            elif markup.shows_nothing(s.text):
                self.add(s.line, "E303", (f"章节 `## {s.title}` 在页面上什么也不显示（只有空格、`&nbsp;`、零宽字符、`<br>`、"
                                          f"分隔线、空链接或注释）；请补写，来源中没有相关信息时写“{INCOMPLETE_MARK}”"))
            elif s.incomplete:
                self.add(s.line, "W301", f"章节 `## {s.title}` 为“{INCOMPLETE_MARK}”，案例将标为不完整")
            elif INCOMPLETE_MARK in s.text:
                first = s.line + 1  # the section's lines as the file has them (its text is stripped of blank lines)
                last = sections[k + 1].line if k + 1 < len(sections) else raw.body_line + raw.body.count("\n") + 1
                for line in leftover_marks("\n".join(raw.body.split("\n")[first - raw.body_line:last - raw.body_line])):
                    self.add(first + line, "W310", (
                        f"章节 `## {s.title}` 已有内容，这一段却只写着“{INCOMPLETE_MARK}”：页面上会照样显示它，案例却不标为不完整；"
                        f"内容已经写全就删去这一段；还缺什么，就写明缺什么（整章都没有内容时，整章只写“{INCOMPLETE_MARK}”）"))
        self.check_results(sections)
        for line, code, message in lints.body_lints(sections, scan.prose_text(self.raw.body), self.raw.body_line):
            self.add(line, code, message)  # W304-W306: writing lints (lints.py)
        if not scan.all_paired(self.raw.body):
            self.check_body_pairs()
        for line, letters in markup.lost_letters(self.raw.body):
            self.add(self.raw.body_line + line, "E425", (
                f"Markdown 处理这一段时会丢掉文字（“{letters}”附近），页面和案例汇编上会缺字：多半是 `*`、`_` 强调符号交错"
                "（如 `*甲**乙*丙`），或表格的一行比表头多出单元格；请把强调符号配对写好，不是强调的 `*`、`_` 写成 `\\*`、`\\_`，"
                "表格每行的单元格数与表头相同"))
        for line in markup.indented_code(self.raw.body):
            self.add(self.raw.body_line + line, "W308", (
                "这一段开头缩进了四个空格或一个制表符（从 Word 粘贴时常见），页面和案例汇编上会显示成代码块：等宽字体、"
                "不自动换行，手机上要左右滚动；请删去行首的空格或制表符（段首缩进可用两个全角空格）"))
        for line, kind in markup.joined_lines(self.raw.body):
            self.add(self.raw.body_line + line, "W311", (
                "这一行和上面的表格行在页面上会连成一段文字，不是表格：表格前后要各空一行，表头下面要有一行 `| --- | --- |`（每列一个 `---`）"
                if kind == "table" else
                "这一行像是新的一条（列表、编号或项目符号），页面和案例汇编上却会接在上一行后面，连成一段：请在它上面空一行；"
                "各条之间也各空一行，或写成 Markdown 列表（`- 一条`，`-` 后一个空格，列表前空一行）"))
        for line in markup.flattened_items(self.raw.body):
            self.add(self.raw.body_line + line, "W312", (
                "这一项只缩进了一到三个空格，页面和案例汇编上会和上一项并列，而不是它的下一级：二级列表请缩进四个空格"))
        for line, address in markup.bare_web_addresses(self.raw.body):
            self.add(self.raw.body_line + line, "W313", (
                f"网址“{address[:60]}”在页面上是普通文字，读者点不开：写成 `<{address[:60]}>`，"
                "或 `[说明文字](网址)`"))
        for line, written, shown in markup.renumbered_items(self.raw.body):
            self.add(self.raw.body_line + line, "E426", (
                f"有序列表这一项写的序号是 {written}，页面和案例汇编上会显示为 {shown}（列表从第一项的序号起逐项加一）："
                f"请按顺序编号；若 {written} 是年份等正文而不是序号，在点号前加反斜杠写成 `{written}\\. …`，并与上一行空一行（否则两行连成一段）"))
        for line, shown in markup.lost_closing_hashes(self.raw.body):
            self.add(self.raw.body_line + line, "E425", (
                f"标题末尾紧贴文字的 `#` 会被 Markdown 当作标题的结束标记去掉，页面和案例汇编上只显示“{shown}”；"
                "要显示 #，写作 `\\#`（如 `### 使用C\\#`）"))
        return sections

    def check_results(self, sections: tuple[Section, ...]) -> None:
        """W302: `## 取得成效` states what was achieved, not what is planned."""
        planned = [s for s in sections if s.title == RESULTS_SECTION and not s.incomplete
                   and scan.PLAN.search(s.text) and scan.plan_word(s.text)]  # the usual case: one search decides
        if not planned:
            return
        lines = scan.prose_text(self.raw.body).split("\n")
        for s, first, section in lints.section_lines(sections, lines, self.raw.body_line):
            if s not in planned:
                continue
            for k, line in enumerate(section):
                hit = scan.plan_word(line)
                if hit:
                    word, context = hit
                    self.add(first + k, "W302", (
                        f"`## {RESULTS_SECTION}` 中“{context}”的“{word}”写的是计划或打算；"
                        "成效应写已经取得的结果；计划写在主要做法或经验启示中"
                    ))

    def check_body_pairs(self) -> None:
        """W303: paired marks close within their paragraph, list item, heading or table row."""
        body = self.raw.body
        text = scan.prose_text(body)
        found = scan.unpaired(text)
        line = scan.line_index(text) if found else None  # most bodies have none: no index
        for pos, mark in found:
            self.add(self.raw.body_line + line(pos), "W303", (
                f"正文中的 `{mark}` 没有配对的 `{scan.partner(mark)}`；请补上或删去多余的一个"
                f"（成对的标点：{PAIRS_TEXT}，须在同一段落、列表项或表格行内配对）"
            ))

    def check_snippets(self) -> None:
        """E411: the site writes a snippet marker as text; the page would not show what was written."""
        for line in scan.snippet_lines(self.raw.body, self.raw.body_line):
            self.add(line, "E411", "正文用 `--8<--` 引入其他文件，站点不会执行；请删除这一行，把内容直接写进正文")

    def check_control_characters(self) -> None:
        """E420: control characters in the body, each line that holds one (code blocks included).
        The same characters a field may not hold (E218, sanitize.control_characters): the page does
        not show them, and the Word 案例汇编 cannot hold them at all."""
        body = self.raw.body
        if "&#" in body:
            self.check_control_references()
        if not sanitize.control_characters(body):  # nearly every body: one search
            return
        for k, text in enumerate(body.split("\n")):
            found = sanitize.control_characters(text)
            if not found:
                continue
            advice = []
            if "U+000B" in found:
                advice.append("U+000B 是 Word 的手动换行（Shift+Enter）：删去它，在那里真正换行（另起一段就空一行）")
            if found != ["U+000B"]:
                advice.append(f"删除{'其他的' if advice else '它'}：多半是从其他软件复制时带入的")
            self.add(self.raw.body_line + k, "E420",
                     f"正文中有控制字符 {'、'.join(found)}，看不见，Word 版案例汇编也无法写入；{'；'.join(advice)}")

    def check_control_references(self) -> None:
        """E420 for a character reference that names such a character (`&#11;`, `&#xFFFF;`): the
        page's HTML reads it as the character itself. Code shows a reference as it is written."""
        for k, text in enumerate(scan.mask_code(self.raw.body).split("\n")):
            for m in _CHARACTER_REFERENCE.finditer(text):
                if found := sanitize.control_characters(_referenced(m.group())):
                    self.add(self.raw.body_line + k, "E420", (
                        f"正文中的字符引用 `{m.group()}` 写的是控制字符 {found[0]}，页面上看不见，Word 版案例汇编也无法写入；请删除它"))

    def check_personal_data(self) -> None:
        for line, kind, value in scan.personal_data(self.raw.text):
            masked = value[:3] + "*" * (len(value) - 7) + value[-4:]
            if kind == "id":
                self.add(line, "E501", f"含有居民身份证号码（{masked}）；案例不得公开个人信息，请删除")
            else:
                self.add(line, "E502", f"含有手机号码（{masked}）；案例不得公开个人信息，请删除")
