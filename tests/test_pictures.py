"""The book's picture check (book/pictures.py), which `casebook validate` asks (E424): which
pictures Typst can place, in this process or in processes of their own, with a time limit on SVGs
and the picture named when a process dies. Real Typst, real processes."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from pathlib import Path

from casebook.book import pictures
from conftest import PICTURES, VALID
from test_book import _broken_png

# A few KB of SVG that takes Typst minutes: forty 3,000-pixel squares, each blurred by 500 pixels.
SLOW_SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="4000" height="4000"><filter id="f" x="-50%" y="-50%" '
            'width="200%" height="200%"><feGaussianBlur stdDeviation="500"/></filter>'
            + "".join(f'<rect x="{i}" y="{i}" width="3000" height="3000" fill="green" filter="url(#f)"/>' for i in range(0, 400, 10))
            + "</svg>").encode()


def test_pictures_are_asked_about_in_batches_of_their_own_processes(tmp_path: Path, monkeypatch) -> None:
    """Small raster pictures are placed here in one go (a run that fails is halved down to the
    pictures that fail); large ones in processes of their own (Typst keeps what it decoded for the
    life of a process), a batch of pixels each. The same pictures are refused either way, in the
    order asked."""
    good, bad = (PICTURES / "tiny.gif").read_bytes(), _broken_png()
    names = [f"p{i}.{'png' if i in (3, 7) else 'gif'}" for i in range(10)]
    for name in names:
        (tmp_path / name).write_bytes(bad if name.endswith(".png") else good)
    expected = ["p3.png", "p7.png"]
    assert list(pictures.pictures_refused(tmp_path, names)) == expected  # in this process: small
    monkeypatch.setattr(pictures, "IN_PROCESS_PIXELS", 0)
    monkeypatch.setattr(pictures, "BATCH_PIXELS", 40)  # 12 pixels a picture: three a batch
    assert [len(batch) for batch, _ in pictures._batches(tmp_path, names)] == [3, 3, 3, 1]
    assert list(pictures.pictures_refused(tmp_path, names)) == expected
    assert list(pictures.pictures_refused(tmp_path, names[::-1])) == expected[::-1]
    assert pictures.pictures_refused(tmp_path, []) == {}


def test_the_preview_asks_about_a_picture_again_only_when_it_changed(tmp_path: Path, monkeypatch) -> None:
    asked = []
    real = pictures.pictures_refused
    monkeypatch.setattr(pictures, "pictures_refused", lambda root, rels: asked.append(list(rels)) or real(root, rels))
    (tmp_path / "a.gif").write_bytes((PICTURES / "tiny.gif").read_bytes())
    (tmp_path / "b.png").write_bytes(_broken_png())
    verdicts = pictures.PictureVerdicts()
    assert list(verdicts(tmp_path, ["a.gif", "b.png"])) == ["b.png"]
    assert list(verdicts(tmp_path, ["a.gif", "b.png"])) == ["b.png"] and asked == [["a.gif", "b.png"], []]
    (tmp_path / "b.png").write_bytes((VALID / "assets" / "cover.png").read_bytes())  # mended
    assert verdicts(tmp_path, ["a.gif", "b.png"]) == {} and asked[-1] == ["b.png"]
    assert verdicts(tmp_path, ["a.gif"]) == {} and list(verdicts.known) == [("a.gif", pictures._stamp(tmp_path / "a.gif"))]


def test_an_svg_typst_takes_too_long_over_is_refused_and_the_rest_are_still_judged(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(pictures, "PICTURE_SECONDS", 1)
    (tmp_path / "slow.svg").write_bytes(SLOW_SVG)
    (tmp_path / "ok.svg").write_bytes(b'<svg xmlns="http://www.w3.org/2000/svg" width="4" height="3"/>')
    (tmp_path / "bad.png").write_bytes(_broken_png())
    (tmp_path / "ok.gif").write_bytes((PICTURES / "tiny.gif").read_bytes())
    start = time.monotonic()
    refused = pictures.pictures_refused(tmp_path, ["ok.gif", "slow.svg", "bad.png", "ok.svg"])
    assert list(refused) == ["slow.svg", "bad.png"] and time.monotonic() - start < 30
    assert refused["slow.svg"].startswith("要排版程序 Typst 花 1 秒以上才能放进案例汇编") and "解不开" in refused["bad.png"]
    assert not multiprocessing.active_children()


def test_a_process_that_dies_over_a_picture_refuses_that_picture_and_the_rest_go_on(tmp_path: Path) -> None:
    """The process placing an SVG is killed from outside (as the kernel kills one out of memory):
    that SVG is refused with the exit code; the pictures after it are placed by a new process."""
    (tmp_path / "slow.svg").write_bytes(SLOW_SVG)
    (tmp_path / "bad.png").write_bytes(_broken_png())
    (tmp_path / "ok.png").write_bytes((VALID / "assets" / "cover.png").read_bytes())

    def kill_the_first_child() -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not (children := multiprocessing.active_children()):
            time.sleep(0.05)
        time.sleep(1)  # well inside the SVG (the process's first picture)
        os.kill(children[0].pid, signal.SIGKILL)

    killer = threading.Thread(target=kill_the_first_child)
    killer.start()
    refused = pictures.pictures_refused(tmp_path, ["slow.svg", "bad.png", "ok.png"])
    killer.join()
    assert list(refused) == ["slow.svg", "bad.png"], refused
    assert refused["slow.svg"] == "让排版程序 Typst 中途退出了（退出码 -9）"
