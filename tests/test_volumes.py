"""The 案例汇编 in volumes (分册, issue 22): past a page budget (`casebook book --volume-pages N`)
the book is split by its 篇 first, then in order; each volume is a book of its own (cover with
第N册 and what it holds, contents, page numbers), in PDF and Word, named -ce01, -ce02 …; the
site links every volume. Read back with pypdf and python-docx; expectations come from the
generated library's own files. A book within the budget stays one book (test_book.py)."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import docx
import pytest
from pypdf import PdfReader

from book_pages import outline  # scripts/book_pages.py: the bookmarks the calibration reads too
from conftest import VALID
from casebook.book.compose import Part, front_pages, split_volumes

BUDGET = 14
CATEGORIES = ["党建工作法", "党员教育", "品牌创建"]
# How many cases of each category: the first 篇 fits a volume on its own, the second is too long
# for one volume (split, continued as “（续）”), the third is small.
SIZES = {"党建工作法": 5, "党员教育": 16, "品牌创建": 3}
STAMP = dt.date.today().strftime("%Y%m%d")
NAME = "liangxin-dangjian-anli-huibian"


def case_text(cid: str, title: str, category: str, paragraphs: int) -> str:
    body = "\n\n".join(f"第{i + 1}段：党员先锋岗每周公开服务事项，接受群众监督，形成了可复制的工作方法。" * 3 for i in range(paragraphs))
    return f"""---
id: {cid}
title: '{title}'
organization: 示例企业{cid}
org_type: 非公有制企业
region: 东城街道
category: [{category}]
summary: 虚构的测试案例，用来检验案例汇编的分册。
date: 2024-03-01
source: 测试资料：虚构
---

## 基本情况

{body}

## 主要做法

{body}

## 取得成效

{body}
"""


@pytest.fixture(scope="module")
def library(tmp_path_factory) -> Path:
    cases = tmp_path_factory.mktemp("volumes") / "cases"
    cases.mkdir()
    shutil.copy(VALID / "taxonomy.yml", cases / "taxonomy.yml")
    n = 0
    for category, count in SIZES.items():
        for i in range(count):
            n += 1
            (cases / f"fence-{n:03d}.md").write_text(
                case_text(f"fence-{n:03d}", f"分册测试案例第{n}号", category, 2 + n % 4), encoding="utf-8")
    return cases


def published_in_book_order(cases: Path) -> list[tuple[str, str]]:
    """(category, title) in the book's order: 篇 in taxonomy order, cases by id within a 篇."""
    rows = []
    for path in sorted(cases.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        rows.append((re.search(r"category: \[(.+)\]", text)[1], re.search(r"title: '(.+)'", text)[1]))
    return sorted(rows, key=lambda r: CATEGORIES.index(r[0]))


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def built(run_cli, library, tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("dist")
    result = run_cli("book", "--cases", library, "--out", out, "--volume-pages", str(BUDGET))
    assert result.returncode == 0, result.stdout + result.stderr
    listed = json.loads((out / "volumes.json").read_text(encoding="utf-8"))["volumes"]
    volumes = []
    for v in listed:
        pdf = out / f"{NAME}-{STAMP}-ce{v['number']:02d}.pdf"
        reader = PdfReader(pdf)
        volumes.append({"listed": v, "pdf": pdf, "docx": pdf.with_suffix(".docx"), "reader": reader,
                        "pages": [p.extract_text() for p in reader.pages], "outline": outline(reader)})
    return {"out": out, "stdout": result.stdout, "volumes": volumes}


def test_split_into_volumes_named_by_number(built):
    volumes = built["volumes"]
    assert len(volumes) >= 3
    names = sorted(p.name for p in built["out"].iterdir())
    expected = sorted([f"{NAME}-{STAMP}-ce{n:02d}.{fmt}" for n in range(1, len(volumes) + 1) for fmt in ("pdf", "docx")] + ["volumes.json"])
    assert names == expected  # no file of an unsplit book beside the volumes
    for v in volumes:
        assert v["listed"]["files"] == [v["pdf"].name, v["docx"].name]
    assert f"分 {len(volumes)} 册" in built["stdout"] and f"已生成第{len(volumes)}册 Word" in built["stdout"]


def test_every_case_once_grouped_first_then_in_order(built, library):
    expected = published_in_book_order(library)
    titles_by_volume = [[t for level, t, _ in v["outline"] if level == 2] for v in built["volumes"]]
    assert [t for titles in titles_by_volume for t in titles] == [t for _, t in expected]
    part_titles = [[t for level, t, _ in v["outline"] if level == 1] for v in built["volumes"]]
    category_of = dict((t, c) for c, t in expected)
    for titles, parts in zip(titles_by_volume, part_titles):
        # the 篇 of a volume are exactly the categories of its cases, in order
        assert [squash(p).split("篇")[1].removesuffix("（续）") for p in parts] == list(dict.fromkeys(category_of[t] for t in titles))
    # 党员教育 (16 cases) is too long for one volume: it continues, marked （续）; the others are whole
    flat_parts = [p for parts in part_titles for p in parts]
    education = [squash(p) for p in flat_parts if "党员教育" in p]
    assert len(education) >= 2 and not education[0].endswith("（续）") and all(p.endswith("（续）") for p in education[1:])
    assert all(not p.endswith("（续）") for p in flat_parts if "党员教育" not in p)
    assert sum(len(t) for t in titles_by_volume) == sum(SIZES.values())


def test_each_volume_has_its_cover_contents_and_page_numbers(built):
    volumes = built["volumes"]
    total = len(volumes)
    for v in volumes:
        n, pages, listed = v["listed"]["number"], v["pages"], v["listed"]
        cover = squash(pages[0])
        assert cover.startswith(squash("两新党建工作法案例汇编") + f"第{n}册（共{total}册）")
        assert squash("本册收录：" + listed["holds"]) in cover
        titles = [t for level, t, _ in v["outline"] if level == 2]
        assert f"本册收录案例{len(titles)}个" in cover and listed["cases"] == len(titles)
        assert squash(pages[1]).startswith("目录")  # its own contents …
        toc = squash(pages[1])
        for title in titles:
            assert squash(title) in toc
        first_case_page = next(page for level, _, page in v["outline"] if level == 2)
        assert pages[first_case_page].strip().split("\n")[-1].strip() == "2"  # … and page numbers from 1 (篇 page is 1)
        assert v["reader"].metadata.title == f"两新党建工作法案例汇编 第{n}册（共{total}册）"
        assert len(pages) <= BUDGET or len(titles) == 1  # the estimate keeps a volume within its budget


def test_holds_names_the_parts_and_which_cases_of_a_split_one(built):
    holds = [v["listed"]["holds"] for v in built["volumes"]]
    assert holds[0].startswith("第一篇　党建工作法")
    split = [h for h in holds if "党员教育（第" in h]
    assert len(split) >= 2 and split[0].startswith("第二篇　党员教育（第 1–")
    # consecutive ranges covering the 篇
    ranges = [tuple(map(int, re.search(r"党员教育（第 (\d+)–(\d+) 个案例）", h).groups())) for h in split]
    assert ranges[0][0] == 1 and ranges[-1][1] == SIZES["党员教育"]
    assert all(b[0] == a[1] + 1 for a, b in zip(ranges, ranges[1:]))


def test_word_volumes_have_their_cover_and_headings(built):
    total = len(built["volumes"])
    for v in built["volumes"]:
        document = docx.Document(v["docx"])
        texts = [p.text for p in document.paragraphs]
        n = v["listed"]["number"]
        assert texts[0] == "两新党建工作法案例汇编" and texts[1] == f"第{n}册（共{total}册）"
        assert f"本册收录：{v['listed']['holds']}" in texts[:6]
        h2 = [p.text for p in document.paragraphs if p.style.name == "Heading 2"]
        assert h2 == [t for level, t, _ in v["outline"] if level == 2]
        h1 = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
        assert h1 == [t for level, t, _ in v["outline"] if level == 1]
        assert document.core_properties.title == f"两新党建工作法案例汇编 第{n}册（共{total}册）"


def test_estimate_is_never_below_the_typeset_pages(built, library):
    """The page estimate (made before typesetting) against each case's real pages in the PDF."""
    from casebook.book.compose import book_entry, estimate_pages
    from casebook.core.library import load_library

    lib = load_library(library)
    estimated = {c.title: estimate_pages(book_entry(c, set(lib.assets))) for c in lib.published}
    for v in built["volumes"]:
        flat, total = v["outline"], len(v["pages"])
        for i, (level, title, page) in enumerate(flat):
            if level == 2:
                real = (flat[i + 1][2] if i + 1 < len(flat) else total) - page
                assert real <= estimated[title] <= real + 1, title


def test_site_links_every_volume(run_cli, built, library, tmp_path):
    site = tmp_path / "site"
    result = run_cli("build", "--cases", library, "--site-dir", site, "--downloads", built["out"])
    assert result.returncode == 0, result.stdout + result.stderr
    home = (site / "index.html").read_text(encoding="utf-8")
    overview = (site / "overview" / "index.html").read_text(encoding="utf-8")
    total = len(built["volumes"])
    assert f"下载案例汇编（共 {total} 册）" in home
    for v in built["volumes"]:
        n = v["listed"]["number"]
        pdf, word = v["pdf"].name, v["docx"].name
        assert (site / "downloads" / pdf).read_bytes() == v["pdf"].read_bytes()
        assert (site / "downloads" / word).read_bytes() == v["docx"].read_bytes()
        assert f'第{n}册 <a href="downloads/{pdf}">PDF</a> / <a href="downloads/{word}">Word</a>' in home
        assert (f'第{n}册（{v["listed"]["cases"]} 个案例）：{v["listed"]["holds"]}　<a href="../downloads/{pdf}">PDF</a> / '
                f'<a href="../downloads/{word}">Word</a>') in overview
    assert not (site / "downloads" / "volumes.json").exists()


def test_a_broken_volume_list_stops_the_build_with_a_sentence(run_cli, built, library, tmp_path):
    downloads = tmp_path / "book"
    shutil.copytree(built["out"], downloads)
    (downloads / built["volumes"][1]["pdf"].name).unlink()
    result = run_cli("build", "--cases", library, "--site-dir", tmp_path / "site", "--downloads", downloads)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "列出的第2册文件" in result.stderr and "请重新运行 casebook book" in result.stderr
    assert not (tmp_path / "site").exists()


def test_within_the_budget_one_book_and_no_stale_list(run_cli, built, library, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(built["out"], out)
    for p in out.glob("*-ce*"):
        p.unlink()
    result = run_cli("book", "--cases", library, "--out", out, "--format", "docx")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == [f"{NAME}-{STAMP}.docx"]  # volumes.json of the split book removed
    assert "册" not in result.stdout


def test_volume_pages_must_be_positive(run_cli, library, tmp_path):
    result = run_cli("book", "--cases", library, "--out", tmp_path / "out", "--volume-pages", "0")
    assert result.returncode == 2 and "--volume-pages 应是正整数" in result.stderr and not (tmp_path / "out").exists()


# -- the split itself (pure) ------------------------------------------------------------------------

class Fake:
    def __init__(self, cid: str, pages: int) -> None:
        self.id, self.pages = cid, pages


def plan(sizes: list[list[int]], budget: int):
    groups = tuple((Part(i + 1, f"类{i + 1}"), tuple(Fake(f"{i}-{j}", p) for j, p in enumerate(cases)))
                   for i, cases in enumerate(sizes))
    return split_volumes(groups, lambda c: c.pages, budget)


def test_one_volume_when_the_book_fits():
    (only,) = plan([[3, 3], [2]], budget=100)
    assert only.holds == "" and [len(c) for _, c in only.groups] == [2, 1]
    assert only.pages == front_pages(3, 2) + 8


def test_whole_parts_together_then_a_long_part_in_order():
    volumes = plan([[2, 2], [2, 2], [5, 5, 5, 5], [1]], budget=15)
    assert all(v.pages <= 15 for v in volumes)
    layout = [[(p.number, p.continued, [c.id for c in cs]) for p, cs in v.groups] for v in volumes]
    assert layout[0] == [(1, False, ["0-0", "0-1"]), (2, False, ["1-0", "1-1"])]  # two whole 篇
    assert layout[1][0][:2] == (3, False) and all(g[0][:2] == (3, True) for g in layout[2:-1])
    assert [c for v in layout for _, _, cs in v for c in cs] == [f"{i}-{j}" for i, n in enumerate([2, 2, 4, 1]) for j in range(n)]


def test_a_case_longer_than_the_budget_gets_its_own_volume():
    volumes = plan([[1, 50, 1]], budget=10)
    assert [[c.id for _, cs in v.groups for c in cs] for v in volumes] == [["0-0"], ["0-1"], ["0-2"]]


def test_a_part_too_long_for_any_volume_starts_where_the_last_volume_ends():
    """No half-empty volume before (or after) a 篇 that has to be split anyway; a 篇 that fits a
    volume of its own is never split."""
    volumes = plan([[2], [5, 5, 5, 5], [6, 6]], budget=15)
    layout = [[(p.number, p.continued, [c.id for c in cs]) for p, cs in v.groups] for v in volumes]
    assert layout[0] == [(1, False, ["0-0"]), (2, False, ["1-0"])]
    assert layout[-1] == [(3, False, ["2-0", "2-1"])]  # whole, in a volume of its own
    assert all(v.pages <= 15 for v in volumes)
    assert "第二篇　类2（第 1–1 个案例）" in volumes[0].holds
