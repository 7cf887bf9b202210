"""argv -> exit code. Calls the core only; prints what it returns.

Exit codes: 0 clean, 1 findings that fail, 2 usage error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import report
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
    return parser


def cmd_validate(args: argparse.Namespace) -> int:
    library = load_library(args.cases)
    sys.stdout.write(report.FORMATS[args.format](library))
    failed = library.errors or (args.strict and library.warnings)
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    return args.run(args)
