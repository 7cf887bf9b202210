"""Benchmark: synthetic libraries of 500 / 2,000 / 5,000 / 20,000 cases, measured side by side.

    make bench                      # all sizes, everything (20,000: search figures only)
    .venv/bin/python scripts/bench.py --sizes 500 2000 --skip-serve

    .venv/bin/python scripts/bench.py --sizes 2000 5000 20000 --search-only   # search figures only

Prints, per size: validate vs. the floor (read files + CSafeLoader front matter in one process),
casebook build vs. a bare Material build of the same rendered pages (no plugin), time per case,
peak memory, site and offline zip size, an `mkdocs serve` rebuild after editing one case,
search (scripts/bench_search.py): raw substrings of 1-6 Chinese characters against brute force
over the pages' visible text, in headless Chromium over http://127.0.0.1 and file://, and
Pagefind on the same built site: recall, precision, bytes of a first query, first and later
query times, worker heap, index size and build time; and the 案例汇编 (`casebook book`: PDF and
DOCX, time and peak memory each; `--book-only` runs just that); and Word import (`casebook import`
of generated documents of 10,000 to 100,000 paragraphs, `--split` of the 案例汇编 of each library,
and peak memory while refusing oversized files; `--import-only` runs just that). Libraries of 10,000 cases or more
get the search figures only (the book, the bare Material build and `mkdocs serve` would take
hours there). Figures, not asserts: the targets live in docs/guide/performance.md. Libraries go
to bench-out/ (git-ignored).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench-out"
PY = sys.executable
ENV = dict(os.environ, NO_MKDOCS_2_WARNING="1")

# Bodies are word salad with a realistic vocabulary: words drawn from jieba's dictionary by their
# frequency (Zipf-like, as in real text), so the search index meets as many distinct words per
# case as real prose gives it. Deterministic for a seed.
WORDS = ["车队", "驿站", "工坊", "先锋", "红帆", "同心", "聚力", "匠心", "暖心", "领航", "攻坚", "连心", "桥梁", "纽带", "品牌"]


def vocabulary(limit: int = 60_000) -> tuple[list[str], list[int]]:
    """The words and their cumulative weights (for `rng.choices(cum_weights=...)`: passing plain
    weights would re-sum all 60,000 of them on every call; the draws are the same)."""
    import itertools

    import jieba

    path = Path(jieba.__file__).parent / "dict.txt"
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        word, freq, *_ = line.split(" ")
        if 2 <= len(word) <= 4 and all("\u4e00" <= ch <= "\u9fff" for ch in word):
            rows.append((int(freq), word))
    rows.sort(reverse=True)
    rows = rows[:limit]
    return [w for _, w in rows], list(itertools.accumulate(f for f, _ in rows))


def paragraph(rng: random.Random, chars: int, vocab: tuple[list[str], list[int]], drawn: set[str] | None = None) -> str:
    words, cum = vocab
    out = ""
    while len(out) < chars:
        a, b = rng.choices(words, cum_weights=cum, k=rng.randint(4, 9)), rng.choices(words, cum_weights=cum, k=rng.randint(4, 9))
        out += "".join(a) + "，" + "".join(b) + "。"
        if drawn is not None:
            drawn.update(a + b)
    return out


def make_library(dest: Path, n: int, seed: int = 7, drawn: dict[str, set[str]] | None = None) -> list[str]:
    """n vocabulary-valid cases with 1.5-3 KB bodies; returns the titles. Deterministic.
    `drawn` gets, per case id, the words its body was written with."""
    import yaml

    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    shutil.copy(REPO / "cases" / "taxonomy.yml", dest / "taxonomy.yml")
    tax = yaml.safe_load((dest / "taxonomy.yml").read_text(encoding="utf-8"))
    rng = random.Random(seed)
    vocab = vocabulary()
    titles = []
    for i in range(n):
        cid = f"case-{i:05d}"
        title = f"“{rng.choice(WORDS)}{rng.choice(WORDS)}”工作法第{i}号"
        titles.append(title)
        meta = {
            "id": cid, "title": title, "organization": f"示例企业{i}号党支部", "org_type": rng.choice(tax["org_type"]),
            "party_org": rng.choice(tax["party_org"]), "region": rng.choice(tax["region"]), "industry": rng.choice(tax["industry"]),
            "category": rng.sample(tax["category"], 2), "tags": rng.sample(tax["tags"], 3),
            "summary": paragraph(rng, 60, vocab)[:100], "date": dt.date(2020, 1, 1) + dt.timedelta(days=rng.randrange(2000)),
            "source": "合成测试数据（基准测试用，非真实单位）", "featured": i < 6,
        }
        budget = rng.randrange(1500, 3000) // 3  # UTF-8: ~3 bytes per character
        words = drawn.setdefault(cid, set()) if drawn is not None else None
        body = [f"## 基本情况\n\n{paragraph(rng, budget // 4, vocab, words)}", f"## 主要做法\n\n{paragraph(rng, budget // 2, vocab, words)}",
                f"## 取得成效\n\n{paragraph(rng, budget // 4, vocab, words)}" if i % 10 else "## 取得成效\n\n待补充"]
        text = "---\n" + yaml.safe_dump(meta, allow_unicode=True, sort_keys=False) + "---\n\n" + "\n\n".join(body) + "\n"
        (dest / f"{cid}.md").write_text(text, encoding="utf-8")
    return titles


# Peak memory is read in a small launcher process: a child forked straight from this script
# would report this script's own (large) footprint as its high-water mark.
LAUNCHER = """
import os, resource, subprocess, sys
out = open(os.environ["BENCH_STDOUT"], "w") if os.environ.get("BENCH_STDOUT") else subprocess.DEVNULL
code = subprocess.run(sys.argv[1:], stdout=out).returncode
print("maxrss", resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)
sys.exit(code)
"""


def run(cmd: list[str], env: dict | None = None, cwd: Path = REPO, log: list[str] | None = None) -> tuple[float, float]:
    """Wall seconds and peak RSS in MB (the largest process of the command); its stderr to `log`."""
    start = time.perf_counter()
    proc = subprocess.run([PY, "-c", LAUNCHER, *cmd], cwd=cwd, env=env or ENV, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"failed: {' '.join(cmd)}\n{proc.stderr[-2000:]}")
    maxrss = int(re.findall(r"^maxrss (\d+)$", proc.stderr, re.M)[-1])
    if log is not None:
        log.append(proc.stderr)
    return seconds, maxrss / 1024


# Reports the CPU time of the search index build (search.build_search_files, run by the plugin in
# MkDocs' process under `casebook build`): a sitecustomize module on PYTHONPATH wraps it in every
# Python process of the build. (Importing the plugin early costs each process about a second.)
TIMING_HOOK = """
import sys, time
try:
    from casebook.site import plugin
except Exception:
    plugin = None
if plugin is not None:
    real = plugin.build_search_files
    def timed(data, is_case):
        start = time.process_time()
        files = real(data, is_case)
        print(f"bench: search index {time.process_time() - start:.3f} s CPU", file=sys.stderr)
        return files
    plugin.build_search_files = timed
"""


def timed_env() -> dict:
    hook = OUT / "hook"
    hook.mkdir(parents=True, exist_ok=True)
    (hook / "sitecustomize.py").write_text(TIMING_HOOK, encoding="utf-8")
    return dict(ENV, PYTHONPATH=os.pathsep.join(filter(None, [str(hook), ENV.get("PYTHONPATH")])))


def search_files(site: Path) -> dict:
    files = [p for p in (site / "search").rglob("*") if p.is_file()]
    return {"index_files": len(files), "index_bytes": sum(p.stat().st_size for p in files),
            "index_gzip_bytes": sum(len(gzip.compress(p.read_bytes(), 6)) for p in files)}


FLOOR = """
import sys, yaml
from pathlib import Path
L = yaml.CSafeLoader
for p in sorted(Path(sys.argv[1]).rglob('*.md')):
    text = p.read_text(encoding='utf-8')
    end = text.find('\\n---', 3)
    yaml.load(text[4:end], Loader=L)
"""


def bare_site(lib: Path, dest: Path) -> Path:
    """The same rendered pages in a plain docs folder, same theme/search settings, no plugin."""
    sys.path.insert(0, str(REPO / "scripts"))
    from casebook.core.index import build_index
    from casebook.core.library import load_library
    from casebook.site.render import Options, render_site

    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(REPO / "docs", dest / "docs")
    site = render_site(build_index(load_library(lib)), Options())
    for uri, text in {**site.pages, **site.files}.items():
        path = dest / "docs" / uri
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    config = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    config = re.sub(r"  - casebook:\n      cases: .*\n", "", config)
    # Same templates (关怀模式, zh-CN): without the plugin, overrides/main.html keeps Material's worker.
    config = config.replace("  custom_dir: overrides", f"  custom_dir: {(REPO / 'overrides').as_posix()}")
    (dest / "mkdocs.yml").write_text(config, encoding="utf-8")
    return dest / "mkdocs.yml"


def without_cache(site: Path) -> Path:
    """`site`, its page cache removed: the build measured is a first build (it writes the cache),
    whatever an earlier benchmark run left there."""
    sys.path.insert(0, str(REPO / "scripts"))
    from casebook.site.pagecache import cache_file

    cache_file(site).unlink(missing_ok=True)
    return site


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def serve_rebuild(lib: Path) -> tuple[float, float]:
    """(cold build s, rebuild s after editing one case) as reported by `mkdocs serve --dirty` (make serve)."""
    env = dict(ENV, CASEBOOK_CASES=str(lib))
    proc = subprocess.Popen([PY, "-m", "mkdocs", "serve", "--dirty", "-a", "127.0.0.1:8765"], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
    times = []
    edited = False
    deadline = time.monotonic() + 900
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            m = re.search(r"Documentation built in ([\d.]+) seconds", line)
            if m:
                times.append(float(m.group(1)))
                if not edited:
                    time.sleep(1)
                    case = sorted(lib.glob("*.md"))[len(times)]
                    case.write_text(case.read_text(encoding="utf-8") + "\n补充一句：基准测试编辑。\n", encoding="utf-8")
                    edited = True
                elif len(times) >= 2:
                    break
            if time.monotonic() > deadline:
                break
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait()
    return (times + [float("nan")] * 2)[0], (times + [float("nan")] * 2)[1]


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def measure_preview(lib: Path, edits: int = 3) -> dict:
    """`casebook serve` (make serve) as an editor uses it: seconds from starting it to the first
    case page served; then, in headless Chromium showing that case page, seconds from writing a new
    title into the case file to the page showing it (reloaded by itself), and to the overview
    (a listing) holding it, for each of `edits` edits; then seconds from the start until search
    works (the first index is served); last, seconds from saving one more new title to
    search finding it (the served index answers it as the worker would)."""
    import urllib.request

    from bench_search import CHROMIUM_ARGS
    from playwright.sync_api import sync_playwright

    case = sorted(lib.glob("case-*.md"))[len(list(lib.glob("case-*.md"))) // 2]
    original = case.read_text(encoding="utf-8")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    url = f"{base}/cases/{case.stem}/"
    start = time.perf_counter()
    log = (OUT / f"serve-{lib.name}.log").open("wb")  # the preview's terminal, for a figure that looks wrong
    proc = subprocess.Popen([PY, "-u", "-m", "casebook", "serve", "--cases", str(lib), "--port", str(port)], cwd=REPO, env=ENV,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    log.close()

    def get(address: str) -> str | None:
        try:
            with urllib.request.urlopen(address, timeout=30) as response:
                return response.read().decode("utf-8")
        except OSError:
            return None

    r: dict = {}
    try:
        while get(url) is None:
            if proc.poll() is not None or time.perf_counter() - start > 600:
                raise SystemExit(f"casebook serve did not serve {url}")
            time.sleep(0.05)
        r["first_page_s"] = time.perf_counter() - start
        visible, listed = [], []
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"), args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.goto(url)
            for i in range(edits):
                time.sleep(3)  # the earlier edit's listings settle; the page is waiting for the next
                title = f"基准编辑第{i}次标题{random.randrange(10**6)}"
                text = re.sub(r"^title: .*$", f"title: {title}", original, count=1, flags=re.M)
                written = time.perf_counter()
                case.write_text(text, encoding="utf-8")
                page.wait_for_function("t => document.querySelector('h1') && document.querySelector('h1').textContent.includes(t)",
                                       arg=title, timeout=600_000, polling="raf")  # 20,000 cases: an edit can wait for the re-assembly (~70 s)
                visible.append(time.perf_counter() - written)
                while title not in (get(f"{base}/overview/") or ""):
                    if time.perf_counter() - written > 120:
                        break
                    time.sleep(0.05)
                listed.append(time.perf_counter() - written)
            browser.close()
        r["edit_visible_s"], r["edit_listed_s"] = visible, listed
        while get(f"{base}/search/search_index.json") is None:  # the first search index
            if time.perf_counter() - start > 900:
                break
            time.sleep(0.5)
        r["search_ready_s"] = time.perf_counter() - start  # (at the earliest when the edits above are done)
        said = (OUT / f"serve-{lib.name}.log").read_text(encoding="utf-8", errors="replace")
        started, ready = re.search(r"案例，([\d.]+) 秒）", said), re.search(r"搜索可用：启动后 ([\d.]+) 秒", said)
        if started and ready:  # what the preview says: loaded after X s, search Y s after that
            r["search_ready_s"] = float(started[1]) + float(ready[1])
        r["search_edit_s"] = search_after_edit(case, original, base, get, caught_up=title)
        r["edit_in_search_s"] = saves_during_search(case, original, url, OUT / f"serve-{lib.name}.log")
    finally:
        case.write_text(original, encoding="utf-8")
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait()
    return r


def saves_during_search(case: Path, original: str, url: str, log: Path, offsets=(0.0, 0.5, 1.0, 2.0, 3.0)) -> list[float]:
    """Seconds from a save to the page showing it in Chromium, for saves made while the preview's
    search index is being brought up to date: a first save, then, `offset` seconds after the
    preview says it has caught up with it (its step 2 done: the pages it changed, the overview and
    facet pages among them, are then rendered for search), a second save, timed."""
    from bench_search import CHROMIUM_ARGS
    from playwright.sync_api import sync_playwright

    def caught_up() -> int:
        return log.read_text(encoding="utf-8", errors="replace").count("已更新（")

    def save(title: str) -> None:
        case.write_text(re.sub(r"^title: .*$", f"title: {title}", original, count=1, flags=re.M), encoding="utf-8")

    timed = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"), args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(url)
        for offset in offsets:
            time.sleep(3)
            before = caught_up()
            save(f"基准搜索中第一次{random.randrange(10**6)}")
            waited = time.perf_counter()
            while caught_up() == before and time.perf_counter() - waited < 300:
                time.sleep(0.02)
            time.sleep(offset)
            title = f"基准搜索中保存{random.randrange(10**6)}"
            written = time.perf_counter()
            save(title)
            page.wait_for_function("t => document.querySelector('h1') && document.querySelector('h1').textContent.includes(t)",
                                   arg=title, timeout=600_000, polling="raf")
            timed.append(time.perf_counter() - written)
        browser.close()
    return timed


def search_after_edit(case: Path, original: str, base: str, get, caught_up: str) -> float:
    """Seconds from writing a new title into `case` to the served search index finding it, once
    search has caught up with the earlier edits (finds `caught_up`, the last title written)."""
    from casebook.site.search import Index

    class Fetched(dict):  # the search files, each fetched from the preview when first read
        def __missing__(self, name: str) -> str:
            text = get(f"{base}/{name}")
            if text is None:
                raise KeyError(name)
            self[name] = text
            return text

    def found(title: str) -> bool:
        try:
            return bool(Index(Fetched()).search(title))
        except (KeyError, ValueError):  # a build being swapped in: ask again
            return False

    waited = time.perf_counter()
    while not found(caught_up) and time.perf_counter() - waited < 900:  # the index for the earlier edits may be under way
        time.sleep(0.5)
    time.sleep(3)
    title = f"基准搜索标题{random.randrange(10**6)}"
    written = time.perf_counter()
    case.write_text(re.sub(r"^title: .*$", f"title: {title}", original, count=1, flags=re.M), encoding="utf-8")
    while not found(title) and time.perf_counter() - written < 900:
        time.sleep(0.5)
    return time.perf_counter() - written


def measure_book(lib: Path, n: int) -> dict:
    """casebook book, PDF and DOCX run separately (each a fresh process: load, index, typeset)."""
    from pypdf import PdfReader

    out = OUT / f"book-{n}"
    shutil.rmtree(out, ignore_errors=True)
    r: dict = {}
    for fmt in ("pdf", "docx"):
        r[f"book_{fmt}_s"], r[f"book_{fmt}_mb"] = run([PY, "-m", "casebook", "book", "--cases", str(lib), "--out", str(out), "--format", fmt])
        paths = sorted(out.glob(f"*.{fmt}"))  # one file per volume (a large library has several)
        r[f"book_{fmt}_bytes"] = sum(path.stat().st_size for path in paths)
        if fmt == "pdf":
            r["book_pages"] = sum(len(PdfReader(path).pages) for path in paths)
            r["book_volumes"] = len(paths)
    return r


def measure(n: int, skip_browser: bool, skip_serve: bool, book_only: bool = False, search_only: bool = False,
            serve_only: bool = False) -> dict:
    lib = OUT / f"lib-{n}"
    make_library(lib, n)
    r: dict = {"cases": n}
    if serve_only:
        r["preview"] = measure_preview(lib)
        return r
    if not search_only:
        r.update(measure_book(lib, n))
    if book_only:
        return r
    if not search_only:
        r["validate_s"], r["validate_mb"] = run([PY, "-m", "casebook", "validate", "--cases", str(lib)])
        r["floor_s"], _ = run([PY, "-c", FLOOR, str(lib)])
    site = OUT / f"site-{n}"
    log: list[str] = []
    r["build_s"], r["build_mb"] = run([PY, "-m", "casebook", "build", "--cases", str(lib), "--site-dir", str(without_cache(site))], env=timed_env(), log=log)
    r["index_cpu_s"] = float(re.findall(r"bench: search index ([\d.]+) s CPU", log[0])[-1])
    if not search_only:
        bare = bare_site(lib, OUT / f"bare-{n}")
        r["bare_s"], r["bare_mb"] = run([PY, "-m", "mkdocs", "build", "-q", "-f", str(bare), "-d", str(OUT / f"bare-site-{n}")])
        r["bare_index_bytes"] = (OUT / f"bare-site-{n}" / "search" / "search_index.json").stat().st_size
    r.update(search_files(site))
    r["site_bytes"] = dir_size(site)
    offline = OUT / f"offline-{n}"
    dist = OUT / f"dist-{n}"
    shutil.rmtree(dist, ignore_errors=True)
    run([PY, "-m", "casebook", "build", "--cases", str(lib), "--site-dir", str(without_cache(offline)), "--offline", "--zip", str(dist)])
    r["zip_bytes"] = sum(p.stat().st_size for p in dist.glob("*.zip"))
    if not skip_browser:
        from bench_search import design_figures, measure_pagefind, measure_substrings, pagefind_index, substring_queries, visible_texts

        texts = {"online": visible_texts(site), "offline": visible_texts(offline)}
        queries = substring_queries(texts["online"])
        r["query_words"] = queries
        r["design"] = design_figures(site, texts["online"], queries)
        for flavour, root in (("online", site), ("offline", offline)):
            r[flavour] = measure_substrings(root, flavour, texts[flavour], queries)
        pagefind = pagefind_index(site)  # writes site/pagefind/, after our measurements
        r["pagefind"] = {**{k: v for k, v in pagefind.items() if k != "urls"}, **measure_pagefind(site, texts["online"], queries, pagefind["urls"])}
    if not skip_serve and not search_only and n == 2000:
        r["serve_cold_s"], r["serve_rebuild_s"] = serve_rebuild(lib)
    if not skip_serve and not search_only and not skip_browser:
        r["preview"] = measure_preview(lib)
    return r


# -- make site's steps (issue 22): validate, book, build, offline build + zip, at any size --------------

SITE_STEPS = ("validate", "book", "build", "offline")


def measure_site_steps(n: int) -> dict:
    """`make site`'s steps on a generated library of n cases, each a fresh process as make runs
    it: time and peak memory (the largest process) per step, the stage lines each printed, site,
    offline copy and zip sizes, the book's volumes and pages."""
    from pypdf import PdfReader

    lib = OUT / f"lib-{n}"
    start = time.perf_counter()
    make_library(lib, n)
    r: dict = {"cases": n, "generate_s": time.perf_counter() - start}
    book, site, offline, dist = (OUT / f"{what}-{n}" for what in ("book", "site", "offline", "dist"))
    for path in (book, dist):
        shutil.rmtree(path, ignore_errors=True)
    without_cache(site), without_cache(offline)
    casebook = [PY, "-m", "casebook"]
    steps = {
        "validate": casebook + ["validate", "--cases", str(lib)],
        "book": casebook + ["book", "--cases", str(lib), "--out", str(book)],
        "build": casebook + ["build", "--cases", str(lib), "--site-dir", str(site), "--downloads", str(book)],
        "offline": casebook + ["build", "--cases", str(lib), "--site-dir", str(offline), "--offline", "--zip", str(dist),
                               "--downloads", str(book)],
    }
    for step in SITE_STEPS:
        print(f"… {n} 个案例：{step}", file=sys.stderr, flush=True)
        lines = OUT / f"{step}-{n}.txt"
        r[f"{step}_s"], r[f"{step}_mb"] = run(steps[step], env=dict(ENV, BENCH_STDOUT=str(lines)))
        r[f"{step}_lines"] = lines.read_text(encoding="utf-8").splitlines()[-40:]  # validate: the summary, not every warning
    pdfs = sorted(book.glob("*.pdf"))
    pages = [len(PdfReader(p).pages) for p in pdfs]
    r.update(volumes=len(pdfs), pages=sum(pages), max_volume_pages=max(pages, default=0),
             pdf_bytes=sum(p.stat().st_size for p in pdfs), docx_bytes=sum(p.stat().st_size for p in book.glob("*.docx")),
             site_bytes=dir_size(site), offline_bytes=dir_size(offline), zip_bytes=sum(p.stat().st_size for p in dist.glob("*.zip")))
    return r


def measure_rebuild(n: int) -> dict:
    """The page cache (issue 22): a cold `casebook build` that fills the cache, one case's body
    edited, the rebuild on the same folder, and a cold `--no-cache` build of the edited library
    for comparison; the two sites must be byte-identical."""
    lib, work = OUT / f"lib-{n}", OUT / f"rebuild-{n}"
    make_library(lib, n)
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(lib, work / "cases")
    site, cold = work / "site", work / "cold"
    casebook = [PY, "-m", "casebook", "build", "--cases", str(work / "cases")]
    r: dict = {"cases": n}
    for step, args in (("first", ["--site-dir", str(site)]), ("rebuild", ["--site-dir", str(site)]),
                       ("cold", ["--site-dir", str(cold), "--no-cache"])):
        if step == "rebuild":  # one case's first paragraph gets a sentence more
            case = sorted((work / "cases").glob("*.md"))[n // 2]
            head, body = case.read_text(encoding="utf-8").split("\n---\n", 1)
            case.write_text(head + "\n---\n" + body.replace("。", "。这一句是重建时加的。", 1), encoding="utf-8")
        print(f"… {n} 个案例：{step}", file=sys.stderr, flush=True)
        lines = work / f"{step}.txt"
        r[f"{step}_s"], r[f"{step}_mb"] = run(casebook + args, env=dict(ENV, BENCH_STDOUT=str(lines)))
        r[f"{step}_lines"] = lines.read_text(encoding="utf-8").splitlines()
    differ = [p.relative_to(site).as_posix() for p in sorted(site.rglob("*"))
              if p.is_file() and p.read_bytes() != (cold / p.relative_to(site)).read_bytes()]
    r["identical"] = not differ and dir_size(site) == dir_size(cold)
    r["differ"] = differ[:10]
    return r


def step_cell(r: dict, step: str) -> str:
    """A table cell: a step's time and peak memory."""
    return f"{r[step + '_s']:.1f} s，{r[step + '_mb']:,.0f} MB"


def rebuild_report(rows: list[dict]) -> str:
    lines = ["| 案例数 | 第一次构建（写缓存） | 改一个案例后重建 | 不用缓存的冷构建 | 重建 ÷ 冷构建 | 与冷构建逐字节相同 |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['cases']:,} | {step_cell(r, 'first')} | {step_cell(r, 'rebuild')} | {step_cell(r, 'cold')} "
                     f"| {r['rebuild_s'] / r['cold_s']:.0%} | {'是' if r['identical'] else '否：' + '、'.join(r['differ'])} |")
    for r in rows:
        lines += ["", f"{r['cases']:,} 个案例，重建的进度行：", "", "```text", *r["rebuild_lines"], "```"]
    return "\n".join(lines)


def site_steps_report(rows: list[dict]) -> str:
    lines = ["| 案例数 | validate | build | 离线版 + zip | 案例汇编（PDF + Word） | 站点 | 离线版 | zip | 分册 | PDF 页数（最厚一册） |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['cases']:,} | {step_cell(r, 'validate')} | {step_cell(r, 'build')} | {step_cell(r, 'offline')} | {step_cell(r, 'book')} "
                     f"| {r['site_bytes'] / 1e6:,.0f} MB | {r['offline_bytes'] / 1e6:,.0f} MB | {r['zip_bytes'] / 1e6:,.0f} MB "
                     f"| {r['volumes']} | {r['pages']:,}（{r['max_volume_pages']:,}） |")
    base = min(rows, key=lambda r: r["cases"])
    for r in rows:
        if r is not base:
            ratios = "；".join(f"{step} {(r[step + '_s'] / r['cases']) / (base[step + '_s'] / base['cases']):.2f} 倍"
                              for step in SITE_STEPS)
            lines.append(f"\n每案例时间，{r['cases']:,} 对 {base['cases']:,} 案例：{ratios}。")
    return "\n".join(lines)


# -- Word import (issue 19.3): time and memory grow with the document, never past the limits --------

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
# A paragraph as Word saves it: revision ids, East-Asian fonts, size, spacing on every run.
RUN_PROPS = ('<w:rPr><w:rFonts w:ascii="仿宋_GB2312" w:eastAsia="仿宋_GB2312" w:hAnsi="仿宋_GB2312" w:hint="eastAsia"/>'
             '<w:sz w:val="32"/><w:szCs w:val="32"/><w:lang w:val="en-US" w:eastAsia="zh-CN"/></w:rPr>')
PARAGRAPH = ('<w:p w:rsidR="00A1B2C3" w:rsidRDefault="00A1B2C3"><w:pPr><w:spacing w:line="560" w:lineRule="exact"/>'
             '<w:ind w:firstLineChars="200" w:firstLine="640"/><w:jc w:val="both"/>' + RUN_PROPS + "</w:pPr>"
             + "".join(f'<w:r w:rsidRPr="00B7C8D9">{RUN_PROPS}<w:t>{t}</w:t></w:r>' for t in ("党员司机挂牌上岗，", "设立党员示范车，车队获得乘客好评，", "公司现有员工三百人。"))
             + "</w:p>")


def large_docx(path: Path, paragraphs: int) -> int:
    """A .docx of `paragraphs` paragraphs as Word writes them (~1.2 KB of XML each): a title, the four
    standard sections, a numbered subheading every 50 paragraphs. Returns document.xml's size."""
    import io
    import zipfile

    import docx

    buf = io.BytesIO()
    docx.Document().save(buf)
    size = 0
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename != "word/document.xml":
                dst.writestr(info.filename, src.read(info.filename))
        with dst.open("word/document.xml", "w", force_zip64=True) as out:
            def write(text: str) -> None:
                nonlocal size
                data = text.encode()
                size += len(data)
                out.write(data)
            write(f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="{W_NS}"><w:body>')
            write('<w:p><w:pPr><w:pStyle w:val="Title"/></w:pPr><w:r><w:t>基准测试工作法</w:t></w:r></w:p>')
            sections = ("一、基本情况", "二、主要做法", "三、取得成效", "四、经验启示")
            per_section = max(1, paragraphs // 4)
            for i in range(paragraphs - 1):
                if i % per_section == 0 and i // per_section < 4:
                    write(f"<w:p><w:r><w:t>{sections[i // per_section]}</w:t></w:r></w:p>")
                elif i % 50 == 0:
                    write(f"<w:p><w:r><w:t>（{i // 50 % 10 + 1}）第{i}段的小标题</w:t></w:r></w:p>")
                else:
                    write(PARAGRAPH)
            write("<w:sectPr/></w:body></w:document>")
    return size


# Like LAUNCHER, with the CPU seconds too: on a shared machine wall time is noisy, CPU time much less.
IMPORT_LAUNCHER = """
import resource, subprocess, sys
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(code, usage.ru_utime + usage.ru_stime, usage.ru_maxrss)
"""


def run_import(cmd: list[str], expect: int = 0) -> tuple[float, float, float]:
    """(wall s, CPU s, peak RSS MB) of one casebook process that must exit with `expect`."""
    start = time.perf_counter()
    proc = subprocess.run([PY, "-c", IMPORT_LAUNCHER, *cmd], cwd=REPO, env=ENV, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    code, cpu, rss = proc.stdout.split()
    if int(code) != expect:
        raise SystemExit(f"exit {code} (expected {expect}): {' '.join(cmd)}")
    return wall, float(cpu), int(rss) / 1024


def measure_import(sizes: list[int], libraries: list[int]) -> dict:
    """casebook import of generated documents (each a fresh process, into a fresh library), --split
    of the 案例汇编 of generated libraries, and peak memory while refusing oversized files."""
    import zipfile

    out = OUT / "import"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    rows: dict = {"documents": [], "split": [], "refused": []}

    def fresh_library(name: str) -> Path:
        lib = out / name
        lib.mkdir()
        shutil.copy(REPO / "cases" / "taxonomy.yml", lib / "taxonomy.yml")
        return lib

    for n in sizes:
        doc = out / f"doc-{n}.docx"
        xml_bytes = large_docx(doc, n)
        seconds, cpu, mb = run_import([PY, "-m", "casebook", "import", str(doc), "--cases", str(fresh_library(f"lib-doc-{n}")), "--id", "bench"])
        rows["documents"].append({"paragraphs": n, "file_bytes": doc.stat().st_size, "xml_bytes": xml_bytes, "s": seconds, "cpu": cpu, "mb": mb})
    for n in libraries:
        lib = OUT / f"lib-{n}"
        if not lib.is_dir():
            make_library(lib, n)
        book_dir = out / f"book-{n}"
        shutil.rmtree(book_dir, ignore_errors=True)
        # one volume: the import reads a whole 案例汇编 back (a large library would be split in volumes)
        run([PY, "-m", "casebook", "book", "--cases", str(lib), "--out", str(book_dir), "--format", "docx", "--volume-pages", "1000000"])
        (book,) = book_dir.glob("*.docx")
        target = fresh_library(f"lib-split-{n}")
        seconds, cpu, mb = run_import([PY, "-m", "casebook", "import", str(book), "--cases", str(target), "--split"])
        rows["split"].append({"cases": n, "written": len(list(target.glob("*.md"))), "file_bytes": book.stat().st_size, "s": seconds, "cpu": cpu, "mb": mb})
    refused = {
        "一个 150 MB 的段落（解压前 0.4 MB）": ("<w:p>", "<w:r><w:t>党建</w:t></w:r>", "</w:p>", 6_000_000),
        "400 万个段落（解压后 136 MB，解压前 0.5 MB）": ("", "<w:p><w:r><w:t>党</w:t></w:r></w:p>", "", 4_000_000),
    }
    for label, (head, middle, tail, count) in refused.items():
        path = out / "refused.docx"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            with z.open("[Content_Types].xml", "w") as f:
                f.write(b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
            z.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                                      '<Relationship Id="r1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>')
            with z.open("word/document.xml", "w", force_zip64=True) as f:
                f.write(f'<?xml version="1.0"?><w:document xmlns:w="{W_NS}"><w:body>{head}'.encode())
                block = middle.encode() * 1000
                for _ in range(count // 1000):
                    f.write(block)
                f.write(f"{tail}</w:body></w:document>".encode())
        seconds, cpu, mb = run_import([PY, "-m", "casebook", "import", str(path), "--cases", str(fresh_library(f"lib-refused-{len(rows['refused'])}"))], expect=2)
        rows["refused"].append({"label": label, "s": seconds, "cpu": cpu, "mb": mb})
    return rows


def import_report(rows: dict) -> str:
    lines = ["| 段落 | 文件 | document.xml | casebook import（墙钟 / CPU） | 每万段 CPU | 峰值内存 |", "|---|---|---|---|---|---|"]
    for r in rows["documents"]:
        lines.append(f"| {r['paragraphs']:,} | {r['file_bytes'] / 1e6:.1f} MB | {r['xml_bytes'] / 1e6:.0f} MB | {r['s']:.1f} s / {r['cpu']:.1f} s "
                     f"| {r['cpu'] / r['paragraphs'] * 10_000:.2f} s | {r['mb']:.0f} MB |")
    if rows["split"]:
        lines += ["", "| 案例汇编（casebook book 的 .docx） | 文件 | import --split（墙钟 / CPU） | 写出的草稿 | 峰值内存 |", "|---|---|---|---|---|"]
        for r in rows["split"]:
            lines.append(f"| {r['cases']:,} 个案例 | {r['file_bytes'] / 1e6:.1f} MB | {r['s']:.1f} s / {r['cpu']:.1f} s | {r['written']:,} | {r['mb']:.0f} MB |")
    lines += ["", "| 拒绝的文件 | 用时（墙钟 / CPU） | 峰值内存 |", "|---|---|---|"]
    lines += [f"| {r['label']} | {r['s']:.1f} s / {r['cpu']:.1f} s | {r['mb']:.0f} MB |" for r in rows["refused"]]
    return "\n".join(lines)


def book_report(rows: list[dict]) -> str:
    lines = ["| 案例数 | PDF（Typst） | 峰值内存 | DOCX（python-docx） | 峰值内存 | 合计 | PDF 页数 | PDF 大小 | DOCX 大小 |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(
            f"| {r['cases']:,} | {r['book_pdf_s']:.1f} s | {r['book_pdf_mb']:.0f} MB | {r['book_docx_s']:.1f} s | {r['book_docx_mb']:.0f} MB "
            f"| {r['book_pdf_s'] + r['book_docx_s']:.1f} s | {r['book_pages']:,} | {r['book_pdf_bytes'] / 1e6:.1f} MB | {r['book_docx_bytes'] / 1e6:.1f} MB |"
        )
    return "\n".join(lines)


def preview_report(rows: list[dict]) -> str:
    lines = ["| 案例数 | 启动到第一个案例页 | 保存 → 页面显示新标题（每次） | 保存 → 案例总览显示新标题（每次） | 启动到搜索可用 "
             "| 保存 → 搜索找到新标题 | 搜索索引更新中保存 → 页面显示（每次） |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        p = r["preview"]
        searched = f"{p['search_edit_s']:.0f} s" if "search_edit_s" in p else "—"  # rows saved before it was measured
        in_search = " / ".join(f"{s:.2f}" for s in p["edit_in_search_s"]) + " s" if "edit_in_search_s" in p else "—"
        lines.append(f"| {r['cases']:,} | {p['first_page_s']:.1f} s | {' / '.join(f'{s:.2f}' for s in p['edit_visible_s'])} s "
                     f"| {' / '.join(f'{s:.1f}' for s in p['edit_listed_s'])} s | {p['search_ready_s']:.0f} s | {searched} | {in_search} |")
    return "\n".join(lines)


def report(rows: list[dict]) -> str:
    by = {r["cases"]: r for r in rows}
    lines = []
    full = [r for r in rows if "validate_s" in r]
    if full:
        lines += ["| 案例数 | validate | 下限 floor | 倍数 | build | 纯 Material | 倍数 | 每案例 build | 峰值内存 | 站点 | 离线包 |",
                  "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in full:
        lines.append(
            f"| {r['cases']:,} | {r['validate_s']:.2f} s | {r['floor_s']:.2f} s | {r['validate_s'] / r['floor_s']:.2f}× "
            f"| {r['build_s']:.1f} s | {r['bare_s']:.1f} s | {r['build_s'] / r['bare_s']:.2f}× "
            f"| {r['build_s'] / r['cases'] * 1000:.1f} ms | {max(r['build_mb'], r['validate_mb']):.0f} MB "
            f"| {r['site_bytes'] / 1e6:.0f} MB | {r['zip_bytes'] / 1e6:.1f} MB |"
        )
    if 500 in by and 5000 in by and "validate_s" in by[500]:
        ratio = (by[5000]["build_s"] / 5000) / (by[500]["build_s"] / 500)
        lines.append(f"\n线性：5,000 案例的每案例 build 时间是 500 案例的 {ratio:.2f} 倍。")
    for r in rows:
        if "serve_rebuild_s" in r:
            lines.append(f"\nmkdocs serve（{r['cases']:,} 案例）：冷启动构建 {r['serve_cold_s']:.1f} s，编辑一个案例后重建 {r['serve_rebuild_s']:.1f} s"
                         f"（{r['serve_rebuild_s'] / r['serve_cold_s']:.2f}×）。")
    searched = [r for r in rows if "online" in r]
    if searched:
        lines += ["", "| 案例数 | 引擎 | 访问方式 | 首次查询下载（gzip；其中搜索文件） | 召回 | 精确 | 首个结果 | 之后的查询（中位/最慢） | worker 堆 | 索引（磁盘；文件数） | 建索引 |",
                  "|---|---|---|---|---|---|---|---|---|---|---|"]
        for r in searched:
            for key, engine, label in (("online", "casebook", "http://127.0.0.1"), ("offline", "casebook", "file://（离线包）"),
                                       ("pagefind", "Pagefind", "http://127.0.0.1")):
                if key not in r:  # a run that measured part of it
                    continue
                s = r[key]
                hit, expected, found = s["recall"]
                index = (f"{r['index_bytes'] / 1e6:.1f} MB；{r['index_files']:,}" if key != "pagefind" else f"{s['bytes'] / 1e6:.1f} MB；{s['files']:,}")
                build = (f"{r['index_cpu_s']:.1f} s CPU（{r['index_cpu_s'] / r['cases'] * 1000:.2f} ms/案例）" if "index_cpu_s" in r else "—") \
                    if key != "pagefind" else f"{s['seconds']:.1f} s"
                heap = f"{s['heap_mb']:.1f} MB" if "heap_mb" in s else "—"
                lines.append(f"| {r['cases']:,} | {engine} | {label} | {s['first_bytes'] / 1024:,.0f} KB；{s['first_search_bytes'] / 1024:,.0f} KB "
                             f"| {hit:,}/{expected:,}（{hit / max(expected, 1):.1%}） | {hit / max(found, 1):.1%} | {s['first_ms']:.0f} ms "
                             f"| {s['later_median_ms']:.0f} / {s['later_max_ms']:.0f} ms | {heap} | {index} | {build} |")
        lines.append("")
        for r in searched:
            for key in ("online", "pagefind"):
                per = r[key]["by_length"]
                lines.append(f"{r['cases']:,} 案例，{'casebook' if key == 'online' else 'Pagefind'} 按查询长度的召回："
                             + "；".join(f"{n} 字 {v[0]:,}/{v[1]:,}" for n, v in sorted(per.items(), key=lambda kv: int(kv[0]))))
            lines.append(f"{r['cases']:,} 案例的查询（{len(r['query_words'])} 个）：{'、'.join(r['query_words'])}")
            d = r.get("design")
            if d:
                lines.append(f"{r['cases']:,} 案例，{d['queries']} 个 3–6 字查询合计：含该字串的页面 {d['exact']:,} 个；只看相邻两字是否都出现（不看位置）会列出 "
                         f"{d['pairs_only']:,} 个；我们下载的位置分片 {d['positions_bytes'] / 1024:,.0f} KB，"
                             f"改为下载候选页面正文逐一核对需 {d['text_check_bytes'] / 1024:,.0f} KB（gzip）。")
    return "\n".join(lines)


SEARCH_ONLY_FROM = 10_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 2000, 5000, 20000])
    parser.add_argument("--skip-browser", action="store_true")
    parser.add_argument("--skip-serve", action="store_true")
    parser.add_argument("--book-only", action="store_true", help="only the 案例汇编 (casebook book)")
    parser.add_argument("--search-only", action="store_true", help="build both flavours and measure search only")
    parser.add_argument("--import-only", action="store_true", help="only Word import (casebook import, --split)")
    parser.add_argument("--serve-only", action="store_true",
                        help="only the preview (casebook serve): start-up to the first case page, edit -> visible in Chromium")
    parser.add_argument("--import-paragraphs", type=int, nargs="+", default=[10_000, 25_000, 50_000, 100_000])
    parser.add_argument("--rebuild-only", action="store_true",
                        help="only the page cache: build, edit one case, rebuild, and compare with a cold build")
    parser.add_argument("--site-steps", action="store_true",
                        help="only make site's steps (validate, book, build, offline + zip) at every size given, 20,000 included")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    if args.serve_only:
        rows = []
        for n in args.sizes:
            print(f"… {n} 个案例（casebook serve）", file=sys.stderr, flush=True)
            rows.append(measure(n, False, False, serve_only=True))
            print(json.dumps(rows[-1], ensure_ascii=False), file=sys.stderr, flush=True)
        print("casebook serve：\n\n" + preview_report(rows))
        return
    if args.rebuild_only:
        rows = [measure_rebuild(n) for n in args.sizes]
        print(json.dumps(rows, ensure_ascii=False), file=sys.stderr, flush=True)
        print(rebuild_report(rows))
        return
    if args.site_steps:
        rows = []
        for n in args.sizes:
            rows.append(measure_site_steps(n))
            print(json.dumps(rows[-1], ensure_ascii=False), file=sys.stderr, flush=True)
        print(site_steps_report(rows))
        return
    if not args.search_only and not args.book_only:
        print("… Word 导入", file=sys.stderr, flush=True)
        imported = measure_import(args.import_paragraphs, args.sizes)
        print(json.dumps(imported, ensure_ascii=False), file=sys.stderr, flush=True)
        print("Word 导入（casebook import）：\n\n" + import_report(imported) + "\n")
    if args.import_only:
        return
    rows = []
    for n in args.sizes:
        print(f"… {n} 个案例", file=sys.stderr, flush=True)
        if n >= SEARCH_ONLY_FROM and args.book_only:
            continue
        rows.append(measure(n, args.skip_browser, args.skip_serve, args.book_only, args.search_only or n >= SEARCH_ONLY_FROM))
        print(json.dumps(rows[-1], ensure_ascii=False), file=sys.stderr, flush=True)
    if not args.book_only:
        print(report(rows))
    previewed = [r for r in rows if "preview" in r]
    if previewed:
        print("\ncasebook serve：\n\n" + preview_report(previewed))
    booked = [r for r in rows if "book_pdf_s" in r]
    if booked:
        print("\n案例汇编（casebook book）：\n\n" + book_report(booked))


if __name__ == "__main__":
    main()
