"""The case format: fields, vocabularies, sections and finding codes.

The single source of truth. The validator, the docs test and the contributor guide read it;
nothing else may restate it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# The seven vocabularies every taxonomy.yml must define (lists of strings).
VOCABULARIES: tuple[str, ...] = (
    "org_type",
    "party_org",
    "region",
    "industry",
    "category",
    "tags",
    "honor_level",
)

# Reader-facing names of the vocabularies (one word for one thing, across code, docs and UI).
VOCABULARY_LABELS: dict[str, str] = {
    "org_type": "组织类型",
    "party_org": "党组织",
    "region": "地区",
    "industry": "行业",
    "category": "类别",
    "tags": "标签",
    "honor_level": "荣誉级别",
}


@dataclass(frozen=True)
class Field:
    key: str
    label: str  # Chinese name shown to readers and in messages
    kind: str  # str | list | bool | date | honors | path
    required: bool
    vocabulary: str | None = None  # taxonomy section the value(s) must come from
    choices: tuple[str, ...] = ()  # fixed values (not from the taxonomy)
    rule: str = ""  # one line for docs and the contributor guide


SUMMARY_MAX = 150  # characters
HONOR_YEAR_MIN = 1900  # an honour's year: from this one up to the current year

FIELDS: tuple[Field, ...] = (
    Field("id", "编号", "str", True, rule="小写字母、数字和连字符，如 `yangguang-chedui`；与文件名（不含 .md）相同，库内唯一"),
    Field("title", "标题", "str", True, rule="工作法名称，非空"),
    Field("organization", "单位", "str", True, rule="单位或党组织名称，非空"),
    Field("org_type", "组织类型", "str", True, "org_type", rule="取自词表 `org_type`"),
    Field("party_org", "党组织", "str", False, "party_org", rule="取自词表 `party_org`"),
    Field("region", "地区", "str", True, "region", rule="取自词表 `region`"),
    Field("industry", "行业", "str", False, "industry", rule="取自词表 `industry`"),
    Field("category", "类别", "list", True, "category", rule="非空列表，每项取自词表 `category`"),
    Field("tags", "标签", "list", False, "tags", rule="列表，每项取自词表 `tags`"),
    Field("summary", "摘要", "str", True, rule=f"不超过 {SUMMARY_MAX} 字"),
    Field("date", "收录日期", "date", True, rule="`YYYY-MM-DD`，真实存在且不晚于今天"),
    Field("source", "来源", "str", True, rule="事实出处，如讲话、文件、报道"),
    Field("honors", "荣誉", "honors", False, rule="列表，每项 `{level: 词表 honor_level, title: 名称, year: 年份整数}`"),
    Field("featured", "精选", "bool", False, rule="`true` 或 `false`，默认 `false`"),
    Field("status", "状态", "str", False, choices=("published", "draft"), rule="`published`（默认）或 `draft`（校验但不发布）"),
    Field("cover", "封面", "path", False, rule="库内已存在的图片，相对库目录的路径，如 `assets/x.jpg`"),
    Field("aliases", "曾用编号", "list", False,
          rule="并入本案例或改名前的旧编号列表，如 `[dangjian-tepaiyuan]`；旧网址显示一个转到本案例的页面"),
)
FIELD_BY_KEY: dict[str, Field] = {f.key: f for f in FIELDS}

HONOR_KEYS: tuple[str, ...] = ("level", "title", "year")

ID_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
# The name MkDocs gives a folder's own page (cases/index.md is cases/): no case or listing takes it.
FOLDER_PAGE = "index"
# An id names files: <id>.md, the page cases/<id>/index.html, the offline page cases/<id>.html. A
# name has at most 255 bytes, and Windows paths 260 characters where the offline copy is unpacked.
ID_MAX_LENGTH = 100


def id_problem(value: str) -> str | None:
    """Why `value` cannot be a case id or former id (its page's name), or None. `index` is the name
    MkDocs gives a folder's own page: the case would be published at cases/ itself."""
    if not ID_PATTERN.match(value):
        return "只能用小写字母、数字和单个连字符，如 yangguang-chedui"
    if len(value) > ID_MAX_LENGTH:
        return (f"太长（{len(value)} 个字符，最多 {ID_MAX_LENGTH} 个）：它是页面的文件名，过长时构建写不出页面，"
                "离线包在 Windows 上也解压不出来；请取一个简短的编号")
    if value == FOLDER_PAGE:
        return "不能是 index：MkDocs 把 index 当作文件夹的首页，这个案例的页面会变成 cases/ 本身，导出的地址也会出错；请换一个"
    return None

DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp")
IMAGE_PIXELS_MAX = 100_000_000  # a picture the book can place: at most so many pixels (decoding takes gigabytes beyond)
IMAGE_SIDE_MAX = 16_384  # and at most so many on a side (Typst's image decoder)
# Bidirectional embeddings, overrides and isolates: text that displays differently from what it is.
BIDI_RANGES = ((0x202A, 0x202E), (0x2066, 0x2069))
BIDI_TEXT = "、".join(f"U+{a:04X}–U+{b:04X}" for a, b in BIDI_RANGES)


def is_svg(rel: str) -> bool:
    """An SVG picture (a document of text, read and checked as one), whatever the case of its suffix."""
    return rel.lower().endswith(".svg")
# Files published from a library as they are: images and documents readers download.
ASSET_SUFFIXES = IMAGE_SUFFIXES + (".pdf", ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".wps", ".et", ".dps",
                                   ".odt", ".ods", ".odp", ".txt", ".csv", ".mp3", ".mp4")
# Extensions of Markdown files: a case must end in `.md`, lower case (anything else is E702).
CASE_SUFFIXES = (".md", ".markdown", ".mdown", ".mkd", ".mkdn", ".mdwn", ".mdtext", ".mdtxt")
# What operating systems leave in folders: ignored like hidden files (never read, never published).
IGNORED_FILES = ("thumbs.db", "desktop.ini", "ehthumbs.db")
# Files a browser opens as a document that can run script: never published from a library.
ACTIVE_SUFFIXES = (".html", ".htm", ".xhtml", ".xht", ".shtml", ".xml", ".xsl", ".xslt", ".svgz",
                   ".mht", ".mhtml", ".hta", ".js", ".mjs", ".swf")

# Schemes that run script or carry a document (rules.url_kind: "script"): never an address, and
# refused in a text value. Named here, where the codes that refuse them are worded.
SCRIPT_SCHEMES = ("javascript:", "vbscript:", "livescript:", "data:")
# Prefixes of the ids and classes the site's own markup and scripts use (`__config`, `md-header`):
# a body may not take them (sanitize.reserved_name).
RESERVED_NAME_PREFIXES = ("__", "md-", "md_")


def listed(items: tuple[str, ...], last: str = "、") -> str:
    """`a`、`b`、`c` (or `a`、`b` 或 `c` with last=" 或 "): a constant as the codes' texts name it."""
    quoted = [f"`{item}`" for item in items]
    return "、".join(quoted[:-1]) + last + quoted[-1] if len(quoted) > 1 else "".join(quoted)


RESERVED_NAMES_TEXT = f"以 {listed(RESERVED_NAME_PREFIXES, ' 或 ')} 开头"

# Body: required level-2 sections in this order; 经验启示 is optional; others may follow.
BASICS_SECTION = "基本情况"
PRACTICE_SECTION = "主要做法"  # may not say the source is silent on the practice (W304)
RESULTS_SECTION = "取得成效"  # must state results, not plans (W302)
LESSONS_SECTION = "经验启示"  # lessons, not figures (W305)
REQUIRED_SECTIONS: tuple[str, ...] = (BASICS_SECTION, PRACTICE_SECTION, RESULTS_SECTION)
OPTIONAL_SECTIONS: tuple[str, ...] = (LESSONS_SECTION,)
SECTION_ORDER: tuple[str, ...] = REQUIRED_SECTIONS + OPTIONAL_SECTIONS  # the standard sections, in order
INCOMPLETE_MARK = "待补充"
INCOMPLETE_NOTE = "来源中暂无这一部分的内容，有可靠资料后补写。"  # printed after 待补充 in the 案例汇编


def is_incomplete(text: str) -> bool:
    """A section whose whole content is 待补充 (bold, full stop or brackets allowed; characters
    that show nothing, such as a zero-width space pasted after it, do not count)."""
    if INCOMPLETE_MARK not in text:
        return False
    return shown_characters(text).strip("*_。.（）()") == INCOMPLETE_MARK


def shown_characters(text: str) -> str:
    """The characters of `text` that show: not Unicode's other (controls, format characters such as
    a zero-width space) or separator (spaces) categories."""
    return "".join(ch for ch in text if not unicodedata.category(ch).startswith(("C", "Z")))

# Paired punctuation (W217, W303): each opening mark and its closing one.
PAIRS: dict[str, str] = {"“": "”", "‘": "’", "《": "》", "（": "）", "【": "】"}
PAIRS_TEXT = "".join(o + c for o, c in PAIRS.items())  # “”‘’《》（）【】, as messages show them

# Hostile-input limits: a case file is a few KB; anything far larger is a mistake.
MAX_FILE_BYTES = 1_000_000
MAX_YAML_DEPTH = 8


@dataclass(frozen=True)
class Code:
    code: str
    severity: str  # error | warning
    title: str  # what it means
    fix: str  # how to fix it


CODES: tuple[Code, ...] = (
    # -- the file itself
    Code("E101", "error", "文件不是 UTF-8 编码（如 GBK、UTF-16 或二进制内容）",
         "用编辑器“另存为 UTF-8”；Word/记事本中选择编码“UTF-8”。"),
    Code("E102", "error", "缺少 front matter：文件第一行不是 `---`",
         "在文件第一行写 `---`，随后写字段，再以一行 `---` 结束。第一行前不能有空行。"),
    Code("E103", "error", "front matter 没有结束：找不到第二个 `---` 行",
         "在最后一个字段之后加一行 `---`，再写正文。"),
    Code("E104", "error", "front matter 的 YAML 语法错误",
         "按提示修改该行。值里有引号时给整个值加引号，如 `title: '“阳光车队”工作法'`。"),
    Code("E105", "error", "front matter 不是“字段: 值”的映射",
         "每行写成 `字段: 值`，字段名用英文小写，冒号用半角 `:` 并在后面加空格。"),
    Code("E106", "error", "字段重复出现（YAML 会悄悄只保留最后一个）",
         "删除多余的一行，只保留一个。"),
    Code("E107", "error", "字段名后用了全角冒号 `：`",
         "把 `：` 改成半角冒号 `:` 并在后面加一个空格。"),
    Code("E108", "error", "`[...]` 列表中用了全角逗号 `，`、顿号 `、` 或分号分隔",
         "把列表里的 `，`、`、`、`；` 改成半角逗号 `,`，或改用每行一个 `- 值` 的写法。"),
    Code("E109", "error", "使用了不允许的 YAML 标签（如 `!!python/...`）",
         "删除以 `!` 开头的标签，直接写值。"),
    Code("E110", "error", "使用了 YAML 锚点或别名（`&`、`*`），或嵌套过深",
         "不要使用 `&名称` / `*名称`，把值直接写出来。"),
    Code("E111", "error", "文件过大",
         f"案例文件应在 {MAX_FILE_BYTES // 1000} KB 以内；图片放入 assets/ 并以链接引用。"),
    # -- fields
    Code("E201", "error", "缺少必填字段",
         "在 front matter 中补上该字段，参见案例模板。"),
    Code("E202", "error", "未知字段（可能是拼写错误）",
         "改成提示中的正确字段名，或删除该行。"),
    Code("E203", "error", "取值不在允许的范围内（词表或固定取值）",
         "改用提示中列出的取值；选填字段不适用时删去这一行。确实需要新词时，在 Pull Request 或 issue 中说明，由维护者加入 taxonomy.yml 的词表。"),
    Code("E204", "error", "字段类型不对（应为文字、列表、布尔值或整数）",
         "按提示的类型书写，如列表写成 `[a, b]` 或每行一个 `- a`。"),
    Code("E205", "error", "必填字段为空",
         "填写内容；暂不清楚时如实写明，不要留空。"),
    Code("E206", "error", "id 格式不对",
         f"只用小写字母、数字和单个连字符，如 `yangguang-chedui`，不超过 {ID_MAX_LENGTH} 个字符；也不能是 `index`。"),
    Code("E207", "error", "id 与文件名不一致",
         "把 id 改成文件名（不含 .md），或重命名文件。"),
    Code("E208", "error", "id 与另一个案例重复",
         "给其中一个案例换一个 id（并同步文件名）。"),
    Code("E209", "error", "日期格式不对",
         "写成 `YYYY-MM-DD`，如 `2024-01-05`。"),
    Code("E210", "error", "日期不存在（如 2 月 30 日）",
         "改成真实存在的日期。"),
    Code("E211", "error", "日期晚于今天",
         "收录日期不能是将来的日期。"),
    Code("E212", "error", f"摘要超过 {SUMMARY_MAX} 字",
         "精简摘要，详细内容写在正文中。"),
    Code("E213", "error", "封面图片不存在或不是库内图片",
         "把图片放进库的 assets/ 目录，cover 写相对库目录的路径，如 `assets/x.jpg`。"),
    Code("E214", "error", "荣誉条目不完整或有多余的键",
         "每条荣誉写成 `{level: 级别, title: 名称, year: 年份}`。"),
    Code("E215", "error", "YAML 把值悄悄转换成了别的类型（如 `no` 变成 false、`010` 变成 8）",
         "给值加引号，如 `title: 'no'`。"),
    Code("E216", "error", "文字字段中有 HTML 标签（`<` 后接字母、`/`、`!` 或 `?`）",
         "字段是纯文字，删除标签；书名、文件名用书名号《》，比较大小写成“小于”“大于”。"),
    Code("E217", "error", f"文字字段中有脚本地址（{listed(SCRIPT_SCHEMES)}）",
         "删除这段地址；字段中不需要网址，出处写文件或报道的名称。"),
    Code("E218", "error", "文字字段中有控制字符（制表符和换行以外的不可见字符）",
         "删除该字符：多半是从其他软件复制时带入的，重新输入这几个字即可。"),
    Code("E219", "error", f"文字字段中有双向文字控制符（{BIDI_TEXT}）",
         "删除该字符：它让文字显示的顺序与实际内容不同。"),
    Code("W216", "warning", "摘要中的数字在正文中找不到",
         "摘要里的每个数字都应能在正文中查到出处：在正文写明这个数字及其来源，或从摘要删去。"),
    Code("W217", "warning", f"字段中的成对标点没有配对（{PAIRS_TEXT}）",
         "补上缺少的一半，或删去多余的一个，如 `title: '“阳光车队”工作法'`。"),
    Code("W218", "warning", "来源没有写明文件、会议或日期",
         "写出事实出自哪里：文件或讲话的名称（如《……》）、会议名称、报道的媒体和日期，读者才能核对。"),
    Code("W220", "warning", "字段值里 `#` 之后的文字被当作注释，没有读进来",
         "若 `#` 及其后的文字是值的一部分（如话题 `#党建引领#`、编号 `#2023`），给整个值加单引号。"),
    # -- body
    Code("E301", "error", "缺少必需的正文章节",
         "按模板补上 `## 基本情况`、`## 主要做法`、`## 取得成效`；内容暂缺时写 `待补充`。"),
    Code("E302", "error", "正文章节顺序不对",
         "按 基本情况 → 主要做法 → 取得成效 的顺序排列（经验启示可放在其后）。"),
    Code("E303", "error", "正文章节为空",
         "写入内容；来源中没有相关信息时写 `待补充`。"),
    Code("E304", "error", "章节标题在页面上不是标题，或页面上的二级标题不算章节（`##` 在注释或 HTML 块里、行首有空格，或 `##` 后没有半角空格）",
         "`## 章节名` 顶格写，`##` 后一个半角空格，放在 HTML 注释（`<!-- -->`）和 HTML 块之外；暂不写的章节写“待补充”，不要用注释藏起来。"),
    Code("W301", "warning", "章节内容为“待补充”，案例不完整",
         "有可靠来源后补写该章节。站点会把该案例标为“待补充”。"),
    Code("W310", "warning", "已有内容的章节里还留着一段“待补充”",
         "内容已写全就删去这一段；还缺内容，就写明缺什么。整章都没有内容时，整章只写“待补充”。"),
    Code("W302", "warning", "“取得成效”写的是计划（将、要、拟、计划、争取、力争……）",
         "成效应写已经取得的结果；计划写在主要做法或经验启示中。来源只说了计划、没有结果时，成效写“待补充”。"),
    Code("W303", "warning", f"正文中的成对标点没有配对（{PAIRS_TEXT}）",
         "在同一段落（或列表项、表格行）内补上缺少的一半，或删去多余的一个。"),
    Code("W304", "warning", "“主要做法”中的一条只说来源没有介绍",
         "主要做法只写做了什么：来源没有说的，在基本情况里写一句；整节都没有时写“待补充”。"),
    Code("W305", "warning", "“经验启示”中的段落有数字",
         "数字和具体事实写在主要做法或取得成效中；经验启示只写从中得出的经验和评价。"),
    Code("W306", "warning", "正文中有写给编者的说明（如“本案例的单位写作……”）",
         "把这类说明移到 front matter 的注释（以 # 开头的行）里，或删去；正文只写读者需要的内容。"),
    Code("W307", "warning", "图片或链接定义的写法没有生效：页面上原样显示（如 `![图][没有定义的名字]`、地址中有空格的 `[名字]: a b.png`），或整行不显示（没有用到的 `[名字]: …`）",
         "给引用式图片补上定义 `[名字]: 地址`；定义里的地址中有空格时写成 `assets/a%20b.png`（不能用尖括号）；要显示的文字不要写成 `[名字]: …` 开头。"),
    Code("W308", "warning", "段落开头缩进了四个空格或一个制表符，页面上会显示成代码块（等宽字体、不自动换行）",
         "删去行首的空格或制表符；中文段首缩进用两个全角空格，或不缩进（站点自己排版段落）。"),
    Code("W309", "warning", "数字中两个冒号之间是表情代码（如 `1:100:1000` 的 `:100:`），页面上会显示成表情",
         "比例或时间的冒号写成全角“：”或比号“∶”，或在冒号前加反斜杠（`1\\:100:1000`）。"),
    Code("W311", "warning", "像是新一条（列表、编号、项目符号）或表格行的一行，页面上会接在上一行后面，连成一段",
         "在列表、分条内容和表格的前面空一行，各条之间也空一行；表格的表头下要有 `| --- |` 一行。"),
    Code("W312", "warning", "二级列表只缩进了一到三个空格，页面上会和上一项并列",
         "二级列表（上一项的下一级）缩进四个空格。"),
    Code("W313", "warning", "正文里的网址是普通文字，页面上点不开",
         "写成 `<https://……>`，或 `[说明文字](https://……)`。"),
    # -- safety
    Code("E401", "error", "正文含有不允许的 HTML 标签（script、iframe、object、embed、style 等）",
         "删除该标签；需要展示的内容用 Markdown 书写。"),
    Code("E402", "error", "HTML 中有事件属性（`on...=`）",
         "删除 `onclick=` 等事件属性。"),
    Code("E403", "error", f"链接或图片使用了危险的地址（{listed(SCRIPT_SCHEMES)}）",
         "删除该链接，或改成 `https://` 网址或库内文件。"),
    Code("E404", "error", "图片来自外部网站（`http(s)://`）",
         "把图片下载到库的 assets/ 目录，用相对路径引用；外链图片在离线版中无法显示，还会向第三方暴露读者。"),
    Code("E405", "error", "相对路径指向了库目录之外",
         "只引用库内文件，不要用 `../` 跳出库目录。"),
    Code("E406", "error", "引用的图片文件不存在",
         "检查文件名和路径（区分大小写），或把图片放进 assets/。"),
    Code("E407", "error", "链接到的案例不存在或是草稿（发布后会成为死链接）",
         "改成已发布案例的文件名（如 `other-case.md`），或删除链接。"),
    Code("E408", "error", "正文含有不在允许范围内的 HTML 标签",
         "改用 Markdown 书写，或只用贡献指南中列出的标签（如 div、span、table、img、a）；HTML 块里的网址写成 `<a href=\"https://…\">…</a>`。"),
    Code("E409", "error", "正文的 HTML 或属性列表 `{...}` 中有不允许的属性（如 style、srcset、target）",
         "删除该属性；样式由站点统一设置，图片只用 `src`、`alt`、`title`、`width`、`height`。"),
    Code("E410", "error", f"id 或 class 用了站点保留的名称（{RESERVED_NAMES_TEXT}）",
         f"换一个名称，不要{RESERVED_NAMES_TEXT}。"),
    Code("E411", "error", "正文用 `--8<--` 引入了其他文件",
         "删除这一行，把要展示的内容直接写进正文；确需显示这串字符时写成 `;--8<--`。"),
    Code("E412", "error", "SVG 图片含有脚本、事件属性、`<foreignObject>` 或外部引用",
         "用绘图软件重新导出为“纯 SVG”或 PNG，不要包含脚本、链接和外部图片、字体。"),
    Code("E413", "error", "库中有浏览器会当作网页或脚本打开的文件（如 .html、.js、.xml）",
         "删除该文件；需要附上的材料转成 PDF 或图片。"),
    Code("E414", "error", "地址不是有效的网址，发布时会被删除或使站点无法生成（如 `http:[1.2.3.4]`、缺少 `]` 的 IPv6 地址）",
         "改成完整的网址（如 `https://example.org/…`）或库内文件的相对路径。"),
    Code("E415", "error", "链接指向的库内文件不存在（不是图片、不是案例）",
         "检查文件名和路径（区分大小写），把文件放进库中，或删除链接。"),
    Code("E416", "error", "链接的锚点（`#…`）在目标页面中不存在",
         "锚点写目标页面中的标题，如 `#主要做法`；或删去 `#…` 部分。"),
    Code("E417", "error", "正文中的标记多到页面无法在限定时间内生成",
         "删去成片的、没有闭合的 `<`、`[` 等标记字符，或把这一段改写成正常的文字；真实的案例正文不会这样。"),
    Code("E418", "error", "图片的地址不是库中的图片文件（如指向案例页面、PDF、本页的 `#`）",
         f"图片只能显示库中的 {'、'.join(IMAGE_SUFFIXES)} 文件（放在 assets/ 里）；要指向页面或文档，写成链接 `[文字](地址)`。"),
    Code("E419", "error", "正文的 HTML 标签没有闭合或互相交错（如 `<b>` 后面没有 `</b>`）",
         "在标签该结束的地方写上对应的结束标签（如 `</b>`），交错的改成先开后关、后开先关（`<b><i>…</i></b>`）。"),
    Code("E420", "error", "正文中有控制字符（制表符和换行以外的不可见字符，如 Word 的手动换行）",
         "删除该字符：U+000B 是 Word 的手动换行（Shift+Enter），在那里真正换行（另起一段就空一行）；其他的多半是从其他软件复制时带入的，重新输入这几个字即可。"),
    Code("E421", "error", "图片文件的内容不是它的扩展名所说的格式（不是图片，或是改了扩展名的别种图片）",
         "用看图或绘图软件打开它，另存为 PNG 或 JPEG，再放回 assets/；不要只改扩展名。"),
    Code("E422", "error", "正文的列表、引用或强调一层套一层，深到页面无法生成",
         "把一层套一层的列表（每层多缩进四个空格或多一个 `-`）、引用（`>`）或强调（`*`、`_`）改成几层以内，或写成普通段落。"),
    Code("E423", "error", f"图片文件声明的尺寸不可能（宽或高为 0）或大得无法排版（超过 {IMAGE_PIXELS_MAX:,} 像素，或一边超过 {IMAGE_SIDE_MAX:,} 像素）",
         "用看图或绘图软件重新导出这张图片：照片缩小到几千像素宽就足够清楚。"),
    Code("E424", "error", "图片文件解不开或太费时：排版案例汇编的程序（Typst）读不了它，或要很久才能放好",
         "用看图或绘图软件打开它，另存为 PNG 或 JPEG（SVG 的宽和高不能为 0；滤镜太多的 SVG 先减少滤镜，或另存为 PNG），再放回库中；打不开的图片请向提供者重新要一份。"),
    Code("E425", "error", "Markdown 处理这一段时丢了内容（多半是交错的 `*`、`_` 强调符号，如 `*a**b*`，表格一行的单元格比表头多，或标题末尾紧贴文字的 `#`）",
         "把强调符号配对写好（`**粗体**`、`*斜体*` 不要交叉），不是强调的 `*`、`_` 写成 `\\*`、`\\_`；表格每行的单元格数与表头相同；标题末尾要显示的 `#` 写成 `\\#`（`### 使用C\\#`）。"),
    Code("E426", "error", "有序列表这一项的序号在页面上会变成另一个数（列表从第一项的序号起逐项加一，不看后面各项写的数）",
         "按页面上的顺序编号（3. 后面写 4.）；数字是年份等正文时，在点号前加反斜杠（`2019\\. 公司获评……`），它就不是列表序号，并与上一行空一行（否则两行连成一段）。"),
    Code("E427", "error", "页面上有两个元素的 id 相同（如正文写的 `<a id=\"主要做法\">` 与章节标题的锚点相同），链接只会跳到第一个",
         "换一个页面上不重复的 id，或删去它；章节标题已有锚点（`#主要做法`），不必另写。"),
    # -- personal data
    Code("E501", "error", "含有居民身份证号码（个人信息）",
         "删除身份证号码；案例中不得公开个人信息。"),
    Code("E502", "error", "含有手机号码（个人信息）",
         "删除手机号码，需要时写单位的公开办公电话。"),
    # -- the library
    Code("E601", "error", "taxonomy.yml 缺失或无法读取",
         "在库目录中放置 taxonomy.yml（UTF-8），参见 cases/taxonomy.yml。"),
    Code("E602", "error", "taxonomy.yml 结构不对",
         "taxonomy.yml 应是映射，七个词表（org_type、party_org、region、industry、category、tags、honor_level）各为文字列表。"),
    Code("W601", "warning", "taxonomy.yml 中有未知的词表或重复的取值",
         "删除未使用的词表或重复项。"),
    Code("E603", "error", "词表取值中有 HTML 标签",
         "词表取值是纯文字，删除标签。"),
    Code("E604", "error", f"词表取值中有脚本地址（{listed(SCRIPT_SCHEMES)}）",
         "删除这段地址。"),
    Code("E605", "error", "词表取值中有控制字符",
         "删除该字符，重新输入这个取值。"),
    Code("E606", "error", "词表取值中有双向文字控制符",
         "删除该字符：它让文字显示的顺序与实际内容不同。"),
)
CODES += (
    # -- the library's files (the gate: core/load.py walk_library)
    Code("E701", "error", "符号链接指向案例库之外、不存在的文件，或库中的隐藏文件和另一类文件",
         "把真正的文件放进案例库，再删除这个链接；库外的文件不会被读取，也不会发布。"),
    Code("E702", "error", "看起来是案例文件，但扩展名不是小写的 `.md`（如 `.MD`、`.markdown`），或放在了 assets/ 里",
         "把文件改名为小写的 `.md`，案例文件不要放在 assets/ 中。"),
    Code("E703", "error", "库中有站点不发布的文件类型",
         "删除它，或转成 PDF、图片等可发布的格式后再放进来；要隐藏的工作文件请放到库外。"),
    Code("E704", "error", "两个文件名只差大小写或 Unicode 写法（在 Windows、macOS 上是同一个文件）",
         "给其中一个改名，使两个名称在不区分大小写时也不同。"),
    Code("E705", "error", "库中有无法读取的文件夹或文件（没有权限，或是命名管道等特殊文件）",
         "检查权限（所有者、读权限，文件夹还要执行权限），让运行 casebook 的用户能读取它；特殊文件请移出库。"),
    Code("E706", "error", "文件或文件夹的名称在 Windows 上不能用（含 `\\ : * ? \" < > |`、以点或空格结尾，或是 CON、NUL 等设备名），或不是 UTF-8 文字",
         "给它改名：只用文字、数字、`-`、`_`、`.` 和括号，结尾不要是点或空格。"),
    Code("E707", "error", "库中的文件或文件夹发布后与案例页面占了同一个位置",
         "给这个文件或文件夹改名（例如 `<编号>.html/` 改成 `<编号>-附件/`）。"),
)
CODE_BY_ID: dict[str, Code] = {c.code: c for c in CODES}
