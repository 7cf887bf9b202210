"""The generated showcase site, built for real (`casebook build` -> MkDocs -> the casebook plugin).

Expectations are computed from the fixture library's own files with PyYAML, independently of the
code under test; the HTML is parsed with the standard library's html.parser. Each module-scoped
build takes a few seconds, so the three builds of the valid fixture run concurrently, once.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import os
import posixpath
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest
import yaml

from casebook.site.search import FOLDER, Index, read_script
from conftest import EDIT_URL, REPO, VALID, check, project_copy


# Vocabulary name -> (folder under browse/, reader-facing label), as the issue names them.
VOCABS = {
    "org_type": ("org-type", "组织类型"),
    "party_org": ("party-org", "党组织"),
    "region": ("region", "地区"),
    "industry": ("industry", "行业"),
    "category": ("category", "类别"),
    "tags": ("tags", "标签"),
    "honor_level": ("honor-level", "荣誉级别"),
}
REQUIRED_SECTIONS = ("基本情况", "主要做法", "取得成效")
RELATED_MAX = 5
LATEST_MAX = 10


# -- a tiny DOM over html.parser ----------------------------------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"}


@dataclass(eq=False)
class Node:
    tag: str
    attrs: dict
    parent: Node | None = None
    children: list = field(default_factory=list)  # Node | str

    @property
    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    def iter(self):
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.iter()

    def find_all(self, tag: str | None = None, cls: str | None = None, **attrs) -> list[Node]:
        return [
            n for n in self.iter()
            if n is not self
            and (tag is None or n.tag == tag)
            and (cls is None or cls in n.classes)
            and all(n.attrs.get(k.rstrip("_")) == v for k, v in attrs.items())
        ]

    def find(self, tag: str | None = None, cls: str | None = None, **attrs) -> Node | None:
        found = self.find_all(tag, cls, **attrs)
        return found[0] if found else None

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def elements(self) -> list[Node]:
        return [c for c in self.children if isinstance(c, Node)]


class TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {k: (v if v is not None else "") for k, v in attrs}, self.stack[-1])
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1].children.append(Node(tag, {k: (v if v is not None else "") for k, v in attrs}, self.stack[-1]))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        self.stack[-1].children.append(data)


@lru_cache(maxsize=None)
def parse(path: Path) -> Node:
    builder = TreeBuilder()
    builder.feed(path.read_text("utf-8"))
    builder.close()
    return builder.root


def article(path: Path) -> Node:
    node = parse(path).find("article", cls="md-content__inner")
    assert node is not None, f"no <article> in {path}"
    return node


def norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def table_rows(table: Node) -> list[list[Node]]:
    body = table.find("tbody")
    return [row.find_all("td") for row in (body or table).find_all("tr") if row.find_all("td")]


def section_after(root: Node, heading: str) -> list[Node]:
    """Top-level elements of an article after the <h2> with this text, up to the next <h2>."""
    out, inside = [], False
    # Wrappers that only keep a block out of the search index (div.cb-related) are transparent.
    elements = [c for el in root.elements() for c in (el.elements() if "cb-related" in el.attrs.get("class", "") else [el])]
    for el in elements:
        if el.tag == "h2":
            inside = norm(el.text()) == heading
            continue
        if inside:
            out.append(el)
    return out


# -- resolving site URLs -----------------------------------------------------------------------

def is_external(url: str) -> bool:
    return url.startswith("//") or re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", url) is not None


def target_of(site: Path, page: Path, url: str) -> str | None:
    """Site-relative POSIX path a relative/root-relative URL points at (None: self/external)."""
    if is_external(url):
        return None
    path = unquote(url.split("#", 1)[0].split("?", 1)[0])
    if not path:
        return None
    base = "" if path.startswith("/") else posixpath.dirname(page.relative_to(site).as_posix())
    joined = posixpath.normpath(posixpath.join(base, path.lstrip("/")))
    if joined == ".":
        joined = ""
    if joined.startswith(".."):
        return joined  # escapes the site: reported by the caller as missing
    if path.endswith("/") or (site / joined).is_dir():
        joined = posixpath.join(joined, "index.html") if joined else "index.html"
    return joined


def resolves(site: Path, rel: str) -> bool:
    return not rel.startswith("..") and (site / rel).is_file()


def case_id_of(site: Path, page: Path, url: str) -> str | None:
    """The case id a link on `page` points at, or None when it is not a case page."""
    rel = target_of(site, page, url)
    m = re.fullmatch(r"cases/([a-z0-9-]+)(?:/index|)\.html", rel or "")
    return m.group(1) if m else None


def html_files(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def page_path(site: Path, stem: str, offline: bool) -> Path:
    """A page's source name without .md ('index', 'overview', 'browse/index', 'cases/x') -> the
    built file for the online (directory URLs) or offline (.html URLs) flavour."""
    if offline or stem == "index" or stem.endswith("/index"):
        return site / f"{stem}.html"
    return site / stem / "index.html"


# -- the expected library, read independently of the code under test ----------------------------

_H2 = re.compile(r"^ {0,3}##(?!#)[ \t]+(.*?)[ \t]*#*[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def body_sections(body: str) -> list[tuple[str, str]]:
    found: list[tuple[str, list[str]]] = []
    fence = ""
    for line in body.split("\n"):
        m = _FENCE.match(line)
        if fence:
            if m and m.group(1)[0] == fence[0]:
                fence = ""
        elif m:
            fence = m.group(1)
        elif h := _H2.match(line):
            found.append((h.group(1).strip(), []))
            continue
        if found:
            found[-1][1].append(line)
    return [(title, "\n".join(lines).strip()) for title, lines in found]


def is_pending(text: str) -> bool:
    """A section whose content is only 待补充 (bold, brackets or a full stop allowed)."""
    return text.strip().strip("*_。.（）() \n") == "待补充"


@dataclass
class ExpectedCase:
    id: str
    rel: str
    front: dict
    sections: list[tuple[str, str]]

    def __getattr__(self, key):  # front-matter fields as attributes (None when absent)
        if key.startswith("__"):
            raise AttributeError(key)
        try:
            return self.__dict__["front"].get(key)
        except KeyError:
            raise AttributeError(key) from None

    @property
    def date_iso(self) -> str:
        d = self.front["date"]
        return d.isoformat() if isinstance(d, dt.date) else str(d)

    @property
    def published(self) -> bool:
        return self.front.get("status", "published") != "draft"

    def values(self, vocab: str) -> list[str]:
        if vocab == "honor_level":
            return list(dict.fromkeys(h["level"] for h in self.front.get("honors") or []))
        value = self.front.get(vocab)
        if value is None:
            return []
        return list(value) if isinstance(value, list) else [value]

    @property
    def incomplete(self) -> list[str]:
        return [t for t, text in self.sections if is_pending(text)]


@dataclass
class ExpectedLibrary:
    root: Path
    taxonomy: dict
    all_cases: list[ExpectedCase]

    @property
    def published(self) -> list[ExpectedCase]:
        """Newest first, then by id (the order listings use)."""
        cases = sorted((c for c in self.all_cases if c.published), key=lambda c: c.id)
        return sorted(cases, key=lambda c: c.date_iso, reverse=True)

    @property
    def drafts(self) -> list[ExpectedCase]:
        return [c for c in self.all_cases if not c.published]

    @property
    def by_id(self) -> dict[str, ExpectedCase]:
        return {c.id: c for c in self.published}

    def members(self, vocab: str) -> dict[str, list[str]]:
        """Taxonomy value -> ids of the published cases carrying it, in taxonomy order."""
        out = {v: [] for v in self.taxonomy.get(vocab) or []}
        for case in self.published:
            for value in case.values(vocab):
                out.setdefault(value, []).append(case.id)
        return out


def read_library(root: Path) -> ExpectedLibrary:
    cases = []
    for path in sorted(root.rglob("*.md")):
        rel = path.relative_to(root).as_posix()
        if rel.split("/")[0] == "assets":
            continue
        text = path.read_bytes().decode("utf-8-sig").replace("\r\n", "\n")
        lines = text.split("\n")
        assert lines[0] == "---", path
        close = lines.index("---", 1)
        front = yaml.safe_load("\n".join(lines[1:close]))
        cases.append(ExpectedCase(front["id"], rel, front, body_sections("\n".join(lines[close + 1:]))))
    taxonomy = yaml.safe_load((root / "taxonomy.yml").read_text("utf-8"))
    return ExpectedLibrary(root, taxonomy, cases)


# -- builds ---------------------------------------------------------------------------------------

@dataclass
class Built:
    site: Path
    offline: bool
    known: ExpectedLibrary

    def page(self, uri: str) -> Path:
        return page_path(self.site, uri, self.offline)

    def case_page(self, case_id: str) -> Path:
        return self.page(f"cases/{case_id}")


@pytest.fixture(scope="module")
def known() -> ExpectedLibrary:
    library = read_library(VALID)
    # The tests below need these to mean something; say so plainly if the fixture changes.
    assert library.published and library.drafts, "valid fixture needs published cases and a draft"
    assert any(c.incomplete for c in library.published) and any(not c.incomplete for c in library.published)
    assert any(c.featured for c in library.published) and any(c.cover for c in library.published)
    return library


@pytest.fixture(scope="module")
def builds(build_site, tmp_path_factory, known) -> dict[str, Built]:
    """Online (twice, for determinism: each build runs MkDocs in its own process) and offline
    builds of the valid fixture."""
    root = tmp_path_factory.mktemp("sites")
    jobs = {"online": (root / "a" / "site", False), "online2": (root / "b" / "site", False), "offline": (root / "c" / "site", True)}
    for path, offline in jobs.values():
        build_site(VALID, path, offline, env={"SOURCE_DATE_EPOCH": "1764806400"})  # one date, even across midnight
    return {name: Built(path, offline, known) for name, (path, offline) in jobs.items()}


@pytest.fixture(scope="module")
def site(builds) -> Built:
    return builds["online"]


@pytest.fixture(scope="module")
def offline_site(builds) -> Built:
    return builds["offline"]


@pytest.fixture(scope="module", params=["online", "offline"])
def any_site(request, builds) -> Built:
    return builds[request.param]


# -- case pages -----------------------------------------------------------------------------------

def meta_of(page: Path) -> dict[str, str]:
    meta = article(page).find("div", cls="cb-meta")
    assert meta is not None, f"no .cb-meta card on {page}"
    dts, dds = meta.find_all("dt"), meta.find_all("dd")
    assert len(dts) == len(dds)
    return {norm(k.text()): norm(v.text()) for k, v in zip(dts, dds)}


def test_every_published_case_has_a_page_with_title_and_metadata(any_site):
    for case in any_site.known.published:
        page = any_site.case_page(case.id)
        assert page.is_file(), f"missing case page {page}"
        art = article(page)
        assert [norm(h.text()) for h in art.find_all("h1")] == [case.title]
        assert norm(parse(page).find("title").text()).startswith(case.title)
        meta = meta_of(page)
        expected = {
            "单位": case.organization,
            "组织类型": case.org_type,
            "地区": case.region,
            "类别": "、".join(case.category),
            "收录日期": case.date_iso,
            "来源": case.source,
        }
        for label, value in expected.items():
            assert meta.get(label) == value, (case.id, label, meta)
        if case.party_org:
            assert meta["党组织"] == case.party_org
        if case.industry:
            assert meta["行业"] == case.industry
        if case.tags:
            assert meta["标签"].split() == list(case.tags)
        if case.honors:
            for honor in case.honors:
                assert honor["title"] in meta["荣誉"] and str(honor["year"]) in meta["荣誉"]
        # summary is shown too
        assert norm(case.summary) in norm(art.text())


def test_case_metadata_values_link_to_their_facet_pages(site):
    for case in site.known.published:
        page = site.case_page(case.id)
        meta = article(page).find("div", cls="cb-meta")
        dts, dds = meta.find_all("dt"), meta.find_all("dd")
        by_label = dict(zip((norm(d.text()) for d in dts), dds))
        for vocab in ("org_type", "region", "category"):
            folder, label = VOCABS[vocab]
            links = by_label[label].find_all("a")
            assert [norm(a.text()) for a in links] == case.values(vocab)
            for a in links:
                rel = target_of(site.site, page, a.attrs["href"])
                assert rel.startswith(f"browse/{folder}/") and resolves(site.site, rel), (case.id, rel)
                assert norm(article(site.site / rel).find("h1").text()) == f"{label}：{norm(a.text())}"


def test_case_sections_are_rendered_in_order(site):
    for case in site.known.published:
        headings = [norm(h.text()) for h in article(site.case_page(case.id)).find_all("h2")]
        source_titles = [t for t, _ in case.sections]
        assert [h for h in headings if h in source_titles] == source_titles
        positions = [headings.index(t) for t in REQUIRED_SECTIONS]
        assert positions == sorted(positions), headings
        # the first line of each non-empty section's prose reaches the page
        text = norm(article(site.case_page(case.id)).text())
        for title, body in case.sections:
            first = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", body.split("\n")[0]).replace("**", "")
            if first and not re.match(r"^([-+*>|!<]|\d+\.|```|~~~)", first):
                assert norm(first) in text, (case.id, title, first)


def test_pending_notice_only_on_incomplete_cases(site):
    for case in site.known.published:
        art = article(site.case_page(case.id))
        notices = [
            a for a in art.find_all("div", cls="admonition")
            if (t := a.find(cls="admonition-title")) is not None and "待补充" in t.text()
        ]
        if case.incomplete:
            assert len(notices) == 1, case.id
            quoted = "".join(f"“{s}”" for s in case.incomplete)  # no stray spaces around the names
            assert f"本案例的{quoted}尚待补充：" in norm(notices[0].text()), (case.id, notices[0].text())
            # visible: a top-level block of the article, not hidden in a collapsed <details>
            # (div.cb-incomplete only keeps the notice out of search results' teasers)
            block = notices[0].parent if "cb-incomplete" in notices[0].parent.attrs.get("class", "") else notices[0]
            assert block.parent is art and "hidden" not in notices[0].attrs and "hidden" not in block.attrs
        else:
            assert notices == [], case.id


def test_cover_image_shown_and_copied(site):
    for case in site.known.published:
        page = site.case_page(case.id)
        covers = article(page).find_all("img", cls="cb-cover")
        if not case.cover:
            assert covers == [], case.id
            continue
        assert len(covers) == 1, case.id
        rel = target_of(site.site, page, covers[0].attrs["src"])
        assert resolves(site.site, rel), rel
        assert (site.site / rel).read_bytes() == (site.known.root / case.cover).read_bytes()


def test_related_cases_share_a_category_or_tag_and_are_capped(site):
    known = site.known
    for case in known.published:
        page = site.case_page(case.id)
        mine = set(case.category) | {("tag", t) for t in case.tags or []}
        candidates = {
            other.id for other in known.published
            if other.id != case.id and (set(other.category) | {("tag", t) for t in other.tags or []}) & mine
        }
        block = section_after(article(page), "相关案例")
        links = [a for el in block if el.tag == "ul" for a in el.find_all("a")]
        ids = [case_id_of(site.site, page, a.attrs["href"]) for a in links]
        if not candidates:
            assert not block, case.id
            continue
        assert len(ids) == len(set(ids)) == min(RELATED_MAX, len(candidates)), (case.id, ids)
        assert set(ids) <= candidates, (case.id, ids, candidates)
        for a, cid in zip(links, ids):
            assert norm(a.text()) == known.by_id[cid].title


def test_edit_link_points_to_the_source_file_in_the_library(site):
    library_prefix = VALID.relative_to(REPO).as_posix()
    for case in site.known.published:
        page = site.case_page(case.id)
        edit = [a for a in article(page).find_all("a") if "编辑此案例" in a.text()]
        assert len(edit) == 1, case.id
        href = edit[0].attrs["href"]
        assert href == EDIT_URL.format(path=f"{library_prefix}/{case.rel}"), href
        assert f"cases/{case.id}.md" not in href or case.rel == f"cases/{case.id}.md"
        # Material's own edit button (rel=edit) must open the same source file
        for a in parse(page).find_all("a", rel="edit"):
            assert a.attrs["href"] == href


def test_edit_links_of_a_library_whose_folder_name_has_a_space(run_cli, tmp_path):
    """The header's edit button and the page's own edit link are one path (render.edit_path),
    percent-encoded: the header's once kept `案例 库/` as written."""
    config = config_copy(tmp_path, lambda t: t.replace("\n      cases: cases\n", "\n      cases: 案例 库\n"))
    library = config.parent / "案例 库"
    shutil.copytree(VALID, library)
    result = run_cli("build", "--cases", library, "--site-dir", tmp_path / "site", "--config-file", config,
                     env={"CASEBOOK_EDIT_URL": EDIT_URL})
    assert result.returncode == 0, result.stdout + result.stderr
    case = next(c for c in check(library).published)
    page = tmp_path / "site" / "cases" / case.id / "index.html"
    expected = EDIT_URL.format(path=f"%E6%A1%88%E4%BE%8B%20%E5%BA%93/{case.rel}")
    hrefs = [a.attrs["href"] for a in parse(page).find_all("a") if a.attrs.get("rel") == "edit" or "编辑此案例" in a.text()]
    assert hrefs == [expected, expected], hrefs


def test_drafts_are_published_nowhere(any_site):
    site = any_site.site
    for draft in any_site.known.drafts:
        assert not any_site.case_page(draft.id).exists()
        assert not list(site.rglob(f"*{draft.id}*"))
        for path in site.rglob("*"):
            if path.is_file() and path.suffix in {".html", ".json", ".csv", ".xml", ".js", ".svg"} and "assets" not in path.parts[len(site.parts):][:1]:
                text = path.read_text("utf-8-sig")
                assert draft.id not in text, (draft.id, path)
                assert draft.title not in text, (draft.title, path)


# -- browse pages ---------------------------------------------------------------------------------

def vocab_index_rows(site: Built, vocab: str) -> list[tuple[str, str | None, int]]:
    """(value, the page its row links to or None, its count) per row of a vocabulary's index."""
    folder, label = VOCABS[vocab]
    page = site.page(f"browse/{folder}/index")
    assert page.is_file()
    art = article(page)
    assert norm(art.find("h1").text()) == f"按{label}浏览"
    rows = []
    for cells in table_rows(art.find("table")):
        link = cells[0].find("a")
        rows.append((norm(cells[0].text()), link and target_of(site.site, page, link.attrs["href"]), int(norm(cells[1].text()))))
    return rows


@pytest.mark.parametrize("vocab", list(VOCABS))
def test_vocabulary_index_lists_every_value_with_its_count(any_site, vocab):
    """Every value of the vocabulary, with its count; linked to its page only when a case has it
    (a UX review: 29 of 80 links led to “暂无案例”)."""
    members = any_site.known.members(vocab)
    rows = vocab_index_rows(any_site, vocab)
    assert [(value, count) for value, _, count in rows] == [(v, len(ids)) for v, ids in members.items()]
    for value, rel, count in rows:
        assert (rel is not None) == (count > 0), (vocab, value)
        assert rel is None or resolves(any_site.site, rel), (vocab, value, rel)


@pytest.mark.parametrize("vocab", list(VOCABS))
def test_facet_pages_list_exactly_their_cases(any_site, vocab):
    folder, label = VOCABS[vocab]
    members = any_site.known.members(vocab)
    for value, rel, _ in vocab_index_rows(any_site, vocab):
        if rel is None:
            continue  # no case has it: test_values_without_cases_still_get_a_page
        page = any_site.site / rel
        assert rel.startswith(f"browse/{folder}/"), rel
        art = article(page)
        assert norm(art.find("h1").text()) == f"{label}：{value}"
        text = norm(art.text())
        expected = members[value]
        assert f"共 {len(expected)} 个案例" in text, (vocab, value)
        ids = [case_id_of(any_site.site, page, a.attrs["href"]) for a in art.find_all("a")]
        listed = [i for i in ids if i is not None]
        assert sorted(listed) == sorted(expected), (vocab, value, listed, expected)
        if not expected:
            assert "暂无案例" in text


def test_values_without_cases_still_get_a_page(site):
    empty = [(v, value) for v in VOCABS for value, ids in site.known.members(v).items() if not ids]
    assert empty, "fixture taxonomy should have at least one value no published case uses"
    for vocab, value in empty:
        folder, label = VOCABS[vocab]
        (page,) = [p for p in (site.site / "browse" / folder).rglob("*.html")
                   if norm(article(p).find("h1").text()) == f"{label}：{value}"]
        assert "共 0 个案例" in norm(article(page).text()) and "暂无案例" in norm(article(page).text())


def test_browse_index_links_every_vocabulary(site):
    page = site.page("browse/index")
    items = article(page).find_all("li")
    assert len(items) == len(VOCABS)
    for (vocab, (folder, label)), li in zip(VOCABS.items(), items):
        members = site.known.members(vocab)
        a = li.find("a")
        assert norm(a.text()) == f"按{label}浏览"
        assert target_of(site.site, page, a.attrs["href"]) == f"browse/{folder}/index.html"
        used = sum(1 for ids in members.values() if ids)
        assert norm(li.text()).endswith(f"{len(members)} 项，其中 {used} 项有案例" if used else f"{len(members)} 项，暂无案例")


# -- overview -------------------------------------------------------------------------------------

def overview_data(page: Path) -> dict:
    script = parse(page).find("script", id="cb-overview-data")
    assert script is not None and script.attrs.get("type") == "application/json"
    return json.loads(script.text())


def test_overview_has_one_row_per_published_case_and_matching_json(any_site):
    known, page = any_site.known, any_site.page("overview")
    art = article(page)
    rows = table_rows(art.find("table"))
    ids = [case_id_of(any_site.site, page, r[0].find("a").attrs["href"]) for r in rows]
    assert sorted(ids) == sorted(c.id for c in known.published)
    assert len(ids) == len(set(ids))
    for cells, cid in zip(rows, ids):
        case = known.by_id[cid]
        assert [norm(c.text()) for c in cells] == [listed_title(case), case.organization, case.region, "、".join(case.category), case.date_iso]
    assert f"共 {len(known.published)} 个案例" in norm(art.text())

    data = overview_data(page)
    *facets, completeness = data["facets"]  # the vocabularies, then whole or 待补充
    assert completeness == {"key": "completeness", "label": "完整性", "values": ["完整", "待补充"]}
    facet_keys = [f["key"] for f in facets]
    assert set(facet_keys) <= set(VOCABS) and {"org_type", "region", "category", "tags"} <= set(facet_keys)
    for facet in facets:
        used = [v for v, members in known.members(facet["key"]).items() if members]
        assert facet["values"] == used, facet["key"]
        assert facet["label"] == VOCABS[facet["key"]][1]
    assert len(data["rows"]) == len(rows)
    for row, cid in zip(data["rows"], ids):  # same order as the table
        case = known.by_id[cid]
        assert row == {**{key: case.values(key) for key in facet_keys}, "completeness": ["待补充" if case.incomplete else "完整"]}, cid


def test_no_book_no_download_links(any_site):
    """Built without --downloads (test_book.py builds with the 案例汇编): no link, no folder."""
    for uri in ("index", "overview"):
        assert "下载案例汇编" not in any_site.page(uri).read_text("utf-8"), uri
    assert not (any_site.site / "downloads").exists()


def test_overview_links_the_exports(any_site):
    page = any_site.page("overview")
    targets = {target_of(any_site.site, page, a.attrs["href"]) for a in article(page).find_all("a")}
    assert {"cases.json", "cases.csv"} <= targets
    assert (any_site.site / "cases.json").is_file() and (any_site.site / "cases.csv").is_file()


# -- statistics -----------------------------------------------------------------------------------

def test_stats_tables_and_charts_match_the_library(any_site):
    known, page = any_site.known, any_site.page("stats")
    art = article(page)
    text = norm(art.text())
    incomplete = [c for c in known.published if c.incomplete]
    assert f"已发布案例 {len(known.published)} 个" in text
    assert f"草稿 {len(known.drafts)} 个" in text
    assert f"待补充 {len(incomplete)} 个" in text

    years: dict[str, int] = {}
    for c in known.published:
        years[c.date_iso[:4]] = years.get(c.date_iso[:4], 0) + 1
    expected = {f"按{VOCABS[v][1]}": [(val, len(ids)) for val, ids in known.members(v).items()] for v in ("category", "region", "org_type", "industry")}
    expected["按收录年份"] = sorted(years.items())

    charts = set()
    for heading, counts in expected.items():
        block = section_after(art, heading)
        assert block, f"no {heading} section"
        tables = [t for el in block for t in ([el] if el.tag == "table" else el.find_all("table"))]
        assert len(tables) == 1, heading
        got = [(norm(r[0].text()), int(norm(r[1].text()))) for r in table_rows(tables[0])]
        assert got == [(str(v), n) for v, n in counts], heading
        imgs = [img for el in block for img in el.find_all("img")]
        # The chart drawn wide, and narrow for a phone (the page shows one of them: casebook.css).
        assert [sorted(img.classes) for img in imgs] == [["cb-chart", "cb-chart--wide"], ["cb-chart", "cb-chart--narrow"]], heading
        assert len({img.attrs["alt"] for img in imgs}) == 1, heading
        for img, width in zip(imgs, (720, 360)):
            rel = target_of(any_site.site, page, img.attrs["src"])
            assert re.fullmatch(r"stats/[a-z-]+\.svg", rel) and resolves(any_site.site, rel), rel
            charts.add(rel)
            svg = ET.fromstring((any_site.site / rel).read_bytes())
            assert svg.tag == "{http://www.w3.org/2000/svg}svg" and svg.get("width") == str(width)
            bars = svg.findall(".//{http://www.w3.org/2000/svg}rect")[1:]  # the first is the white background
            assert len(bars) == sum(1 for _, n in counts if n), heading
            texts = svg.findall(".//{http://www.w3.org/2000/svg}text")
            # each value's name whole, on up to two lines (the narrow drawing cut 地方党委及工作部门)
            assert ["".join(t.itertext()) for t in texts if t.get("text-anchor") == "end"] == [str(v) for v, _ in counts], (heading, width)
            assert [t.text for t in texts if t.get("text-anchor") != "end"] == [str(n) for _, n in counts], (heading, width)
    assert len(charts) == 2 * len(expected)

    block = section_after(art, "待补充的案例")
    rows = [r for el in block if el.tag == "table" for r in table_rows(el)]
    got = {case_id_of(any_site.site, page, r[0].find("a").attrs["href"]): norm(r[1].text()) for r in rows}
    assert got == {c.id: "、".join(c.incomplete) for c in incomplete}


# -- home -----------------------------------------------------------------------------------------

def test_home_shows_count_featured_and_latest(any_site):
    known, page = any_site.known, any_site.page("index")
    art = article(page)
    numbers = art.find("div", cls="cb-numbers")
    assert numbers is not None
    first = numbers.find("li")
    assert norm(first.text()) == f"{len(known.published)} 个案例"
    assert norm(first.find("strong").text()) == str(len(known.published))

    cards = art.find("div", cls="cards")
    assert cards is not None and "grid" in cards.classes
    featured = [case_id_of(any_site.site, page, li.find("a").attrs["href"]) for li in cards.find("ul").elements()]
    assert featured == [c.id for c in known.published if c.featured]
    for li, cid in zip(cards.find("ul").elements(), featured):
        assert norm(known.by_id[cid].summary) in norm(li.text())

    latest = [a for el in section_after(art, "最新收录") for a in el.find_all("a")]
    ids = [case_id_of(any_site.site, page, a.attrs["href"]) for a in latest]
    assert ids == [c.id for c in known.published[:LATEST_MAX]]


def listed_title(case) -> str:
    """A case's title cell in a listing: its title, then 待补充 when a section is."""
    return f"{case.title} 待补充" if case.incomplete else case.title


def flag_after(link: Node) -> str | None:
    """The text of the `.cb-flag` right after a case's link (or after the bold around it), if any."""
    node = link
    if node.parent.tag in ("strong", "b") and len(node.parent.elements()) == 1:
        node = node.parent
    siblings = node.parent.children
    at = next(i for i, s in enumerate(siblings) if s is node)  # by identity: Nodes compare their trees
    for after in siblings[at + 1:]:
        if isinstance(after, str) and not after.strip():
            continue
        return norm(after.text()) if isinstance(after, Node) and "cb-flag" in after.classes else None
    return None


def test_listings_flag_the_cases_still_to_be_completed(any_site):
    """Home (its cards and latest list), the overview, every facet page and every case page's
    related cases: each link to an incomplete case is followed by 待补充, and no other is (a UX
    review found them flagged nowhere but on their own page). The home page's count of them
    links to their list on the statistics page."""
    site, known = any_site.site, any_site.known
    pages = [any_site.page("index"), any_site.page("overview")]
    pages += [p for p in html_files(site) if p.relative_to(site).as_posix().startswith(("browse/", "cases/"))]
    seen = {True: 0, False: 0}
    for page in pages:
        art = article(page)
        for block in [art] if not page.relative_to(site).as_posix().startswith("cases/") else art.find_all("div", cls="cb-related"):
            for a in block.find_all("a"):
                cid = case_id_of(site, page, a.attrs.get("href", ""))
                if cid not in known.by_id:
                    continue
                incomplete = bool(known.by_id[cid].incomplete)
                assert flag_after(a) == ("待补充" if incomplete else None), (page.relative_to(site), cid)
                seen[incomplete] += 1
    assert seen[True] > 10 and seen[False] > 10, seen

    numbers = article(any_site.page("index")).find("div", cls="cb-numbers")
    (link,) = [a for a in numbers.find_all("a")]
    incomplete = [c for c in known.published if c.incomplete]
    assert norm(link.parent.text()) == f"{len(incomplete)} 个待补充"
    target = any_site.page("stats")
    assert target_of(site, any_site.page("index"), link.attrs["href"]) == target.relative_to(site).as_posix()
    assert unquote(link.attrs["href"].split("#")[1]) in {n.attrs.get("id") for n in parse(target).iter()}


# -- exports --------------------------------------------------------------------------------------

RECORD_KEYS = [
    "id", "title", "organization", "org_type", "party_org", "region", "industry", "category", "tags",
    "summary", "date", "source", "honors", "featured", "cover", "url", "incomplete_sections", "sections",
]


def test_cases_json_holds_every_published_case(any_site):
    known = any_site.known
    data = json.loads((any_site.site / "cases.json").read_text("utf-8"))
    assert data["count"] == len(known.published) == len(data["cases"])
    assert [r["id"] for r in data["cases"]] == sorted(c.id for c in known.published)
    for record in data["cases"]:
        case = known.by_id[record["id"]]
        assert list(record) == RECORD_KEYS
        for key in ("title", "organization", "org_type", "region", "summary", "source"):
            assert record[key] == case.front[key], (case.id, key)
        for key in ("party_org", "industry", "cover"):
            assert record[key] == case.front.get(key), (case.id, key)
        assert record["category"] == list(case.category)
        assert record["tags"] == list(case.tags or [])
        assert record["date"] == case.date_iso
        assert record["featured"] is bool(case.featured)
        assert record["honors"] == [{"level": h["level"], "title": h["title"], "year": h["year"]} for h in case.honors or []]
        assert record["incomplete_sections"] == case.incomplete
        assert list(record["sections"]) == [t for t, _ in case.sections]
        for title, text in case.sections:
            assert record["sections"][title].strip() == text, (case.id, title)
        # url is relative to the site root and leads to the case's own page
        url = record["url"]
        assert not is_external(url) and not url.startswith("/")
        rel = target_of(any_site.site, any_site.site / "index.html", url)
        assert resolves(any_site.site, rel), url
        assert any_site.site / rel == any_site.case_page(case.id)
        assert norm(article(any_site.site / rel).find("h1").text()) == case.title


def test_cases_csv_is_excel_friendly_and_complete(any_site):
    known = any_site.known
    raw = (any_site.site / "cases.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw[3:].decode("utf-8"), newline="")))
    header, body = rows[0], rows[1:]
    assert header[:3] == ["编号", "标题", "单位"] and "网址" in header and "收录日期" in header
    assert all(len(r) == len(header) for r in body)
    assert len(body) == len(known.published)
    col = {name: i for i, name in enumerate(header)}
    assert [r[col["编号"]] for r in body] == sorted(c.id for c in known.published)
    for r in body:
        case = known.by_id[r[col["编号"]]]
        assert r[col["标题"]] == case.title
        assert r[col["单位"]] == case.organization
        assert r[col["地区"]] == case.region
        assert r[col["收录日期"]] == case.date_iso
        assert r[col["摘要"]] == case.summary
        rel = target_of(any_site.site, any_site.site / "index.html", r[col["网址"]])
        assert any_site.site / rel == any_site.case_page(case.id) and resolves(any_site.site, rel)


# -- links and third parties -----------------------------------------------------------------------

EMBEDS = {"script": "src", "link": "href", "img": "src", "iframe": "src", "source": "src", "video": "src", "audio": "src", "embed": "src"}


def broken_links(site: Path) -> list[str]:
    """Every relative or root-relative href/src of every HTML file that names no file in the site."""
    broken = []
    for page in html_files(site):
        for node in parse(page).iter():
            for attr in ("href", "src"):
                url = node.attrs.get(attr)
                if url is None or url.startswith("#") or is_external(url):
                    continue
                rel = target_of(site, page, url)
                if rel is not None and not resolves(site, rel):
                    broken.append(f"{page.relative_to(site)}: <{node.tag} {attr}={url!r}> -> {rel}")
    return broken


def test_every_internal_link_and_resource_resolves(any_site):
    broken = broken_links(any_site.site)
    assert not broken, "\n".join(broken)


def test_offline_links_name_files_not_folders(offline_site):
    """file:// shows a folder listing, not index.html: offline page links must name .html files."""
    site = offline_site.site
    bad = []
    for page in html_files(site):
        for a in parse(page).find_all("a"):
            url = a.attrs.get("href", "")
            if not url or url.startswith("#") or is_external(url):
                continue
            path = unquote(url.split("#", 1)[0].split("?", 1)[0])
            if path and (path.endswith("/") or path in {".", ".."} or (page.parent / path).is_dir()):
                bad.append(f"{page.relative_to(site)}: {url}")
    assert not bad, "\n".join(bad)


def test_fragment_links_in_content_point_to_existing_anchors(any_site):
    """In-page and cross-page links written in case bodies (e.g. `[…](#经验启示)`) must land."""
    site = any_site.site
    broken = []
    for page in html_files(site):
        art = parse(page).find("article", cls="md-content__inner")
        if art is None:
            continue
        for a in art.find_all("a"):
            url = a.attrs.get("href", "")
            if "#" not in url or is_external(url):
                continue
            path, fragment = url.split("#", 1)
            target = page if not path else site / (target_of(site, page, path) or "")
            if not target.is_file():
                continue  # reported by the link test
            ids = {n.attrs.get("id") for n in parse(target).iter()}
            if unquote(fragment) not in ids:
                broken.append(f"{page.relative_to(site)}: {url}")
    assert not broken, "\n".join(broken)


def test_no_resource_is_loaded_from_another_host(any_site):
    bad = []
    for page in html_files(any_site.site):
        for node in parse(page).iter():
            attr = EMBEDS.get(node.tag)
            url = (node.attrs.get(attr) or "").strip().lower() if attr else ""
            if url.startswith(("http:", "https:", "//")):
                bad.append(f"{page.relative_to(any_site.site)}: <{node.tag} {attr}={url}>")
    assert not bad, "\n".join(bad)


def test_no_cdn_or_google_fonts_reference_in_html(any_site):
    for page in html_files(any_site.site):
        text = page.read_text("utf-8")
        for host in ("unpkg.com", "fonts.googleapis", "fonts.gstatic", "cdn.jsdelivr"):
            assert host not in text, (page.relative_to(any_site.site), host)


def test_offline_build_uses_html_urls(offline_site):
    site = offline_site.site
    assert (site / "overview.html").is_file() and not (site / "overview" / "index.html").exists()
    for case in offline_site.known.published:
        assert (site / "cases" / f"{case.id}.html").is_file()


def test_only_the_online_flavour_has_an_error_page(builds):
    """404.html is a server's page (its links are root-absolute). Opened from file:// (a UX review
    did: it sits next to index.html) it showed unstyled with giant icons, its links to
    file:///index.html: the offline copy leaves it out."""
    assert (builds["online"].site / "404.html").is_file()
    assert not (builds["offline"].site / "404.html").exists()


# -- search ---------------------------------------------------------------------------------------

def search_index(site: Path) -> tuple[list[dict], Index]:
    """The built search index: its pages (location, title, teaser, tags from the preview files)
    and the reference query over its files (what the worker computes)."""
    files = {p.relative_to(site).as_posix(): p.read_text("utf-8") for p in (site / "search").rglob("*") if p.suffix in (".js", ".json")}
    files = {name: text for name, text in files.items() if name != "search/search_index.js"}
    index = Index(files)
    docs = []
    for n in range((index.config["pages"] + index.config["group"] - 1) // index.config["group"]):
        for location, title, teaser, tags in read_script(files[f"{FOLDER}/r{n}.js"]):
            docs.append({"location": location, "title": title, "text": teaser, "tags": tags})
    assert len(docs) == index.config["pages"]
    return docs, index


def test_search_index_knows_jiebas_words(site):
    """Recall does not depend on jieba (the index holds characters), ranking does: whole words
    first. A broken jieba install must not pass unnoticed."""
    docs, index = search_index(site.site)
    yangguang = "shili-yangguang-chedui"
    source = site.known.by_id[yangguang]
    assert "车队" in source.title + "".join(t for _, t in source.sections)
    (page,) = [n for n, d in enumerate(docs) if d["location"].startswith(f"cases/{yangguang}/")]
    assert index.term("车队")[page] & 1, "车队 is not a whole word here: is jieba installed?"
    assert not index.term("阳车")  # (and the pair across 阳光 + 车队 is not found where it is not)


def test_search_index_holds_cases_but_not_listing_pages(any_site):
    docs, index = search_index(any_site.site)
    pages = [d["location"] for d in docs]
    assert len(pages) == len(set(pages)) and not any("#" in p for p in pages)  # one entry per page
    listing = {any_site.page(u).relative_to(any_site.site).as_posix() for u in ("index", "overview", "stats", "browse/index")}
    for loc in pages:
        file = target_of(any_site.site, any_site.site / "index.html", loc) if loc else "index.html"
        assert file not in listing, loc
        assert not file.startswith("browse/"), loc
    for case in any_site.known.published:
        url = any_site.case_page(case.id).relative_to(any_site.site).as_posix()
        url = url.removesuffix("index.html")
        assert url in pages, f"{case.id} not in the search index"
        number = pages.index(url)
        doc = docs[number]
        # plain text (the search worker escapes it); the summary is the teaser
        assert doc["title"] == case.title and doc["text"] == case.summary
        # the metadata card is searched: its organization finds the case
        assert number in dict(index.search(case.organization)), case.organization


def test_distinctive_term_is_found_in_its_case(site):
    docs, index = search_index(site.site)
    case = site.known.by_id["shili-hongse-yizhan"]
    term = "驿站"
    assert term in "".join(t for _, t in case.sections)
    (page,) = [n for n, d in enumerate(docs) if d["location"].startswith(f"cases/{case.id}/")]
    assert page in dict(index.search(term))


def test_pages_name_our_search_worker(site):
    """overrides/main.html swaps Material's lunr worker for ours (the prebuilt index)."""
    html = (site.site / "index.html").read_text("utf-8")
    config = json.loads(re.search(r'<script id="__config" type="application/json">(.*?)</script>', html, re.S).group(1))
    assert config["search"] == "assets/javascripts/search-worker.js"
    assert (site.site / config["search"]).is_file()
    assert "search-query.js" not in html  # the query rewrite for Material's segmenter is gone


# -- failures leave the old output alone ----------------------------------------------------------

def tree_digest(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*")) if p.is_file()
    }


def previous_site(site: Built, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A copy of a finished build to run a failing build over (keeps the shared build intact)."""
    target = tmp_path / "out" / "site"
    shutil.copytree(site.site, target)
    return target, tree_digest(target)


def assert_untouched(target: Path, before: dict[str, str]) -> None:
    assert tree_digest(target) == before
    leftovers = [p.name for p in target.parent.iterdir() if p != target]
    assert leftovers == [], f"scratch folders left behind: {leftovers}"


def test_invalid_library_fails_with_a_finding_and_keeps_the_old_site(run_cli, site, tmp_path):
    broken = tmp_path / "known"
    shutil.copytree(VALID, broken)
    case = next(c for c in site.known.published if c.rel.count("/") == 0 and not c.rel.startswith("shili-hongse"))
    path = broken / case.rel
    text = path.read_text("utf-8")
    needle = f"region: {case.region}\n"
    assert needle in text
    path.write_text(text.replace(needle, "region: 火星市\n"), "utf-8")
    line = text.split("\n").index(needle.rstrip("\n")) + 1

    target, before = previous_site(site, tmp_path)
    result = run_cli("build", "--cases", broken, "--site-dir", target)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    findings = [l for l in result.stderr.splitlines() if re.match(rf"^.*{re.escape(case.rel)}:{line}: E203\b", l)]
    assert findings, result.stderr
    assert Path(findings[0].split(":", 1)[0]).resolve() == path.resolve()
    assert_untouched(target, before)


def config_copy(tmp_path: Path, edit) -> Path:
    """mkdocs.yml copied next to tmp_path with docs_dir, the theme's custom_dir and the snippets'
    base_path pointing back at the repo, then edited."""
    text = (REPO / "mkdocs.yml").read_text("utf-8")
    assert "\ndocs_dir: docs\n" in text and "\n  custom_dir: overrides" in text
    text = text.replace("\ndocs_dir: docs\n", f"\ndocs_dir: {(REPO / 'docs').as_posix()}\n")
    text = text.replace("\n  custom_dir: overrides", f"\n  custom_dir: {(REPO / 'overrides').as_posix()}")
    assert "base_path: [.]" in text  # snippets (CONTRIBUTING.md) are read next to mkdocs.yml
    text = text.replace("base_path: [.]", f"base_path: [{REPO.as_posix()}]")
    edited = edit(text)
    assert edited != text
    path = tmp_path / "cfg" / "mkdocs.yml"
    path.parent.mkdir()
    path.write_text(edited, "utf-8")
    return path


def test_failing_mkdocs_keeps_the_old_site(run_cli, site, tmp_path):
    config = config_copy(tmp_path, lambda t: t + "\ncasebook_test_no_such_option: true\n")
    target, before = previous_site(site, tmp_path)
    result = run_cli("build", "--cases", VALID, "--site-dir", target, "--config-file", config)
    assert result.returncode != 0, result.stdout + result.stderr
    assert "casebook_test_no_such_option" in result.stderr  # MkDocs' own words on what is wrong
    assert "Traceback" not in result.stdout + result.stderr
    assert_untouched(target, before)


def test_build_is_strict_a_mkdocs_warning_fails_and_keeps_the_old_site(run_cli, site, tmp_path):
    """`casebook build` promises --strict: a MkDocs warning (here a nav entry to a missing page,
    which `mkdocs build --strict` rejects) must fail the build and leave the old site."""
    config = config_copy(tmp_path, lambda t: t.replace("  - 首页: index.md\n", "  - 首页: index.md\n  - 不存在: does-not-exist.md\n"))
    target, before = previous_site(site, tmp_path)
    result = run_cli("build", "--cases", VALID, "--site-dir", target, "--config-file", config)
    assert result.returncode != 0, "casebook build ignored a MkDocs warning (strict mode not in effect)\n" + result.stdout
    assert_untouched(target, before)


# -- determinism ----------------------------------------------------------------------------------

# sitemap.xml carries the build date (<lastmod>) and sitemap.xml.gz its gzip header: they may
# legitimately differ between two builds made on different days, so they are left out.
NONDETERMINISTIC = {"sitemap.xml", "sitemap.xml.gz"}


def test_two_builds_are_identical(builds):
    a, b = builds["online"].site, builds["online2"].site
    files_a = {p.relative_to(a).as_posix() for p in a.rglob("*") if p.is_file()}
    files_b = {p.relative_to(b).as_posix() for p in b.rglob("*") if p.is_file()}
    assert files_a == files_b
    compared = sorted(files_a - NONDETERMINISTIC)
    generated = [f for f in compared if f.startswith(("cases/", "browse/", "overview/", "stats/"))]
    assert len(generated) > 20 and {"cases.json", "cases.csv", "search/search_index.json"} <= set(compared)
    differ = [f for f in compared if (a / f).read_bytes() != (b / f).read_bytes()]
    assert differ == []


# -- the shipped library with the repository's own configuration ----------------------------------

def test_mkdocs_strict_build_of_shipped_cases(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"CASEBOOK_CASES", "OFFLINE"}}
    env["NO_MKDOCS_2_WARNING"] = "1"
    out = tmp_path / "shipped"
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(out)],
        cwd=REPO, env=env, capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING" not in result.stderr, result.stderr
    shipped = read_library(REPO / "cases")
    for case in shipped.published:
        assert (out / "cases" / case.id / "index.html").is_file(), case.id
    assert json.loads((out / "cases.json").read_text("utf-8"))["count"] == len(shipped.published)
    # 全市概况 is a map of the shipped library: a link to every case page, and nothing dead.
    overview = (out / "city-overview" / "index.html").read_text("utf-8")
    assert set(re.findall(r'href="\.\./cases/([a-z0-9-]+)/"', overview)) == {c.id for c in shipped.published}
    # A merged case's old address refreshes to the case it became.
    for case in shipped.published:
        for alias in case.front.get("aliases") or []:
            moved = (out / "cases" / alias / "index.html").read_text("utf-8")
            assert f'<meta http-equiv="refresh" content="0; url=../{case.id}/">' in moved, alias
            assert f'href="../{case.id}/"' in moved, alias


def test_city_overview_links_to_cases_the_library_lacks_show_as_text(any_site):
    """docs/ is shared: 全市概况 links to shipped cases, which the fixture library does not have.
    The strict build passes and each such link shows as its words (site/links.py)."""
    html = any_site.page("city-overview").read_text("utf-8")
    article = html[html.index("<article"):html.index("</article>")]
    assert "“阳光车队”工作法" in article and "加强党务工作者队伍的教育管理" in article
    assert not [h for h in re.findall(r'href="([^"]*)"', article) if "cases/" in h]


# -- scale: case and facet pages stay out of the sidebar ------------------------------------------

SYNTH_COUNT = 60


def synthetic_library(root: Path, count: int) -> ExpectedLibrary:
    """`count` generated cases; every tenth lives in a subfolder and links back to the first."""
    root.mkdir(parents=True)
    shutil.copyfile(VALID / "taxonomy.yml", root / "taxonomy.yml")
    (root / "assets").mkdir()
    shutil.copyfile(VALID / "assets" / "cover.png", root / "assets" / "cover.png")
    taxonomy = yaml.safe_load((root / "taxonomy.yml").read_text("utf-8"))
    pick = lambda vocab, i: taxonomy[vocab][i % len(taxonomy[vocab])]  # noqa: E731
    start = dt.date(2020, 1, 1)
    for i in range(count):
        cid = f"hecheng-anli-{i:03d}"
        sub = i % 10 == 0 and i > 0
        categories = sorted({pick("category", i), pick("category", i // 3)}, key=taxonomy["category"].index)
        extra = ""
        if i == 0:
            extra = f"\n详见[下一个案例]({cid[:-3]}001.md)。\n"
        elif sub:
            extra = (
                "\n回到[第一个案例](../hecheng-anli-000.md)。\n\n![示意图](../assets/cover.png)\n\n"
                '<img src="../assets/cover.png" alt="示意图">\n'
            )
        path = root / ("sub/" if sub else "") / f"{cid}.md"
        path.parent.mkdir(exist_ok=True)
        path.write_text(
            f"""---
id: {cid}
title: 合成工作法第{i}号
organization: 合成测试单位{i}
org_type: {pick("org_type", i)}
region: {pick("region", i)}
category: [{", ".join(categories)}]
tags: [{pick("tags", i)}]
summary: 为规模测试生成的虚构案例。
date: {(start + dt.timedelta(days=7 * i)).isoformat()}
source: 测试资料：程序生成
{"cover: assets/cover.png" if sub else ""}
---

## 基本情况

合成测试单位是为规模测试虚构的单位。
{extra}
## 主要做法

按计划开展活动。

## 取得成效

活动取得预期效果。
""",
            "utf-8",
        )
    return read_library(root)


def nav_links(page: Path) -> list[str]:
    doc = parse(page)
    hrefs = [a.attrs["href"] for nav in doc.find_all("nav") for a in nav.find_all("a") if "href" in a.attrs]
    hrefs += [l.attrs["href"] for l in doc.find_all("link") if l.attrs.get("rel") in {"prev", "next"}]
    return hrefs


def test_a_page_outside_the_navigation_lights_the_tab_of_the_page_that_lists_it(any_site):
    """Case pages are listed by 案例总览 and facet pages by 分类浏览: that tab is lit (none was, so
    a reader on a case had no sign of where in the site it was; a UX review). A page in the
    navigation lights its own, and only one tab is ever lit."""
    site, known = any_site, any_site.known
    vocab_folder = next(iter(VOCABS.values()))[0]
    index = site.page(f"browse/{vocab_folder}/index")
    facet = next(p for p in sorted((site.site / "browse" / vocab_folder).rglob("*.html")) if p != index)
    expected = [
        (site.case_page(known.published[0].id), "overview"), (index, "browse/index"),
        (facet, "browse/index"), (site.page("browse/index"), "browse/index"), (site.page("stats"), "stats"),
        (site.page("overview"), "overview"), (site.page("index"), "index"),
    ]
    for page, lit in expected:
        tabs = parse(page).find_all("li", cls="md-tabs__item--active")
        assert len(tabs) == 1, (page, len(tabs))
        target = target_of(site.site, page, tabs[0].find("a").attrs["href"]) or page.relative_to(site.site).as_posix()
        assert target == site.page(lit).relative_to(site.site).as_posix(), (page.relative_to(site.site), target)


def test_case_and_facet_pages_are_not_in_the_navigation(build_site, tmp_path):
    library = synthetic_library(tmp_path / "known", SYNTH_COUNT)
    out = tmp_path / "site"
    build_site(library.root, out)
    built = Built(out, False, library)
    assert len(list((out / "cases").glob("*/index.html"))) == SYNTH_COUNT
    assert len(table_rows(article(built.page("overview")).find("table"))) == SYNTH_COUNT
    pages = [built.page("overview"), built.page("index"), built.page("browse/category/index"), built.case_page(library.published[0].id)]
    for page in pages:
        for href in nav_links(page):
            rel = target_of(out, page, href) or ""
            assert not rel.startswith("cases/"), (page.relative_to(out), href)
            assert not re.match(r"browse/[^/]+/[^/]+/", rel), (page.relative_to(out), href)
    # with this many cases sharing categories, "相关案例" is capped
    counts = []
    for case in library.published:
        page = built.case_page(case.id)
        counts.append(len([a for el in section_after(article(page), "相关案例") if el.tag == "ul" for a in el.find_all("a")]))
    assert max(counts) == RELATED_MAX and all(n <= RELATED_MAX for n in counts)
    # links between case files (also from a subfolder) and images land on the right pages/files
    broken = broken_links(out)
    assert not broken, "\n".join(broken)
    first, tenth = built.case_page("hecheng-anli-000"), built.case_page("hecheng-anli-010")
    links = {norm(a.text()): case_id_of(out, first, a.attrs["href"]) for a in article(first).find_all("a")}
    assert links["下一个案例"] == "hecheng-anli-001"
    links = {norm(a.text()): case_id_of(out, tenth, a.attrs["href"]) for a in article(tenth).find_all("a")}
    assert links["第一个案例"] == "hecheng-anli-000"
    images = [target_of(out, tenth, img.attrs["src"]) for img in article(tenth).find_all("img")]
    assert len(images) == 3 and all(resolves(out, rel) for rel in images), images  # cover, Markdown, HTML


def test_an_edited_theme_template_shows_in_the_next_build_of_the_same_process(run_cli, tmp_path):
    """The theme's templates are compiled once per process (plugin.COMPILED_TEMPLATES), not once
    per build; Jinja checks each against its source, so an edited override shows at once."""
    from casebook.site import plugin

    project = project_copy(tmp_path / "project")

    def build() -> str:
        result = run_cli("build", "--cases", project / "cases", "--site-dir", project / "site",
                         "--config-file", project / "mkdocs.yml", cwd=project)
        assert result.returncode == 0, result.stdout + result.stderr
        return (project / "site" / "index.html").read_text(encoding="utf-8")

    assert 'content="edited"' not in build() and plugin.COMPILED_TEMPLATES.code
    main = project / "overrides" / "main.html"
    main.write_text(main.read_text(encoding="utf-8").replace("{% block extrahead %}", '{% block extrahead %}<meta name="cb-test" content="edited">', 1),
                    encoding="utf-8")
    assert '<meta name="cb-test" content="edited">' in build()


def test_compiled_templates_are_not_shared_by_environments_that_compile_them_otherwise():
    from jinja2 import DictLoader, Environment

    from casebook.site.plugin import COMPILED_TEMPLATES

    source = {"t.html": "[[ x ]]{{ y }}"}
    plain = Environment(loader=DictLoader(source), bytecode_cache=COMPILED_TEMPLATES)
    square = Environment(loader=DictLoader(source), bytecode_cache=COMPILED_TEMPLATES, variable_start_string="[[", variable_end_string="]]")
    assert plain.get_template("t.html").render(x=1, y=2) == "[[ x ]]2"
    assert square.get_template("t.html").render(x=1, y=2) == "1{{ y }}"
    again = Environment(loader=DictLoader(source), bytecode_cache=COMPILED_TEMPLATES)
    assert again.get_template("t.html").render(x=1, y=3) == "[[ x ]]3"
