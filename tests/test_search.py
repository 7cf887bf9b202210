"""The search index (scripts/casebook/site/search.py): what the reader's browser looks terms up in.

The promise: a query finds exactly the pages whose visible text contains each of its terms (after
NFKC and lower-casing), like the browser's Ctrl+F. `search.Index` answers queries from the built
files the way the worker does (tests/test_search_recall.py runs the worker itself in Chromium);
here it is checked against a brute-force scan of generated pages.
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import EDIT_URL, REPO
from casebook.site import search
from casebook.site.search import BODY, FOLDER, SUMMARY, TAGS, TITLE, Index, build_search_files, fold, read_pages, terms

SEP = "[\\s\\u200b\\u3000\\-、。，．？！；]+"
CONFIG = {"lang": ["zh"], "separator": SEP, "pipeline": ["stemmer"],
          "fields": {"title": {"boost": 1000.0}, "text": {"boost": 1.0}, "tags": {"boost": 1000000.0}}}


def is_case(location: str) -> bool:
    return location.startswith("cases/")


def marked(text: str, cuts: list[int] | None = None) -> str:
    """Text as Material's index holds it: escaped, U+200B between words (here: at `cuts`, or
    between every two Han characters)."""
    cuts = cuts if cuts is not None else [i for i in range(1, len(text)) if text[i - 1] >= "\u4e00" and text[i] >= "\u4e00"]
    out, last = [], 0
    for cut in sorted(set(cuts)):
        out.append(html.escape(text[last:cut], quote=False))
        last = cut
    out.append(html.escape(text[last:], quote=False))
    return "\u200b".join(out)


def case_entries(i: int, title: str, summary: str, paragraphs: list[str], tags: list[str] | None = None) -> list[dict]:
    """A case page as Material's search plugin writes it: the page entry (title, summary and
    card), then one entry per section."""
    page = f"cases/c{i}/"
    first = {"location": page, "title": marked(title), "text": f"<p>{marked(summary)}</p>", "tags": tags or []}
    body = "".join(f"<p>{marked(p)}</p>" for p in paragraphs)
    return [first, {"location": page + "#做法", "title": "主要\u200b做法", "text": body, "tags": tags or []}]


def material(*pages: list[dict]) -> dict:
    return {"config": CONFIG, "docs": [entry for page in pages for entry in page]}


def found(index: Index, query: str) -> list[int]:
    return [page for page, _ in index.search(query)]


# -- text ----------------------------------------------------------------------------------------

def test_fold_is_nfkc_and_lower_case():
    assert fold("ＡＢＣ１２３　Ｐａｒｔｙ") == "abc123 party"  # full-width letters, digits, space
    assert fold("ΟΔΟΣ") == "οδοσ" and fold("οδος") == "οδοσ"  # final sigma: one letter
    assert fold("㈱") == "(株)" and fold("①") == "1"
    # as Ctrl+F: curly quotes are the straight ones, what shows nothing is nothing
    assert fold("“阳光”‘车队’") == '"阳光"\'车队\'' and fold("党\u00ad建\u2060工作\u200d法") == "党建工作法"


def test_query_terms_split_at_any_whitespace_and_drop_word_marks():
    assert terms("  阳光车队\u3000党员  Party\t2024 阳光车队 ") == ["阳光车队", "党员", "party", "2024"]
    assert terms("阳光\u200b车队") == ["阳光车队"]
    assert terms(" \u3000 ") == []


def test_visible_text_breaks_at_blocks_not_at_inline_markup():
    data = material([{"location": "cases/a/", "title": "标\u200b题", "tags": [],
                      "text": "<p>一<code>两</code>个</p><ul><li>甲乙</li><li>丙</li></ul>H<sub>2</sub>O &amp; &lt;b&gt;"}])
    (page,) = read_pages(data, is_case)
    text = "\n".join(seg.replace("\u200b", "") for _, seg in page.fields)
    assert "一两个" in text and "h2o" in text and "&" in text and "<b>" in text  # inline tags join, entities decoded
    assert "乙丙" not in text  # two list items: a break, as in the browser
    assert page.title == "标题" and page.teaser == "一两个"


def test_tags_are_searched_only_where_the_page_shows_them():
    shown = case_entries(0, "标题", "摘要", ["正文写着党建特派员"], tags=["党建特派员", "看不见的标签"])
    (page,) = read_pages(material(shown), is_case)
    assert [seg for field, seg in page.fields if field == TAGS] == ["党建特派员"]
    assert page.tags == ("党建特派员", "看不见的标签")  # shown in the result preview all the same


def test_fields_in_rank_order_and_pages_in_index_order():
    data = material(case_entries(0, "甲", "乙", ["丙"], tags=["丙"]), [{"location": "city-overview/", "title": "概况", "text": "<p>丁</p>"}])
    pages = read_pages(data, is_case)
    assert [p.location for p in pages] == ["cases/c0/", "city-overview/"]
    assert [(f, s) for f, s in pages[0].fields] == [(TITLE, "甲"), (TAGS, "丙"), (SUMMARY, "乙"), (BODY, "主要\u200b做法"), (BODY, "丙")]
    assert pages[1].fields[1] == (BODY, "丁")  # not a case: its first paragraph is body text


# -- the promise: exactly the pages containing the query -----------------------------------------

def test_a_string_across_two_words_is_found_and_pieces_apart_are_not():
    """The issue's examples: 统一 + 一些 holds 一一; 一两 + 个人 holds 一两个. And precision: a page
    with 个 and 第 apart is not a result for 个第."""
    pages = [
        case_entries(0, "案例零", "摘要", ["我们统一一些做法"]),
        case_entries(1, "案例一", "摘要", ["一两个人"]),
        case_entries(2, "案例二", "摘要", ["一个人", "第三"]),  # 个 and 第 apart; 一 and 两 apart
        case_entries(3, "案例三", "摘要", ["这个第一"]),
    ]
    index = Index(build_search_files(material(*pages), is_case))
    assert found(index, "一一") == [0]
    assert found(index, "一两个") == [1]
    assert found(index, "个第") == [3]
    assert found(index, "两个人") == [1]
    assert found(index, "一两个人的") == []
    assert found(index, "一") == [1, 0, 2, 3]  # one character: the unigram lists; 案例一 has it in its title
    assert found(index, "个 第") == [2, 3] and found(index, "个第 一") == [3]  # every term, anywhere


def test_latin_words_and_numbers_ignore_case_and_width():
    pages = [case_entries(0, "案例", "摘要", ["在 Party Building 2024 年"]), case_entries(1, "案例", "摘要", ["PARTYISM 与 ２０２４"])]
    index = Index(build_search_files(material(*pages), is_case))
    assert found(index, "party") == [0, 1] and found(index, "PARTY") == [0, 1]
    assert found(index, "party building") == [0]
    assert found(index, "2024") == [0, 1]
    assert found(index, "rtyi") == [1]
    assert found(index, "y b") == [0]  # two terms (y, b), both in page 0 only


def test_rank_title_tags_summary_body_then_whole_words_first():
    pages = [
        case_entries(0, "案例零", "摘要", ["示范岗在正文"]),
        case_entries(1, "案例一", "示范岗在摘要", ["正文"]),
        case_entries(2, "案例二", "摘要", ["正文示范岗"], tags=["示范岗"]),
        case_entries(3, "示范岗案例", "摘要", ["正文"]),
    ]
    index = Index(build_search_files(material(*pages), is_case))
    assert found(index, "示范岗") == [3, 2, 1, 0]
    # Whole words first: 车队 as a word (阳光/车队) before 车队 inside 车队长 (one word).
    words = [
        [{"location": "cases/a/", "title": "甲", "tags": [], "text": "<p>" + marked("车队长好", [3]) + "</p>"}],
        [{"location": "cases/b/", "title": "乙", "tags": [], "text": "<p>" + marked("阳光车队好", [2, 4]) + "</p>"}],
    ]
    index = Index(build_search_files(material(*words), is_case))
    assert found(index, "车队") == [1, 0]
    assert found(index, "光车队") == [1] and found(index, "阳光车队") == [1]
    latin = [case_entries(0, "甲", "摘要", ["partyism"]), case_entries(1, "乙", "摘要", ["party"])]
    assert found(Index(build_search_files(material(*latin), is_case)), "party") == [1, 0]


ALPHABET = "一二两个人第些统党建车队ab1ＡＢ_，。 𠮷“\"\u00ad"  # full-width letters fold to Latin; 𠮷 is outside the BMP


@st.composite
def libraries(draw):
    """Pages of random text over a small alphabet (so that substrings recur across pages and
    across jieba-like word marks placed at random), with their visible strings."""
    pages, texts = [], []
    for i in range(draw(st.integers(1, 8))):
        strings = [draw(st.text(ALPHABET, min_size=1, max_size=30).filter(lambda t: fold(t).strip())) for _ in range(draw(st.integers(1, 4)))]
        entries = []
        summary = draw(st.text(ALPHABET, max_size=12))
        for j, s in enumerate(strings):
            cuts = draw(st.lists(st.integers(1, max(1, len(s) - 1)), max_size=6))
            if j == 0:
                text = f"<p>{marked(summary, [])}</p>" if summary else ""
                entries.append({"location": f"cases/c{i}/", "title": marked(s, cuts), "text": text, "tags": []})
            else:
                entries.append({"location": f"cases/c{i}/#s{j}", "title": "", "text": f"<p>{marked(s, cuts)}</p>"})
        pages.append(entries)
        texts.append([f for f in (fold(s) for s in [*strings, summary]) if f])
    return material(*pages), texts


@given(libraries(), st.data())
def test_every_substring_finds_exactly_the_pages_that_contain_it(library, data):
    """Property: for random substrings (1-6 characters) of random pages, and pairs of them as a
    two-term query, the index answers what a brute-force scan of the visible text answers."""
    material_index, texts = library
    index = Index(build_search_files(material_index, is_case))
    page = data.draw(st.integers(0, len(texts) - 1))
    text = data.draw(st.sampled_from(texts[page]))
    start = data.draw(st.integers(0, len(text) - 1))
    term = text[start:start + data.draw(st.integers(1, 6))].strip()
    other = data.draw(st.text(ALPHABET.strip(), min_size=1, max_size=3))
    for query in [term, f"{term} {other}", other]:
        qs = terms(query)
        if not qs:
            continue
        expected = [n for n, strings in enumerate(texts) if all(any(t in s for s in strings) for t in qs)]
        assert sorted(found(index, query)) == expected, (query, texts)


def scanned_codes(page: search.Page, term: str) -> int | None:
    """Brute force: the best (field * 2 + whole word) of `term`'s occurrences in the page's
    segments. A word is a run of letters and digits within one piece between word marks."""
    best = None
    for field, seg in page.fields:
        pieces = seg.split("\u200b")
        text = "".join(pieces)
        piece = [n for n, p in enumerate(pieces) for _ in p]

        def boundary(i: int) -> bool:
            inside = 0 < i < len(text) and text[i - 1].isalnum() and text[i].isalnum() and piece[i - 1] == piece[i]
            return not inside

        for start in range(len(text) - len(term) + 1):
            if text.startswith(term, start):
                code = field * 2 + (boundary(start) and boundary(start + len(term)))
                best = code if best is None else max(best, code)
    return best


@given(libraries(), st.data())
def test_every_substring_ranks_as_a_scan_of_the_page_ranks_it(library, data):
    """Property: for any substring, the index's per-page code (best field, whole word or not: what
    ranking uses) equals a brute-force scan of each page's segments."""
    material_index, texts = library
    pages = read_pages(material_index, is_case)
    index = Index(build_search_files(material_index, is_case))
    text = data.draw(st.sampled_from(texts[data.draw(st.integers(0, len(texts) - 1))]))
    start = data.draw(st.integers(0, len(text) - 1))
    for term in terms(text[start:start + data.draw(st.integers(1, 6))]):
        expected = {n: code for n, page in enumerate(pages) if (code := scanned_codes(page, term)) is not None}
        assert index.term(term) == expected, (term, texts)


# -- files ---------------------------------------------------------------------------------------

def test_posting_numbers_round_trip():
    """The bulk encoder writes LEB128 as the reader (and the worker) reads it, cut per key."""
    import numpy as np

    from casebook.site.postings import _encode

    values = [0, 1, 127, 128, 16383, 16384, 2**21, 2**28 + 5, 2**35 + 3, 2**62 + 1]
    data, lengths = _encode(np.array(values, dtype=np.int64), np.array([1, 3, 6]))
    ends = np.cumsum(lengths).tolist()
    runs = [data.tobytes()[a:b] for a, b in zip([0, *ends[:-1]], ends)]
    assert [search.read_varints(run) for run in runs] == [values[:1], values[1:4], values[4:]]
    assert runs[1] == bytes([1, 127, 128, 1])


def shards_as_defined(postings: dict[str, bytes], prefix: str) -> tuple[int, dict[str, str]]:
    """The shard files as the format defines them: per shard a dict {key: base64}, json.dumps'd
    with sorted keys (postings.shard_files writes the same text on arrays)."""
    import base64
    import math

    total = sum(len(v) * 4 // 3 for v in postings.values()) + 3 * sum(map(len, postings)) + 6 * len(postings)
    count = max(1, math.ceil(total / search.SHARD_BYTES))
    groups: list[dict[str, str]] = [{} for _ in range(count)]
    for key, data in postings.items():
        groups[search.shard_of(key, count)][key] = base64.b64encode(data).decode()
    return count, {f"{prefix}{n}": search.script(f"{prefix}{n}", group) for n, group in enumerate(groups)}


# Keys as the index makes them (one or two characters), from the characters json escapes, ASCII,
# CJK and astral ones; postings of any length from 1 byte.
KEY_CHARS = st.one_of(st.characters(max_codepoint=0x7F), st.sampled_from("\"\\\u2028\u3000，党建车队\U00020bb7\U0001f600"),
                      st.characters(blacklist_categories=("Cs",)))


@given(st.dictionaries(st.text(KEY_CHARS, min_size=1, max_size=2), st.binary(min_size=1, max_size=40), max_size=300),
       st.integers(1, 4))
def test_shard_files_are_the_json_the_format_defines(postings, chunk):
    """Property: the array writer's files equal json.dumps of each shard's dict, byte for byte,
    whatever the keys (quotes, backslashes, control and astral characters) and posting lengths,
    and however many shards are assembled at once."""
    import numpy as np

    from casebook.site import postings as bulk

    names = list(postings)
    codes = np.array([ord(k[0]) << 21 | (ord(k[1]) + 1 if len(k) > 1 else 0) for k in names], dtype=np.int64)
    data = np.frombuffer(b"".join(postings.values()), dtype=np.uint8)
    lengths = np.array([len(v) for v in postings.values()], dtype=np.int64)
    bulk.SHARD_BYTES, saved = 200, bulk.SHARD_BYTES  # many small shards
    bulk.CHUNK_SHARDS, saved_chunk = chunk, bulk.CHUNK_SHARDS
    search.SHARD_BYTES, saved_search = 200, search.SHARD_BYTES
    try:
        written = bulk.shard_files(bulk.Postings(names, codes, data, lengths), "p")
        assert written == shards_as_defined(postings, "p")
    finally:
        bulk.SHARD_BYTES, bulk.CHUNK_SHARDS, search.SHARD_BYTES = saved, saved_chunk, saved_search


def test_manifest_is_small_and_files_are_scripts_and_json():
    pages = [case_entries(i, f"案例{i}", "摘要", ["正文" * 20 + str(i)]) for i in range(40)]
    files = build_search_files(material(*pages), is_case)
    manifest = json.loads(files["search/search_index.json"])
    assert manifest["docs"] == [] and manifest["config"]["separator"] == SEP  # Material's page highlighter reads it
    config = manifest["config"]["casebook"]
    assert config["pages"] == 40 and len(files["search/search_index.json"]) < 1000
    names = {name.removeprefix(FOLDER + "/") for name in files if name.startswith(FOLDER)}
    assert names == {f"k{n}.js" for n in range(config["k"])} | {f"p{n}.js" for n in range(config["p"])} | {f"r{n}.js" for n in range(5)}
    for name, text in files.items():
        if name.startswith(FOLDER):
            head, body, tail = text.split("\n")[:3]
            assert head == f'casebook("{name.split("/")[-1][:-3]}",' and tail == ");"
            # the JSON as json.dumps writes it, keys sorted (the bulk writer's key order is the index's)
            assert body == json.dumps(json.loads(body), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    first = search.read_script(files[f"{FOLDER}/r0.js"])
    assert first[0] == ["cases/c0/", "案例0", "摘要", []]


OTHER_PROCESS = """
import json, sys
from casebook.site.search import build_search_files
data = json.loads(sys.stdin.read())
sys.stdout.write(json.dumps(build_search_files(data, lambda loc: loc.startswith("cases/")), ensure_ascii=False, sort_keys=True))
"""


@pytest.mark.parametrize("seed", ["0", "4242"])
def test_deterministic_across_processes(seed):
    """str hashing (set and dict order) differs between processes unless PYTHONHASHSEED fixes it."""
    data = material(*[case_entries(i, f"案例{i}", "共同摘要", [f"词{i}共同车队", f"独{i % 3}"], tags=[f"标签{i % 2}"]) for i in range(12)])
    here = json.dumps(build_search_files(data, is_case), ensure_ascii=False, sort_keys=True)
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


# -- the build defers Material's jieba segmentation ----------------------------------------------

SEGMENTATION_DRIVER = """
import sys
from casebook.core import fanout
from casebook.site import plugin
shares, counted = [], fanout.processes
def processes(count, *rest):
    shares.append(counted(count, *rest))
    return shares[-1]
fanout.processes = processes
if sys.argv[1] == "inline":  # Material segments each section as it indexes the page
    plugin.defer_segmentation = lambda index: None
plugin.SEGMENT_MIN_PER_PROCESS = 10  # a small library shared out all the same
from casebook.cli import main
code = main(sys.argv[2:])
print("processes", shares, file=sys.stderr)
sys.exit(code)
"""


def test_a_build_segments_the_search_entries_as_material_does_inline(tmp_path):
    """A build leaves Material's jieba segmentation to its end and shares it among the cores
    (plugin.defer_segmentation): the site must be the one Material's inline segmentation makes,
    byte for byte, and the work must really be shared (a forked child) where there are two cores."""
    sys.path.insert(0, str(REPO / "scripts"))
    try:
        from bench import make_library
    finally:
        sys.path.remove(str(REPO / "scripts"))
    library = tmp_path / "cases"
    make_library(library, 30)  # about 150 search entries
    sites, shares = {}, {}
    for mode in ("inline", "deferred"):
        sites[mode] = tmp_path / mode
        result = subprocess.run(
            [sys.executable, "-c", SEGMENTATION_DRIVER, mode, "build", "--cases", str(library), "--site-dir", str(sites[mode])],
            cwd=REPO, capture_output=True, text=True, encoding="utf-8", check=False, timeout=300,
            env={**os.environ, "CASEBOOK_EDIT_URL": EDIT_URL, "NO_MKDOCS_2_WARNING": "1"})
        assert result.returncode == 0, result.stdout + result.stderr
        shares[mode] = json.loads(result.stderr.rsplit("processes ", 1)[1])
    # One more share-out in the deferred build: the segmentation, after the validation's.
    assert len(shares["deferred"]) == len(shares["inline"]) + 1
    if len(os.sched_getaffinity(0)) >= 2:
        assert shares["deferred"][-1] >= 2  # (as many as there are cores)
    files = {mode: {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}
             for mode, site in sites.items()}
    assert sorted(files["inline"]) == sorted(files["deferred"])
    differ = [name for name in files["inline"] if files["inline"][name] != files["deferred"][name]]
    assert not differ, differ[:10]
    # (Segmentation left out, or done twice, changes the postings' word-boundary bits.)
    assert len([name for name in files["deferred"] if name.startswith(FOLDER)]) > 20


def test_long_han_runs_are_segmented_in_pieces_and_nothing_else_changes():
    """jieba takes time growing with the square of a run of Han characters (200,000 in a row kept
    a build in the search index for 93 s): runs longer than HAN_RUN_MAX are segmented in pieces.
    Text with shorter runs is segmented exactly as Material segments it; the pieces keep every
    character (the index reads the text without the word marks)."""
    import re
    import time

    from material.plugins.search.plugin import SearchIndex

    from casebook.site.plugin import HAN_RUN_MAX, segment_in_pieces
    from casebook.site.search import MARK

    index = SearchIndex()
    material = index._segment_chinese
    prose = "两新组织党建工作法，“阳光车队”服务群众。" * 80 + "x" + "中" * (HAN_RUN_MAX - 1) + "。"
    assert segment_in_pieces(material, prose) == material(prose)
    seen: list[str] = []
    long = "甲" * (HAN_RUN_MAX * 2 + 5) + "，乙丙" + "丁" * HAN_RUN_MAX
    assert segment_in_pieces(lambda piece: seen.append(piece) or piece, long) == long
    assert "".join(seen) == long and len(seen) == 4  # 1,000 甲 | 1,000 甲 | 5 甲，乙丙 998 丁 | 2 丁
    assert not any(re.search("[甲乙丙丁]{%d}" % (HAN_RUN_MAX + 1), piece) for piece in seen)
    start = time.monotonic()
    out = segment_in_pieces(material, "中" * 100_000)
    assert out.replace(MARK, "") == "中" * 100_000 and time.monotonic() - start < 10


def test_the_worker_and_the_results_page_number_their_messages_alike():
    """Material's message types (SETUP … RESULT) and ours (PREVIEWS), written in both scripts."""
    def numbers(name: str) -> dict[str, int]:
        text = (REPO / "docs/assets/javascripts" / name).read_text("utf-8")
        return {k: int(v) for k, v in re.findall(r"\b([A-Z]+) = (\d+)\b", text)}

    worker, results = numbers("search-worker.js"), numbers("search-results.js")
    assert {"RESULT", "PREVIEWS"} <= set(results) and all(worker[k] == v for k, v in results.items()), (worker, results)
