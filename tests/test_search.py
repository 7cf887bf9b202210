"""The compact search index (scripts/casebook/search.py): what the reader's browser indexes."""

from __future__ import annotations

from casebook.search import KW_FIELD, MIN_WORDS, compact_index

SEP = "[\\s\\u200b\\u3000\\-、。，．？！；]+"
CONFIG = {"lang": ["zh"], "separator": SEP, "pipeline": ["stemmer"],
          "fields": {"title": {"boost": 1000.0}, "text": {"boost": 1.0}, "tags": {"boost": 1000000.0}}}


def entry(location: str, title: str, text: str, **extra) -> dict:
    return {"location": location, "title": title, "text": text, **extra}


def case_entries(i: int, body_words: list[str]) -> list[dict]:
    page = f"cases/c{i}/"
    return [
        entry(page, f"案例\u200b{i}", f"<p>摘要\u200b第{i}号</p><dl><dt>单位</dt><dd>单位\u200b{i}</dd></dl>", tags=[f"标签{i}"]),
        entry(page + "#基本情况", "基本\u200b情况", "<p>" + "\u200b".join(body_words) + "</p>"),
    ]


def index(*entries: dict) -> dict:
    return {"config": CONFIG, "docs": [e for group in entries for e in (group if isinstance(group, list) else [group])]}


def test_one_entry_per_case_with_summary_teaser_and_every_word():
    data = index(case_entries(1, ["车队", "挂牌", "上车", "的"]), entry("city-overview/", "概况", "<p>全市\u200b概况</p>"))
    out = compact_index(data, lambda loc: loc.startswith("cases/"))
    case, page = out["docs"][0], out["docs"][1]
    assert [d["location"] for d in out["docs"]] == ["cases/c1/", "city-overview/"]
    assert case["text"] == "<p>摘要\u200b第1号</p>"  # the teaser: the first paragraph only
    assert case["tags"] == ["标签1"]
    words = case[KW_FIELD].split("\u200b")
    assert {"车队", "挂牌", "上车", "单位", "基本", "情况", "摘要"} <= set(words)
    assert "的" not in words and len(words) == len(set(words))  # one-character words dropped, each word once
    assert page[KW_FIELD].split("\u200b") == ["全市", "概况"]  # other pages keep their entries, findable by kw
    # the teaser is shown, not indexed: its words live in kw
    assert "text" not in out["config"]["fields"] and out["config"]["fields"][KW_FIELD] == {"boost": 1.0}
    assert out["config"]["fields"]["title"] == CONFIG["fields"]["title"]


def test_large_library_keeps_each_cases_rarest_words_within_the_budget():
    common = [f"常见{n:02d}" for n in range(40)]  # in every case
    cases = [case_entries(i, common + [f"独有{i}甲", f"独有{i}乙"]) for i in range(10)]
    budget = 10 * MIN_WORDS  # -> MIN_WORDS words per case
    out = compact_index(index(*cases), lambda loc: loc.startswith("cases/"), budget=budget)
    for i, doc in enumerate(out["docs"]):
        words = doc[KW_FIELD].split("\u200b")
        assert len(words) == MIN_WORDS
        assert {f"独有{i}甲", f"独有{i}乙"} <= set(words)  # the distinctive words survive the cut
    # a small library keeps everything
    small = compact_index(index(*cases), lambda loc: loc.startswith("cases/"))
    assert all(set(common) <= set(d[KW_FIELD].split("\u200b")) for d in small["docs"])


def test_deterministic():
    data = index(*[case_entries(i, [f"词{i}", "共同"]) for i in range(5)])
    assert compact_index(data, lambda loc: loc.startswith("cases/")) == compact_index(data, lambda loc: loc.startswith("cases/"))
