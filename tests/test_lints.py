"""Writing lints (W216, W217, W302, W303): what they catch, and the look-alikes they must leave alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from casebook.core import scan
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
