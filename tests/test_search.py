"""The prebuilt search index (scripts/casebook/site/search.py): what the reader's browser looks words up in."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casebook.site.search import BODY, INDEX_KEY, SUMMARY, TAGS, TITLE, build_search_index, decode, encode

SEP = "[\\s\\u200b\\u3000\\-、。，．？！；]+"
CONFIG = {"lang": ["zh"], "separator": SEP, "pipeline": ["stemmer"],
          "fields": {"title": {"boost": 1000.0}, "text": {"boost": 1.0}, "tags": {"boost": 1000000.0}}}


def entry(location: str, title: str, text: str, **extra) -> dict:
    return {"location": location, "title": title, "text": text, **extra}


def case_entries(i: int, body_words: list[str], tags: list[str] | None = None) -> list[dict]:
    """A case page as Material's search plugin writes it: the page entry, then one per section."""
    page = f"cases/c{i}/"
    tags = tags if tags is not None else [f"标签{i}"]
    return [
        entry(page, f"案例\u200b{i}", f"<p>摘要\u200b第{i}号</p> \u200b单位\u200b 单位\u200b{i}", tags=tags),
        entry(page + "#基本情况", "基本\u200b情况", "<p>" + "\u200b".join(body_words) + "</p>", tags=tags),
    ]


def material(*entries) -> dict:
    return {"config": CONFIG, "docs": [e for group in entries for e in (group if isinstance(group, list) else [group])]}


def build(data: dict) -> dict:
    return build_search_index(data, lambda loc: loc.startswith("cases/"))


def postings(out: dict) -> dict[str, list[tuple[int, int]]]:
    """word -> [(page number, best field)] as the worker reads them."""
    index = out["config"][INDEX_KEY]
    words = index["words"].split("\n")
    codes = index["postings"].split(",")
    assert len(words) == len(codes)
    return {w: decode(c) for w, c in zip(words, codes, strict=True)}


@given(st.lists(st.tuples(st.integers(1, 70_000), st.integers(1, 7)), max_size=50))
def test_posting_lists_round_trip(steps):
    pairs, page = [], -1
    for step, field in steps:
        page += step
        pairs.append((page, field))
    code = encode(pairs)
    assert decode(code) == pairs
    assert "," not in code and "\n" not in code and code.isascii()  # the list and word separators stay free


def test_dense_lists_cost_one_character_per_page():
    assert len(encode([(i, BODY) for i in range(1000)])) == 1000


def test_one_entry_per_page_with_plain_text_title_teaser_and_tags():
    data = material(
        case_entries(1, ["车队", "挂牌"], tags=["阳光车队", "a&amp;b"]),
        entry("city-overview/", "全市\u200b概况", "<p>全市\u200b概况\u200b&lt;b&gt;</p><p>第二段</p>"),
        entry("city-overview/#发展", "发展", "<p>发展\u200b历程</p>"),
    )
    out = build(data)
    assert out["docs"] == [
        {"location": "cases/c1/", "title": "案例1", "text": "摘要第1号", "tags": ["阳光车队", "a&b"]},
        {"location": "city-overview/", "title": "全市概况", "text": "全市概况<b>"},  # plain text: the worker escapes it
    ]
    # Material's page highlighter needs the separator; lunr's field boosts are gone with lunr.
    assert out["config"]["separator"] == SEP and "fields" not in out["config"]


def test_every_word_of_every_page_with_its_best_field():
    data = material(case_entries(0, ["车队", "挂牌", "摘要"]), case_entries(1, ["车队", "的"], tags=["党建特派员"]),
                    entry("city-overview/", "概况", "<p>全市\u200b车队</p>"))
    words = postings(build(data))
    assert words["车队"] == [(0, BODY), (1, BODY), (2, BODY)]  # a page that is not a case: body
    assert words["摘要"] == [(0, SUMMARY), (1, SUMMARY)]  # summary beats body on page 0
    assert words["案例"] == [(0, TITLE), (1, TITLE)]
    assert words["党建特派员"] == [(1, TAGS)]  # a tag is a word of its own, whole
    assert words["单位"] == [(0, SUMMARY), (1, SUMMARY)]  # the metadata card (organization ...) ranks with the summary
    assert words["的"] == [(1, BODY)]  # one-character words are kept: a query for 的 finds them
    assert "" not in words and "<p>" not in words and not any("\u200b" in w or "“" in w for w in words)
    assert list(words) == sorted(words)


def test_no_word_budget_a_common_word_finds_every_case():
    """The old index kept only each case's rarest words once a library was large: at 2,000 cases
    a word in half the cases was found in almost none. Every posting is kept now."""
    cases = [case_entries(i, ["共同"] + (["一半"] if i % 2 else []) + [f"独有{i}"]) for i in range(3000)]
    words = postings(build(material(*cases)))
    assert [p for p, _ in words["共同"]] == list(range(3000))
    assert [p for p, _ in words["一半"]] == list(range(1, 3000, 2))
    assert words["独有2999"] == [(2999, BODY)]


# The same index built in a fresh interpreter: str hashing (set and dict order of words) differs
# between processes unless PYTHONHASHSEED fixes it, so a second run in this process proves little.
OTHER_PROCESS = """
import json, sys
from casebook.site.search import build_search_index
data = json.loads(sys.stdin.read())
sys.stdout.write(json.dumps(build_search_index(data, lambda loc: loc.startswith("cases/")), ensure_ascii=False))
"""


@pytest.mark.parametrize("seed", ["0", "4242"])
def test_deterministic_across_processes(seed):
    data = material(*[case_entries(i, [f"词{i}", "共同", "车队", f"独{i % 3}"], tags=[f"标签{i % 2}", "共同标签"]) for i in range(12)],
                    entry("city-overview/", "概况", "<p>全市\u200b车队\u200b共同</p>"))
    here = json.dumps(build(data), ensure_ascii=False)
    assert here == json.dumps(build(json.loads(json.dumps(data))), ensure_ascii=False)
    env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONIOENCODING": "utf-8"}
    there = subprocess.run([sys.executable, "-c", OTHER_PROCESS], input=json.dumps(data), env=env,
                           capture_output=True, text=True, encoding="utf-8", check=True, timeout=60).stdout
    assert there == here


def test_pages_get_our_worker_or_the_build_fails():
    """overrides/main.html passes Material's `config` block through the plugin's filter."""
    from mkdocs.exceptions import PluginError

    from casebook.site.plugin import use_our_worker

    block = '{"base": "..", "search": "../assets/javascripts/workers/search.a7633da7.min.js", "tags": null}'
    assert use_our_worker(block) == '{"base": "..", "search": "../assets/javascripts/search-worker.js", "tags": null}'
    with pytest.raises(PluginError, match="搜索 worker"):  # Material moved it: say so, never ship lunr with our index
        use_our_worker('{"base": "..", "search": "../assets/javascripts/workers/search.min.js"}')
