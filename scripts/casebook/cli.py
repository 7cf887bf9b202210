"""argv -> exit code. Calls the core only; prints what it returns.

Exit codes: 0 clean, 1 findings that fail (or a file that would be overwritten), 2 usage error.
"""

from __future__ import annotations

import argparse
import datetime as dt
import difflib
import errno
import os
import re
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from .book.errors import BookError, FontError, TypesetError
from .contrib.errors import DraftError, GuideError, WordError
from .core import report
from .core.errors import CasebookError
from .core.files import write_whole
from .core.load import shown_path
from .core.model import Library
from .core.volumes import DEFAULT_VOLUME_PAGES
from .core.schema import SUMMARY_MAX

# The draft commands (new, import, from-issue, sync) import their modules when they run: pypinyin
# and python-docx take a while to load, and `casebook validate` needs neither.


# argparse's own words (usage, help, its errors), as the rest of casebook speaks: argparse asks
# gettext for each when it needs it (`argparse._`), so they are given here, once.
ARGPARSE_WORDS = {
    "usage: ": "用法：",
    "options": "选项",
    "positional arguments": "位置参数",
    "show this help message and exit": "显示本帮助后退出",
    "the following arguments are required: %s": "缺少必需的参数：%s",
    "unrecognized arguments: %s": "无法识别的参数：%s",
    "argument %(argument_name)s: %(message)s": "参数 %(argument_name)s：%(message)s",
    "invalid choice: %(value)r (choose from %(choices)s)": "没有 %(value)r 这一项（可选：%(choices)s）",
    "expected one argument": "后面要跟一个值",
    "expected at least one argument": "后面至少要跟一个值",
    "expected at most one argument": "后面最多跟一个值",
    "ambiguous option: %(option)s could match %(matches)s": "选项 %(option)s 不明确，可能是 %(matches)s",
    "invalid %(type)s value: %(value)r": "值 %(value)r 无效",
    "not allowed with argument %s": "不能与参数 %s 一起使用",
    "one of the arguments %s is required": "参数 %s 至少要有一个",
    "ignored explicit argument %r": "不需要值，却给了 %r",
    "unknown parser %(parser_name)r (choices: %(choices)s)": "没有 %(parser_name)r 这个命令（可选：%(choices)s）",
    "can't open '%(filename)s': %(error)s": "无法打开“%(filename)s”：%(error)s",
}
_NO_SUCH_CHOICE = r"没有 '([^']*)' 这一项（可选：(.*)）$"
_TYPED_DASH = r"^[—–－]+"  # a Chinese input method's dash (——title), an em or en dash, a full-width minus


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's own exit code for usage errors is 2 too
        if m := re.search(_NO_SUCH_CHOICE, message):
            close = difflib.get_close_matches(m.group(1), re.findall(r"'([^']*)'", m.group(2)), n=1)
            message += f"；是否想写“{close[0]}”？" if close else ""
        if message.startswith("无法识别的参数："):
            message += "（案例库用 `--cases 文件夹` 指定，如 `--cases cases`，不能写单个文件；运行 `casebook 命令 -h` 查看用法）"
        self.print_usage(sys.stderr)
        self.exit(2, f"casebook: 用法错误：{message}\n")


def typed_dashes(argv: list[str]) -> str | None:
    """The usage error for an option typed with a Chinese input method's dash (`——title`)."""
    for arg in argv:
        if arg[:1] in "—–－" and (m := re.match(_TYPED_DASH, arg)):
            return (f"参数“{arg}”开头的“{m.group()}”是中文破折号或全角符号：请切换到英文输入法，"
                    f"写成两个半角减号 `--{arg[m.end():].lstrip('-')}`")
    return None


def library_dir(value: str) -> Path:
    path = Path(value)
    if path.is_file():
        raise argparse.ArgumentTypeError(f"“{value}”是一个文件：--cases 要写案例库的文件夹（如 cases），会检查其中的所有案例")
    if not path.is_dir():
        here = Path.cwd()
        hint = ("当前文件夹有 taxonomy.yml，就是案例库本身：请写 --cases ." if (here / "taxonomy.yml").is_file()
                else f"当前在 {here}；请在仓库的根目录运行，或写出案例库文件夹的路径")
        raise argparse.ArgumentTypeError(f"案例库目录不存在：{value}（{hint}）")
    return path


def site_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise argparse.ArgumentTypeError(f"站点地址应是 http(s):// 开头的网址，如 https://用户.github.io/仓库/；实际是“{value}”")
    return value


def port_number(value: str) -> int:
    if not (value.isascii() and value.isdigit()) or not 0 <= int(value) <= 65535:
        raise argparse.ArgumentTypeError(f"端口应是 0 到 65535 之间的整数；实际是“{value}”")
    return int(value)


def make_parser() -> Parser:
    argparse._ = lambda text: ARGPARSE_WORDS.get(text, text)  # casebook's process speaks Chinese (not on import)
    parser = Parser(prog="casebook", description="两新党建工作法案例库：校验案例、生成站点。")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser, metavar="命令")

    p = sub.add_parser("validate", help="校验案例库，逐条报告问题（文件:行: 代码 说明）；通过即严格构建能原样发布")
    p.add_argument("--cases", type=library_dir, default="cases", help="案例库目录（默认 cases）")
    p.add_argument("--format", choices=sorted(report.FORMATS), default="text", help="输出格式（默认 text）")
    p.add_argument("--strict", action="store_true", help="有警告也算失败")
    p.add_argument("--fix", action="store_true",
                   help="按发布时的清理规则改正正文里的 HTML（删去 Word/WPS 粘贴带来的 style、class=Mso…、<font> 等），逐条列出改动")
    p.add_argument("--config-file", type=Path, default=None,
                   help="构建用的 MkDocs 配置（默认：当前目录或案例库所在各级目录中的 mkdocs.yml）")
    p.set_defaults(run=cmd_validate)

    p = sub.add_parser("build", help="校验后用 MkDocs 生成站点；失败时保留原有输出")
    p.add_argument("--cases", type=library_dir, default="cases", help="案例库目录（默认 cases）")
    p.add_argument("--site-dir", type=Path, default=Path("site"), help="输出目录（默认 site）")
    p.add_argument("--offline", action="store_true", help="生成可从 file:// 打开的离线版（含搜索）")
    p.add_argument("--zip", type=Path, metavar="DIR", help="离线版另打包为 DIR/<名称>-offline-<日期>.zip")
    p.add_argument("--config-file", type=Path, default=Path("mkdocs.yml"), help="MkDocs 配置（默认 mkdocs.yml）")
    p.add_argument("--site-url", type=site_url, metavar="URL", help="站点的发布地址，如 https://用户.github.io/仓库/（默认取环境变量 CASEBOOK_SITE_URL）；离线版忽略")
    p.add_argument("--downloads", type=Path, metavar="DIR",
                   help="把 DIR 中的案例汇编（casebook book 生成的 .pdf/.docx）放进站点 downloads/，首页和案例总览链接它们")
    p.add_argument("--no-cache", dest="cache", action="store_false",
                   help="不用页面缓存：每一页都重新生成（默认复用上次构建到同一输出目录时未变的页面；"
                        "缓存是输出目录旁的隐藏文件 .<目录名>.pagecache.sqlite，可随时删除）")
    p.set_defaults(run=cmd_build)

    p = sub.add_parser("serve", help="本地预览：按构建的方式即时生成页面，保存案例后浏览器自动刷新（校验错误显示在页面上）")
    p.add_argument("--cases", type=library_dir, default="cases", help="案例库目录（默认 cases）")
    p.add_argument("--port", type=port_number, default=8000, help="端口（默认 8000）")
    p.add_argument("--host", default="127.0.0.1", help="监听的地址（默认 127.0.0.1：只有本机能访问）")
    p.add_argument("--config-file", type=Path, default=Path("mkdocs.yml"), help="MkDocs 配置（默认 mkdocs.yml）")
    p.add_argument("--no-search", dest="search", action="store_false",
                   help="不建搜索索引（省电脑资源；预览中的搜索不可用）")
    p.set_defaults(run=cmd_serve)

    p = sub.add_parser("stage", help="把完整站点写成普通的 docs 目录和不含 casebook 插件的配置（供其他引擎构建）")
    p.add_argument("--cases", type=library_dir, default="cases", help="案例库目录（默认 cases）")
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="输出目录：DIR/mkdocs.yml 和 DIR/docs/")
    p.add_argument("--config-file", type=Path, default=Path("mkdocs.yml"), help="MkDocs 配置（默认 mkdocs.yml）")
    p.add_argument("--downloads", type=Path, metavar="DIR", help="同 build：DIR 中的案例汇编放进 downloads/")
    p.set_defaults(run=cmd_stage)

    p = sub.add_parser("book", help="生成案例汇编：可打印的 PDF 和可编辑的 Word（DIR/<名称>-<日期>.pdf/.docx）")
    p.add_argument("--cases", type=library_dir, default="cases", help="案例库目录（默认 cases）")
    p.add_argument("--out", type=Path, default=Path("dist"), metavar="DIR", help="输出目录（默认 dist）")
    p.add_argument("--format", default="pdf,docx", help="pdf、docx 或 pdf,docx（默认两者）")
    p.add_argument("--title", help="书名（默认取 --config 中的 title）")
    p.add_argument("--compiler", help="编者，印在封面（默认取 --config 中的 compiler）")
    p.add_argument("--group-by", default="category", metavar="FIELD", help="按哪个词表字段分篇（默认 category）")
    p.add_argument("--where", action="append", default=[], metavar="FIELD=VALUE",
                   help="只收录该字段取该值的案例，如 region=东城街道；可重复（同一字段为“或”，不同字段为“且”）")
    p.add_argument("--volume-pages", type=int, default=DEFAULT_VOLUME_PAGES, metavar="N",
                   help=f"每册的页数上限（默认 {DEFAULT_VOLUME_PAGES}）：超过时分册，先按分篇字段、再按顺序；每册有自己的封面、目录和页码，"
                        "文件名带册号（-ce01），并写出分册清单 volumes.json 供站点链接")
    p.add_argument("--config", type=Path, help="书名、编者、文件名的配置（YAML；默认读取当前目录的 book.yml，如有）")
    p.add_argument("--skip-without-font", action="store_true",
                   help="找不到中文字体时只提示、不生成 PDF（Word 照常生成），退出码 0；make site 用")
    p.set_defaults(run=cmd_book)

    p = sub.add_parser("checksums", help="为 DIR 中要发布的文件（离线包 .zip、案例汇编 .pdf/.docx、SBOM .cdx.json）写出 SHA256SUMS")
    p.add_argument("dir", nargs="?", type=Path, default=Path("dist"), metavar="DIR", help="文件所在目录（默认 dist）")
    p.set_defaults(run=cmd_checksums)

    p = sub.add_parser("new", help="按模板新建案例草稿 DIR/ID.md（不覆盖已有文件）")
    p.add_argument("--cases", type=library_dir, default="cases", help="案例库目录（默认 cases）")
    p.add_argument("--id", help="编号，也是文件名；不写时由标题的拼音生成")
    p.add_argument("--title", required=True, help="标题（工作法名称）")
    p.add_argument("--org", required=True, help="单位或党组织名称")
    p.add_argument("--org-type", help="组织类型，取自词表 org_type")
    p.add_argument("--party-org", help="党组织，取自词表 party_org")
    p.add_argument("--region", help="地区，取自词表 region")
    p.add_argument("--industry", help="行业，取自词表 industry")
    p.add_argument("--category", action="append", help="类别，取自词表 category；可重复，或用逗号分隔")
    p.add_argument("--tags", action="append", help="标签，取自词表 tags；可重复，或用逗号分隔")
    p.add_argument("--summary", help=f"摘要，不超过 {SUMMARY_MAX} 字")
    p.add_argument("--source", help="来源：事实出处，如讲话、文件、报道")
    p.set_defaults(run=cmd_new)

    p = sub.add_parser("import", help="把 Word 文档（.docx；装有 LibreOffice 时也可以是 .doc/.wps）转成案例草稿，图片放入 assets/")
    p.add_argument("file", metavar="FILE.docx", type=Path, help="Word 文档")
    p.add_argument("--cases", type=library_dir, default="cases", help="案例库目录（默认 cases）")
    p.add_argument("--id", help="编号，也是文件名；不写时由标题的拼音生成")
    p.add_argument("--split", action="store_true", help="文件是案例汇编：每个案例生成一个草稿（先列出计划；全部写入或都不写）")
    p.add_argument("--dry-run", action="store_true", help="与 --split 同用：只列出计划，不写入任何文件")
    p.add_argument("--id-prefix", metavar="PREFIX", help="与 --split 同用：每个编号前加“PREFIX-”，避开库中已有的编号")
    p.set_defaults(run=cmd_import)

    p = sub.add_parser("from-issue", help="把用“提交新案例”表单提交的 issue 正文转成案例草稿")
    p.add_argument("file", metavar="FILE", help="保存 issue 正文的文件；- 表示从标准输入读取")
    p.add_argument("--cases", type=library_dir, default="cases", help="案例库目录（默认 cases）")
    p.add_argument("--id", help="编号，也是文件名；不写时由标题的拼音生成")
    p.set_defaults(run=cmd_from_issue)

    p = sub.add_parser("sync", help="按 schema 和词表重新生成 CONTRIBUTING.md 的字段表等部分和 issue 表单")
    p.add_argument("--cases", type=library_dir, default="cases", help="词表所在的案例库（默认 cases）")
    p.add_argument("--root", type=library_dir, default=".", help="仓库根目录（默认当前目录）")
    p.add_argument("--check", action="store_true", help="只检查，不写入；有过时的文件时退出码为 1")
    p.set_defaults(run=cmd_sync)
    return parser


def cmd_validate(args: argparse.Namespace) -> int:
    if args.fix:
        fixed = fix_library(args.cases, args.config_file)
        if fixed is None:
            return 2
    library = checked_library(args.cases, args.config_file)
    if library is None:
        return 2
    sys.stdout.write(report.FORMATS[args.format](library))
    failed = library.errors or (args.strict and library.warnings)
    return 1 if failed else 0


def checked_library(cases: Path, config_file: Path | None) -> Library | None:
    """The library validated as the build would publish it (site/publish.py); None after printing
    why it could not be (the MkDocs configuration is wrong, or missing where it was named).

    No --config-file and no mkdocs.yml found (a library checked on its own): the core's checks
    only, and a note that the pages were not checked the way a build renders them."""
    from .site.publish import check_library, with_pictures_checked

    found = config_file or find_config(cases)
    if found is not None and (inside := config_in_library(found, cases)) is not None:
        fail(config_in_library_message(found, inside))
        return None

    def context(library: Library):
        from .site import engine

        if found is None or not found.is_file():
            raise _NoConfig()
        return engine.page_context(engine.load(found), library)

    asked: dict[tuple[str, ...], dict] = {}  # a library without mkdocs.yml is loaded twice (below): its pictures asked once

    def pictures(root: Path, rels: list[str]) -> dict:
        if tuple(rels) not in asked:
            asked[tuple(rels)] = pictures_refused(root, rels)
        return asked[tuple(rels)]

    try:
        return check_library(cases, context, pictures=pictures)
    except _NoConfig:
        if config_file is not None:
            no_config(config_file, "校验正文中的链接和 HTML 要按构建的配置渲染页面")
            return None
        from .core.library import load_library

        print("casebook: 注意：找不到 MkDocs 配置 mkdocs.yml，正文中的链接和 HTML 没有按构建的方式检查"
              "（在仓库根目录运行，或用 --config-file 指定）。", file=sys.stderr)
        return with_pictures_checked(load_library(cases), pictures)
    except CasebookError as exc:
        fail(str(exc))
    return None


def pictures_refused(root: Path, rels: list[str]) -> dict[str, str]:
    """The book's own picture check (E424), saying on stderr when it will take a while (stdout
    may be validate's JSON); the book's modules are loaded only when there are pictures."""
    from .book.pictures import pictures_refused

    return pictures_refused(root, rels, say=say)


def say(line: str) -> None:
    """A line about long work on stderr, at once (stdout may be validate's JSON)."""
    print(f"casebook: {line}", file=sys.stderr, flush=True)


def find_config(cases: Path) -> Path | None:
    """mkdocs.yml in the current directory, else in a folder above the library's; never one in the
    library (`config_in_library`)."""
    root = cases.resolve()
    for folder in (Path.cwd(), *root.parents):
        if (folder / "mkdocs.yml").is_file() and config_in_library(folder / "mkdocs.yml", cases) is None:
            return folder / "mkdocs.yml"
    return None


def config_in_library(config: Path, cases: Path) -> Path | None:
    """The MkDocs configuration, or a file it takes in with `INHERIT:`, when it is a file of the
    library (where it is, or what it links to); else None. MkDocs loads its configuration with
    PyYAML's full loader, whose `!!python/...` tags run code; a library is input from
    contributors, so no file of it is ever loaded as configuration."""
    root = cases.resolve()
    for path in _config_files(config):
        if any(p == root or root in p.parents for p in (path.absolute(), path.resolve())):
            return path
    return None


def _config_files(config: Path) -> list[Path]:
    """The configuration file and those it inherits (`INHERIT:`, relative to the file naming it),
    read as YAML nodes only: nothing is constructed, so no tag runs."""
    import yaml

    files: list[Path] = []
    while config not in files and len(files) < 20:
        files.append(config)
        try:
            text = config.read_text(encoding="utf-8")
            node = yaml.compose(text, Loader=yaml.CSafeLoader) if "INHERIT" in text else None
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            break  # MkDocs says what is wrong with it
        parent = [v for k, v in node.value if getattr(k, "value", None) == "INHERIT"] if isinstance(node, yaml.MappingNode) else []
        if not (parent and isinstance(parent[0], yaml.ScalarNode)):
            break
        config = config.parent / parent[0].value
    return files


def config_in_library_message(config: Path, inside: Path) -> str:
    what = f"MkDocs 配置 {shown_path(config)}" + ("" if inside == config else f" 用 INHERIT 引入的 {shown_path(inside)}")
    return (f"{what} 在案例库里面：库里的文件是投稿的内容，不会当作配置执行"
            f"（YAML 的 !!python 标签会运行代码）；请在仓库根目录运行，或用 --config-file 指定库外的配置")


class _NoConfig(Exception):
    pass


def fix_library(cases: Path, config_file: Path) -> list[str] | None:
    """`validate --fix`: the sanitiser's own changes written into each case file's body; prints
    `path:line: fixed ...` for each and returns those lines (None: could not check)."""
    from .core.load import decode_file, walk_library
    from .site.publish import apply_edits, fix_edits, needs_check

    done: list[str] = []
    for path in walk_library(cases).cases:
        raw = decode_file(path)
        if raw is None or not needs_check(raw.body):
            continue
        edits = fix_edits(raw.body)
        if not edits:
            continue
        text = apply_edits(raw.original, raw.body, raw.body_start, edits)
        try:
            write_whole(path.resolve(), raw.bom + text.encode("utf-8"))  # a link inside the library stays a link
        except OSError as exc:
            fail(f"无法写入 {shown_path(path)}（{exc.strerror or exc}）")
            return None
        for e in edits:
            line = f"{shown_path(path)}:{raw.body_start + e.line + 1}: fixed {e.what}"
            print(line)
            done.append(line)
    if done:
        print(f"已按发布时的清理规则改正 {len(done)} 处；下面是改正后的校验结果。\n")
    return done


def cmd_build(args: argparse.Namespace) -> int:
    from .core.progress import Stages, amount, megabytes
    from .site.build import build_site, pack_zip, tree_size  # zipfile, MkDocs: not needed to validate
    from .site.provenance import SITE_URL_ENV

    if args.zip and not args.offline:
        print("casebook: 用法错误：--zip 只用于离线版，请同时加 --offline", file=sys.stderr)
        return 2
    if not args.config_file.is_file():
        return no_config(args.config_file)
    stages = Stages(progress)  # one line a stage on stdout, so a long build never looks hung
    library = valid_library(args.cases, args.config_file, f"没有生成站点；{args.site_dir} 保持原样。")
    if isinstance(library, int):
        return library
    flavour = "离线版" if args.offline else "站点"
    stages.done("校验", f"{amount(len(library.cases), '个案例')}通过，{amount(len(library.published), '个')}将发布")
    progress(f"正在生成{flavour}（MkDocs）…")
    try:
        build_site(args.config_file, library, args.site_dir, offline=args.offline,
                   site_url=args.site_url or os.environ.get(SITE_URL_ENV) or None, downloads=args.downloads,
                   progress=progress, cache=args.cache)
    except CasebookError as exc:
        print(f"casebook: {exc}；{args.site_dir} 保持原样。", file=sys.stderr)
        return 1
    count, size = tree_size(args.site_dir)
    stages.done(f"已生成{flavour}", f"{args.site_dir}/，{amount(count, '个文件')}，{megabytes(size)}")
    if args.zip:
        path, count = pack_zip(args.site_dir, args.zip)
        stages.done("已打包离线版", f"{path}，{amount(count, '个文件')}，{megabytes(path.stat().st_size)}")
    print(f"共用时 {stages.total():.1f} 秒。")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import signal
    import threading

    from .book.pictures import PictureVerdicts
    from .site.serve import Preview, make_server, watch

    if not args.config_file.is_file():
        return no_config(args.config_file)
    if (inside := config_in_library(args.config_file, args.cases)) is not None:
        return fail(config_in_library_message(args.config_file, inside))
    start = time.monotonic()
    try:
        server = make_server(args.host, args.port)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            return fail(f"端口 {args.port} 已被占用（另一个预览或程序正在使用它）；请先关掉它，或换一个端口：casebook serve --port {args.port + 1}", 1)
        return fail(f"无法在 {args.host}:{args.port} 上启动预览：{exc.strerror or exc}；请检查 --host 和 --port", 1)
    try:
        print(f"正在载入案例库 {shown_path(args.cases)} …", file=sys.stderr, flush=True)
        try:
            state = Preview(args.config_file, args.cases, search=args.search, pictures=PictureVerdicts(say=say))
        except CasebookError as exc:
            return fail(str(exc), 1)
        server.preview = state
        host, port = server.server_address[:2]
        shown_host = f"[{host}]" if ":" in str(host) else host
        print(f"预览已启动：http://{shown_host}:{port}/ （{len(state.library.published)} 个案例，{time.monotonic() - start:.1f} 秒）。"
              "保存文件后页面自动刷新；按 Ctrl+C 停止。", file=sys.stderr, flush=True)
        stop = threading.Event()
        threading.Thread(target=watch, args=(state, stop), name="casebook-watch", daemon=True).start()
        previous = signal.signal(signal.SIGTERM, _interrupt)  # `kill`: stop as Ctrl+C does, cleaning up
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            print("\n预览已停止。", file=sys.stderr)
        finally:
            signal.signal(signal.SIGTERM, previous)
            stop.set()
            state.close()
    finally:
        server.server_close()
    return 0


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def progress(line: str) -> None:
    """A stage line of long work (core/progress.py) on stdout, at once."""
    print(line, flush=True)


def cmd_checksums(args: argparse.Namespace) -> int:
    from .site.checksums import CHECKSUMS_NAME, DISTRIBUTABLES, ChecksumError, write_checksums

    if not args.dir.is_dir():
        return fail(f"找不到目录 {args.dir}（先运行 make site）")
    try:
        path, names = write_checksums(args.dir)
    except (ChecksumError, OSError) as exc:
        return fail(f"无法写出 {CHECKSUMS_NAME}：{exc}", 1)
    if not names:
        print(f"casebook: 注意：{args.dir} 中没有要发布的文件（{'、'.join(DISTRIBUTABLES)}），{path} 是空的", file=sys.stderr)
    print(f"已写出 {path}（{len(names)} 个文件）")
    return 0


def cmd_stage(args: argparse.Namespace) -> int:
    from .site.stage import prepare_stage, stage_problem, write_stage

    if not args.config_file.is_file():
        return no_config(args.config_file)
    library = valid_library(args.cases, args.config_file, "没有写出站点目录。")
    if isinstance(library, int):
        return library
    try:
        stage = prepare_stage(args.config_file, library, os.environ, args.downloads)
    except CasebookError as exc:
        return fail(str(exc))
    if problem := stage_problem(stage, args.out):
        return fail(problem)
    from .site.build import replacing

    with replacing(args.out) as scratch:  # the whole tree, or nothing
        count = write_stage(stage, scratch)
    print(f"已写出 {count} 个文件：{args.out}/（在该目录中运行 mkdocs build；不含 casebook 插件，见 README）")
    return 0


def cmd_book(args: argparse.Namespace) -> int:
    from .book import make
    from .core.progress import Stages, amount, megabytes
    from .core.volumes import VOLUMES_FILE, VolumeFiles, volumes_json

    try:
        formats = make.parse_formats(args.format)
        config = make.read_config(args.config)
    except BookError as exc:
        return fail(f"用法错误：{exc}")
    stages = Stages(progress)
    library = valid_library(args.cases, None, "没有生成案例汇编。")
    if isinstance(library, int):
        return library
    stages.done("校验", f"{amount(len(library.cases), '个案例')}通过")
    try:
        plan = make.plan_volumes(library, title=args.title or config["title"], compiler=args.compiler or config["compiler"],
                                 group_by=args.group_by, where=args.where, budget=args.volume_pages)
    except BookError as exc:
        return fail(f"用法错误：{exc}")
    if not plan.count:
        return fail("没有符合条件的已发布案例（草稿不收录），没有生成案例汇编。", 1)
    fonts = None
    if "pdf" in formats:
        from .book.fonts import find_cjk_fonts

        try:
            fonts = find_cjk_fonts()
        except FontError as exc:
            print(f"casebook: {exc}", file=sys.stderr, end="")
            if not args.skip_without_font:
                return 1
            print("casebook: 未生成 PDF（--skip-without-font）。", file=sys.stderr)
            formats.remove("pdf")
    scope = f"（{plan.scope}）" if plan.scope else ""
    many = len(plan.volumes) > 1
    split = f"，分 {len(plan.volumes)} 册（每册不超过约 {args.volume_pages:,} 页）" if many else ""
    stages.done(f"编排案例汇编{scope}", f"{amount(plan.count, '个案例')}，{plan.parts} 篇，估计 {plan.pages:,} 页{split}")
    listed = []
    for volume in plan.volumes:  # one volume in memory at a time
        stages.restart()  # the font search is not this volume's time
        book = make.volume_book(plan, volume)
        if fonts is not None and "pdf" in formats and (boxes := make.unprintable(book, fonts)):
            shown = "、".join(f"{c}（{args.cases / rel if rel else '封面'}）" for c, rel in boxes[:10])
            more = f"等 {len(boxes)} 个字符" if len(boxes) > 10 else ""
            print(f"casebook: 注意：找到的字体（{fonts.serif}、{fonts.sans}{'、' + fonts.emoji if fonts.emoji else ''}）"
                  f"没有 {shown}{more}，PDF 中可能显示为方框（Word 版照常）。表情符号需要彩色表情字体"
                  "（Debian/Ubuntu：sudo apt-get install fonts-noto-color-emoji）；其他字符请安装含有它们的字体，"
                  "或用环境变量 CASEBOOK_FONT_DIRS 指向字体文件夹，然后重新生成。", file=sys.stderr)
        names = []
        for fmt in formats:
            try:
                data = make.render(book, fmt, args.cases, fonts)
            except TypesetError as exc:
                return fail(f"PDF 排版失败：{exc}", 1)
            except BookError as exc:  # text a format cannot hold (validate refuses it first)
                return fail(str(exc), 1)
            target = make.output_path(args.out, config, book, fmt)
            write_whole(target, data)
            names.append(target.name)
            pages = f"，{amount(n, '页')}" if (n := make.page_count(data, fmt)) else ""
            which = f"第{volume.number}册 " if many else " "
            stages.done(f"已生成{which}{make.FORMAT_LABELS[fmt]}", f"{target}{pages}，{megabytes(len(data))}")
            del data
        listed.append(VolumeFiles(volume.number, volume.holds, book.count, tuple(names)))
        del book
    volumes_path = args.out / VOLUMES_FILE
    if many:
        write_whole(volumes_path, volumes_json(listed))
        print(f"已写出分册清单：{volumes_path}（{len(listed)} 册；站点的下载链接按它列出每一册）")
    elif volumes_path.is_file():  # a list from an earlier, split book would name files of another book
        volumes_path.unlink()
    print(f"共用时 {stages.total():.1f} 秒。")
    return 0


# -- drafts: new, import, from-issue ---------------------------------------------------------


def fail(message: str, code: int = 2) -> int:
    print(f"casebook: {message}", file=sys.stderr)
    return code


def no_config(path: Path, why: str = "") -> int:
    return fail(f"找不到 MkDocs 配置 {path}（{why + '；' if why else ''}请在仓库根目录运行，或用 --config-file）")


def valid_library(cases: Path, config_file: Path | None, not_done: str) -> Library | int:
    """The library as `casebook validate` judges it (`checked_library`: every case page too, as the
    build renders it), or the exit status after saying why not: 2 when it could not be checked, 1
    with every finding and `not_done` (what was not made) when it has errors. The site, the staged
    tree and the book hold what validate accepts, no case it refuses."""
    library = checked_library(cases, config_file)
    if library is None:
        return 2
    if library.errors:
        sys.stderr.write(report.as_text(library))
        return fail(f"校验未通过，{not_done}", 1)
    return library


def choose_id(given: str | None, *titles: str) -> str:
    """--id, or the pinyin of the first title that gives one; DraftError otherwise."""
    from .contrib.drafts import check_id, derive_id

    if given:
        return check_id(given)
    for title in titles:
        if title and (derived := derive_id(title)):
            return derived
    raise DraftError("无法从标题生成编号（标题为空或没有汉字、字母和数字）；请用 --id 指定，如 --id yangguang-chedui")


def claimed(root: Path, case_id: str) -> str | None:
    """Why DIR/ID.md must not be written: it exists, or another case has the id."""
    from .contrib.drafts import id_taken, ids_in_use

    match id_taken(root, case_id, ids_in_use(root)):
        case ("file", path):
            return f"{shown_path(path)} 已存在，没有做任何改动；请换一个编号（--id），或直接编辑该文件"
        case ("case", path):
            return f"编号“{case_id}”已被 {shown_path(path)} 使用，没有做任何改动；请用 --id 换一个编号"
    return None


def write_draft(root: Path, draft, taxonomy, pictures: dict[str, bytes] | None = None) -> int:
    """Save DIR/ID.md (and pictures) without overwriting anything; print what was done and what is left."""
    from .contrib.drafts import save_draft

    try:
        saved = save_draft(root, draft, taxonomy, dt.date.today(), pictures)
    except DraftError as exc:
        return fail(str(exc), 1)
    shown = shown_path(saved.path)
    print(f"已生成草稿：{shown}")
    for path in saved.pictures:
        print(f"已导入图片：{shown_path(path)}")
    if saved.notes:
        print("\n需要人工处理：")
        print("".join(f"  - {n}\n" for n in saved.notes), end="")
    if saved.findings:
        print("\n校验结果（补全后应只剩“待补充”章节的提醒）：")
        print("".join(f"  {f.text()}\n" for f in saved.findings), end="")
    print(
        "\n下一步：\n"
        f"  1. 打开 {shown}，填写标有“必填”的字段，补写或核对“待补充”的章节；\n"
        f"  2. 运行 casebook validate --cases {shown_path(root)}，按提示修改，直到没有错误；\n"
        "  3. 内容完整、核对无误后，把 status: draft 改为 status: published，再提交。"
    )
    return 0


def cmd_new(args: argparse.Namespace) -> int:
    from .contrib.drafts import Draft, checked_values, library_taxonomy

    try:
        taxonomy = library_taxonomy(args.cases)
        values = checked_values({
            "title": args.title, "organization": args.org, "org_type": args.org_type,
            "party_org": args.party_org, "region": args.region, "industry": args.industry,
            "category": args.category, "tags": args.tags, "summary": args.summary, "source": args.source,
        }, taxonomy)
        if "title" not in values or "organization" not in values:
            raise DraftError("--title 和 --org 不能为空")
        case_id = choose_id(args.id, values["title"])
    except DraftError as exc:
        return fail(str(exc))
    if problem := claimed(args.cases, case_id):
        return fail(problem, 1)
    return write_draft(args.cases, Draft((("id", case_id), *values.items()), ()), taxonomy)


def cmd_import(args: argparse.Namespace) -> int:
    from .contrib import compilation, word
    from .contrib.docxfile import Meter
    from .contrib.drafts import Draft, check_id, library_taxonomy
    from .contrib.legacy import document_bytes

    if (args.dry_run or args.id_prefix) and not args.split:
        return fail("用法错误：--dry-run 和 --id-prefix 只与 --split 一起使用")
    if args.split and args.id:
        return fail("用法错误：--split 时每个案例的编号由它的标题生成，不能用 --id；要避开已有的编号，请用 --id-prefix")
    try:
        if args.id_prefix:
            check_id(args.id_prefix)
        taxonomy = library_taxonomy(args.cases)
        data = document_bytes(args.file)
        meter = Meter()  # one time limit for reading and recognising
        source = word.read_docx(data, meter=meter)
        if args.split:
            return import_split(args, source, taxonomy, meter)
    except OSError as exc:
        return fail(f"无法读取 {args.file}（{exc.strerror or exc}）")
    except DraftError as exc:
        return fail(f"{args.file}：{exc}" if isinstance(exc, WordError) else str(exc))
    found = compilation.split(source, args.file.stem)
    if len(found.cases) >= 2:
        titles = "、".join(f"“{c.blocks[0].text}”" for c in found.cases[:3]) + (" 等" if len(found.cases) > 3 else "")
        return fail(f"{args.file} 看起来是案例汇编（找到 {len(found.cases)} 个案例：{titles}），没有导入。"
                    f"请加 --split，每个案例生成一个草稿；先加 --dry-run 看看计划：casebook import {args.file} --split --dry-run")
    try:
        case_id = choose_id(args.id, word.find_title(source) or "", args.file.stem)
    except DraftError as exc:
        return fail(str(exc))
    if problem := claimed(args.cases, case_id):
        return fail(problem, 1)
    paths, pictures = word.picture_names(source, case_id, lambda rel: (args.cases / rel).exists())
    draft = word.to_draft(source, taxonomy, paths)
    draft = Draft((("id", case_id), *draft.meta), draft.sections, draft.notes)
    return write_draft(args.cases, draft, taxonomy, pictures)


def import_split(args: argparse.Namespace, source, taxonomy, meter) -> int:
    """casebook import --split: print the plan, then write every draft or none."""
    from collections import Counter

    from .contrib.compilation import plan_lines, plan_split
    from .contrib.drafts import id_taken, ids_in_use, save_drafts

    root, today = args.cases, dt.date.today()
    existing = ids_in_use(root)

    def taken(case_id: str) -> str | None:
        match id_taken(root, case_id, existing):
            case ("file", path):
                return f"{shown_path(path)} 已存在"
            case ("case", path):
                return f"已被 {shown_path(path)} 使用"
        return None

    plan = plan_split(source, taxonomy, today, fallback_title=args.file.stem, id_prefix=args.id_prefix or "",
                      taken_id=taken, taken_path=lambda rel: (root / rel).exists(), tick=meter.tick)
    lines = plan_lines(plan, lambda case_id: shown_path(root / f"{case_id}.md"))
    if not plan.cases:
        print("\n".join(lines[1:]))
        return fail(f"{args.file}：没有找到可以识别的案例，没有写入任何文件。--split 需要每个案例有“基本情况”“主要做法”“取得成效”"
                    "“经验启示”这样的章节标题（如“一、基本情况”或 Word 的标题样式），或“案例1 ……”这样的案例标题", 1)
    print("\n".join(lines))
    if plan.conflicts:
        listed = "".join(f"\n  - {case_id}：{why}" for case_id, why in plan.conflicts)
        return fail(f"这些编号在 {shown_path(root)} 中已被使用，没有写入任何文件（已有的案例从不覆盖）：{listed}\n"
                    "请用 --id-prefix 给这批编号加前缀，如 --id-prefix 2024", 1)
    if args.dry_run:
        print("\n--dry-run：只列出计划，没有写入任何文件。")
        return 0
    try:
        saved = save_drafts(root, [(c.draft, c.pictures) for c in plan.cases], taxonomy, today)
    except DraftError as exc:
        return fail(f"{exc}；本次已写入的文件都已撤销，{shown_path(root)} 保持原样", 1)
    print(f"\n已生成 {len(saved)} 个草稿（status: draft），图片 {sum(len(s.pictures) for s in saved)} 张。")
    for s in saved:
        codes = Counter(f.code for f in s.findings)
        checked = "，".join(f"{code} ×{n}" for code, n in sorted(codes.items()))
        print(f"\n{shown_path(s.path)}" + (f"（校验：{checked}）" if checked else ""))
        print("".join(f"  - {n}\n" for n in s.notes), end="")
    print(
        "\n下一步：\n"
        "  1. 逐个打开这些草稿，填写标有“必填”的字段，补写或核对“待补充”的章节和上面列出的事项；\n"
        f"  2. 运行 casebook validate --cases {shown_path(root)}，按提示修改，直到没有错误；\n"
        "  3. 内容完整、核对无误后，把 status: draft 改为 status: published，再提交。"
    )
    return 0


def cmd_from_issue(args: argparse.Namespace) -> int:
    from .contrib import issue
    from .contrib.drafts import Draft, library_taxonomy

    try:
        data = sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes()
        body = data.decode("utf-8-sig")
    except OSError as exc:
        return fail(f"无法读取 {args.file}（{exc.strerror or exc}）")
    except UnicodeDecodeError:
        return fail(f"{args.file} 不是 UTF-8 文本；请把 issue 正文另存为 UTF-8 后再试")
    try:
        taxonomy = library_taxonomy(args.cases)
        draft = issue.to_draft(body, taxonomy, dt.date.today())
        case_id = choose_id(args.id, str(draft.value("title") or ""))
    except DraftError as exc:
        return fail(str(exc))
    if problem := claimed(args.cases, case_id):
        return fail(problem, 1)
    return write_draft(args.cases, Draft((("id", case_id), *draft.meta), draft.sections, draft.notes), taxonomy)


def cmd_sync(args: argparse.Namespace) -> int:
    from .contrib import guide, issue
    from .contrib.drafts import library_taxonomy

    try:
        taxonomy = library_taxonomy(args.cases)
    except DraftError as exc:
        return fail(str(exc))
    guide_path = args.root / guide.GUIDE_PATH
    try:
        old_guide = guide_path.read_text(encoding="utf-8")
        new_guide = guide.fill(old_guide, guide.blocks(taxonomy))
    except OSError as exc:
        return fail(f"无法读取 {guide_path}（{exc.strerror or exc}）")
    except GuideError as exc:
        return fail(f"{guide_path} 中{exc}")
    form_path = args.root / issue.FORM_PATH
    old_form = form_path.read_text(encoding="utf-8") if form_path.is_file() else None
    stale = [(p, new) for p, old, new in ((guide_path, old_guide, new_guide), (form_path, old_form, issue.form_yaml(taxonomy))) if old != new]
    for path, new in stale:
        if args.check:
            print(f"{shown_path(path)} 与 schema/词表不一致；请运行 casebook sync 更新")
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_whole(path, new.encode("utf-8"))
            print(f"已更新 {shown_path(path)}")
    if not stale:
        print("CONTRIBUTING.md 和 issue 表单都是最新的。")
    return 1 if stale and args.check else 0


# What a file-system error means and what to do, in a reader's words (errno -> (what, fix)).
_OS_ERRORS = {
    errno.EACCES: ("没有权限", "请换一个有权限的位置，或修改它的权限"),
    errno.EPERM: ("没有权限", "请换一个有权限的位置，或修改它的权限"),
    errno.EROFS: ("所在的文件系统是只读的", "请换一个可以写入的位置"),
    errno.ENOSPC: ("磁盘空间不足", "请清理磁盘后再试"),
    errno.EDQUOT: ("磁盘配额已用完", "请清理空间后再试"),
    errno.ENOTDIR: ("路径中有一部分是文件而不是文件夹", "请检查路径"),
    errno.EISDIR: ("是一个文件夹，这里需要文件", "请检查路径"),
    errno.ENOENT: ("不存在", "请检查路径"),
    errno.EEXIST: ("已存在，且不是需要的类型（文件或文件夹）", "请换一个路径"),
    errno.ENAMETOOLONG: ("名称太长", "请用短一些的路径"),
}


def os_error_text(exc: OSError) -> str:
    """One sentence for a file-system error: the path, what is wrong, what to do."""
    what, fix = _OS_ERRORS.get(exc.errno, (exc.strerror or type(exc).__name__, "请检查这个路径"))
    where = f"“{exc.filename}”" if exc.filename else "文件"
    return f"无法读写{where}：{what}（{exc.strerror or exc}）；{fix}。没有留下不完整的输出。"


def main(argv: list[str] | None = None) -> int:
    if problem := typed_dashes(sys.argv[1:] if argv is None else argv):
        return fail(f"用法错误：{problem}", 2)
    args = make_parser().parse_args(argv)
    try:
        return args.run(args)
    except OSError as exc:  # a file-system problem is the user's to fix: a sentence, no traceback
        return fail(os_error_text(exc), 1)
    except KeyboardInterrupt:
        print("\ncasebook: 已中断；没有留下不完整的输出。", file=sys.stderr)
        return 130
