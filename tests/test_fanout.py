"""core.fanout: the case files judged on every core give the same library as judged one by one.

Forking happens only in a process with one thread, and pytest-xdist's workers have more: each test
runs its scenario in a fresh Python (the real thing, not a mock of os.fork) and reads back what it
printed. `forks` counts the real forks made.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest
from conftest import MINIMAL_CASE, REPO, make_library

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the forked judge runs on Linux only")

PRELUDE = """
import json, os, sys, threading
sys.path.insert(0, {scripts!r})
from casebook.core import fanout
real_fork, forks = os.fork, []
def counting_fork():
    pid = real_fork()
    if pid:
        forks.append(pid)
    return pid
os.fork = counting_fork
parent = os.getpid()
"""


def run(body: str, **values) -> dict:
    code = PRELUDE.format(scripts=str(REPO / "scripts")) + textwrap.dedent(body).format(**values)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def cores() -> int:
    return len(os.sched_getaffinity(0))


needs_two_cores = pytest.mark.skipif(cores() < 2, reason="one core: nothing to share")


@needs_two_cores
def test_chunks_come_back_in_order() -> None:
    out = run("""
        import time
        items = list(range(1000))
        def work(x):
            time.sleep(0.0005)  # long enough that the child starts before the caller has claimed every chunk
            return x, x * x, os.getpid() == parent
        got = fanout.map_forked(work, items, min_per_process=100)
        print(json.dumps({{"got": got, "forks": len(forks)}}))
    """)
    assert [g[:2] for g in out["got"]] == [[x, x * x] for x in range(1000)]
    assert out["forks"] == min(cores(), 10) - 1
    parts = [g[2] for g in out["got"]]
    assert True in parts and False in parts  # the caller and a child each judged some


@needs_two_cores
def test_a_failing_child_leaves_its_chunks_to_the_caller_and_no_process_behind() -> None:
    out = run("""
        import time
        def square(x):
            if os.getpid() != parent:  # the child dies in the first chunk it claims
                os._exit(3) if x % 2 else sys.exit("a child that raises")
            time.sleep(0.0005)  # the caller is slow enough that the child claims some chunks
            return x * x
        got = fanout.map_forked(square, list(range(600)), min_per_process=100)
        try:
            os.waitpid(-1, os.WNOHANG)
            left = True
        except ChildProcessError:
            left = False
        print(json.dumps({{"got": got, "forks": len(forks), "left": left}}))
    """)
    assert out["got"] == [x * x for x in range(600)]
    assert out["forks"] >= 1 and not out["left"]


def test_no_fork_with_another_thread_or_too_few_items() -> None:
    """A thread Python started, one a library started (numpy's BLAS), too few items: no fork."""
    out = run("""
        few = fanout.map_forked(abs, list(range(-10, 10)), min_per_process=100)
        stop = threading.Event()
        waiting = threading.Thread(target=stop.wait)
        waiting.start()
        many = fanout.map_forked(abs, list(range(-1000, 1000)), min_per_process=10)
        stop.set()
        waiting.join()
        import numpy  # its BLAS starts a thread Python does not list
        assert threading.active_count() == 1
        native = fanout.map_forked(abs, list(range(-1000, 1000)), min_per_process=10)
        print(json.dumps({{"few": few, "many": many, "native": native, "forks": len(forks)}}))
    """)
    expected = [abs(x) for x in range(-1000, 1000)]
    assert out == {"few": [abs(x) for x in range(-10, 10)], "many": expected, "native": expected, "forks": 0}


@needs_two_cores
def test_a_library_judged_on_every_core_equals_it_judged_alone(tmp_path) -> None:
    """Valid and broken cases, and a duplicate id whose two files fall in different shares: the
    library-wide checks see every share's cases."""
    cases = {f"case-{i:04d}.md": MINIMAL_CASE.format(id=f"case-{i:04d}") for i in range(600)}
    cases["a/case-0599.md"] = MINIMAL_CASE.format(id="case-0599")  # listed first: the two are in different shares
    cases["case-0300.md"] = cases["case-0300.md"].replace("region: 永康市", "region: 火星")
    cases["case-0450.md"] = "---\ntitle: [未闭合\n---\n"
    cases["case-0500.md"] = cases["case-0500.md"].replace("date: 2024-01-05", "date: 2024-13-05")
    root = make_library(tmp_path / "lib", cases)
    out = run("""
        import datetime as dt
        from pathlib import Path
        from casebook.core import library
        today = dt.date(2025, 1, 1)
        together = library.load_library(Path({root!r}), today)
        fanned = len(forks)
        fanout.processes = lambda count, *a: 1
        alone = library.load_library(Path({root!r}), today)
        print(json.dumps({{
            "same": (together.cases, together.findings) == (alone.cases, alone.findings),
            "forks": fanned, "after": len(forks), "cases": len(together.cases),
            "codes": sorted({{(f.path.rsplit("/", 1)[-1], f.code) for f in together.findings if f.severity == "error"}}),
        }}))
    """, root=str(root))
    assert out["forks"] >= 1 and out["after"] == out["forks"]  # the first load forked, the second did not
    assert out["same"]
    assert out["codes"] == [["case-0300.md", "E203"], ["case-0450.md", "E104"], ["case-0450.md", "E301"], ["case-0500.md", "E210"], ["case-0599.md", "E208"]], out["codes"]
    assert out["cases"] == 601 - 4


def test_a_frame_cut_short_is_dropped_and_whole_ones_arrive_across_reads() -> None:
    """What the caller reads of a child's pipe: complete frames, even when a read ends inside one;
    a frame the child did not finish (it died while writing) is dropped, so its chunk is redone."""
    import pickle

    from casebook.core import fanout

    def frame(k: int, results: list) -> bytes:
        data = pickle.dumps((k, results))
        return len(data).to_bytes(8, "little") + data

    read, write = os.pipe()
    os.set_blocking(read, False)
    child = fanout._Child(0, read)
    whole, cut = frame(0, ["a" * 100]), frame(1, ["b"])
    os.write(write, whole[:50])
    assert fanout._receive(child, block=False) == {}  # half a frame: nothing yet
    os.write(write, whole[50:] + cut[:-1])
    assert fanout._receive(child, block=False) == {0: ["a" * 100]}
    os.close(write)
    assert fanout._receive(child, block=True) == {} and child.fd == -1  # the cut frame is gone, the pipe closed

    garbled = b"not a pickle"  # a frame that does not unpickle: that child is read no further
    read, write = os.pipe()
    os.set_blocking(read, False)
    child = fanout._Child(0, read)
    os.write(write, frame(2, ["c"]) + len(garbled).to_bytes(8, "little") + garbled + frame(3, ["d"]))
    assert fanout._receive(child, block=False) == {2: ["c"]} and child.fd == -1
    os.close(write)
