"""site/render.py on its own: an Index in, {page: Markdown} and export bytes out (no MkDocs)."""

from __future__ import annotations

import csv
import io
import json
from urllib.parse import urljoin

from hypothesis import assume, given
from hypothesis import strategies as st

from casebook.core.index import build_index
from casebook.core.model import Honor
from casebook.core.schema import FIELDS
from casebook.site.render import (
    CSV_COLUMNS, Options, case_id_of, case_uri, library_file_uri, moved_page, relative_link, render_site, rewrite_links,
    site_url,
)

from test_index import case, library

A = case("a", 3, tags=("红色车队", "志愿服务"), honors=(Honor("省级", "先进 <集体>", 2023),), party_org=None,
         body="见[另一个](b.md#做法)、[官网](https://example.org)、[本页](#x)、![图](assets/p.png)。\n")
B = case("b", 2, region="西城街道", title="“红色车队”工作法", cover="assets/p.png")


def site(**options):
    return render_site(build_index(library(A, B)), Options(**options))


def test_pages_and_files_are_the_same_for_the_same_index():
    first, second = site(), site()
    assert first.pages == second.pages and first.files == second.files
    assert {"index.md", "overview.md", "stats.md", "browse/index.md", "cases/a.md", "cases/b.md",
            "browse/region/dong-cheng-jie-dao.md"} <= set(first.pages)
    assert {"cases.json", "cases.csv"} <= set(first.files)


def test_case_uris_round_trip():
    assert case_uri("a") == "cases/a.md" and case_id_of("cases/a.md") == "a"
    assert case_id_of("browse/index.md") is None and case_id_of("cases/assets/p.png") is None
    assert library_file_uri("assets/p.png") == "cases/assets/p.png"
    assert relative_link("cases/b.md", "browse/region/x.md") == "../../cases/b.md"
    assert relative_link("stats/a.svg", "stats.md") == "stats/a.svg"


def test_case_page_lists_the_schema_fields_in_order_with_links():
    page = site().pages["cases/a.md"]
    meta = page.split('<div class="cb-meta" markdown>')[1].split("</div>")[0]
    labels = [line for line in meta.splitlines() if line and not line.startswith(":")]
    assert labels == ["单位", "组织类型", "地区", "类别", "标签", "荣誉", "收录日期", "来源"]  # no empty 党组织/行业
    assert "[东城街道](../browse/region/dong-cheng-jie-dao.md)" in meta
    assert "红色车队](../browse/tags/hong-se-che-dui.md) [志愿服务]" in meta  # tags: space separated
    assert "先进 &lt;集体&gt;（[省级](../browse/honor-level/sheng-ji.md)，2023 年）" in meta  # text escaped
    assert ":   2024-01-03" in meta


def test_links_in_a_body_point_at_the_site():
    body = rewrite_links(A, {"a.md": "a", "b.md": "b"}, True)
    assert "[另一个](b.md#做法)" in body  # a case: its page
    assert "(https://example.org)" in body and "(#x)" in body  # other sites and anchors untouched
    assert "![图](assets/p.png)" in body  # library files keep their path under cases/


def test_every_form_of_address_is_rewritten_whole() -> None:
    """Markdown and raw HTML, bracketed, quoted with spaces: each address is the library file's
    path from the root, percent-encoded (rules.library_url); the site and the book read the same.
    A `[x]: <a b.png>` with a space is no definition to Python-Markdown but a tag `<a>` (E408):
    not an address, so left as written (core/markup.py)."""
    from casebook.core.scan import rewrite_addresses
    from dataclasses import replace

    body = ('![一](<assets/a b.png>) ![二](sub/../assets/图.png#x)\n\n[三]: <assets/a b.png>\n\n'
            '<img src="assets/a b.png" alt="四"> <img src=\'assets/图.png\'> <a href=b.md>五</a> <img src="https://example.org/x.png">')
    out = rewrite_links(replace(A, body=body), {"b.md": "b"}, True)
    assert "![一](<assets/a%20b.png>)" in out and "![二](assets/%E5%9B%BE.png#x)" in out
    assert "[三]: <assets/a b.png>" in out
    assert '<img src="../assets/a%20b.png" alt="四">' in out and "<img src='../assets/%E5%9B%BE.png'>" in out
    assert "<a href=../b/>五</a>" in out and '<img src="https://example.org/x.png">' in out
    assert rewrite_addresses(body, lambda url: None) == body
    # balanced parentheses belong to the address, as Markdown reads it; a title does not
    out = rewrite_links(replace(A, body='[附件](assets/报告(1).pdf) ![图](assets/b(2).png "标题") ([括号里](b.md))'), {"b.md": "b"}, True)
    assert out == '[附件](assets/%E6%8A%A5%E5%91%8A%281%29.pdf) ![图](assets/b%282%29.png "标题") ([括号里](b.md))'


def test_code_shows_addresses_as_written() -> None:
    """An address inside code is text, shown as the contributor wrote it; the same address in
    prose is pointed at the site. A bracketed destination holding `@` is an address, not an
    e-mail link (the link patterns run first)."""
    from dataclasses import replace

    body = ('`<img src="assets/a b.png">` 与 <img src="assets/a b.png">\n\n'
            '```\n[二](b.md) <a href="b.md">三</a>\n```\n\n[二](b.md) <a href="b.md">三</a> ![四](<assets/a@b.png>)')
    out = rewrite_links(replace(A, body=body), {"b.md": "b"}, False)
    code, prose = out.split("\n\n", 1)[0], out.rsplit("\n\n", 1)[1]
    assert code == '`<img src="assets/a b.png">` 与 <img src="assets/a%20b.png">'
    assert '```\n[二](b.md) <a href="b.md">三</a>\n```' in out
    assert prose == '[二](b.md) <a href="b.html">三</a> ![四](<assets/a%40b.png>)'


def test_exports_follow_the_schema():
    files = site(directory_urls=False).files
    data = json.loads(files["cases.json"])
    record = data["cases"][0]
    assert data["count"] == 2 and record["id"] == "a"
    schema_keys = [f.key for f in FIELDS if f.key not in ("status", "aliases")]  # aliases: only old addresses
    assert list(record)[: len(schema_keys)] == schema_keys
    assert record["url"] == "cases/a.html" and record["honors"] == [{"level": "省级", "title": "先进 <集体>", "year": 2023}]
    rows = list(csv.reader(io.StringIO(files["cases.csv"].decode("utf-8-sig"))))
    assert rows[0] == [label for _, label in CSV_COLUMNS]
    assert rows[0][:3] == ["编号", "标题", "单位"] and "封面" not in rows[0] and rows[0][-2:] == ["网址", "待补充章节"]
    assert rows[1][rows[0].index("标签")] == "红色车队；志愿服务"


# -- former ids (aliases): a page at the old address that sends the reader on ------------------------

def test_a_former_id_gets_a_page_that_links_and_refreshes_to_the_case():
    a = case("a", 3, aliases=("old-a", "older-a"))
    for dirs, moved_to in ((True, "../a/"), (False, "a.html")):
        pages = render_site(build_index(library(a, B)), Options(directory_urls=dirs)).pages
        page = pages["cases/old-a.md"]
        assert "cases/older-a.md" in pages
        assert f'casebook_moved_to: "{moved_to}"' in page
        assert "[a 工作法](a.md)" in page  # a checked .md link (strict builds fail on a dead one)
        assert "search:\n  exclude: true" in page  # not a case: out of search
    files = render_site(build_index(library(a, B)), Options()).files
    assert b"old-a" not in files["cases.json"] and b"old-a" not in files["cases.csv"]  # nor in the exports
    overview = render_site(build_index(library(a, B)), Options()).pages["overview.md"]
    assert "old-a" not in overview


@given(st.from_regex(r"[a-z0-9]{1,6}(-[a-z0-9]{1,6}){0,2}", fullmatch=True), st.from_regex(r"[a-z0-9]{1,6}(-[a-z0-9]{1,6}){0,2}", fullmatch=True), st.booleans())
def test_moved_to_resolves_to_the_case_page_property(target: str, alias: str, dirs: bool):
    """Oracle: the refresh URL, resolved against the old page's own URL as a browser does, is the
    URL MkDocs gives the case page."""
    assume(target != alias)
    page = moved_page(case(target), alias, Options(directory_urls=dirs))
    moved_to = json.loads(page.split("casebook_moved_to: ", 1)[1].split("\n", 1)[0])
    here = "https://h/site/" + site_url(case_uri(alias), dirs)
    assert urljoin(here, moved_to) == "https://h/site/" + site_url(case_uri(target), dirs)



def test_home_and_browse_send_readers_only_to_lists_with_cases():
    """A vocabulary no case uses (行业, 党组织 here) is not offered on the home page; a value no case
    has (东城街道二) is listed with its 0 but not linked, and still has its page (a UX review found
    29 of 80 browse links leading to “暂无案例”)."""
    import re

    pages = site().pages
    home, browse, regions = pages["index.md"], pages["browse/index.md"], pages["browse/region/index.md"]
    assert "可按类别、地区、组织类型和标签浏览，或直接搜索。" in home
    assert re.findall(r"\[按(\w+)浏览\]", home) == ["组织类型", "地区", "类别", "标签", "荣誉级别"]
    assert "[按行业浏览](industry/index.md)：0 项，暂无案例" in browse
    assert "[按地区浏览](region/index.md)：3 项，其中 2 项有案例" in browse
    assert "| [东城街道](dong-cheng-jie-dao.md) | 1 |" in regions and "| 东城街道二 | 0 |" in regions
    assert "暂无案例" in pages["browse/region/dong-cheng-jie-dao-er.md"]
