"""Progress on long work (issue 22): `casebook build` and `casebook book` print one line a stage,
`<stage>：<counts>（<seconds> 秒）`, on stdout as each stage ends. The counts are checked against
what the stage actually produced (files on disk, the zip's entries, the PDF's pages). Also
`give_way`, where long work pauses for `casebook serve`'s urgent work."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import zipfile

from pypdf import PdfReader

from conftest import REPO, VALID
from casebook.core.load import walk_library
from casebook.core.progress import Stages, amount, stage_line

SECONDS = r"（\d+\.\d 秒）"


def test_stage_lines_time_each_stage_from_the_previous_one():
    ticks = iter([10.0, 10.5, 13.25, 20.0, 20.04])
    lines: list[str] = []
    stages = Stages(lines.append, clock=lambda: next(ticks))
    assert stages.done("校验", amount(5000, "个案例")) == 0.5
    assert stages.done("写出页面", amount(5060, "个页面")) == 2.75
    stages.restart()  # 13.25 -> 20.0 is not counted
    stages.done("搜索索引", amount(12, "个文件"))
    assert lines == ["校验：5,000 个案例（0.5 秒）", "写出页面：5,060 个页面（2.8 秒）", "搜索索引：12 个文件（0.0 秒）"]
    assert stage_line("打包", "1 个文件", 61.04) == "打包：1 个文件（61.0 秒）"


def lines_matching(stdout: str, patterns: list[str]) -> list[re.Match]:
    """Each pattern matches one whole line, in this order, and no other line of stdout is left."""
    lines = stdout.splitlines()
    assert len(lines) == len(patterns), stdout
    found = []
    for line, pattern in zip(lines, patterns):
        m = re.fullmatch(pattern, line)
        assert m, f"{line!r} !~ {pattern!r}\n{stdout}"
        found.append(m)
    return found


def test_build_prints_each_stage_with_what_it_made(run_cli, tmp_path):
    site, dist = tmp_path / "site", tmp_path / "dist"
    result = run_cli("build", "--cases", VALID, "--site-dir", site, "--offline", "--zip", dist)
    assert result.returncode == 0, result.stdout + result.stderr
    found = walk_library(VALID).cases
    m = lines_matching(result.stdout, [
        rf"校验：(\d+) 个案例通过，(\d+) 个将发布{SECONDS}",
        r"正在生成离线版（MkDocs）…",
        rf"组装：(\d+) 个页面、(\d+) 个数据文件、(\d+) 个图片和下载文件{SECONDS}",
        rf"写出页面：(\d+) 个页面{SECONDS}",
        rf"搜索索引：(\d+) 个文件{SECONDS}",
        rf"已生成离线版：(.+)/，([\d,]+) 个文件，(\d+\.\d) MB{SECONDS}",
        rf"已打包离线版：(.+\.zip)，([\d,]+) 个文件，(\d+\.\d) MB{SECONDS}",
        r"共用时 \d+\.\d 秒。",
    ])
    published = [p for p in found if "status: draft" not in p.read_text(encoding="utf-8")]
    assert (int(m[0][1]), int(m[0][2])) == (len(found), len(published))
    assert int(m[2][3]) == len(walk_library(VALID).assets)  # the library's pictures; no book given
    html = [p for p in site.rglob("*.html") if p.name != "404.html"]
    assert int(m[3][1]) == len(html)  # every page written, 404.html is a template, not a page
    hand_written = list((REPO / "docs").rglob("*.md"))
    assert int(m[3][1]) == int(m[2][1]) + len(hand_written)  # the generated pages and docs/
    search = [p for p in (site / "search" / "casebook").iterdir()]
    assert int(m[4][1]) == len(search) + 1  # the shards, previews and the manifest search_index.json
    files = [p for p in site.rglob("*") if p.is_file()]
    assert m[5][1] == str(site) and int(m[5][2].replace(",", "")) == len(files)
    assert float(m[5][3]) == round(sum(p.stat().st_size for p in files) / 1e6, 1)
    with zipfile.ZipFile(m[6][1]) as zf:
        assert int(m[6][2].replace(",", "")) == len(zf.namelist()) == len(files) + 1  # + 使用说明.txt
    assert list(dist.iterdir()) == [tmp_path / "dist" / m[6][1].split("/")[-1]]


def test_a_failed_validation_prints_no_stage(run_cli, tmp_path):
    cases = tmp_path / "cases"
    shutil.copytree(VALID, cases)
    (cases / "broken.md").write_text("---\ntitle: x\n---\n", encoding="utf-8")
    result = run_cli("build", "--cases", cases, "--site-dir", tmp_path / "site")
    assert result.returncode == 1 and result.stdout == "" and "E201" in result.stderr


def test_book_prints_each_stage_with_pages_and_size(run_cli, tmp_path):
    out = tmp_path / "out"
    result = run_cli("book", "--cases", VALID, "--out", out)
    assert result.returncode == 0, result.stdout + result.stderr
    stamp = dt.date.today().strftime("%Y%m%d")
    pdf, word = out / f"liangxin-dangjian-anli-huibian-{stamp}.pdf", out / f"liangxin-dangjian-anli-huibian-{stamp}.docx"
    m = lines_matching(result.stdout, [
        rf"校验：(\d+) 个案例通过{SECONDS}",
        rf"编排案例汇编：(\d+) 个案例，(\d+) 篇，估计 ([\d,]+) 页{SECONDS}",
        rf"已生成 PDF：(.+)，(\d+) 页，(\d+\.\d) MB{SECONDS}",
        rf"已生成 Word：(.+)，(\d+\.\d) MB{SECONDS}",
        r"共用时 \d+\.\d 秒。",
    ])
    found = walk_library(VALID).cases
    published = [p for p in found if "status: draft" not in p.read_text(encoding="utf-8")]
    assert int(m[0][1]) == len(found) and int(m[1][1]) == len(published)
    assert m[2][1] == str(pdf) and int(m[2][2]) == len(PdfReader(pdf).pages) > 1
    assert int(m[2][2]) <= int(m[1][3]) <= int(m[2][2]) * 1.25  # the estimate made before typesetting
    assert float(m[2][3]) == round(pdf.stat().st_size / 1e6, 1)
    assert m[3][1] == str(word) and float(m[3][2]) == round(word.stat().st_size / 1e6, 1)


def test_give_way_calls_the_threads_hook_and_passing_on_carries_it_to_workers():
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from casebook.core.progress import give_way, giving_way, passing_on

    calls = []

    def work():
        give_way()
        return threading.current_thread().name

    give_way()  # no hook: nothing happens
    with giving_way(lambda: calls.append(threading.current_thread().name)):
        give_way()
        with ThreadPoolExecutor(1) as pool:
            plain = pool.submit(work).result()  # a worker has no hook of its own
            carried = pool.submit(passing_on(work)).result()
    give_way()  # the hook is gone after the block
    assert calls == [threading.current_thread().name, carried] and plain == carried
