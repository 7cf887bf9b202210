"""Word import meets hostile and broken files with a clear message and nothing written.

Every input here is a real file: truncated and corrupted .docx, zips that are not Word documents,
zip bombs, a document with one gigantic paragraph, more parts, paragraphs, tables or pictures
than the limits allow, XML entity tricks (billion laughs, an external entity), legacy .doc/.wps
(converted by the real LibreOffice; without it, the message says what to install) and PDF. The
budgets (docxfile.Limits) are tested on real generated documents; peak memory of refused inputs
is measured in a real process. No timing assertions: speed is measured by `make bench`.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import docx
import pytest

from casebook.contrib import compilation, docxfile, docxtext, legacy
from casebook.contrib.drafts import library_taxonomy
from casebook.contrib.errors import WordError
from conftest import SHIPPED
from test_compilation import handmade_docx, styled_docx, tree
from test_contrib import png

MEMORY_LIMIT_MB = 500
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


@pytest.fixture
def cases_dir(tmp_path: Path) -> Path:
    return Path(shutil.copytree(SHIPPED, tmp_path / "cases"))


def base_docx() -> bytes:
    d = docx.Document()
    d.add_paragraph("测试工作法")
    d.add_paragraph("一、基本情况")
    d.add_paragraph("情况。")
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def rezip(data: bytes, replace: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None) -> bytes:
    """The same package with some parts replaced or added."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, (replace or {}).get(info.filename, src.read(info.filename)))
        for name, content in (add or {}).items():
            dst.writestr(name, content)
    return out.getvalue()


def document_xml(body: str, prolog: str = "") -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>{prolog}'
            f'<w:document xmlns:w="{W_NS}"><w:body>{body}</w:body></w:document>').encode()


def streamed_docx(path: Path, chunks, count: int) -> Path:
    """A .docx whose document.xml is `count` repetitions of the chunks, written as a stream (the
    test process never holds it whole)."""
    base = base_docx()
    with zipfile.ZipFile(io.BytesIO(base)) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename != "word/document.xml":
                dst.writestr(info.filename, src.read(info.filename))
        with dst.open("word/document.xml", "w", force_zip64=True) as out:
            head, middle, tail = chunks
            out.write(f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{W_NS}"><w:body>{head}'.encode())
            block = middle.encode() * 1000
            for _ in range(count // 1000):
                out.write(block)
            out.write(f"{tail}</w:body></w:document>".encode())
    return path


BILLION_LAUGHS = ('<!DOCTYPE w:document [<!ENTITY a "哈哈哈哈哈哈哈哈哈哈">'
                  + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(8)) + "]>")
EXTERNAL_ENTITY = '<!DOCTYPE w:document [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'


def hostile(name: str, tmp_path: Path) -> Path:
    """Each broken or hostile file, built for real."""
    path = tmp_path / name
    good = base_docx()
    if name == "truncated.docx":
        path.write_bytes(good[: len(good) // 2])
    elif name == "corrupted.docx":  # the middle overwritten: local headers and data no longer match
        path.write_bytes(good[:200] + b"\x00" * (len(good) - 400) + good[-200:])
    elif name == "not-word.docx":
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("hello.txt", "你好")
        path.write_bytes(buf.getvalue())
    elif name == "spreadsheet.docx":  # a package whose main part is not a Word document
        path.write_bytes(rezip(good, replace={"word/document.xml": b'<?xml version="1.0"?><workbook xmlns="urn:x"><sheets/></workbook>'}))
    elif name == "billion-laughs.docx":
        path.write_bytes(rezip(good, replace={"word/document.xml": document_xml("<w:p><w:r><w:t>&i;</w:t></w:r></w:p>", BILLION_LAUGHS)}))
    elif name == "external-entity.docx":
        path.write_bytes(rezip(good, replace={"word/document.xml": document_xml("<w:p><w:r><w:t>&secret;</w:t></w:r></w:p>", EXTERNAL_ENTITY)}))
    elif name == "entity-in-styles.docx":
        with zipfile.ZipFile(io.BytesIO(good)) as z:
            styles = z.read("word/styles.xml").decode()
        styles = styles.replace("?>", "?>" + BILLION_LAUGHS.replace("w:document", "w:styles"), 1)
        path.write_bytes(rezip(good, replace={"word/styles.xml": styles.encode()}))
    elif name == "deep.docx":
        path.write_bytes(rezip(good, replace={"word/document.xml": document_xml("<w:sdt><w:sdtContent>" * 5000 + "</w:sdtContent></w:sdt>" * 5000)}))
    elif name == "zip-bomb.docx":  # 250 MB of zeros compress to a few hundred KB
        streamed_docx(path, ("<w:p><w:r><w:t>", "\u3000" * 1000, "</w:t></w:r></w:p>"), 84_000)
    elif name == "one-huge-paragraph.docx":  # 150 MB unpacked, under the zip cap: one paragraph
        streamed_docx(path, ("<w:p>", "<w:r><w:t>党建</w:t></w:r>", "</w:p>"), 6_000_000)
    elif name == "many-parts.docx":
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            for n in range(docxfile.LIMITS.entries + 1):
                z.writestr(f"p/{n}", b"")
        path.write_bytes(buf.getvalue())
    elif name == "too-large-file.docx":  # sparse: larger than the limit on disk, nothing to read
        with path.open("wb") as f:
            f.truncate(docxfile.LIMITS.file_bytes + 1)
    elif name == "report.pdf":
        path.write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n")
    elif name == "pdf-named.docx":
        path.write_bytes(b"%PDF-1.7\n")
    elif name == "no-case.docx":
        d = docx.Document()
        for text in ("关于开展党建活动的通知", "各单位：", "请按要求报送材料。", "特此通知。"):
            d.add_paragraph(text)
        d.save(str(path))
    elif name == "empty.docx":
        docx.Document().save(str(path))
    return path


HOSTILE = {
    "truncated.docx": "不完整",
    "corrupted.docx": "损坏",
    "not-word.docx": "不是 Word 文档",
    "spreadsheet.docx": "不是 Word 的格式",
    "billion-laughs.docx": "DTD",
    "external-entity.docx": "DTD",
    "entity-in-styles.docx": "DTD",
    "deep.docx": "损坏",
    "zip-bomb.docx": "解压后超过 200 MB",
    "one-huge-paragraph.docx": "超过 8 MB",
    "many-parts.docx": "部件",
    "too-large-file.docx": "文件超过 200 MB",
    "report.pdf": "不支持 PDF",
    "pdf-named.docx": "不支持 PDF",
}


@pytest.mark.parametrize("split", [False, True], ids=["single", "split"])
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_and_broken_files_are_refused_and_nothing_is_written(run_cli, cases_dir: Path, tmp_path: Path, name: str, split: bool) -> None:
    path = hostile(name, tmp_path)
    before = tree(cases_dir)
    code, out, err = run_cli("import", path, "--cases", cases_dir, *(["--split"] if split else []), cwd=cases_dir.parent)
    assert code == 2, out + err
    assert HOSTILE[name] in err, err
    assert "Traceback" not in err and "/etc/passwd" not in out + err
    assert err.count("\n") <= 2  # one sentence, not a report
    assert tree(cases_dir) == before


@pytest.mark.parametrize("name", ["no-case.docx", "empty.docx"])
def test_split_without_a_recognisable_case(run_cli, cases_dir: Path, tmp_path: Path, name: str) -> None:
    before = tree(cases_dir)
    code, out, err = run_cli("import", hostile(name, tmp_path), "--cases", cases_dir, "--split", cwd=cases_dir.parent)
    assert code == 1 and "没有找到可以识别的案例" in err and "基本情况" in err
    assert tree(cases_dir) == before


# -- budgets ------------------------------------------------------------------------------------


def many(kind: str, n: int) -> bytes:
    """A real document with n paragraphs, n tables or n pictures (and little else)."""
    d = docx.Document()
    picture = png()
    for i in range(n):
        if kind == "paragraphs":
            d.add_paragraph(f"第{i}段。")
        elif kind == "tables":
            d.add_table(rows=1, cols=2).cell(0, 0).text = str(i)
        else:
            d.add_paragraph().add_run().add_picture(io.BytesIO(picture))
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


@pytest.mark.parametrize(("kind", "noun"), [("paragraphs", "段落"), ("tables", "表格"), ("images", "图片")])
def test_budgets_on_paragraphs_tables_and_pictures(kind: str, noun: str) -> None:
    """At the limit the document is read; one more and it is refused, saying which limit."""
    limit = 40
    limits = docxfile.Limits(**{kind: limit})
    exact = docxtext.read_docx(many(kind, limit - (1 if kind == "paragraphs" else 0)), limits)  # python-docx starts with one empty paragraph
    assert exact.blocks or exact.pictures
    with pytest.raises(WordError, match=rf"文档的{noun}超过 {limit} "):
        docxtext.read_docx(many(kind, limit + 1), limits)


def test_budget_on_time(tmp_path: Path) -> None:
    """The time limit covers reading and, for --split, recognising every case."""
    with pytest.raises(WordError, match=r"读取文档超过 0 秒"):
        docxtext.read_docx(many("paragraphs", 3), docxfile.Limits(seconds=0))
    meter = docxfile.Meter(docxfile.Limits(seconds=3600))
    source = docxtext.read_docx(handmade_docx(tmp_path / "汇编.docx").read_bytes(), meter=meter)
    meter.limits = docxfile.Limits(seconds=0)
    with pytest.raises(WordError, match=r"读取文档超过 0 秒"):
        compilation.plan_split(source, library_taxonomy(SHIPPED), dt.date.today(), tick=meter.tick)



LAUNCHER = """
import resource, subprocess, sys
code = subprocess.run(sys.argv[1:], capture_output=True).returncode
print(code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)
"""


@pytest.mark.parametrize("name", ["one-huge-paragraph.docx", "zip-bomb.docx", "millions-of-paragraphs.docx"])
def test_refused_inputs_stay_under_the_memory_limit(cases_dir: Path, tmp_path: Path, name: str) -> None:
    """Peak memory of the real `casebook import` process, refusing a file that unpacks to over
    100 MB (one paragraph; a zip bomb; 4 million tiny paragraphs under the 200 MB cap)."""
    if name == "millions-of-paragraphs.docx":
        path = streamed_docx(tmp_path / name, ("", "<w:p><w:r><w:t>党</w:t></w:r></w:p>", ""), 4_000_000)
    else:
        path = hostile(name, tmp_path)
    result = subprocess.run([sys.executable, "-c", LAUNCHER, sys.executable, "-m", "casebook", "import", str(path), "--cases", str(cases_dir)],
                            capture_output=True, text=True, check=True, env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    code, peak_mb = map(int, result.stdout.split())
    assert code == 2
    assert peak_mb < MEMORY_LIMIT_MB, f"{name}: {peak_mb} MB"


# -- legacy .doc / .wps through LibreOffice, and without it ------------------------------------------


@pytest.fixture(scope="module")
def soffice() -> str:
    found = legacy.find_soffice()
    if found is None or legacy.lacks_writer(found):
        pytest.fail("没有找到带 Writer 的 LibreOffice（soffice）：导入 .doc/.wps 的测试需要它（不跳过）。"
                    "Debian/Ubuntu：sudo apt-get install --no-install-recommends libreoffice-writer-nogui；"
                    "或运行 `make test`（以 root 运行时 scripts/tools.py 会安装）")
    return found


def to_doc(source: Path, soffice: str, out: Path) -> Path:
    """A real .doc written by LibreOffice from a .docx."""
    out.mkdir(exist_ok=True)
    subprocess.run([soffice, f"-env:UserInstallation={(out / 'profile').as_uri()}", "--headless", "--convert-to", "doc",
                    "--outdir", str(out), str(source)], check=True, capture_output=True, timeout=300)
    return out / (source.stem + ".doc")


@pytest.mark.parametrize("suffix", [".doc", ".wps"])
def test_legacy_files_are_converted_by_libreoffice(run_cli, soffice: str, tmp_path: Path, suffix: str) -> None:
    """A compilation saved as .doc (and the same bytes named .wps, as WPS writes it) imports like
    the .docx it came from: same drafts."""
    docx_path = styled_docx(tmp_path / "选编.docx")
    legacy_path = to_doc(docx_path, soffice, tmp_path / "doc").rename(tmp_path / f"选编{suffix}")
    assert legacy_path.read_bytes()[:4] == b"\xd0\xcf\x11\xe0"  # the real binary format
    results = {}
    for name, path in (("docx", docx_path), ("legacy", legacy_path)):
        root = tmp_path / name
        root.mkdir()
        shutil.copyfile(SHIPPED / "taxonomy.yml", root / "taxonomy.yml")
        code, out, err = run_cli("import", path, "--cases", root, "--split", cwd=tmp_path)
        assert code == 0, out + err
        results[name] = {p.name: re.sub(r"(?m)^date: .*$", "", p.read_text(encoding="utf-8")) for p in root.glob("*.md")}
    assert len(results["legacy"]) == 3 and results["legacy"] == results["docx"]


def test_broken_legacy_file_gets_libreoffices_answer(run_cli, soffice: str, cases_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "坏.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    before = tree(cases_dir)
    code, out, err = run_cli("import", path, "--cases", cases_dir, cwd=cases_dir.parent)
    assert code == 2 and "另存为 .docx" in err and "Traceback" not in err
    assert tree(cases_dir) == before


def test_without_libreoffice_the_message_says_what_to_install(run_entry_point, cases_dir: Path, tmp_path: Path) -> None:
    """The real command with a PATH that has no soffice (and no $SOFFICE)."""
    path = tmp_path / "旧文件.wps"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "SOFFICE"}
    env["PATH"] = str(bin_dir)
    result = subprocess.run([sys.executable, "-m", "casebook", "import", str(path), "--cases", str(cases_dir)],
                            capture_output=True, text=True, env={**env, "PYTHONIOENCODING": "utf-8"}, cwd=cases_dir.parent)
    assert result.returncode == 2
    assert "LibreOffice" in result.stderr and "libreoffice-writer-nogui" in result.stderr and "另存为” .docx" in result.stderr


@pytest.mark.parametrize("folder, core, writer", [(".", "libmergedlo.so", "libswlo.so"), (".", "mergedlo.dll", "swlo.dll"),
                                                 ("../Frameworks", "libmergedlo.dylib", "libswlo.dylib")])
def test_a_libreoffice_without_writer_is_recognised_by_its_program_folder(tmp_path: Path, folder: str, core: str, writer: str) -> None:
    program = tmp_path / "libreoffice" / "program"
    program.mkdir(parents=True)
    (program / folder).mkdir(parents=True, exist_ok=True)
    soffice = program / "soffice"
    soffice.write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
    soffice.chmod(0o755)
    link = tmp_path / "bin" / "soffice"  # as /usr/bin/soffice links into the program folder
    link.parent.mkdir()
    link.symlink_to(soffice)
    assert not legacy.lacks_writer(str(link))  # a layout it does not know: the conversion decides
    (program / folder / core).write_bytes(b"")
    assert legacy.lacks_writer(str(link))
    (program / folder / writer).write_bytes(b"")
    assert not legacy.lacks_writer(str(link))


def test_without_writer_the_message_says_what_to_install(run_entry_point, cases_dir: Path, tmp_path: Path) -> None:
    """The real command with $SOFFICE naming a LibreOffice that has its core but no Writer."""
    program = tmp_path / "program"
    program.mkdir()
    (program / "libmergedlo.so").write_bytes(b"")
    soffice = program / "soffice"
    soffice.write_text("#!/bin/sh\necho should not run >&2\nexit 1\n", encoding="utf-8")
    soffice.chmod(0o755)
    path = tmp_path / "旧文件.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    before = tree(cases_dir)
    env = {**os.environ, "SOFFICE": str(soffice), "PYTHONIOENCODING": "utf-8"}
    result = subprocess.run([sys.executable, "-m", "casebook", "import", str(path), "--cases", str(cases_dir)],
                            capture_output=True, text=True, env=env, cwd=cases_dir.parent)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "没有安装 Writer" in result.stderr and "libreoffice-writer-nogui" in result.stderr and "另存为” .docx" in result.stderr
    assert "should not run" not in result.stderr
    assert tree(cases_dir) == before
