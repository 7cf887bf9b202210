"""Legacy Word (.doc) and WPS (.wps) files -> .docx through LibreOffice, when it is installed.

Many offices still send .doc or .wps. `to_docx(path)` converts a copy in a scratch folder with
`soffice --headless --convert-to docx` (its own profile folder, so a LibreOffice already open on
the machine is not disturbed; a time limit, after which the converter is stopped) and returns the
.docx bytes, which then go through the same reader and limits as any .docx. Without LibreOffice
the message says what to install, or to save the file as .docx. PDF is not converted: a PDF has
lost the document's structure (headings, lists, tables), so it is out of scope.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from .errors import WordError
from .docxfile import LIMITS, Limits, read_limited

LEGACY_SUFFIXES = (".doc", ".wps")
PDF_SUFFIX = ".pdf"
SOFFICE_NAMES = ("soffice", "libreoffice")
# Where the installers put it when it is not on PATH (Linux packages link it into /usr/bin).
SOFFICE_PLACES = {
    "darwin": ("/Applications/LibreOffice.app/Contents/MacOS/soffice",),
    "win32": (r"C:\Program Files\LibreOffice\program\soffice.exe", r"C:\Program Files (x86)\LibreOffice\program\soffice.exe"),
}
TIMEOUT = 180  # seconds for one conversion

NO_SOFFICE = (
    "{name} 是旧版 Word/WPS 文件（.doc/.wps），需要 LibreOffice 转换为 .docx，但这台电脑上没有找到 LibreOffice（soffice）。"
    "请任选其一：在 Word/WPS 中打开它，“另存为” .docx 后再导入；或者安装 LibreOffice 后重试"
    "（Debian/Ubuntu：sudo apt-get install libreoffice-writer-nogui；Windows/macOS：从 https://www.libreoffice.org 下载安装）"
)
NO_WRITER = (
    "{name} 是旧版 Word/WPS 文件（.doc/.wps），需要 LibreOffice 的 Writer 组件转换为 .docx，但这台电脑上的 LibreOffice"
    "（{soffice}）没有安装 Writer。请任选其一：在 Word/WPS 中打开它，“另存为” .docx 后再导入；或者安装 Writer 后重试"
    "（Debian/Ubuntu：sudo apt-get install libreoffice-writer-nogui；Windows/macOS：重新运行 LibreOffice 安装程序，选上 Writer）"
)
# A LibreOffice installed without Writer (Debian's libreoffice-core alone, say) starts but cannot read
# a .doc. Its program folder shows it: the core library is there, Writer's is not. By layout (Linux,
# Windows, macOS): the folder beside soffice's real path, the core library, Writer's library.
_LAYOUTS = ((".", "libmergedlo.so", "libswlo.so"), (".", "mergedlo.dll", "swlo.dll"),
            ("../Frameworks", "libmergedlo.dylib", "libswlo.dylib"))
PDF_OUT_OF_SCOPE = (
    "{name} 是 PDF 文件：导入只支持 Word 文档（.docx，装有 LibreOffice 时也支持 .doc/.wps），不支持 PDF"
    "（PDF 已经丢失了标题、列表和表格的结构）。请找到原始的 Word 文档，或把内容复制到 Word 中另存为 .docx"
)


def find_soffice() -> str | None:
    """LibreOffice's soffice: $SOFFICE when it names a program, else on PATH, else where the macOS
    and Windows installers put it."""
    given = os.environ.get("SOFFICE")
    if given and os.path.isfile(given) and os.access(given, os.X_OK):
        return given
    for name in SOFFICE_NAMES:
        if found := shutil.which(name):
            return found
    return next((p for p in SOFFICE_PLACES.get(sys.platform, ()) if os.path.isfile(p) and os.access(p, os.X_OK)), None)


def lacks_writer(soffice: str) -> bool:
    """True when the LibreOffice of `soffice` visibly has no Writer; False when it has, or when its
    layout is not one of the known ones (then the conversion itself says what went wrong)."""
    program = Path(os.path.realpath(soffice)).parent
    for folder, core, writer in _LAYOUTS:
        if (program / folder / core).is_file():
            return not (program / folder / writer).is_file()
    return False


def to_docx(path: Path, limits: Limits = LIMITS, soffice: str | None = None, timeout: float = TIMEOUT) -> bytes:
    """A .doc/.wps file converted to .docx bytes by LibreOffice; WordError when LibreOffice is
    missing, fails or takes too long (the input is never changed)."""
    soffice = soffice or find_soffice()
    if soffice is None:
        raise WordError(NO_SOFFICE.format(name=path.name))
    if lacks_writer(soffice):
        raise WordError(NO_WRITER.format(name=path.name, soffice=soffice))
    data = read_limited(path, limits)
    with tempfile.TemporaryDirectory(prefix="casebook-convert-") as scratch:
        folder = Path(scratch)
        (folder / "in").mkdir()
        (folder / "out").mkdir()
        # Kingsoft's .wps is Word's binary format inside: LibreOffice reads it as .doc.
        source = folder / "in" / "document.doc"
        source.write_bytes(data)
        command = [soffice, f"-env:UserInstallation={(folder / 'profile').as_uri()}", "--headless", "--norestore",
                   "--nolockcheck", "--convert-to", "docx", "--outdir", str(folder / "out"), str(source)]
        try:
            proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    start_new_session=True)
        except OSError as exc:
            raise WordError(f"无法运行 LibreOffice（{soffice}：{exc.strerror or exc}），{path.name} 没有转换；请在 Word/WPS 中另存为 .docx 后再导入") from exc
        try:
            output, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise WordError(f"LibreOffice 转换 {path.name} 超过 {timeout:g} 秒，已停止；请在 Word/WPS 中另存为 .docx 后再导入") from None
        result = folder / "out" / "document.docx"
        if proc.returncode != 0 or not result.is_file():
            said = " ".join(output.decode("utf-8", "replace").split())[-200:]
            raise WordError(f"LibreOffice 无法转换 {path.name}（文件可能已损坏，或不是 Word/WPS 文档）：{said or '没有输出'}；"
                            "请在 Word/WPS 中打开它，另存为 .docx 后再导入")
        return read_limited(result, limits)


def document_bytes(path: Path, limits: Limits = LIMITS) -> bytes:
    """The .docx bytes of the file to import: read as is, converted from .doc/.wps (by its name or
    its content), or refused (PDF, too large); OSError when it cannot be read."""
    from .docxtext import sniff

    if path.suffix.lower() == PDF_SUFFIX:
        raise WordError(PDF_OUT_OF_SCOPE.format(name=path.name))
    with path.open("rb") as handle:
        kind = sniff(handle.read(1024))
    if kind == "pdf":
        raise WordError(PDF_OUT_OF_SCOPE.format(name=path.name))
    if path.suffix.lower() in LEGACY_SUFFIXES or kind == "ole":
        return to_docx(path, limits)
    return read_limited(path, limits)
