"""Bytes on disk -> raw cases and taxonomy. The only module that reads the library.

Parsing problems (encoding, front-matter fences, YAML syntax) are reported here as findings,
kept apart from the validation of values, which is validate.py's job.
"""

from __future__ import annotations

import codecs
import os
import re
import stat
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import yaml

from . import scan
from .model import Finding, RawCase, shown_in
from .rules import IMAGE_SIGNATURES, image_size
from .schema import ACTIVE_SUFFIXES, ASSET_SUFFIXES, CASE_SUFFIXES, IGNORED_FILES, MAX_FILE_BYTES, is_svg

# libyaml's C loader where present (much faster); the pure-Python one otherwise.
Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

FENCE = "---"
_CLOSING_FENCE = re.compile(r"^(?:---|\.\.\.)[^\S\n]*$", re.M)  # like line.rstrip() in (---, ...)
KEY_NAME = r"[A-Za-z_][\w-]*"  # how a front-matter key is written (the typing-mistake patterns below, nodes)
_FULLWIDTH_KEY = re.compile(rf"^\s*{KEY_NAME}\s*：")
_QUOTED_PREFIX = re.compile(r":\s*([\"'“”‘’「」])[^\"'“”‘’「」]*\1\S")


@dataclass(frozen=True)
class LibraryFiles:
    """What a library folder holds, decided once (the gate): every other stage asks this, never
    the file system. Nothing outside the root gets in; nothing inside is passed over unsaid."""

    cases: tuple[Path, ...]  # case files (`*.md`, outside assets/), sorted by relative path
    files: frozenset[str]  # every regular file inside, relative POSIX paths (what links may name)
    assets: tuple[str, ...]  # the files published as they are (images, documents), sorted
    problems: tuple[tuple[str, str, str], ...]  # (relative path, code, message) of what may not be there
    held_back: tuple[str, ...] = ()  # files of a kind the site does not publish (E703), sorted


def hidden(name: str) -> bool:
    """A file or folder name that is no part of the library (`.git`, `.DS_Store`, editors' swap
    files `.x.md.swp`): never read, never published, and no change to watch for."""
    return name.startswith(".")


def walk_library(root: Path) -> LibraryFiles:
    """One walk of the library: which files are cases, which are published as they are, and which
    may not be there (E701-E706). Hidden files and folders (`.git`, `.DS_Store`) and the clutter
    operating systems leave (Thumbs.db, desktop.ini) are ignored: they are never published."""
    real_root = os.path.realpath(root)
    cases, files, problems, held_back = [], [], [], []

    def unreadable(error: OSError) -> None:
        rel = Path(os.path.relpath(error.filename, root)).as_posix() if error.filename else "."
        problems.append((rel, "E705", f"无法读取文件夹“{rel}”（{error.strerror}），其中的文件没有检查；请检查它的权限"))

    folders = [("", os.fspath(root))]  # os.scandir, not os.walk: an entry knows if it is a link without a stat
    while folders:
        prefix, folder = folders.pop()
        try:
            with os.scandir(folder) as listing:
                entries = list(listing)
        except OSError as error:
            unreadable(error)
            continue
        for entry in entries:
            name, rel = entry.name, prefix + entry.name
            if hidden(name):
                continue
            if _is_dir(entry):  # a link to a folder is not followed: its files are not read
                if not entry.is_symlink():
                    folders.append((rel + "/", entry.path))
                elif (why := _leaves(Path(entry.path), real_root, folder=True)) is not None:
                    problems.append((rel, "E701", why))
                continue
            if name.lower() in IGNORED_FILES:
                continue
            if (why := _unusable_name(rel)) is not None:
                problems.append((rel, "E706", why))
                continue
            if entry.is_symlink():
                if (why := _leaves(Path(entry.path), real_root, folder=False)) is not None:
                    problems.append((rel, "E701", why))
                    continue
            elif not entry.is_file(follow_symlinks=False):  # a named pipe would stop every reader
                if rel != "taxonomy.yml":  # (its reader, load_taxonomy, says E601)
                    problems.append((rel, "E705", unreadable_file(rel, None)))
                continue
            suffix = os.path.splitext(name)[1]
            if suffix == ".md" and not rel.startswith("assets/"):
                cases.append((rel, Path(entry.path)))  # a case that cannot be read is E101, where it is read
                continue
            if suffix.lower() in CASE_SUFFIXES:
                fix = ("案例文件不能放在 assets/ 里，请移到库的其他文件夹" if rel.startswith("assets/")
                       else f"请改名为“{os.path.splitext(rel)[0]}.md”")
                problems.append((rel, "E702", f"“{rel}”看起来是案例文件，但不会当作案例检查和发布；{fix}"))
                continue
            if rel != "taxonomy.yml" and suffix.lower() not in ASSET_SUFFIXES + ACTIVE_SUFFIXES:
                problems.append((rel, "E703", f"库中有站点不发布的文件类型“{rel}”（可发布：{'、'.join(ASSET_SUFFIXES)}）；"
                                               "请删除它，或转成 PDF、图片后再放进来"))
                held_back.append(rel)
                continue
            if rel != "taxonomy.yml" and not os.access(entry.path, os.R_OK):  # published as it is: the build would stop
                problems.append((rel, "E705", unreadable_file(rel, "没有读取权限")))
                continue
            files.append(rel)
    problems += _collisions(files + [rel for rel, _ in cases])
    cases.sort()  # by relative path (strings: comparing thousands of Paths is slow)
    assets = sorted(f for f in files if not f.endswith(".md") and f != "taxonomy.yml")
    return LibraryFiles(tuple(p for _, p in cases), frozenset(files + [rel for rel, _ in cases]), tuple(assets),
                        tuple(sorted(problems)), tuple(sorted(held_back)))


# Names Windows cannot hold: the offline copy is unpacked there, and a checkout made there
# (https://learn.microsoft.com/windows/win32/fileio/naming-a-file).
_WINDOWS_CHARACTERS = re.compile(r'[\\:*?"<>|\x00-\x1f]')
_WINDOWS_DEVICES = re.compile(r"^(?:con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(?:\.|$)", re.I)


def unreadable_file(rel: str, why: str | None) -> str:
    """E705's message for a file that cannot be read (`why`), or is no plain file (why None: a
    named pipe, a socket, a device)."""
    what = f"无法读取（{why}）" if why else "不是普通文件（命名管道、套接字或设备），读取它会一直等下去"
    return f"“{rel}”{what}，不会检查、也不会发布；请换成普通文件，让运行 casebook 的用户能读取它，或把它移出库"


def plain_file_problem(path: Path) -> str | None:
    """Why the file at `path` (links followed) cannot be read whole: missing, no plain file, or
    not readable; None when it can. (For files read by name, not found by the walk: taxonomy.yml.)"""
    try:
        st = path.stat()
    except OSError as exc:
        return exc.strerror or "无法访问"
    if not stat.S_ISREG(st.st_mode):
        return "不是普通文件" if not stat.S_ISDIR(st.st_mode) else "是一个文件夹"
    return None if os.access(path, os.R_OK) else "没有读取权限"


def _unusable_name(rel: str) -> str | None:
    """Why a path of the library cannot be published: its name is no text (bytes that are not
    UTF-8: no address or zip entry can carry it), or Windows cannot hold it (`_not_for_windows`)."""
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        return ("名称不是有效的 UTF-8 文字（多半是在别的系统上用 GBK 等编码写的），网址和离线包都写不出它；"
                "请改名（只用文字、数字、-、_、. 和括号），并改正引用它的地方")
    return _not_for_windows(rel)


def _not_for_windows(rel: str) -> str | None:
    """Why a path of the library cannot be unpacked on Windows (a name part holds `\\:*?"<>|` or a
    control character, ends in a dot or a space, or is a device name such as CON or NUL), or None."""
    for part in rel.split("/"):
        bad = _WINDOWS_CHARACTERS.search(part)
        if bad or part.endswith((".", " ")) or _WINDOWS_DEVICES.match(part):
            why = (f"含有字符“{bad.group()}”" if bad and bad.group().isprintable() else "含有控制字符" if bad
                   else "以点或空格结尾" if part.endswith((".", " ")) else f"是 Windows 的设备名“{part.split('.')[0]}”")
            return (f"名称“{part}”{why}，在 Windows 上不能用：离线包在那里解压不出这个文件，页面上会缺图或链接失效；"
                    "请改名（只用文字、数字、-、_、. 和括号），并改正引用它的地方")
    return None


def _is_dir(entry: os.DirEntry) -> bool:
    """A folder, or a link to one (as os.walk sorts them); a link that leads nowhere is not."""
    try:
        return entry.is_dir()
    except OSError:
        return False


def _leaves(path: Path, real_root: str, folder: bool) -> str | None:
    """Why a symbolic link may not be in the library (it points outside it, or nowhere), or None.
    The message names the link, never what it points at: that could be anything on the machine."""
    target = os.path.realpath(path)
    if not (target == real_root or target.startswith(real_root + os.sep)):
        what = "文件夹" if folder else "文件"
        return f"这是指向案例库之外的符号链接（{what}），不会读取、也不会发布；请把真正的文件放进库中，再删除这个链接"
    if folder:
        return None
    if not os.path.isfile(target):
        return "这是指向不存在的文件（或不是普通文件）的符号链接；请删除它，或把它指向库中的文件"
    # Published under the link's name: only what the library would publish as such itself (not a
    # hidden file such as .env, not a case's source behind a .txt).
    inside = os.path.relpath(target, real_root).split(os.sep)
    if any(hidden(part) for part in inside) or os.path.splitext(target)[1].lower() != os.path.splitext(path)[1].lower():
        return ("这是指向库中隐藏文件或另一类文件的符号链接，会把那个文件换个名字发布出去，不会读取、也不会发布；"
                "请把要发布的文件本身放在这里，再删除这个链接")
    return None


def same_file(path: str) -> str:
    """The name Windows, macOS and an unpacked offline copy know a path by: two paths with the same
    key are one file there (Unicode NFC, case folded)."""
    return unicodedata.normalize("NFC", path).casefold()


def _collisions(rels: list[str]) -> list[tuple[str, str, str]]:
    """Paths that are one file on Windows and macOS (`same_file`): E704 for each."""
    groups: dict[str, list[str]] = {}
    for rel in rels:
        groups.setdefault(same_file(rel), []).append(rel)
    # A file and a folder with one name there (`x.pdf`, `X.pdf/y.png`): one of them cannot be unpacked.
    for rel in rels:
        folder = rel.rpartition("/")[0]
        while folder:
            if (key := same_file(folder)) in groups and folder + "/" not in groups[key]:
                groups[key].append(folder + "/")
            folder = folder.rpartition("/")[0]
    out = []
    for same in groups.values():
        for rel in same if len(same) > 1 else ():
            if rel.endswith("/"):  # the folder: the finding is the file's
                continue
            others = "、".join(f"“{o}”" for o in sorted(same) if o != rel)
            out.append((rel, "E704", f"“{rel}”与{others}只差大小写或 Unicode 写法，在 Windows、macOS 和解压的离线包里会变成同一个文件；"
                                     "请给其中一个改名"))
    return out


def shown_path(path: Path) -> str:
    """The path as findings show it: relative to the current directory when inside it. A link
    is shown by its own name, never by what it points at (its folder is resolved, not it)."""
    try:
        return (path.parent.resolve() / path.name).relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def decode(data: bytes) -> tuple[str | None, int, str]:
    """Bytes -> (text, line, problem). text is None when the bytes are not UTF-8."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or (
        len(data) >= 2 and (data[0] == 0) != (data[1] == 0)
    ):
        return None, 1, "文件是 UTF-16 编码"
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        try:
            data.decode("gb18030")
            kind = "看起来是 GBK/GB18030 编码"
        except UnicodeDecodeError:
            kind = "含有无法识别的字节（可能是二进制文件）"
        return None, line, kind
    if "\x00" in text:
        return None, text.count("\n", 0, text.index("\x00")) + 1, "含有 NUL 字节（可能是二进制文件）"
    return (text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text), 0, ""


# What a contributor typed that YAML cannot read, recognised on one line of the front matter (only
# after a YAML error: patterns compiled by `re` when first used, not when every run starts).
_KEY_AT_START = rf"^[ \t]*(?:-[ \t]+)?({KEY_NAME})"  # a line's key, in a list's item too
_KEY_GLUED = _KEY_AT_START + r":([^ \t:/])"  # `region:永康市`, `region:\u3000永康市`
_KEY_SPACED = _KEY_AT_START + r"[ \t]+:(?=[^ \t\n])"  # `region :永康市`
_FIELD = _KEY_AT_START + r":(?:[ \t]+(.*))?$"  # `key: value`
_ODD_INDENT = r"^[ \t]*[\u00a0\u3000\u2000-\u200a\u202f]"  # pasted from a web page or Word
_SPECIAL_START = "*@`%|>"  # what YAML reads as an alias, reserved characters, a block scalar
_BLOCK_SCALAR = r"[|>][+-]?[1-9]?[+-]?(?:[ \t]+#.*)?"  # `summary: >`: the value follows, indented
_BRACKETS = {"[": "]", "{": "}"}


_WRITTEN_WRONG = "字段部分（开头两行 `---` 之间，YAML 格式）写法有误："
# Said after a front-matter syntax error: the body was checked (its sections, lists ...), the fields
# and what the page makes of the body (its HTML, links, pictures) wait until the fields can be read.
UNREAD_FIELDS = "。（改好之前，各字段的取值和正文里的 HTML、链接、图片还没有检查，改好后可能还有其他提示）"


def _quoted(key: str, value: str) -> str:
    return f"`{key}: '{value.replace(chr(39), chr(39) * 2)}'`"


def _open_list(line: str) -> str | None:
    """`tags: [甲, 乙` (the closing bracket left out), or None."""
    m = re.match(_FIELD, line)
    value = (m.group(2) or "").strip() if m else ""
    if value and value[0] in _BRACKETS and _BRACKETS[value[0]] not in value:
        return f"`{m.group(1)}` 的列表少了右括号 `{_BRACKETS[value[0]]}`；列表写成 `{m.group(1)}: [甲, 乙]`，写在一行内"
    return None


def line_problem(line: str, previous: str | None) -> str | None:
    """What is wrong with one front-matter line, in the words a contributor needs, or None. Only
    what is certain from the line alone (the parser's error says a problem exists nearby)."""
    if line.lstrip(" ").startswith("\t"):
        return "这一行用 Tab 键缩进；这里只认半角空格：字段顶格写，列表项（`- `）缩进两个空格"
    if re.match(_ODD_INDENT, line):
        return "这一行开头有全角空格或不间断空格（从网页或 Word 粘贴时常带进来）；请删掉，缩进只用半角空格"
    if m := re.match(_KEY_SPACED, line):
        return f"字段名和冒号之间不要有空格，冒号后要有一个：`{m.group(1)}: {line[m.end():].strip()}`"
    if m := re.match(_KEY_GLUED, line):
        key, rest = m.group(1), line[m.end(2) - 1:]
        if m.group(2).isspace():
            return f"`{key}:` 后面是全角空格或其他特殊空白；请换成一个半角空格：`{key}: {rest.strip()}`"
        return f"`{key}:` 后面要有一个半角空格：`{key}: {rest.strip()}`"
    if m := re.match(_FIELD, line):
        key, value = m.group(1), (m.group(2) or "").strip()
        if comment := re.search(r"[ \t]#(?=[ \t]|$)", value):  # `# 编者注`: a comment, not the value's
            value = value[:comment.start()].rstrip()
        if value and value[0] in _SPECIAL_START and not re.fullmatch(_BLOCK_SCALAR, value):
            return f"值以“{value[0]}”开头，程序会把它当作特殊符号；请给整个值加单引号：{_quoted(key, value)}"
        if problem := _open_list(line):
            return problem
        if value and value[0] in _BRACKETS:
            close = value.rfind(_BRACKETS[value[0]])
            if value[close + 1:].strip() and not value[close + 1:].lstrip().startswith("#"):
                return f"值以“{value[0]}”开头，程序会把它当作列表；若这是一段文字，请给整个值加单引号：{_quoted(key, value)}"
        if ": " in value and value[0] not in "\"'":
            return f"值里有“冒号加空格”（`: `），程序会把它当成另一个字段；请给整个值加单引号：{_quoted(key, value)}"
        return None
    stripped = line.strip()
    if stripped and line[:1] not in " \t#-" and previous is not None and re.match(_FIELD, previous):
        return "这一行不是“字段: 值”的形式：若它接着上一行的值（如从 Word 粘贴的摘要分成了两行），请把它接到上一行末尾，一个字段的值写在同一行"
    return None


def yaml_problem(exc: yaml.YAMLError, lines: tuple[str, ...], offset: int) -> tuple[int, str]:
    """A YAML error -> (file line, Chinese explanation with a hint for the usual causes)."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    # mark.line also counts U+0085/U+2028/U+2029 as line ends; the file's lines end at "\n" only.
    index = "\n".join(lines).count("\n", 0, mark.index) if mark is not None else 0
    index = min(index, max(len(lines) - 1, 0))
    # The parser often notices a bad value only on a later line (two, after a value on two lines):
    # the nearest line above that shows a known mistake is the one to change.
    nearby = [i for i in (index, index - 1, index - 2) if 0 <= i < len(lines)]
    for i in nearby:
        if _QUOTED_PREFIX.search(lines[i]):
            return i + offset, (
                "YAML 语法错误：值以引号开头却在引号后还有文字（如 `title: \"阳光车队\"工作法`）；"
                "请给整个值加引号，如 `title: '“阳光车队”工作法'`"
            )
    for i in nearby:
        if problem := line_problem(lines[i], lines[i - 1] if i else None):
            return i + offset, f"{_WRITTEN_WRONG}{problem}"
    for i in range(index - 3, -1, -1):  # a list left open runs on until the parser gives up
        if problem := _open_list(lines[i]):
            return i + offset, f"{_WRITTEN_WRONG}{problem}"
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return index + offset, f"YAML 语法错误：请检查这一行和上一行的冒号、引号、缩进和列表写法（解析器的说明：{problem}）"


def load_case(path: Path, root: Path, shown_root: str | None = None) -> RawCase:
    """shown_root: the library as findings show it (computed once per library, not per file)."""
    root_str, path_str = str(root), str(path)
    if path_str.startswith(root_str + os.sep):  # string slicing: pathlib is slow for thousands
        rel = path_str[len(root_str) + 1:].replace(os.sep, "/")
    else:
        rel = path.relative_to(root).as_posix()
    shown = shown_path(path) if shown_root is None else shown_in(shown_root, rel)

    def broken(line: int, code: str, message: str, text: str = "") -> RawCase:
        return RawCase(path, rel, shown, text, 0, (), None, "", 0, (Finding(shown, line, code, message),))

    try:
        data = path.read_bytes()
    except OSError as exc:
        return broken(1, "E101", f"无法读取文件（{exc.strerror}）")
    if len(data) > MAX_FILE_BYTES:
        return broken(1, "E111", f"文件有 {len(data):,} 字节，超过上限 {MAX_FILE_BYTES:,}；图片请放入 assets/ 并以链接引用")
    text, line, problem = decode(data)
    if text is None:
        return broken(line, "E101", f"文件不是 UTF-8 编码：{problem}；请用编辑器“另存为 UTF-8”后再提交")

    first = text.split("\n", 1)[0]
    if first.rstrip() != FENCE:
        hint = "文件开头有空行，" if not first.strip() and "\n" in text else ""
        return broken(1, "E102", f"缺少 front matter：{hint}第一行应是 `---`，实际是“{first[:30]}”", text)
    end = _CLOSING_FENCE.search(text, len(first))  # the closing fence, without splitting the body
    if end is None:
        return broken(1, "E103", "front matter 从第 1 行的 `---` 开始，但没有以一行 `---` 结束", text)

    front_text = text[len(first) + 1:end.start() - 1] if end.start() > len(first) + 1 else ""
    front = tuple(front_text.split("\n")) if front_text or end.start() > len(first) + 1 else ()
    body = text[end.end() + 1:] if end.end() < len(text) else ""
    findings: list[Finding] = []
    for i, ln in enumerate(front if "：" in front_text else ()):
        if _FULLWIDTH_KEY.match(ln):
            key = ln.split("：", 1)[0].strip()
            findings.append(Finding(shown, i + 2, "E107", f"字段 `{key}` 后用了全角冒号“：”；请改成半角冒号加空格，如 `{key}: ...`" + UNREAD_FIELDS))
    node = None
    if not findings:  # a full-width colon is the cause of any YAML error that follows: say it once
        try:
            node = yaml.compose(front_text, Loader=Loader)
        except yaml.YAMLError as exc:
            line, message = yaml_problem(exc, front, 2)
            findings.append(Finding(shown, line, "E104", message + UNREAD_FIELDS))
        except RecursionError:
            findings.append(Finding(shown, 2, "E110", "front matter 嵌套过深，无法解析"))
    return RawCase(path, rel, shown, text, 2, front, node, body, len(front) + 3, tuple(findings))


@dataclass(frozen=True)
class SourceText:
    """A case file as it is on disk, for writing it back changed only where meant (`--fix`)."""

    bom: bytes  # the UTF-8 byte-order mark the file starts with, or b""
    original: str  # the decoded text, line endings as they are
    body: str  # the body as validation sees it (line endings normalised)
    body_start: int  # 0-based file line of the body's first line


def decode_file(path: Path) -> SourceText | None:
    """The file's text and body; None when it cannot be read or has no front matter to skip."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    raw = load_case(path, path.parent, ".")
    if raw.findings and not raw.body or raw.text == "":
        return None
    bom = codecs.BOM_UTF8 if data.startswith(codecs.BOM_UTF8) else b""
    return SourceText(bom, data[len(bom):].decode("utf-8"), raw.body, raw.body_line - 1)


def load_taxonomy(root: Path) -> tuple[object, list[Finding]]:
    """taxonomy.yml -> plain data (validated in validate.py) and parse findings."""
    path = root / "taxonomy.yml"
    shown = shown_path(path)
    # A link out of the library is not read (the gate's own rule; walk_library reports the same E701).
    if path.is_symlink() and (why := _leaves(path, os.path.realpath(root), folder=False)) is not None:
        return None, [Finding(shown_in(shown_path(root), "taxonomy.yml"), 1, "E701", why)]  # the link, not its target
    if not os.path.lexists(path):
        return None, [Finding(shown, 1, "E601", f"找不到词表文件 taxonomy.yml（应在 {shown_path(root)}/ 中）")]
    try:
        if (why := plain_file_problem(path)) is not None:  # a named pipe would never end
            raise OSError(why)
        data = path.read_bytes()
    except OSError as exc:
        return None, [Finding(shown, 1, "E601", f"无法读取词表文件 taxonomy.yml（{exc.strerror or exc}）")]
    text, line, problem = decode(data)
    if text is None:
        return None, [Finding(shown, line, "E601", f"taxonomy.yml 不是 UTF-8 编码：{problem}")]
    try:
        return yaml.load(text, Loader=Loader), []
    except yaml.YAMLError as exc:
        line, message = yaml_problem(exc, tuple(text.split("\n")), 1)
        return None, [Finding(shown, line, "E601", f"taxonomy.yml 无法解析：{message}")]


def taxonomy_lines(root: Path) -> dict[tuple[str, int], int]:
    """(vocabulary, item index) -> file line of each value in taxonomy.yml ({} when unreadable)."""
    try:
        if plain_file_problem(root / "taxonomy.yml") is not None:
            return {}
        text, _, _ = decode((root / "taxonomy.yml").read_bytes())
        node = yaml.compose(text, Loader=Loader) if text is not None else None
    except (OSError, yaml.YAMLError, RecursionError):
        return {}
    lines, line = {}, scan.line_index(text)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and isinstance(value, yaml.SequenceNode):
                for i, item in enumerate(value.value):
                    lines[(key.value, i)] = line(item.start_mark.index) + 1
    return lines


def file_stamp(path: Path) -> tuple | None:
    """What tells that a file changed without reading it (modification and change times, size,
    inode); None when it cannot be looked at."""
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino, st.st_ctime_ns)


def read_image_heads(root: Path, rels: tuple[str, ...]) -> dict[str, tuple[bytes, tuple[int, int] | None]]:
    """The first bytes of every raster image among `rels`, for the check of its format (E421), and
    the size its header claims (E423; a JPEG's is read segment by segment, not whole)."""
    out = {}
    for rel in rels:
        if rel.lower().endswith(tuple(IMAGE_SIGNATURES)):
            try:
                with open(root / rel, "rb") as f:
                    def read(offset: int, n: int) -> bytes:
                        f.seek(offset)
                        return f.read(n)

                    out[rel] = (read(0, 16), image_size(os.path.splitext(rel)[1], read))
            except OSError:
                pass
    return out


def read_svgs(root: Path, rels: tuple[str, ...]) -> dict[str, bytes]:
    """The bytes of every SVG file among `rels` (library-relative) that can be read, for the asset
    check (sanitize.svg_problems reads them as a browser does)."""
    out = {}
    for rel in rels:
        if is_svg(rel):
            try:
                out[rel] = (root / rel).read_bytes()
            except OSError:
                pass
    return out
