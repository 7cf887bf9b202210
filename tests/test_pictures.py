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
from casebook.core.load import file_stamp
from conftest import PICTURES, VALID
from test_book import _broken_png, _rgb_png

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
    monkeypatch.setattr(pictures, "pictures_refused", lambda root, rels, say=None: asked.append(list(rels)) or real(root, rels, say))
    (tmp_path / "a.gif").write_bytes((PICTURES / "tiny.gif").read_bytes())
    (tmp_path / "b.png").write_bytes(_broken_png())
    verdicts = pictures.PictureVerdicts()
    assert list(verdicts(tmp_path, ["a.gif", "b.png"])) == ["b.png"]
    assert list(verdicts(tmp_path, ["a.gif", "b.png"])) == ["b.png"] and asked == [["a.gif", "b.png"], []]
    (tmp_path / "b.png").write_bytes((VALID / "assets" / "cover.png").read_bytes())  # mended
    assert verdicts(tmp_path, ["a.gif", "b.png"]) == {} and asked[-1] == ["b.png"]
    assert verdicts(tmp_path, ["a.gif"]) == {} and list(verdicts.known) == [("a.gif", file_stamp(tmp_path / "a.gif"))]


def test_an_svg_typst_takes_too_long_over_is_refused_and_the_rest_are_still_judged(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(pictures, "SVG_SECONDS", 1)
    (tmp_path / "slow.svg").write_bytes(SLOW_SVG)
    (tmp_path / "ok.svg").write_bytes(b'<svg xmlns="http://www.w3.org/2000/svg" width="4" height="3"/>')
    (tmp_path / "bad.png").write_bytes(_broken_png())
    (tmp_path / "ok.gif").write_bytes((PICTURES / "tiny.gif").read_bytes())
    start = time.monotonic()
    refused = pictures.pictures_refused(tmp_path, ["ok.gif", "slow.svg", "bad.png", "ok.svg"])
    assert list(refused) == ["slow.svg", "bad.png"] and time.monotonic() - start < 30
    assert refused["slow.svg"].startswith("要排版程序 Typst 花 1 秒以上才能放进案例汇编") and "解不开" in refused["bad.png"]
    assert not refused["slow.svg"].lasting and refused["bad.png"].lasting
    assert not [p for p in multiprocessing.active_children() if p.name == pictures.PROCESS_NAME]


def test_a_raster_picture_has_a_time_limit_too(tmp_path: Path, monkeypatch) -> None:
    """A raster picture's time is bounded by its pixels; its limit keeps a hang from lasting for ever."""
    import zlib

    side = 2000  # four million pixels of noise: placed in a process of its own, in about a second
    rows = b"".join(b"\x00" + os.urandom(side * 3) for _ in range(side))
    (tmp_path / "noise.png").write_bytes(_rgb_png(side, side, zlib.compress(rows, 1)))
    monkeypatch.setattr(pictures, "RASTER_SECONDS", 0.05)
    refused = pictures.pictures_refused(tmp_path, ["noise.png"])
    assert list(refused) == ["noise.png"] and refused["noise.png"].startswith("要排版程序 Typst 花 0.05 秒以上")
    monkeypatch.setattr(pictures, "RASTER_SECONDS", 300)
    assert pictures.pictures_refused(tmp_path, ["noise.png"]) == {}  # a sound picture, given its time


def test_a_process_that_cannot_start_typst_is_an_error_not_a_refused_picture(tmp_path: Path, monkeypatch) -> None:
    """No picture is blamed when the check itself cannot run: one sentence, and validate says it
    without a traceback (exit 2: the library could not be checked)."""
    import pytest

    from casebook.book.errors import BookError

    monkeypatch.setattr(pictures, "START_SECONDS", 0)  # not even Python starts that fast
    (tmp_path / "a.svg").write_bytes(b'<svg xmlns="http://www.w3.org/2000/svg" width="4" height="3"/>')
    with pytest.raises(BookError, match="无法启动排版程序 Typst 来检查图片"):
        pictures.pictures_refused(tmp_path, ["a.svg"])
    assert not [p for p in multiprocessing.active_children() if p.name == pictures.PROCESS_NAME]


def test_the_preview_asks_again_about_a_picture_refused_for_the_moment(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(pictures, "SVG_SECONDS", 1)
    asked = []
    real = pictures.pictures_refused
    monkeypatch.setattr(pictures, "pictures_refused", lambda root, rels, say=None: asked.append(list(rels)) or real(root, rels, say))
    (tmp_path / "slow.svg").write_bytes(SLOW_SVG)
    said: list[str] = []
    verdicts = pictures.PictureVerdicts(say=said.append)  # as `casebook serve` makes it
    assert list(verdicts(tmp_path, ["slow.svg"])) == list(verdicts(tmp_path, ["slow.svg"])) == ["slow.svg"]
    assert asked == [["slow.svg"], ["slow.svg"]]  # too slow on this machine now: asked again next time
    assert said == ["正在请排版程序 Typst 逐张试放 1 张图片，看案例汇编能否收入（E424；一张照片约 0.05 秒）…"] * 2


def test_only_an_svg_with_text_is_placed_with_the_books_fonts(tmp_path: Path, monkeypatch) -> None:
    from casebook.book import fonts

    monkeypatch.setattr(fonts, "find_cjk_fonts", lambda: fonts.FontChoice("宋", "黑", ("/fonts/a", "/fonts/b")))
    svgs = {"text.svg": b'<svg xmlns="http://www.w3.org/2000/svg"><text x="1" y="9">\xe5\x85\x9a</text></svg>',
            "prefixed.svg": b'<svg:svg xmlns:svg="http://www.w3.org/2000/svg"><svg:text>x</svg:text></svg:svg>',
            "shapes.svg": b'<svg xmlns="http://www.w3.org/2000/svg"><rect width="1" height="1"/><textarea/></svg>'}
    for name, data in svgs.items():
        (tmp_path / name).write_bytes(data)
    assert pictures._text_fonts(tmp_path, [*svgs, "x.png"]) == {"text.svg": ["/fonts/a", "/fonts/b"], "prefixed.svg": ["/fonts/a", "/fonts/b"]}
    monkeypatch.setattr(fonts, "find_cjk_fonts", lambda: (_ for _ in ()).throw(fonts.FontError("无字体")))
    assert pictures._text_fonts(tmp_path, list(svgs)) == {}  # no font: the book's PDF is not made at all


def test_a_process_that_dies_over_a_picture_refuses_that_picture_and_the_rest_go_on(tmp_path: Path) -> None:
    """The process placing an SVG is killed from outside (as the kernel kills one out of memory):
    that SVG is refused with the exit code; the pictures after it are placed by a new process."""
    (tmp_path / "slow.svg").write_bytes(SLOW_SVG)
    (tmp_path / "bad.png").write_bytes(_broken_png())
    (tmp_path / "ok.png").write_bytes((VALID / "assets" / "cover.png").read_bytes())

    def typst_loaded(pid: int) -> bool:  # (Linux) its compiler is mapped: the process is ready, on the SVG
        try:
            return "typst" in Path(f"/proc/{pid}/maps").read_text()
        except OSError:
            return False

    def kill_the_first_child() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            children = [p for p in multiprocessing.active_children() if p.name == pictures.PROCESS_NAME]
            if children and typst_loaded(children[0].pid):
                break
            time.sleep(0.05)
        time.sleep(0.5)  # well inside the SVG (which takes a minute)
        os.kill(children[0].pid, signal.SIGKILL)

    killer = threading.Thread(target=kill_the_first_child)
    killer.start()
    refused = pictures.pictures_refused(tmp_path, ["slow.svg", "bad.png", "ok.png"])
    killer.join()
    assert list(refused) == ["slow.svg", "bad.png"], refused
    assert refused["slow.svg"].startswith("让排版程序 Typst 中途退出了（退出码 -9；") and not refused["slow.svg"].lasting
