"""argv -> exit code. Calls the core only; prints what it returns.

Exit codes: 0 clean, 1 findings that fail, 2 usage error.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from . import report
from .build import BuildError, build_site, pack_zip
from .pipeline import load_library


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's own exit code for usage errors is 2 too
        self.print_usage(sys.stderr)
        self.exit(2, f"casebook: 用法错误：{message}\n")


def library_dir(value: str) -> Path:
    path = Path(value)
    if not path.is_dir():
        raise argparse.ArgumentTypeError(f"案例库目录不存在：{value}")
    return path


def make_parser() -> Parser:
    parser = Parser(prog="casebook", description="两新党建工作法案例库：校验案例、生成站点。")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser, metavar="命令")

    p = sub.add_parser("validate", help="校验案例库，逐条报告问题（文件:行: 代码 说明）")
    p.add_argument("--cases", type=library_dir, default="cases", help="案例库目录（默认 cases）")
    p.add_argument("--format", choices=sorted(report.FORMATS), default="text", help="输出格式（默认 text）")
    p.add_argument("--strict", action="store_true", help="有警告也算失败")
    p.set_defaults(run=cmd_validate)

    p = sub.add_parser("build", help="校验后用 MkDocs 生成站点；失败时保留原有输出")
    p.add_argument("--cases", type=library_dir, default="cases", help="案例库目录（默认 cases）")
    p.add_argument("--site-dir", type=Path, default=Path("site"), help="输出目录（默认 site）")
    p.add_argument("--offline", action="store_true", help="生成可从 file:// 打开的离线版（含搜索）")
    p.add_argument("--zip", type=Path, metavar="DIR", help="离线版另打包为 DIR/<名称>-offline-<日期>.zip")
    p.add_argument("--config-file", type=Path, default=Path("mkdocs.yml"), help="MkDocs 配置（默认 mkdocs.yml）")
    p.set_defaults(run=cmd_build)
    return parser


def cmd_validate(args: argparse.Namespace) -> int:
    library = load_library(args.cases)
    sys.stdout.write(report.FORMATS[args.format](library))
    failed = library.errors or (args.strict and library.warnings)
    return 1 if failed else 0


def cmd_build(args: argparse.Namespace) -> int:
    if args.zip and not args.offline:
        print("casebook: 用法错误：--zip 只用于离线版，请同时加 --offline", file=sys.stderr)
        return 2
    if not args.config_file.is_file():
        print(f"casebook: 找不到 MkDocs 配置 {args.config_file}（请在仓库根目录运行，或用 --config-file）", file=sys.stderr)
        return 2
    library = load_library(args.cases)
    if library.errors:
        sys.stderr.write(report.as_text(library))
        print(f"casebook: 校验未通过，没有生成站点；{args.site_dir} 保持原样。", file=sys.stderr)
        return 1
    flavour = "离线版" if args.offline else "站点"
    print(f"校验通过：{len(library.published)} 个案例将发布。正在生成{flavour}（MkDocs）…", flush=True)
    start = time.monotonic()
    try:
        build_site(args.config_file, args.cases, args.site_dir, offline=args.offline)
    except BuildError as exc:
        print(f"casebook: {exc}；{args.site_dir} 保持原样。", file=sys.stderr)
        return 1
    print(f"已生成{flavour}：{args.site_dir}/（{time.monotonic() - start:.1f} 秒）")
    if args.zip:
        path = pack_zip(args.site_dir, args.zip)
        print(f"已打包离线版：{path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    return args.run(args)
