"""Contributor workflow: `casebook new`, `casebook import`, `casebook from-issue`, `casebook sync`,
the generated parts of CONTRIBUTING.md and the new-case issue form.

The real command line on copies of the shipped library; real .docx files built with python-docx.
Every draft is completed the way a person would (the remaining fields filled in), and must then
pass `casebook validate`.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import re
import shutil
import struct
import zlib
from pathlib import Path

import docx
import pytest
import yaml
from docx.shared import Inches
from hypothesis import assume, example, given
from hypothesis import strategies as st

from casebook.contrib import guide
from casebook.contrib import issue
from casebook.contrib import docxtext, word
from casebook.contrib.drafts import Draft, derive_id, library_taxonomy, render_draft, yaml_value
from casebook.core.schema import FIELD_BY_KEY, FIELDS, ID_PATTERN, OPTIONAL_SECTIONS, REQUIRED_SECTIONS
from conftest import REPO, SHIPPED

TAXONOMY = library_taxonomy(SHIPPED)
TODAY = dt.date.today().isoformat()
# What a person fills in to complete a draft (values from the shipped taxonomy).
COMPLETION = {
    "org_type": "非公有制企业",
    "region": "永康市",
    "category": ["党建工作法"],
    "summary": "测试用的摘要。",
    "source": "测试资料",
}


# -- helpers ------------------------------------------------------------------------------


@pytest.fixture
def cases_dir(tmp_path: Path) -> Path:
    """A copy of the shipped library."""
    return Path(shutil.copytree(SHIPPED, tmp_path / "cases"))


def front(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n")
    return yaml.safe_load(text.split("\n---\n", 1)[0][4:])


def body(path: Path) -> str:
    return path.read_text(encoding="utf-8").split("\n---\n", 1)[1]


def sections(path: Path) -> dict[str, str]:
    """## title -> content."""
    parts = re.split(r"^## (.+)$", body(path), flags=re.M)
    return {parts[i].strip(): parts[i + 1].strip() for i in range(1, len(parts), 2)}


def fill(path: Path, values: dict) -> None:
    """Complete a draft as a person would: replace each field's line (comment included)."""
    text = path.read_text(encoding="utf-8")
    for key, value in values.items():
        text, n = re.subn(rf"^{key}:.*$", lambda _: f"{key}: {yaml_value(value)}", text, count=1, flags=re.M)
        assert n == 1, f"no line for {key} in\n{text}"
    path.write_text(text, encoding="utf-8")


def validate(run_cli, cases_dir: Path) -> tuple[int, str]:
    code, out, err = run_cli("validate", "--cases", cases_dir, cwd=cases_dir.parent)
    return code, out + err


def codes_for(output: str, name: str) -> list[str]:
    return sorted(m.group(1) for m in re.finditer(rf"{re.escape(name)}:\d+: ([EW]\d+)", output))


def png(rgb: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A 2x2 PNG made by hand (no imaging library needed)."""
    raw = b"".join(b"\x00" + bytes(rgb) * 2 for _ in range(2))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def bmp() -> bytes:
    """A 1x1 BMP: a picture format Word accepts and browsers should not be given."""
    pixels = b"\x00\x00\xff\x00"
    return b"BM" + struct.pack("<IHHI", 58, 0, 0, 54) + struct.pack("<IiiHHIIiiII", 40, 1, 1, 1, 24, 0, 4, 2835, 2835, 0, 0) + pixels


def save(document, path: Path) -> Path:
    document.save(str(path))
    return path


def styled_docx(path: Path, picture: bytes | None = None) -> Path:
    """A case written with Word's heading styles, fields, a list, a table and a picture."""
    d = docx.Document()
    d.add_paragraph("“阳光车队”工作法", style="Title")
    d.add_paragraph("单位：康迪公司党支部")
    d.add_paragraph("地区：永康市")
    d.add_paragraph("类别：党建工作法、品牌创建")
    d.add_paragraph("党组织：康迪公司党支部")
    d.add_heading("一、基本情况", level=1)
    p = d.add_paragraph("康迪公司有出租车 120 辆，")
    p.add_run("党员司机 15 名").bold = True
    p.add_run("。")
    d.add_heading("二、主要做法", level=1)
    d.add_heading("（一）建立阳光车队", level=2)
    d.add_paragraph("党员司机挂牌上岗。", style="List Bullet")
    d.add_paragraph("设立党员示范车。", style="List Bullet")
    table = d.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "项目", "数量|辆"
    table.cell(1, 0).text, table.cell(1, 1).text = "示范车", "15"
    d.add_paragraph().add_run().add_picture(io.BytesIO(picture or png()), width=Inches(1))
    d.add_heading("三、工作成效", level=1)
    d.add_paragraph("车队获得乘客好评。")
    d.add_paragraph("来源：永康日报 2024 年报道")
    return save(d, path)


def plain_docx(path: Path, lines: list[str]) -> Path:
    """A case typed as plain paragraphs (numbered lines for headings), as most are."""
    d = docx.Document()
    for line in lines:
        d.add_paragraph(line)
    return save(d, path)


PLAIN_CASE = [
    "党员双培三亮化工作法",
    "单位：某某公司",
    "地区：东城街道",
    "",
    "公司成立于 2001 年。",
    "一、基本概况",
    "\u3000\u3000公司现有员工 300 人，党员 20 名。",
    "二、具体做法",
    "（一）建立制度。每月开展一次主题活动。",
    "（二）亮明身份",
    "党员佩戴党徽上岗。",
    "三、取得成果",
    "生产效益提升。",
    "四、几点启示",
    "党建也是生产力。",
]


# -- casebook new ---------------------------------------------------------------------------


def test_new_writes_the_template_and_validates_once_filled(run_cli, cases_dir: Path) -> None:
    code, out, err = run_cli("new", "--cases", cases_dir, "--id", "ceshi-gongzuofa", "--title", "测试工作法", "--org", "测试公司", cwd=cases_dir.parent)
    assert code == 0, err
    path = cases_dir / "ceshi-gongzuofa.md"
    assert "cases/ceshi-gongzuofa.md" in out and "下一步" in out
    text = path.read_text(encoding="utf-8")
    meta = front(path)
    # Every field of the schema, in the schema's order (cover as a line to uncomment).
    keys = [m.group(1) for m in re.finditer(r"^(?:# )?([a-z_]+):", text.split("\n---\n")[0], flags=re.M)]
    assert keys == [f.key for f in FIELDS]
    assert meta["status"] == "draft" and meta["id"] == "ceshi-gongzuofa" and str(meta["date"]) == TODAY
    assert meta["title"] == "测试工作法" and meta["organization"] == "测试公司"
    for f in FIELDS:  # required fields still to fill are marked
        if f.required and f.key not in ("id", "title", "organization", "date"):
            assert re.search(rf"^{f.key}: .*# 必填：", text, flags=re.M), f.key
    assert re.search(r"^region: .*# 必填：取自 taxonomy.yml 的 region", text, flags=re.M)
    assert list(sections(path)) == list(REQUIRED_SECTIONS)
    assert all(v == "待补充" for v in sections(path).values())

    # The validator points at exactly what is missing, with its usual messages.
    code, output = validate(run_cli, cases_dir)
    assert code == 1
    assert codes_for(output, "ceshi-gongzuofa.md") == ["E205"] * 5 + ["W301"] * 3
    assert "`region`（地区）为空" in output

    fill(path, COMPLETION)
    code, output = validate(run_cli, cases_dir)
    assert code == 0, output
    assert codes_for(output, "ceshi-gongzuofa.md") == ["W301"] * 3


def test_new_takes_every_option_and_checks_it_against_the_taxonomy(run_cli, cases_dir: Path) -> None:
    code, out, err = run_cli(
        "new", "--cases", cases_dir, "--id", "quanbu", "--title", "全部选项", "--org", "某某公司",
        "--org-type", "社会组织", "--party-org", "党支部", "--region", "东城街道", "--industry", "制造业",
        "--category", "党建工作法", "--category", "品牌创建，队伍建设", "--tags", "出租车、党员挂牌",
        "--summary", "no", "--source", "010", cwd=cases_dir.parent,
    )
    assert code == 0, err
    meta = front(cases_dir / "quanbu.md")
    assert meta["org_type"] == "社会组织" and meta["party_org"] == "党支部" and meta["industry"] == "制造业"
    assert meta["category"] == ["党建工作法", "品牌创建", "队伍建设"]
    assert meta["tags"] == ["出租车", "党员挂牌"]
    assert meta["summary"] == "no" and meta["source"] == "010"  # quoted: YAML keeps them text
    code, output = validate(run_cli, cases_dir)
    assert code == 0, output
    assert codes_for(output, "quanbu.md") == ["W301"] * 3


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("--region", "永康", "是否想写“永康市”"),
        ("--org-type", "企业", "是否想写“非公有制企业”"),
        ("--category", "党建工作法,党建工作发", "category"),
    ],
)
def test_new_refuses_values_outside_the_vocabulary(run_cli, cases_dir: Path, option: str, value: str, expected: str) -> None:
    code, out, err = run_cli("new", "--cases", cases_dir, "--title", "测试", "--org", "某公司", option, value, cwd=cases_dir.parent)
    assert code == 2
    assert expected in err and "不在" in err
    assert not list(cases_dir.glob("ce-shi*.md"))


def test_new_derives_the_id_from_the_pinyin_of_the_title(run_cli, cases_dir: Path) -> None:
    code, out, err = run_cli("new", "--cases", cases_dir, "--title", "“阳光车队”工作法", "--org", "康迪公司", cwd=cases_dir.parent)
    assert code == 0, err
    path = cases_dir / "yang-guang-che-dui-gong-zuo-fa.md"
    assert path.is_file() and front(path)["id"] == path.stem
    assert derive_id("红色驿站ABC 2024") == "hong-se-yi-zhan-abc-2024"
    assert derive_id("“”！") is None
    assert derive_id("X") == "x"  # a title that is the letter: its own id (not taken for "no slug")
    long = derive_id("出资人教育引导与代表委员人选推荐工作法的实践探索与经验总结")
    assert long and len(long) <= 50 and ID_PATTERN.match(long) and not long.endswith("-")


def test_new_never_overwrites(run_cli, cases_dir: Path) -> None:
    path = cases_dir / "kangdi-yangguang-chedui.md"
    before = path.read_bytes()
    code, out, err = run_cli("new", "--cases", cases_dir, "--id", "kangdi-yangguang-chedui", "--title", "另一个", "--org", "某公司", cwd=cases_dir.parent)
    assert code == 1
    assert "cases/kangdi-yangguang-chedui.md" in err and "已存在" in err
    assert path.read_bytes() == before

    # An id used by a case in a subfolder is taken too (ids are unique across the library).
    (cases_dir / "2024").mkdir()
    shutil.copyfile(path, cases_dir / "2024" / "zaizi.md")
    code, out, err = run_cli("new", "--cases", cases_dir, "--id", "zaizi", "--title", "另一个", "--org", "某公司", cwd=cases_dir.parent)
    assert code == 1 and "zaizi" in err and not (cases_dir / "zaizi.md").exists()

    # A link by that name, even one to nothing, is there too: `new` says so before anything else
    # (as `import --split` does: drafts.id_taken), and writes nothing through it.
    (cases_dir / "lianjie.md").symlink_to(cases_dir / "nowhere.md")
    code, out, err = run_cli("new", "--cases", cases_dir, "--id", "lianjie", "--title", "另一个", "--org", "某公司", cwd=cases_dir.parent)
    assert code == 1 and "cases/lianjie.md 已存在" in err and not (cases_dir / "nowhere.md").exists()


@pytest.mark.parametrize(
    "args",
    [
        ["--title", "测试", "--org", "某公司", "--id", "Bad_Id"],
        ["--title", "测试"],  # --org missing
        ["--title", "   ", "--org", "某公司"],
        ["--title", "测试", "--org", "某公司", "--summary", "长" * 151],
    ],
)
def test_new_usage_errors(run_cli, cases_dir: Path, args: list[str]) -> None:
    before = sorted(p.name for p in cases_dir.iterdir())
    code, out, err = run_cli("new", "--cases", cases_dir, *args, cwd=cases_dir.parent)
    assert code == 2 and err.strip()
    assert sorted(p.name for p in cases_dir.iterdir()) == before


def test_new_needs_a_library(run_cli, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    code, out, err = run_cli("new", "--cases", tmp_path / "empty", "--title", "测试", "--org", "某公司", cwd=tmp_path)
    assert code == 2 and "taxonomy.yml" in err
    code, out, err = run_cli("new", "--cases", tmp_path / "missing", "--title", "测试", "--org", "某公司", cwd=tmp_path)
    assert code == 2 and "不存在" in err


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40))
def test_rendered_values_read_back_unchanged(value: str) -> None:
    """Whatever a person types, the draft's YAML reads back as the same text."""
    value = " ".join(value.split())
    if not value:
        return
    draft = Draft((("id", "x"), ("title", value), ("organization", value), ("category", [value]), ("source", value)), ())
    text = render_draft(draft, TAXONOMY, dt.date(2024, 1, 5))
    meta = yaml.safe_load(text.split("\n---\n", 1)[0][4:])
    assert meta["title"] == meta["organization"] == meta["source"] == value
    assert meta["category"] == [value]
    assert list(meta) == [f.key for f in FIELDS if f.key != "cover"]


# -- casebook import --------------------------------------------------------------------------


def test_import_styled_document(run_cli, cases_dir: Path, tmp_path: Path) -> None:
    picture = png()
    source = styled_docx(tmp_path / "阳光车队.docx", picture)
    code, out, err = run_cli("import", source, "--cases", cases_dir, "--id", "yangguang-chedui", cwd=cases_dir.parent)
    assert code == 0, err
    path = cases_dir / "yangguang-chedui.md"
    meta = front(path)
    assert meta["title"] == "“阳光车队”工作法"
    assert meta["organization"] == "康迪公司党支部"
    assert meta["region"] == "永康市" and meta["category"] == ["党建工作法", "品牌创建"]
    assert meta["source"] == "永康日报 2024 年报道"
    assert meta["status"] == "draft" and str(meta["date"]) == TODAY
    assert meta.get("party_org") is None  # “康迪公司党支部” is not in the vocabulary: reported instead
    assert "“康迪公司党支部” 不在" in out and "是否想写“党支部”" in out

    parts = sections(path)
    assert list(parts) == list(REQUIRED_SECTIONS)
    assert parts["基本情况"] == "康迪公司有出租车 120 辆，**党员司机 15 名**。"
    practice = parts["主要做法"]
    assert "### 建立阳光车队" in practice
    assert "- 党员司机挂牌上岗。\n- 设立党员示范车。" in practice
    assert "| 项目 | 数量\\|辆 |\n| --- | --- |\n| 示范车 | 15 |" in practice
    assert "![](assets/yangguang-chedui-1.png)" in practice
    assert (cases_dir / "assets" / "yangguang-chedui-1.png").read_bytes() == picture
    assert "已导入图片：cases/assets/yangguang-chedui-1.png" in out
    assert parts["取得成效"] == "车队获得乘客好评。"
    assert "“工作成效”已对应为“取得成效”" in out
    assert "来源：" not in body(path)

    code, output = validate(run_cli, cases_dir)
    assert codes_for(output, "yangguang-chedui.md") == ["E205", "E205"]  # org_type, summary
    fill(path, {"org_type": "非公有制企业", "summary": "出租车党员司机挂牌服务。"})
    code, output = validate(run_cli, cases_dir)
    assert code == 0, output
    assert codes_for(output, "yangguang-chedui.md") == []


def test_import_plain_numbered_lines_and_synonyms(run_cli, cases_dir: Path, tmp_path: Path) -> None:
    source = plain_docx(tmp_path / "双培.docx", PLAIN_CASE)
    code, out, err = run_cli("import", source, "--cases", cases_dir, cwd=cases_dir.parent)
    assert code == 0, err
    path = cases_dir / "dang-yuan-shuang-pei-san-liang-hua-gong-zuo-fa.md"  # id from the title's pinyin
    meta = front(path)
    assert meta["title"] == "党员双培三亮化工作法" and meta["organization"] == "某某公司" and meta["region"] == "东城街道"
    parts = sections(path)
    assert list(parts) == list(REQUIRED_SECTIONS + OPTIONAL_SECTIONS)
    # The text before the first section goes to 基本情况 (and the report says so).
    assert parts["基本情况"] == "公司成立于 2001 年。\n\n公司现有员工 300 人，党员 20 名。"
    assert "放入“基本情况”" in out
    assert parts["主要做法"] == "### 建立制度\n\n每月开展一次主题活动。\n\n### 亮明身份\n\n党员佩戴党徽上岗。"
    assert parts["取得成效"] == "生产效益提升。" and parts["经验启示"] == "党建也是生产力。"
    fill(path, {k: COMPLETION[k] for k in ("org_type", "category", "summary", "source")})
    code, output = validate(run_cli, cases_dir)
    assert code == 0, output
    assert codes_for(output, path.name) == []


def test_import_fills_missing_sections_and_restores_their_order(run_cli, cases_dir: Path, tmp_path: Path) -> None:
    source = plain_docx(tmp_path / "x.docx", ["乱序工作法", "一、主要举措", "做法。", "二、基本情况", "情况。"])
    code, out, err = run_cli("import", source, "--cases", cases_dir, "--id", "luanxu", cwd=cases_dir.parent)
    assert code == 0, err
    parts = sections(cases_dir / "luanxu.md")
    assert list(parts) == list(REQUIRED_SECTIONS)
    assert parts == {"基本情况": "情况。", "主要做法": "做法。", "取得成效": "待补充"}
    assert "缺少章节“取得成效”" in out and "章节顺序已调整" in out


def test_import_bare_section_names(run_cli, cases_dir: Path, tmp_path: Path) -> None:
    lines = ["志愿服务工作法", "基本情况", "情况。", "主要举措：", "做法。", "取得成效", "成效。"]
    code, out, err = run_cli("import", plain_docx(tmp_path / "v.docx", lines), "--cases", cases_dir, "--id", "zhiyuan", cwd=cases_dir.parent)
    assert code == 0, err
    assert sections(cases_dir / "zhiyuan.md") == {"基本情况": "情况。", "主要做法": "做法。", "取得成效": "成效。"}


def test_import_without_standard_sections(run_cli, cases_dir: Path, tmp_path: Path) -> None:
    lines = ["红色驿站工作法", "驿站设在园区。", "一、建立驿站", "驿站有 3 间。", "二、开展服务", "每周服务一次。"]
    code, out, err = run_cli("import", plain_docx(tmp_path / "y.docx", lines), "--cases", cases_dir, "--id", "yizhan", cwd=cases_dir.parent)
    assert code == 0, err
    parts = sections(cases_dir / "yizhan.md")
    assert parts["基本情况"] == "驿站设在园区。"
    assert parts["主要做法"] == "### 建立驿站\n\n驿站有 3 间。\n\n### 开展服务\n\n每周服务一次。"
    assert parts["取得成效"] == "待补充"
    assert "没有识别出标准章节标题" in out


def test_import_escapes_markdown_and_reports_personal_data(run_cli, cases_dir: Path, tmp_path: Path) -> None:
    lines = ["转义测试", "一、基本情况", "# 不是标题 *星号* [方括号] <script>", "1. 不是列表", "- 也不是", "联系人手机 13812345678。"]
    code, out, err = run_cli("import", plain_docx(tmp_path / "z.docx", lines), "--cases", cases_dir, "--id", "zhuanyi", cwd=cases_dir.parent)
    assert code == 0, err
    text = sections(cases_dir / "zhuanyi.md")["基本情况"]
    assert "\\# 不是标题 \\*星号\\* \\[方括号\\] &lt;script>" in text
    assert "1\\. 不是列表" in text and "\\- 也不是" in text
    assert "手机号码" in out and "E502" in out
    code, output = validate(run_cli, cases_dir)
    assert "E401" not in output  # the escaped tag is text, not HTML
    assert "E502" in output


def test_import_never_overwrites_cases_or_pictures(run_cli, cases_dir: Path, tmp_path: Path) -> None:
    source = styled_docx(tmp_path / "a.docx")
    existing = cases_dir / "kangdi-yangguang-chedui.md"
    before = existing.read_bytes()
    assets_before = sorted(p.name for p in (cases_dir / "assets").iterdir()) if (cases_dir / "assets").exists() else []
    code, out, err = run_cli("import", source, "--cases", cases_dir, "--id", "kangdi-yangguang-chedui", cwd=cases_dir.parent)
    assert code == 1 and "已存在" in err
    assert existing.read_bytes() == before
    assert (sorted(p.name for p in (cases_dir / "assets").iterdir()) if (cases_dir / "assets").exists() else []) == assets_before

    # A picture name already taken in assets/ is left alone; the next free name is used.
    (cases_dir / "assets").mkdir(exist_ok=True)
    (cases_dir / "assets" / "chedui-1.png").write_bytes(b"old")
    code, out, err = run_cli("import", source, "--cases", cases_dir, "--id", "chedui", cwd=cases_dir.parent)
    assert code == 0, err
    assert (cases_dir / "assets" / "chedui-1.png").read_bytes() == b"old"
    assert (cases_dir / "assets" / "chedui-2.png").is_file()
    assert "![](assets/chedui-2.png)" in body(cases_dir / "chedui.md")


def test_import_leaves_pictures_browsers_cannot_show_to_a_person(run_cli, cases_dir: Path, tmp_path: Path) -> None:
    source = styled_docx(tmp_path / "b.docx", bmp())
    code, out, err = run_cli("import", source, "--cases", cases_dir, "--id", "bmp-tupian", cwd=cases_dir.parent)
    assert code == 0, err
    assert "BMP 格式" in out
    assert not list((cases_dir / "assets").glob("bmp-tupian-*"))
    assert "BMP 格式的图片" in body(cases_dir / "bmp-tupian.md")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.docx", None, "无法读取"),
        ("notes.docx", "这是一段文字".encode(), "不是 Word 文档"),
        ("broken.docx", b"PK\x03\x04" + b"\x00" * 40, "损坏"),
        ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "另存为"),
        ("sheet.docx", "zip-without-word", "不是 Word 文档"),
    ],
)
def test_import_rejects_what_is_not_a_word_document(run_cli, cases_dir: Path, tmp_path: Path, name: str, content, message: str) -> None:
    path = tmp_path / name
    if content == "zip-without-word":
        import zipfile

        with zipfile.ZipFile(path, "w") as z:
            z.writestr("hello.txt", "hi")
    elif content is not None:
        path.write_bytes(content)
    before = sorted(p.name for p in cases_dir.rglob("*"))
    code, out, err = run_cli("import", path, "--cases", cases_dir, "--id", "x", cwd=cases_dir.parent)
    assert code == 2, err
    assert message in err or "损坏" in err, err
    assert sorted(p.name for p in cases_dir.rglob("*")) == before


def structures_docx(path: Path) -> Path:
    """Heading 1 as the title, sections in Heading 2, a link, a line break, nested lists, merged
    table cells, a one-cell "box" table, Chinese style names and an outline level."""
    from docx.enum.style import WD_STYLE_TYPE
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    d = docx.Document()
    d.add_paragraph("附件1")
    d.add_heading("某某社会组织“邻里帮”工作法", level=1)
    d.add_paragraph("摘要：社区社会组织党支部组织党员开展邻里互助。")
    d.add_heading("基本情况", level=2)
    p = d.add_paragraph("详见")
    rid = d.part.relate_to("https://example.org/a b", "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink", is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), rid)
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "报道"
    run.append(text)
    link.append(run)
    p._p.append(link)
    p.add_run("。第一行")
    p.add_run().add_break()
    p.add_run("第二行")
    chinese = d.styles.add_style("标题 2", WD_STYLE_TYPE.PARAGRAPH)  # as WPS names Heading 2
    d.add_paragraph("主要做法", style=chinese)
    d.add_heading("建立互助队", level=3)
    d.add_paragraph("一级", style="List Bullet")
    d.add_paragraph("二级", style="List Bullet 2")
    d.add_paragraph("编号", style="List Number")
    table = d.add_table(rows=3, cols=3)
    table.cell(0, 0).merge(table.cell(0, 1)).text = "合并"
    table.cell(0, 2).text = "C"
    table.cell(1, 0).merge(table.cell(2, 0)).text = "纵向"
    for (r, c), value in {(1, 1): "x", (1, 2): "y", (2, 1): "z", (2, 2): "w"}.items():
        table.cell(r, c).text = value
    d.add_table(rows=1, cols=1).cell(0, 0).text = "方框里的文字"
    outlined = d.add_paragraph("取得成效")  # a plain paragraph made a heading by its outline level
    level = OxmlElement("w:outlineLvl")
    level.set(qn("w:val"), "1")
    outlined._p.get_or_add_pPr().append(level)
    d.add_paragraph("邻里纠纷减少。")
    return save(d, path)


def test_import_word_structures(run_cli, cases_dir: Path, tmp_path: Path) -> None:
    code, out, err = run_cli("import", structures_docx(tmp_path / "邻里帮.docx"), "--cases", cases_dir, "--id", "linlibang", cwd=cases_dir.parent)
    assert code == 0, err
    path = cases_dir / "linlibang.md"
    meta = front(path)
    assert meta["title"] == "某某社会组织“邻里帮”工作法"
    assert meta["summary"] == "社区社会组织党支部组织党员开展邻里互助。"
    parts = sections(path)
    assert list(parts) == list(REQUIRED_SECTIONS)
    assert parts["基本情况"] == "详见[报道](https://example.org/a%20b)。第一行\n\n第二行"
    assert parts["主要做法"] == (
        "### 建立互助队\n\n- 一级\n    - 二级\n\n1. 编号\n\n"
        "| 合并 |  | C |\n| --- | --- | --- |\n| 纵向 | x | y |\n|  | z | w |\n\n方框里的文字"
    )
    assert parts["取得成效"] == "邻里纠纷减少。"
    assert "附件" not in path.read_text(encoding="utf-8")


def test_imported_numbered_items_carry_the_numbers_the_page_shows() -> None:
    """Word's numbered paragraphs were all written `1.` (Markdown numbers on from the first item);
    E426 now refuses a number the page would change, so the importer writes the numbers the page
    shows (markup.with_shown_numbers: the renderer's own count)."""
    items = [("list1.", "1. 甲"), ("list1.", "1. 乙"), ("list", "    1. 子"), ("list", "    1. 子二"), ("list", "    - 点"),
             ("list", "    1. 子三"), ("list1.", "1. 丙"), ("para", "段"), ("list1.", "1. 新")]
    # (a `-` item under numbered ones is one of them to Markdown: `子三` is the nested list's fourth)
    assert word.render_items(items, (), {}) == "1. 甲\n2. 乙\n    1. 子\n    2. 子二\n    - 点\n    4. 子三\n3. 丙\n\n段\n\n1. 新"


def test_word_recognises_section_names() -> None:
    assert word.section_of("基本概况") == "基本情况"
    assert word.section_of("主要举措") == word.section_of("具体做法") == "主要做法"
    assert word.section_of("工作成效") == word.section_of("取得成果") == "取得成效"
    assert word.section_of("经验启发") == word.section_of("几点启示") == "经验启示"
    assert word.section_of("建立车队") is None
    assert set(word.SECTION_SYNONYMS) == set(REQUIRED_SECTIONS + OPTIONAL_SECTIONS)


def test_word_table_blocks_pad_rows_escape_pipes_and_keep_framed_text() -> None:
    table = docxtext.table_blocks([["甲", "乙|丙"], ["一行\n二行"], ["", ""]])
    assert table == [docxtext.Block("table", "甲 乙\\|丙 一行<br>二行 ", "| 甲 | 乙\\|丙 |\n| --- | --- |\n| 一行<br>二行 |  |")]
    box = docxtext.table_blocks([["第一段\n\ue0001\ue001"]])  # a one-column table is a framed box
    assert box == [docxtext.Block("p", "第一段", "第一段"), docxtext.Block("p", "", "\ue0001\ue001")]
    assert docxtext.table_blocks([["", " "]]) == []


def test_word_split_lines_starts_a_line_at_each_manual_break() -> None:
    pieces = [("一", True, ""), ("行\n二", False, "https://example.org"), ("\n", False, "")]
    assert docxtext.split_lines(pieces) == [[("一", True, ""), ("行", False, "https://example.org")], [("二", False, "https://example.org")], []]


def test_word_paragraph_format_reads_heading_title_and_list_styles() -> None:
    document = docx.Document()
    for style, text in [("Title", "标题"), ("Heading 2", "二级"), ("List Bullet 2", "二级项目"), ("List Number", "编号项"), ("Normal", "正文")]:
        document.add_paragraph(text, style=style)
    styles = docxtext.StyleBook.of(document)
    formats = {p.text: docxtext.paragraph_format(p._p, styles) for p in document.paragraphs}
    assert formats["标题"].title and formats["标题"].heading == 0
    assert (formats["二级"].heading, formats["二级"].list_level) == (2, -1)
    assert (formats["二级项目"].list_level, formats["二级项目"].ordered) == (1, False)
    assert (formats["编号项"].list_level, formats["编号项"].ordered) == (0, True)
    assert formats["正文"] == docxtext.ParagraphFormat("Normal", size=11.0)  # the template's default size


# -- casebook from-issue ----------------------------------------------------------------------

ISSUE_BODY = """\
### 标题

“红色驿站”服务工作法

### 单位

某某物流公司党支部

### 组织类型

非公有制企业

### 党组织

党支部

### 地区

永康市

### 行业

_No response_

### 类别

党建工作法, 品牌创建

### 标签

_No response_

### 摘要

物流园区设立红色驿站，为货车司机提供服务。

### 来源

2024 年园区党建材料

### 荣誉

省级，省级先进基层党组织，2023
不知道怎么写

### 基本情况

公司有货车司机 200 名。

### 主要做法

- 设立驿站
- 党员轮流值班

### 取得战果

这不是表单里的问题，属于上一节。

### 取得成效

_No response_

### 经验启示

_No response_
"""


def test_from_issue_writes_a_case_that_validates(run_cli, cases_dir: Path, tmp_path: Path) -> None:
    source = tmp_path / "issue.md"
    source.write_bytes(ISSUE_BODY.replace("\n", "\r\n").encode("utf-8"))  # GitHub sends CRLF
    code, out, err = run_cli("from-issue", source, "--cases", cases_dir, "--id", "hongse-yizhan", cwd=cases_dir.parent)
    assert code == 0, err
    path = cases_dir / "hongse-yizhan.md"
    meta = front(path)
    assert meta["title"] == "“红色驿站”服务工作法" and meta["organization"] == "某某物流公司党支部"
    assert meta["org_type"] == "非公有制企业" and meta["party_org"] == "党支部" and meta["region"] == "永康市"
    assert meta["category"] == ["党建工作法", "品牌创建"]
    assert meta["tags"] == [] and meta["industry"] is None
    assert meta["honors"] == [{"level": "省级", "title": "省级先进基层党组织", "year": 2023}]
    assert "不知道怎么写" in out  # the honour it could not read is left to a person
    assert meta["status"] == "draft"
    parts = sections(path)
    assert list(parts) == list(REQUIRED_SECTIONS)  # 经验启示 left empty: not written
    assert parts["主要做法"].startswith("- 设立驿站\n- 党员轮流值班")
    assert "### 取得战果" in parts["主要做法"]
    assert parts["取得成效"] == "待补充"
    code, output = validate(run_cli, cases_dir)
    assert code == 0, output
    assert codes_for(output, "hongse-yizhan.md") == ["W301"]


def test_from_issue_reads_stdin_and_reports_values_outside_the_vocabulary(run_entry_point, cases_dir: Path) -> None:
    text = ISSUE_BODY.replace("永康市", "永康").replace("党建工作法, 品牌创建", "党建工作法, 新类别")
    result = run_entry_point("from-issue", "-", "--cases", cases_dir, cwd=cases_dir.parent, input=text)
    assert result.returncode == 0, result.stderr
    path = cases_dir / "hong-se-yi-zhan-fu-wu-gong-zuo-fa.md"
    meta = front(path)
    assert meta["region"] == "" and meta["category"] == ["党建工作法"]
    assert "“永康” 不在" in result.stdout and "是否想写“永康市”" in result.stdout
    assert "“新类别” 不在" in result.stdout


def test_from_issue_never_overwrites_and_rejects_bad_input(run_cli, cases_dir: Path, tmp_path: Path) -> None:
    source = tmp_path / "issue.md"
    source.write_text(ISSUE_BODY, encoding="utf-8")
    existing = cases_dir / "kangdi-yangguang-chedui.md"
    before = existing.read_bytes()
    code, out, err = run_cli("from-issue", source, "--cases", cases_dir, "--id", "kangdi-yangguang-chedui", cwd=cases_dir.parent)
    assert code == 1 and existing.read_bytes() == before
    code, out, err = run_cli("from-issue", tmp_path / "none.md", "--cases", cases_dir, cwd=cases_dir.parent)
    assert code == 2 and "无法读取" in err
    (tmp_path / "gbk.md").write_bytes("### 标题\n\n测试".encode("gbk"))
    code, out, err = run_cli("from-issue", tmp_path / "gbk.md", "--cases", cases_dir, cwd=cases_dir.parent)
    assert code == 2 and "UTF-8" in err
    (tmp_path / "other.md").write_text("随便写的 issue，没有表单。", encoding="utf-8")
    code, out, err = run_cli("from-issue", tmp_path / "other.md", "--cases", cases_dir, cwd=cases_dir.parent)
    assert code == 2 and "--id" in err


def test_issue_answers_round_trip_through_githubs_rendering() -> None:
    """Render answers the way GitHub does (`### label`, `_No response_`, `a, b`) and read them back."""
    answers = {}
    for q in issue.questions():
        if q.type == "dropdown":
            values = TAXONOMY.values(FIELD_BY_KEY[q.field].vocabulary)
            answers[q.label] = ", ".join(values[:2]) if q.multiple else values[-1]
        else:
            answers[q.label] = "" if not q.required else f"{q.label}的回答\n\n第二段"
    text = "\n\n".join(f"### {label}\n\n{value or issue.NO_RESPONSE}" for label, value in answers.items())
    assert issue.answers(text) == answers
    # An optional dropdown left at GitHub's "None" is an empty answer.
    draft = issue.to_draft(text.replace("### 行业\n\n" + answers["行业"], "### 行业\n\nNone"), TAXONOMY)
    assert draft.value("industry") is None and draft.value("org_type") == answers["组织类型"]


@pytest.mark.parametrize("answer", [
    "![图](https://github.com/user-attachments/x.png)",
    "![图](//user-images.githubusercontent.com/y.png)",  # no scheme: still another site
    "![图][r]\n\n[r]: https://github.com/x.png",
    "<img src=//github.com/x.png>",
    '<img alt="图" src="https://github.com/x.png">',
    "![图](assets/x.png) [附件](https://github.com/x.pdf)",  # a link to another site is fine
    "`![图](https://github.com/x.png)`",  # code is text
])
def test_an_image_from_another_site_is_noted_exactly_when_validate_refuses_it(tmp_path, answer) -> None:
    """The draft's note for an image GitHub keeps (pasted into the form) is validate's E404: the
    oracle is `casebook validate`'s own check of a case whose section holds the answer."""
    from conftest import MINIMAL_CASE, check, make_library

    text = ISSUE_BODY.replace("- 设立驿站", answer)
    draft = issue.to_draft(text, TAXONOMY)
    noted = any("图片链接到 GitHub" in n for n in draft.notes)
    make_library(tmp_path, {"a.md": MINIMAL_CASE.format(id="a").replace("测试做法。", answer)})
    refused = any(f.code == "E404" for f in check(tmp_path).findings)
    assert noted == refused, (draft.notes, refused)


# -- the issue form ---------------------------------------------------------------------------

FORM = REPO / ".github" / "ISSUE_TEMPLATE" / "new-case.yml"


def test_issue_form_is_generated_from_the_schema_and_the_shipped_taxonomy() -> None:
    expected = issue.form_yaml(TAXONOMY)
    assert FORM.read_text(encoding="utf-8") == expected, "issue 表单已过时：请运行 `.venv/bin/casebook sync`"


def test_issue_form_options_equal_the_taxonomy_and_labels_map_to_the_schema() -> None:
    form = yaml.safe_load(FORM.read_text(encoding="utf-8"))
    targets = {f.label: f.key for f in FIELDS} | {s: s for s in REQUIRED_SECTIONS + OPTIONAL_SECTIONS}
    questions = [e for e in form["body"] if e["type"] != "markdown"]
    labels = [e["attributes"]["label"] for e in questions]
    assert all(label in targets for label in labels), labels
    assert set(REQUIRED_SECTIONS) <= set(labels)
    for f in FIELDS:
        if f.required and f.key not in issue.NOT_IN_FORM:
            assert f.label in labels, f.key
    for e in questions:
        key = targets[e["attributes"]["label"]]
        field = FIELD_BY_KEY.get(key)
        if field is not None and field.vocabulary:
            assert e["type"] == "dropdown"
            assert e["attributes"]["options"] == list(TAXONOMY.values(field.vocabulary))
            assert e["attributes"]["multiple"] is (field.kind == "list")
            # GitHub joins multiple answers with ", ": a value containing it could not be read back.
            assert not any(", " in v for v in e["attributes"]["options"])
        required = field.required if field is not None else key in REQUIRED_SECTIONS
        assert e["validations"]["required"] is required, key


def test_issue_form_follows_githubs_syntax() -> None:
    """The rules GitHub applies to issue forms (docs: "Syntax for issue forms")."""
    form = yaml.safe_load(FORM.read_text(encoding="utf-8"))
    assert {"name", "description", "body"} <= set(form) <= {"name", "description", "body", "title", "labels", "assignees", "projects", "type"}
    assert isinstance(form["name"], str) and form["name"] and isinstance(form["description"], str)
    ids, labels = set(), set()
    allowed = {
        "markdown": {"value"},
        "input": {"label", "description", "placeholder", "value"},
        "textarea": {"label", "description", "placeholder", "value", "render"},
        "dropdown": {"label", "description", "multiple", "options", "default"},
    }
    assert any(e["type"] != "markdown" for e in form["body"])
    for e in form["body"]:
        assert e["type"] in allowed
        assert set(e["attributes"]) <= allowed[e["type"]]
        if e["type"] == "markdown":
            assert e["attributes"]["value"].strip() and "id" not in e
            continue
        assert re.fullmatch(r"[A-Za-z0-9_-]+", e["id"]) and e["id"] not in ids
        ids.add(e["id"])
        label = e["attributes"]["label"]
        assert label.strip() and label not in labels
        labels.add(label)
        assert set(e.get("validations", {})) <= {"required"}
        if e["type"] == "dropdown":
            options = e["attributes"]["options"]
            assert options and len(options) == len(set(options)) and all(isinstance(o, str) and o.strip() for o in options)
            assert "None" not in options  # GitHub reserves it for optional dropdowns


def test_issue_form_labels_are_the_parsers() -> None:
    form = yaml.safe_load(FORM.read_text(encoding="utf-8"))
    labels = [e["attributes"]["label"] for e in form["body"] if e["type"] != "markdown"]
    assert labels == [q.label for q in issue.questions()]


# -- CONTRIBUTING.md ----------------------------------------------------------------------------

GUIDE = REPO / "CONTRIBUTING.md"


@pytest.mark.parametrize("name", ["fields", "template", "codes", "limits"])
def test_contributing_generated_blocks_match_the_code(name: str) -> None:
    expected = guide.blocks(TAXONOMY)[name]
    found = guide.block(GUIDE.read_text(encoding="utf-8"), name)
    assert found is not None, f"CONTRIBUTING.md 缺少 {guide.marker(name)} … {guide.marker(name, True)}"
    assert found == expected, (
        f"CONTRIBUTING.md 的“{name}”部分与代码不一致；运行 `.venv/bin/casebook sync` 更新。应为：\n{expected}"
    )


def test_field_table_lists_every_field() -> None:
    table = guide.field_table()
    for f in FIELDS:
        assert f"| `{f.key}` | {f.label} | {'是' if f.required else '否'} |" in table


def test_guide_template_is_what_new_writes(run_cli, cases_dir: Path) -> None:
    code, out, err = run_cli("new", "--cases", cases_dir, "--id", "yangguang-chedui", "--title", "“阳光车队”工作法", "--org", "某某公司", cwd=cases_dir.parent)
    assert code == 0, err
    written = (cases_dir / "yangguang-chedui.md").read_text(encoding="utf-8")
    shown = guide.template(TAXONOMY).removeprefix("```markdown\n").removesuffix("```")
    assert written == shown.replace(f"date: {guide.EXAMPLE_DATE}", f"date: {TODAY}")


def test_sync_checks_and_rewrites(run_cli, tmp_path: Path) -> None:
    code, out, err = run_cli("sync", "--check", cwd=REPO)
    assert code == 0, out + err
    (tmp_path / ".github" / "ISSUE_TEMPLATE").mkdir(parents=True)
    stale = GUIDE.read_text(encoding="utf-8").replace("| `id` | 编号 |", "| `id` | 旧名称 |")
    (tmp_path / "CONTRIBUTING.md").write_text(stale, encoding="utf-8")
    code, out, err = run_cli("sync", "--check", "--root", tmp_path, "--cases", SHIPPED, cwd=tmp_path)
    assert code == 1 and "CONTRIBUTING.md" in out and "new-case.yml" in out
    code, out, err = run_cli("sync", "--root", tmp_path, "--cases", SHIPPED, cwd=tmp_path)
    assert code == 0
    assert (tmp_path / "CONTRIBUTING.md").read_text(encoding="utf-8") == GUIDE.read_text(encoding="utf-8")
    assert (tmp_path / ".github" / "ISSUE_TEMPLATE" / "new-case.yml").read_text(encoding="utf-8") == FORM.read_text(encoding="utf-8")


# -- Word's text stays text ------------------------------------------------------------------------

_RISKY = st.sampled_from(["&", ";", "#", "<", ">", "{", "}", ":", ".", "*", "_", "`", "[", "]", "(", ")", "!", "\\",
                          "~", "-", "+", "=", "|", "'", '"', "x", "1", " ", "中", "&reg;", "&#65;", "&#x41;", "{: .x }",
                          "~~~", "```", "<!--", "-->", "http://a.b", "a@b.cn", ":smile:", "[^1]", "!!! note", ": ",
                          "<b>", "1. ", "10:30:00", "  "])


@functools.cache
def _site_markdown():
    """Markdown as the site's pages are made (mkdocs.yml's extensions and their settings)."""
    import markdown

    from conftest import _mkdocs_config

    config = _mkdocs_config()
    return markdown.Markdown(extensions=config.markdown_extensions, extension_configs=config.mdx_configs)


def _shown(markdown_text: str) -> str:
    """The text a reader sees of a paragraph's Markdown (tags dropped, entities read), or None
    when it is not one plain paragraph."""
    import html

    md = _site_markdown()
    md.reset()
    out = md.convert(markdown_text)
    m = re.fullmatch(r"<p>(.*)</p>", out, re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", m.group(1))) if m and "<img" not in out else None


@given(st.lists(_RISKY, min_size=1, max_size=8).map("".join))
def test_a_line_from_word_shows_as_word_had_it(text: str) -> None:
    """Whatever a Word paragraph says (`&reg;`, `:smile:`, `!!! note`, `: 定义`, `{: .x }`, `---`),
    the draft's line shows it as written: one plain paragraph with the same text (an entity once
    became ®, an admonition swallowed its words). The generated pages' escape (render.esc) keeps
    the same promise."""
    from casebook.site.render import esc

    line = text.strip(" \t\u3000\xa0")
    if not line:
        return
    assert _shown(docxtext.inline_markdown([(text, False, "")])) == line, docxtext.inline_markdown([(text, False, "")])
    assert _shown(esc(line)) == line, esc(line)


@given(st.lists(st.sampled_from(["C", "中", "#", " ", "*", "\\", "&amp;"]), min_size=1, max_size=8).map("".join))
@example("使用C#")
@example("C## ")
def test_a_heading_from_word_shows_as_word_had_it(text: str) -> None:
    """A Word heading's text, `#`s at its end included (`使用C#`: Markdown takes a glued run for
    the closing sequence), shows in the draft's heading as written, but for the spaces at its ends."""
    import html

    line = text.strip(" ")
    assume(line)
    md = _site_markdown()
    md.reset()
    out = md.convert("### " + docxtext.escape_heading(text))
    m = re.fullmatch(r"<h3[^>]*>(.*)</h3>", out, re.S)
    assert m and html.unescape(re.sub(r"<[^>]+>", "", m.group(1))) == line, out


@pytest.mark.parametrize("key", [f.key for f in FIELDS if f.vocabulary and f.kind == "str"])
def test_a_value_typed_after_the_templates_comment_is_named_with_the_line_to_write(tmp_path, key) -> None:
    """`party_org:  # 选填：…（党委、党总支…） 党支部`: the value stands in the comment. Said at that line
    (E205 for a required field, which stays empty; W220 for an optional one), with the line to write."""
    from conftest import check

    field = FIELD_BY_KEY[key]
    value = TAXONOMY.values(field.vocabulary)[0]
    text = render_draft(Draft((), ()), TAXONOMY, dt.date(2024, 1, 5))
    lines = text.split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith(f"{key}:"))
    assert "#" in lines[at]
    lines[at] += f" {value}"
    (tmp_path / "taxonomy.yml").write_bytes((SHIPPED / "taxonomy.yml").read_bytes())
    (tmp_path / "a.md").write_text("\n".join(lines).replace("id: ''", "id: a"), encoding="utf-8")
    found = [f for f in check(tmp_path).findings if f.line == at + 1]
    assert [f.code for f in found] == ["E205" if field.required else "W220"], [f.text() for f in found]
    assert found[0].message.endswith(f"`{key}: {value}`（注释可以删去）")
