"""core/index.py on its own: plain Cases in, facets, slugs, related cases and counts out (no MkDocs)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from casebook.core.index import RELATED_MAX, build_index, case_values, related_cases, slugify, unique_slugs
from casebook.core.model import Case, Honor, Library, Section, Taxonomy
from casebook.core.schema import VOCABULARIES

SECTIONS = (Section("基本情况", "有内容。", 10), Section("主要做法", "有内容。", 12), Section("取得成效", "待补充", 14))


def case(case_id: str, day: int = 1, **fields) -> Case:
    values = dict(title=f"{case_id} 工作法", organization="某单位", org_type="非公企业", region="东城街道",
                  category=("党建工作法",), summary="摘要。", date=dt.date(2024, 1, day), source="《讲话》",
                  rel=f"{case_id}.md", body="", sections=SECTIONS)
    values.update(fields)
    return Case(id=case_id, **values)


TAXONOMY = Taxonomy((
    ("org_type", ("非公企业", "社会组织")),
    ("party_org", ()),
    ("region", ("东城街道", "西城街道", "东城街道二")),
    ("industry", ()),
    ("category", ("党建工作法", "品牌创建")),
    ("tags", ("红色车队", "志愿服务")),
    ("honor_level", ("省级", "市级")),
))


def library(*cases: Case) -> Library:
    return Library(Path("lib"), TAXONOMY, tuple(sorted(cases, key=lambda c: c.id)))


def test_slugify_is_ascii_pinyin_with_hyphens():
    assert slugify("东城街道") == "dong-cheng-jie-dao"
    assert slugify("A&B 党建") == "a-b-dang-jian"
    assert slugify("！！") == "x"  # nothing to spell: still a page name


def test_unique_slugs_number_homophones_in_taxonomy_order():
    # 市级 / 试级 / 事迹 sound alike (shi ji): the first keeps the plain slug, later ones are numbered
    slugs = unique_slugs(("市级", "试级", "省级", "事迹"))
    assert slugs == {"市级": "shi-ji", "试级": "shi-ji-2", "省级": "sheng-ji", "事迹": "shi-ji-3"}
    assert len(set(slugs.values())) == len(slugs)
    # the order decides who gets the plain name: stable for a given taxonomy
    assert unique_slugs(("事迹", "市级"))["事迹"] == "shi-ji"


def test_index_facets_counts_and_drafts():
    a = case("a", 3, tags=("红色车队",), honors=(Honor("省级", "先进", 2023),))
    b = case("b", 5, region="西城街道", category=("党建工作法", "品牌创建"), tags=("红色车队", "志愿服务"))
    c = case("c", 4, org_type="社会组织", date=dt.date(2023, 6, 1))
    draft = case("d", 9, status="draft")
    index = build_index(library(a, b, c, draft))
    assert [x.id for x in index.cases] == ["b", "a", "c"]  # newest first
    assert index.draft_count == 1 and "d" not in index.by_id
    assert set(index.facets) == set(VOCABULARIES)
    region = {f.value: f.case_ids for f in index.facets["region"]}
    assert region == {"东城街道": ("a", "c"), "西城街道": ("b",), "东城街道二": ()}  # taxonomy order, empty kept
    assert index.facet_of("category", "品牌创建").case_ids == ("b",)
    assert index.facet_of("honor_level", "省级").case_ids == ("a",)
    assert index.by_year == ((2023, 1), (2024, 2))
    assert [x.id for x in index.incomplete] == ["b", "a", "c"]  # 取得成效 is 待补充 in all
    assert case_values(a, "honor_level") == ("省级",) and case_values(a, "party_org") == ()


def test_related_cases_rank_categories_over_tags_and_skip_self():
    cases = (
        case("x", category=("党建工作法",), tags=("红色车队",)),
        case("same-category", category=("党建工作法",)),
        case("same-tag", category=("品牌创建",), tags=("红色车队",)),
        case("both", category=("党建工作法",), tags=("红色车队",)),
        case("nothing", category=("品牌创建",)),
    )
    related = related_cases(cases)
    assert related["x"] == ("both", "same-category", "same-tag")
    assert "nothing" not in related["x"] and "x" not in related["x"]
    many = tuple(case(f"c{i}") for i in range(RELATED_MAX + 3))
    assert len(related_cases(many)["c0"]) == RELATED_MAX


# -- reindexed: the index of an edited library made from the last one --------------------------

from dataclasses import replace as _replace  # noqa: E402

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from casebook.core.index import reindexed  # noqa: E402

_EDITS = {
    "title": lambda c, n: _replace(c, title=f"改后标题{n}"),  # text only: the same key
    "summary": lambda c, n: _replace(c, summary=f"改后摘要{n}"),
    "date": lambda c, n: _replace(c, date=dt.date(2024, 2, 1 + n % 28)),  # its place in listings
    "category": lambda c, n: _replace(c, category=(("党建工作法",), ("品牌创建",), ("党建工作法", "品牌创建"))[n % 3]),
    "tags": lambda c, n: _replace(c, tags=((), ("红色车队",), ("志愿服务", "红色车队"))[n % 3]),
    "region": lambda c, n: _replace(c, region=("东城街道", "西城街道")[n % 2]),
    "honors": lambda c, n: _replace(c, honors=((), (Honor("省级", "先进", 2020),))[n % 2]),
    "draft": lambda c, n: _replace(c, status="draft"),
    "same": lambda c, n: c,
}


@st.composite
def edited_libraries(draw):
    n = draw(st.integers(min_value=1, max_value=12))
    cases = []
    for i in range(n):
        c = case(f"c{i}", day=draw(st.integers(min_value=1, max_value=5)))
        for name in draw(st.lists(st.sampled_from(["category", "tags", "region", "honors"]), max_size=3)):
            c = _EDITS[name](c, draw(st.integers(min_value=0, max_value=5)))
        cases.append(c)
    before = library(*cases)
    after = list(cases)
    for i in draw(st.lists(st.integers(min_value=0, max_value=n - 1), max_size=4, unique=True)):
        edit = draw(st.sampled_from(sorted(_EDITS)))
        after[i] = _EDITS[edit](after[i], draw(st.integers(min_value=0, max_value=5)))
    if draw(st.booleans()):  # a case removed
        after.pop(draw(st.integers(min_value=0, max_value=n - 1)))
    return before, library(*after)


@settings(max_examples=300, deadline=None)
@given(edited_libraries())
def test_reindexed_is_build_index_or_nothing(libraries):
    before, after = libraries
    made = reindexed(build_index(before), after)
    if made is not None:
        assert made == build_index(after)


def test_reindexed_takes_text_edits_and_leaves_the_rest_to_build_index():
    cases = [case("a", 1, tags=("红色车队",)), case("b", 2, tags=("红色车队",)), case("c", 3)]
    index = build_index(library(*cases))
    text = [_replace(cases[0], title="新标题", summary="新摘要", body="新正文"), *cases[1:]]
    made = reindexed(index, library(*text))
    assert made == build_index(library(*text)) and made.by_id["a"].title == "新标题"
    assert reindexed(index, library(*cases)) is index  # nothing changed
    for name, n in (("date", 1), ("category", 1), ("tags", 2), ("honors", 1), ("draft", 0)):
        changed = [_EDITS[name](cases[0], n), *cases[1:]]
        assert reindexed(index, library(*changed)) is None, name
    assert reindexed(index, library(*cases[:2])) is None  # a case removed
    assert reindexed(index, library(*cases, case("d", 4, status="draft"))) is None  # a draft added


# -- slugs: distinct values always get distinct pages -------------------------------------------

import json  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from urllib.parse import urljoin  # noqa: E402

from casebook.site.render import render_site  # noqa: E402

TAGS = ("甲", "假", "甲-2")  # 甲 and 假 are both jia; 甲-2 is jia-2 by itself


def test_a_numbered_homophone_never_takes_another_values_page():
    # Reported: 假 was numbered jia-2, 甲-2's own page name; one listing was written over the other
    # and the 假 link on its case page went to the 甲-2 listing.
    taxonomy = Taxonomy(tuple((vocab, TAGS if vocab == "tags" else values) for vocab, values in TAXONOMY.vocab))
    cases = {"甲": case("a", 1, tags=("甲",)), "假": case("b", 2, tags=("假",)), "甲-2": case("c", 3, tags=("甲-2",))}
    pages = render_site(build_index(Library(Path("lib"), taxonomy, tuple(cases.values())))).pages
    listings = {uri: text for uri, text in pages.items() if uri.startswith("browse/tags/") and uri != "browse/tags/index.md"}
    assert len(listings) == 3
    found = {}
    for value, c in cases.items():
        case_page = f"cases/{c.id}.md"
        link = re.search(rf"\[{re.escape(value)}\]\(([^)]+)\)", pages[case_page]).group(1)
        uri = urljoin(case_page, link)
        assert uri in listings, value
        assert f"# 标签：{value}\n" in listings[uri]  # the link goes to this value's own listing
        listed = set(re.findall(r"\(\.\./\.\./cases/([a-z]+)\.md\)", listings[uri]))
        assert listed == {c.id}, value
        found[value] = uri
    assert len(set(found.values())) == 3
    # a value whose page name no other value shares keeps it; the homophone 假 is numbered past it
    assert found["甲"] == "browse/tags/jia.md" and found["甲-2"] == "browse/tags/jia-2.md"


# Few letters, so that values sound alike, and the suffixes, digits, cases and separators a
# numbered page name is made of.
SLUG_PARTS = ("甲", "假", "价", "加", "-2", "-3", "-", "2", "a", "A", "1", " ", "_", "！", "index", "Index")
slug_values = st.lists(st.lists(st.sampled_from(SLUG_PARTS), min_size=1, max_size=4).map("".join),
                       max_size=10, unique=True)
PAGE_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


@given(slug_values, st.randoms(use_true_random=False))
def test_unique_slugs_are_distinct_page_names_and_keep_unshared_ones(values, random):
    slugs = unique_slugs(tuple(values))
    assert list(slugs) == values
    assert len(set(slugs.values())) == len(values)  # distinct values, distinct pages
    assert all(PAGE_NAME.fullmatch(slug) for slug in slugs.values()), slugs
    assert "index" not in slugs.values()  # browse/<vocabulary>/index.md is the vocabulary's own page
    assert unique_slugs(tuple(values)) == slugs
    natural = [slugify(v) for v in values]
    unshared = {v: s for v, s in zip(values, natural) if natural.count(s) == 1 and s != "index"}
    shuffled = list(values)
    random.shuffle(shuffled)
    again = unique_slugs(tuple(shuffled))
    assert len(set(again.values())) == len(values)
    for value, slug in unshared.items():  # wherever it stands in the taxonomy
        assert slugs[value] == again[value] == slug


SLUGS_IN_ANOTHER_PROCESS = """
import json, sys
from casebook.core.index import unique_slugs
print(json.dumps(unique_slugs(tuple(json.loads(sys.stdin.read()))), ensure_ascii=False))
"""


def test_unique_slugs_are_the_same_in_another_process():
    """str hashing (set and dict order) differs between processes unless PYTHONHASHSEED fixes it."""
    values = ["甲-3", "甲", "假", "价", "甲-2", "加-2", "a", "A", "a-2", "a 2", "a_3", "A-3"]
    here = unique_slugs(tuple(values))
    for seed in ("0", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONIOENCODING": "utf-8"}
        there = subprocess.run([sys.executable, "-c", SLUGS_IN_ANOTHER_PROCESS], input=json.dumps(values),
                               env=env, capture_output=True, text=True, encoding="utf-8", check=True, timeout=60).stdout
        assert json.loads(there) == here
