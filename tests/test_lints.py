"""Writing lints (W216, W217, W302, W303): what they catch, and the look-alikes they must leave alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from casebook.core import scan
from casebook.core.schema import FIELDS
from conftest import check, MINIMAL_CASE, TODAY, make_library


def findings(tmp_path: Path, text: str) -> list[tuple[str, int]]:
    root = make_library(tmp_path, {"a.md": text})
    library = check(root, today=TODAY)
    return sorted((f.code, f.line) for f in library.findings)


def case(**replace: str) -> str:
    text = MINIMAL_CASE.format(id="a")
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    return text


RESULTS_LINE = 23  # the line of 测试成效。 in MINIMAL_CASE


# -- W302: plans in 取得成效 ------------------------------------------------------------------------

PLANS = [
    ("下一步将在全厂推广。", "将"),
    ("公司将于年底前建成活动室。", "将"),
    ("即将召开总结会。", "即将"),
    ("要建立书记联系制度。", "要"),
    ("还要进一步扩大覆盖面。", "要"),
    ("拟推荐一批先进党组织。", "拟"),
    ("计划明年再办两期培训班。", "计划"),
    ("争取三年内全覆盖。", "争取"),
    ("力争年底前完成。", "力争"),
    ("准备带一批党务工作者外出学习。", "准备"),
    ("预计年内完成改造。", "预计"),
    ("打算扩大到全市。", "打算"),
]

NOT_PLANS = [
    "已将其列入重点服务对象。",  # 将 = 把
    "将近一半的党员参加了培训。",
    "党建工作成为重要抓手，满足了员工的需要。",
    "主要做法得到推广，达到了上级要求。",
    "只要有困难，党员就上门服务。",
    "模拟演练三次，拟定了应急预案。",
    "培训计划已全部完成，“红领计划”取得实效。",
    "争取到了业主的支持。",
    "员工从“要我干”变成“我要干”。",  # a quoted slogan
    "《关于要进一步加强党建的意见》已经印发。",  # a document title
    "做好了准备工作。",
]


@pytest.mark.parametrize(("line", "word"), PLANS)
def test_plan_words_are_found(line: str, word: str) -> None:
    hit = scan.plan_word(line)
    assert hit and hit[0] == word, hit


@pytest.mark.parametrize("line", NOT_PLANS)
def test_look_alikes_are_not_plans(line: str) -> None:
    assert scan.plan_word(line) is None


def test_w302_on_each_planning_line_of_the_results_only(tmp_path: Path) -> None:
    results = "\n".join(["已建成活动室 3 处。", *NOT_PLANS, "", "- 下一步将在全市推广。", "- 力争年底前全覆盖。", "", "### 下一步", "", "要继续深化。"])
    text = case(**{"测试成效。": results, "测试做法。": "要建立制度，将于年底前完成。"})  # plans in 主要做法 are fine
    first = RESULTS_LINE + 1 + len(NOT_PLANS) + 1
    assert findings(tmp_path, text) == [("W302", first), ("W302", first + 1), ("W302", first + 5)]


def test_w302_message_names_the_word_and_the_fix(tmp_path: Path) -> None:
    root = make_library(tmp_path, {"a.md": case(**{"测试成效。": "下一步，公司将于年底前建成活动室。"})})
    (f,) = check(root, today=TODAY).findings
    assert f.code == "W302" and f.severity == "warning"
    assert "“公司将于年底前建成活动室”的“将”" in f.message
    assert "成效应写已经取得的结果；计划写在主要做法或经验启示中" in f.message


def test_w302_not_in_other_sections_nor_in_code(tmp_path: Path) -> None:
    text = case(**{"测试成效。": "已建成。\n\n```\n将于年底前完成\n```\n\n行内代码 `要建立` 不算。\n\n## 经验启示\n\n下一步要继续推广。"})
    assert findings(tmp_path, text) == []


# -- W216: figures in the summary ------------------------------------------------------------------

@pytest.mark.parametrize(
    ("summary", "body", "expected"),
    [
        ("覆盖 7229 名粉丝。", "粉丝 7229 名", []),
        ("覆盖 7,229 名粉丝。", "粉丝 7229 名", []),  # thousands separator
        ("覆盖率 73.9%。", "覆盖率为 73.9%", []),
        ("以 UTF-8 保存，支持 5G。", "无数字", []),  # names, not figures
        ("共 17 家。", "共十七家", [("W216", 8)]),  # the body must show the same figure
        ("共 20 家。", "共 200 家", [("W216", 8)]),  # not a part of a longer number
        ("共 12 家，3 个车间。", "3 个车间", [("W216", 8)]),
    ],
)
def test_w216_summary_figures(tmp_path: Path, summary: str, body: str, expected: list) -> None:
    text = case(**{"summary: 示例公司（虚构单位）的测试案例。": f"summary: 示例公司（虚构单位）{summary}", "测试做法。": body})
    assert findings(tmp_path, text) == expected


def test_w216_lists_every_missing_figure_once(tmp_path: Path) -> None:
    text = case(**{"summary: 示例公司（虚构单位）的测试案例。": "summary: 示例公司（虚构单位）共 12 家、12 个点、5 名书记。"})
    root = make_library(tmp_path, {"a.md": text})
    (f,) = check(root, today=TODAY).findings
    assert f.code == "W216" and "“12”、“5”" in f.message and f.message.count("12") == 1


# -- W217 / W303: paired punctuation ---------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("“阳光车队”工作法", []),
        ("《关于“双强”的意见》（试行）【摘要】", []),
        ("“外层‘内层’外层”", []),
        ("“阳光车队工作法", [(0, "“")]),
        ("阳光车队”工作法", [(4, "”")]),
        ("（一）（二", [(3, "（")]),
        ("》前《后", [(0, "》")]),
        ("don’t 和 it’s 是撇号", []),
        ("第一段“未完\n\n第二段”多余", [(3, "“"), (11, "”")]),
        ("同一段落的引文“跨越\n两行”可以", []),
        ("- 列表项“未完\n- 下一项”多余", [(5, "“"), (14, "”")]),
    ],
)
def test_unpaired(text: str, expected: list) -> None:
    assert scan.unpaired(text) == expected


def test_w217_any_text_field_and_list_item(tmp_path: Path) -> None:
    text = case(**{
        "organization: 示例公司": "organization: 示例公司（虚构",
        "category: [党建工作法]": "category: [党建工作法]\ntags:\n  - 阳光车队\nhonors:\n  - {level: 省级, title: '《示例荣誉', year: 2020}",
        "source: 测试资料": "source: '测试资料”'",
    })
    assert findings(tmp_path, text) == [("W217", 4), ("W217", 11), ("W217", 14)]


def test_w217_escaped_mark_in_a_double_quoted_value(tmp_path: Path) -> None:
    text = case(**{"title: 示例工作法": 'title: "\\u201c示例工作法"'})
    assert findings(tmp_path, text) == [("W217", 3)]


def test_w303_body_lines_and_code(tmp_path: Path) -> None:
    body = "\n".join([
        "引文“跨越",
        "两行”可以。",
        "",
        "| 平台 | 规模（名 |",
        "| --- | --- |",
        "",
        "```",
        "代码里的“不算",
        "```",
        "",
        "行内 `“` 不算，（一）（二）配对。",
    ])
    text = case(**{"测试做法。": body})
    assert findings(tmp_path, text) == [("W303", 22)]


def test_shipped_style_source_is_clean(tmp_path: Path) -> None:
    source = "source: '《以“党建强”促进“发展强” 不断推动两新组织双强争先——在非公企业党建理论研究会第九次会员大会暨两新组织党建工作推进会上的讲话》'"
    assert findings(tmp_path, case(**{"source: 测试资料": source})) == []


# -- W218: a source a reader can look up -----------------------------------------------------------

@pytest.mark.parametrize(
    ("source", "named"),
    [
        ("《以“党建强”促进“发展强”……的讲话》", True),
        ("永康日报 2024 年报道", True),
        ("市委组织部调研材料", True),
        ("第九次会员大会上的讲话", True),
        ("测试资料", True),
        ("网上看到的", False),
        ("群众反映", False),
        ("听说", False),
    ],
)
def test_w218_source_names_a_document_meeting_or_date(tmp_path: Path, source: str, named: bool) -> None:
    assert scan.names_a_source(source) is named
    text = case(**{"source: 测试资料": f"source: '{source}'"})
    assert findings(tmp_path, text) == ([] if named else [("W218", 10)])


@pytest.mark.parametrize(
    "text",
    ["", "无标点", "“阳光车队”工作法", "《关于“双强”的意见》（试行）", "“a“b”c”", "“未完", "多余”", "“《”》", "don’t", "“跨越\n两行”"],
)
def test_all_paired_is_a_safe_shortcut(text: str) -> None:
    """all_paired() may say False for text that is fine, but never True for text that is not."""
    if scan.all_paired(text):
        assert scan.unpaired(text) == [] and scan.unpaired(text, by_line=True) == []


# ==================================================================================================
# W304-W306 (core/lints.py): what the audit of the shipped cases found by hand
# ==================================================================================================

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from casebook.core import lints  # noqa: E402

PRACTICE_LINE = 19  # the line of 测试做法。 in MINIMAL_CASE

# The audit's findings, word for word from the cases as they were before issue 24.
AUDIT_SILENCE = [
    "车队由哪些人组成、挂的是什么牌、如何组织，讲话没有介绍。",
    "特派员的人数、职责和工作方式，讲话没有介绍。",
    "学习参观的时间、人数和内容，讲话没有介绍。",
    "具体用了哪些载体和平台，讲话没有介绍。",
]
SILENCE = [
    *AUDIT_SILENCE,
    "讲话没有说明具体做法。",
    "对此讲话也未具体说明。",
    "具体人数，来源中没有提到。",
    "人数：待补充",
    "具体做法待补充。",
    "**活动频次，原文没有交代。**",
    "（讲话没有介绍）",
    "人数，讲话没有介绍；频次，讲话也没有说明。",
    "待补充。，",  # a stray comma after it
]
NOT_SILENCE = [
    "党员挂牌上车：挂牌的以党员为主体。",
    "公司建立了党员活动室，规模讲话没有介绍。",  # a practice, then what the source leaves out
    "公司建立了党员活动室（讲话没有介绍规模）。",
    "公司建立了党员活动室。讲话没有介绍规模。",  # two sentences, one of them a practice
    "讲话没有说明执行情况，但提出了三项要求。",
    "讲话提出的要求：",
    "“讲话没有介绍”不是一条做法。",  # quoted words are not the writer's own
    "全市建有两新党建官方微博，已运行一段时间。",
    "党员没有请假的，全部到岗。",  # a negation, but no source
]


@pytest.mark.parametrize("text", SILENCE)
def test_silence_only(text: str) -> None:
    assert lints.says_only_silence(text)


@pytest.mark.parametrize("text", NOT_SILENCE)
def test_not_silence_only(text: str) -> None:
    assert not lints.says_only_silence(text)


@pytest.mark.parametrize("text", AUDIT_SILENCE)
def test_w304_finds_what_the_audit_found(tmp_path: Path, text: str) -> None:
    body = f"- 挂牌上岗，每月评比一次。\n- {text}"
    assert findings(tmp_path, case(**{"测试做法。": body})) == [("W304", PRACTICE_LINE + 1)]


def test_w304_items_and_paragraphs_of_the_practice_section_only(tmp_path: Path) -> None:
    practice = "\n".join([
        "讲话提出的要求：",  # 19
        "",
        "- 挂牌上岗，",  # 21: a practice item over two lines
        "  每月评比一次。",
        "- 如何评比，",  # 23: a silence note over two lines (a continuation line)
        "  讲话没有介绍。",
        "    - 评比结果，讲话没有说明。",  # 25: a nested item
        "1. 讲话没有说明频次。",  # 26: an ordered item
        "",
        "讲话没有介绍具体做法。",  # 28: a paragraph
        "",
        "```",
        "- 代码里的，讲话没有介绍。",
        "```",
        "",
        "> 引文中的一段，讲话没有介绍。",  # 34: a quoted paragraph is still a paragraph
    ])
    elsewhere = "讲话没有介绍具体做法。"
    text = case(**{"测试做法。": practice, "示例公司是为测试虚构的单位。": elsewhere, "测试成效。": elsewhere})
    assert findings(tmp_path, text) == [("W304", 23), ("W304", 25), ("W304", 26), ("W304", 28), ("W304", 34)]


def test_w304_not_for_a_section_that_is_only_pending(tmp_path: Path) -> None:
    assert findings(tmp_path, case(**{"测试做法。": "待补充"})) == [("W301", 17)]


def test_w304_message_quotes_the_item_and_the_fix(tmp_path: Path) -> None:
    root = make_library(tmp_path, {"a.md": case(**{"测试做法。": "- " + AUDIT_SILENCE[1]})})
    (f,) = check(root, today=TODAY).findings
    assert f.code == "W304" and f.severity == "warning"
    assert "“特派员的人数、职责和工作方式，讲话没有介绍。”" in f.message
    assert "在基本情况里写一句" in f.message


TOPICS = ["车队如何组织", "特派员的人数、职责", "学习参观的时间", "具体用了哪些载体", "补助标准"]
FACTS = ["公司建立了党员活动室", "支部每月开展一次主题党日", "党员挂牌上车", "全市建有官方微博"]
SILENT_PREDICATES = ["讲话没有介绍", "来源没有说明", "讲话也未提及", "原文没有交代", "资料中没有写明"]


@given(st.sampled_from(TOPICS), st.sampled_from(SILENT_PREDICATES), st.sampled_from(["。", "", "；"]))
def test_w304_property_topic_then_silence_is_flagged(topic: str, predicate: str, end: str) -> None:
    assert lints.says_only_silence(f"{topic}，{predicate}{end}")
    assert not lints.says_only_silence(f"“{topic}，{predicate}”是一句常见的话{end}")  # quoted


@given(st.text(st.sampled_from("讲话没有介绍待补充，。；：（）“”公司人数 "), max_size=30))
def test_w304_property_never_raises(text: str) -> None:
    """Any arrangement of the words and marks the rule splits on gives an answer, not an error."""
    assert lints.says_only_silence(text) in (True, False)


@given(st.sampled_from(FACTS), st.sampled_from(TOPICS), st.sampled_from(SILENT_PREDICATES), st.sampled_from(["，", "。", "；"]))
def test_w304_property_a_practice_with_a_silence_note_is_not_flagged(fact: str, topic: str, predicate: str, joint: str) -> None:
    assert not lints.says_only_silence(f"{fact}{joint}{topic}{predicate}。")
    assert not lints.says_only_silence(f"{fact}（{topic}，{predicate}）。")


# -- W305 ---------------------------------------------------------------------------------------

LESSONS_LINE = 27  # the first line of a 经验启示 section appended after 测试成效。


def lessons(tmp_path: Path, text: str) -> list[tuple[str, int]]:
    return findings(tmp_path, case(**{"测试成效。": f"测试成效。\n\n## 经验启示\n\n{text}"}))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("党建工作要和生产经营结合起来。", []),
        ("全厂 12 名党员全部挂牌。", [("W305", LESSONS_LINE)]),
        ("覆盖率达 73.9%，值得推广。", [("W305", LESSONS_LINE)]),
        ("第一行没有数字，\n第二行有 3 个车间。", [("W305", LESSONS_LINE + 1)]),  # the figure's line
        ("有 3 个车间、5 个班组。", [("W305", LESSONS_LINE)]),  # once per paragraph
        ("- 有 3 个车间。\n- 没有数字。\n- 有 5 个班组。", [("W305", LESSONS_LINE), ("W305", LESSONS_LINE + 2)]),
        ("| 项目 | 数量 |\n| --- | --- |\n| 党员 | 12 |", [("W305", LESSONS_LINE + 2)]),
        ("见[报道](https://example.com/2024/12/a.html)和![图](assets/cover.png)。", []),  # link and image targets
        ("数据以 UTF-8 保存，用 5G 传送。", []),  # names, not figures
        # the site has no footnote extension: `[^1]: 注释。` defines a link to a missing file
        ("参见注释[^1]。\n\n[^1]: 注释。", [("E415", LESSONS_LINE + 2)]),  # at the definition
        ("### 第 3 点", []),  # a heading
        ("行内代码 `12` 不算。\n\n```\n12 名\n```", []),
        ("十八大以来，三个方面都有进步。", []),  # Chinese numerals are words here
        ("全厂１２名党员全部挂牌。", [("W305", LESSONS_LINE)]),  # full-width digits are figures
        ("共有٣٤个支部参加。", []),  # Arabic-Indic digits are not how this library writes figures
    ],
)
def test_w305_figures_in_the_lessons(tmp_path: Path, text: str, expected: list) -> None:
    assert lessons(tmp_path, text) == expected


def test_w305_only_in_the_lessons(tmp_path: Path) -> None:
    text = case(**{"测试做法。": "全厂 12 名党员。", "测试成效。": "覆盖率 73.9%。", "示例公司是为测试虚构的单位。": "成立于 2010 年。"})
    assert findings(tmp_path, text) == []


digit_free = st.text(st.sampled_from("党建工作法，。、；：“”（）讲话经验 abcUTF-"), max_size=20)


@given(st.lists(st.tuples(digit_free, st.booleans()), min_size=1, max_size=6))
def test_w305_property_flagged_iff_a_line_has_a_figure(rows: list[tuple[str, bool]]) -> None:
    """A paragraph of generated lines, some with a figure: one finding, at the first such line."""
    lines = [f"{text} {i + 1} 名" if has else text or "经验" for i, (text, has) in enumerate(rows)]
    block = lints.Block("paragraph", tuple((100 + i, line) for i, line in enumerate(lines)))
    found = lints.figure_findings(block)
    first = next((100 + i for i, (_, has) in enumerate(rows) if has), None)
    assert [f[0] for f in found] == ([first] if first is not None else [])
    assert all(f[1] == "W305" for f in found)


@given(st.text(st.sampled_from("0１٣𝟑²x-,.a名 \n"), max_size=12))
def test_a_figure_is_always_seen_by_the_quick_check(text: str) -> None:
    """The quick check that skips a paragraph without digits (W305, W216) reads the digits that
    scan.figures reads, and no others: one definition (scan.FIGURE_DIGIT)."""
    if scan.figures(text):
        assert scan.FIGURE_DIGIT.search(text)
    if scan.FIGURE_DIGIT.search(text) and not any(c.isascii() and c.isalpha() for c in text):
        assert scan.figures(text), text


# -- W306 ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("本案例的单位写作“中共永康市委”，是因为这些安排出自讲话。", True),
        ("讲话没有说明组织类别，所以组织类型写“来源未说明”。", True),
        ("由此把本案例的单位写作永康市委组织部。", True),
        ("本页地区填永康市。", True),
        ("类别一栏填“党建工作法”。", True),
        ("本案例介绍公司的做法。", False),
        ("公司重视提高各单位写作水平。", False),
        ("宣传栏标题写“党员先锋岗”。", False),  # 标题 has an everyday meaning
        ("党员在承诺书上写“我承诺”。", False),
    ],
)
def test_w306_editor_notes(tmp_path: Path, text: str, flagged: bool) -> None:
    expected = [("W306", 15)] if flagged else []
    assert findings(tmp_path, case(**{"示例公司是为测试虚构的单位。": text})) == expected


@pytest.mark.parametrize("label", [f.label for f in FIELDS])
def test_w306_knows_every_field_by_its_name(tmp_path: Path, label: str) -> None:
    text = f"本案例的{label}写作某某。"
    assert findings(tmp_path, case(**{"示例公司是为测试虚构的单位。": text})) == [("W306", 15)]


def test_w306_not_in_code(tmp_path: Path) -> None:
    text = "行内 `本案例的单位写作“某”` 不算。\n\n```\n组织类型写“来源未说明”\n```"
    assert findings(tmp_path, case(**{"测试做法。": text})) == []


# -- blocks ---------------------------------------------------------------------------------------

block_line = st.sampled_from(["", "文字", "续行", "- 项", "  - 子项", "1. 项", "# 标题", "### 小标题", "| a | b |", "---", "> 引文", "    缩进"])


@given(st.lists(block_line, max_size=20))
def test_blocks_property_every_text_line_in_one_block_in_order(lines: list[str]) -> None:
    found = list(lints.blocks(lines, 10))
    numbered = [n for b in found for n, _ in b.lines]
    expected = [10 + i for i, line in enumerate(lines) if line.strip() and line != "---"]
    assert numbered == expected  # each text line once, in order; blank lines and breaks in none
    for b in found:
        first = lines[b.line - 10]
        assert b.kind == ("item" if lints._ITEM.match(first) else b.kind)
        assert all(not lints._ITEM.match(lines[n - 10]) for n, _ in b.lines[1:])  # an item starts a block
