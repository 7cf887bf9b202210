"""Benchmark: synthetic libraries of 500 / 2,000 / 5,000 cases, measured side by side.

    make bench                      # all sizes, everything
    .venv/bin/python scripts/bench.py --sizes 500 2000 --skip-serve

Prints, per size: validate vs. the floor (read files + CSafeLoader front matter in one process),
casebook build vs. a bare Material build of the same rendered pages (no plugin), time per case,
peak memory, search index bytes, site and offline zip size, the first offline search result in
headless Chromium, and an `mkdocs serve` rebuild after editing one case. Figures, not asserts:
the targets live in docs/guide/performance.md. Libraries go to bench-out/ (git-ignored).
"""

from __future__ import annotations

import argparse
import datetime as dt
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

# A phrase bank in the register of real cases; bodies are random but deterministic per seed.
SUBJECTS = ["党支部", "党委", "党员先锋岗", "党建指导员", "党员志愿服务队", "党群服务中心", "党小组", "党员骨干", "企业工会", "团支部"]
VERBS = ["围绕生产经营", "结合企业实际", "立足岗位职责", "聚焦转型升级", "紧扣发展需求", "依托党建阵地", "坚持问题导向", "发挥示范作用"]
ACTIONS = [
    "开展党员亮身份、亮承诺、亮业绩活动", "建立党员联系职工制度", "组织技术攻关和岗位练兵", "推行“一岗一责”责任清单",
    "定期召开党员大会和主题党日", "设立党员示范岗和责任区", "开展困难职工结对帮扶", "举办党务干部业务培训",
    "推动党建工作与生产经营深度融合", "建设党员活动室和职工书屋", "组织党员到先进单位学习考察", "完善党组织议事规则",
]
RESULTS = ["凝聚了职工队伍", "提升了企业效益", "树立了党员形象", "增强了党组织的影响力", "促进了劳动关系和谐", "带动了技术创新", "赢得了业主支持"]
WORDS = ["车队", "驿站", "工坊", "先锋", "红帆", "同心", "聚力", "匠心", "暖心", "领航", "攻坚", "连心", "桥梁", "纽带", "品牌"]


def sentence(rng: random.Random) -> str:
    return f"{rng.choice(SUBJECTS)}{rng.choice(VERBS)}，{rng.choice(ACTIONS)}，{rng.choice(RESULTS)}。"


def paragraph(rng: random.Random, chars: int) -> str:
    out = ""
    while len(out) < chars:
        out += sentence(rng)
    return out


def make_library(dest: Path, n: int, seed: int = 7) -> list[str]:
    """n vocabulary-valid cases with 1.5-3 KB bodies; returns the titles. Deterministic."""
    import yaml

    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    shutil.copy(REPO / "cases" / "taxonomy.yml", dest / "taxonomy.yml")
    tax = yaml.safe_load((dest / "taxonomy.yml").read_text(encoding="utf-8"))
    rng = random.Random(seed)
    titles = []
    for i in range(n):
        cid = f"case-{i:05d}"
        title = f"“{rng.choice(WORDS)}{rng.choice(WORDS)}”工作法第{i}号"
        titles.append(title)
        meta = {
            "id": cid, "title": title, "organization": f"示例企业{i}号党支部", "org_type": rng.choice(tax["org_type"]),
            "party_org": rng.choice(tax["party_org"]), "region": rng.choice(tax["region"]), "industry": rng.choice(tax["industry"]),
            "category": rng.sample(tax["category"], 2), "tags": rng.sample(tax["tags"], 3),
            "summary": paragraph(rng, 60)[:100], "date": dt.date(2020, 1, 1) + dt.timedelta(days=rng.randrange(2000)),
            "source": "合成测试数据（基准测试用，非真实单位）", "featured": i < 6,
        }
        budget = rng.randrange(1500, 3000) // 3  # UTF-8: ~3 bytes per character
        body = [f"## 基本情况\n\n{paragraph(rng, budget // 4)}", f"## 主要做法\n\n{paragraph(rng, budget // 2)}",
                f"## 取得成效\n\n{paragraph(rng, budget // 4)}" if i % 10 else "## 取得成效\n\n待补充"]
        text = "---\n" + yaml.safe_dump(meta, allow_unicode=True, sort_keys=False) + "---\n\n" + "\n\n".join(body) + "\n"
        (dest / f"{cid}.md").write_text(text, encoding="utf-8")
    return titles


def run(cmd: list[str], env: dict | None = None, cwd: Path = REPO) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB, the process and the children it waited for)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env or ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"failed: {' '.join(cmd)}\n{err[-2000:]}")
    return seconds, usage.ru_maxrss / 1024


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
    from casebook.index import build_index
    from casebook.pipeline import load_library
    from casebook.render import Options, render_site

    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(REPO / "docs", dest / "docs")
    site = render_site(build_index(load_library(lib)), Options())
    for uri, text in {**site.pages, **site.files}.items():
        path = dest / "docs" / uri
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    config = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    config = re.sub(r"  - casebook:\n      cases: .*\n", "", config)
    (dest / "mkdocs.yml").write_text(config, encoding="utf-8")
    return dest / "mkdocs.yml"


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def first_search_ms(site: Path, query: str) -> float:
    """Offline copy over file://: page load to the first search result, in headless Chromium."""
    from playwright.sync_api import sync_playwright

    args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"), args=args)
        page = browser.new_page()
        start = time.perf_counter()
        page.goto((site / "index.html").resolve().as_uri())
        page.fill("input.md-search__input", query)
        page.keyboard.press("End")
        page.wait_for_selector(".md-search-result__item", timeout=60_000)
        elapsed = (time.perf_counter() - start) * 1000
        browser.close()
    return elapsed


def serve_rebuild(lib: Path) -> tuple[float, float]:
    """(cold build s, rebuild s after editing one case) as reported by `mkdocs serve --dirty` (make serve)."""
    env = dict(ENV, CASEBOOK_CASES=str(lib))
    proc = subprocess.Popen([PY, "-m", "mkdocs", "serve", "--dirty", "-a", "127.0.0.1:8765", "--no-livereload"], cwd=REPO, env=env,
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


def measure(n: int, skip_browser: bool, skip_serve: bool) -> dict:
    lib = OUT / f"lib-{n}"
    titles = make_library(lib, n)
    r: dict = {"cases": n}
    r["validate_s"], r["validate_mb"] = run([PY, "-m", "casebook", "validate", "--cases", str(lib)])
    r["floor_s"], _ = run([PY, "-c", FLOOR, str(lib)])
    site = OUT / f"site-{n}"
    r["build_s"], r["build_mb"] = run([PY, "-m", "casebook", "build", "--cases", str(lib), "--site-dir", str(site)])
    bare = bare_site(lib, OUT / f"bare-{n}")
    r["bare_s"], r["bare_mb"] = run([PY, "-m", "mkdocs", "build", "-q", "-f", str(bare), "-d", str(OUT / f"bare-site-{n}")])
    r["index_bytes"] = (site / "search" / "search_index.json").stat().st_size
    r["bare_index_bytes"] = (OUT / f"bare-site-{n}" / "search" / "search_index.json").stat().st_size
    r["site_bytes"] = dir_size(site)
    offline = OUT / f"offline-{n}"
    dist = OUT / f"dist-{n}"
    shutil.rmtree(dist, ignore_errors=True)
    run([PY, "-m", "casebook", "build", "--cases", str(lib), "--site-dir", str(offline), "--offline", "--zip", str(dist)])
    r["zip_bytes"] = sum(p.stat().st_size for p in dist.glob("*.zip"))
    if not skip_browser:
        r["first_result_ms"] = first_search_ms(offline, titles[n // 2][1:5])
    if not skip_serve and n == 2000:
        r["serve_cold_s"], r["serve_rebuild_s"] = serve_rebuild(lib)
    return r


def report(rows: list[dict]) -> str:
    by = {r["cases"]: r for r in rows}
    lines = ["| 案例数 | validate | 下限 floor | 倍数 | build | 纯 Material | 倍数 | 每案例 build | 峰值内存 | 搜索索引 | 站点 | 离线包 | 首个搜索结果 |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(
            f"| {r['cases']:,} | {r['validate_s']:.2f} s | {r['floor_s']:.2f} s | {r['validate_s'] / r['floor_s']:.2f}× "
            f"| {r['build_s']:.1f} s | {r['bare_s']:.1f} s | {r['build_s'] / r['bare_s']:.2f}× "
            f"| {r['build_s'] / r['cases'] * 1000:.1f} ms | {max(r['build_mb'], r['validate_mb']):.0f} MB "
            f"| {r['index_bytes'] / 1e6:.1f} MB（纯 Material {r['bare_index_bytes'] / 1e6:.1f} MB） | {r['site_bytes'] / 1e6:.0f} MB "
            f"| {r['zip_bytes'] / 1e6:.1f} MB | {r.get('first_result_ms', float('nan')):.0f} ms |"
        )
    if 500 in by and 5000 in by:
        ratio = (by[5000]["build_s"] / 5000) / (by[500]["build_s"] / 500)
        lines.append(f"\n线性：5,000 案例的每案例 build 时间是 500 案例的 {ratio:.2f} 倍。")
    for r in rows:
        if "serve_rebuild_s" in r:
            lines.append(f"\nmkdocs serve（{r['cases']:,} 案例）：冷启动构建 {r['serve_cold_s']:.1f} s，编辑一个案例后重建 {r['serve_rebuild_s']:.1f} s"
                         f"（{r['serve_rebuild_s'] / r['serve_cold_s']:.2f}×）。")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 2000, 5000])
    parser.add_argument("--skip-browser", action="store_true")
    parser.add_argument("--skip-serve", action="store_true")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    rows = []
    for n in args.sizes:
        print(f"… {n} 个案例", file=sys.stderr, flush=True)
        rows.append(measure(n, args.skip_browser, args.skip_serve))
        print(json.dumps(rows[-1], ensure_ascii=False), file=sys.stderr, flush=True)
    print(report(rows))


if __name__ == "__main__":
    main()
