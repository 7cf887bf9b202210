"""Raw cases + schema -> Cases and findings. Pure: no printing, no file reading.

A case is judged field by field (fields.py) and then its body (body.py); here they are put
together, with the checks that need the whole library (duplicate ids, the library's files)."""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Mapping

from . import sanitize
from .body import BodyCheck
from .fields import FieldCheck
from .model import Case, Finding, RawCase, Taxonomy, shown_in
from .nodes import TAXONOMY_CODES, TEXT_PROBLEMS, python_kind
from .rules import image_format_problem, image_size_problem, is_image, suggest
from .schema import ACTIVE_SUFFIXES, VOCABULARIES, id_problem



def _looks(value: str) -> str:
    """A vocabulary value as a reader sees it: NFKC, without the characters that show nothing."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", value.strip()) if unicodedata.category(ch) != "Cf")


def _shown_apart(value: str) -> str:
    """A value with what does not show written as `\\uXXXX` (so a message can tell the two apart)."""
    return "".join(ch if unicodedata.category(ch) != "Cf" and not unicodedata.combining(ch) else f"\\u{ord(ch):04x}" for ch in value)

def validate_taxonomy(data: object, shown: str, lines: dict[tuple[str, int], int] | None = None) -> tuple[Taxonomy, list[Finding], bool]:
    """Plain taxonomy data -> (Taxonomy, findings, usable). lines: (vocabulary, item index) -> file
    line (load.taxonomy_lines), for findings about single values."""
    if not isinstance(data, dict):
        return Taxonomy(), [Finding(shown, 1, "E602", f"taxonomy.yml 应是映射（词表名: 列表），实际是{python_kind(data)}")], False
    findings: list[Finding] = []
    vocab = []
    for name in VOCABULARIES:
        values = data.get(name)
        if values is None:
            values = []
            if name not in data:
                findings.append(Finding(shown, 1, "E602", f"taxonomy.yml 缺少词表 `{name}`（应为文字列表，可为空列表 []）"))
        if not isinstance(values, list) or not all(isinstance(v, str) and v.strip() for v in values):
            findings.append(Finding(shown, 1, "E602", f"taxonomy.yml 的 `{name}` 应是非空文字组成的列表"))
            values = [v for v in values if isinstance(v, str)] if isinstance(values, list) else []
        dupes = sorted({v for v in values if values.count(v) > 1})
        if dupes:
            findings.append(Finding(shown, 1, "W601", f"taxonomy.yml 的 `{name}` 中有重复取值：{'、'.join(dupes)}", "warning"))
        alike: dict[str, list[str]] = {}
        for v in dict.fromkeys(values):
            alike.setdefault(_looks(v), []).append(v)
        for group in (g for g in alike.values() if len(g) > 1):
            findings.append(Finding(shown, 1, "W601", (
                f"taxonomy.yml 的 `{name}` 中有 {len(group)} 个取值看起来一样（{'、'.join(map(_shown_apart, group))}）："
                "其中有看不见的字符，或同一个字的另一种 Unicode 写法；案例选了哪一个看不出来，请只留一个"), "warning"))
        vocab.append((name, tuple(dict.fromkeys(v.strip() for v in values))))
    for name in sorted(str(k) for k in data if k not in VOCABULARIES):
        hint = suggest(name, VOCABULARIES)
        findings.append(Finding(shown, 1, "W601", f"taxonomy.yml 中有未知词表 `{name}`" + (f"（是否想写 `{hint}`？）" if hint else ""), "warning"))
    usable = not any(f.severity == "error" for f in findings)
    for name in VOCABULARIES:  # unsafe text: an error, but the vocabulary stays usable for the cases
        values = data.get(name)
        for i, value in enumerate(values if isinstance(values, list) else ()):
            problem = sanitize.text_problem(value) if isinstance(value, str) else None
            if problem:
                kind, part = problem
                line = (lines or {}).get((name, i), 1)
                findings.append(Finding(shown, line, TAXONOMY_CODES[kind], f"taxonomy.yml 的 `{name}` 中的取值“{value}”" + TEXT_PROBLEMS[kind].format(part)))
    return Taxonomy(tuple(vocab)), findings, usable


# Front matter between its `---` lines that YAML cannot read: the body below is known all the same.
FRONT_SYNTAX = frozenset({"E104", "E107", "E110"})


class CaseCheck(FieldCheck, BodyCheck):
    """Validates one raw case: each front-matter field by its schema kind, then the body, its
    snippet markers, control characters and personal data."""


    def run(self) -> Case | None:
        if self.raw.findings:  # unparsable: the personal-data scan still runs on what was decoded
            if {f.code for f in self.raw.findings} <= FRONT_SYNTAX:  # the body is there: one run says all it can
                self.check_body()
                self.check_snippets()
                self.check_control_characters()
            if self.raw.text:
                self.check_personal_data()
            return None
        values = self.check_front()
        sections = self.check_body()
        self.check_snippets()
        self.check_control_characters()
        self.check_personal_data()
        if values is None or any(f.severity == "error" for f in self.findings):
            return None
        return Case(
            rel=self.raw.rel,
            body=self.raw.body,
            body_line=self.raw.body_line,
            sections=sections,
            **values,  # type: ignore[arg-type]
        )


def validate_case(raw: RawCase, taxonomy: Taxonomy | None, files: frozenset[str], today: dt.date) -> tuple[Case | None, list[Finding]]:
    check = CaseCheck(raw, taxonomy, files, today)
    case = check.run()
    return case, check.findings


def check_assets(assets: tuple[str, ...], svgs: dict[str, bytes], shown_root: str,
                 heads: dict[str, tuple[bytes, tuple[int, int] | None]] | None = None) -> list[Finding]:
    """Library files published as they are: none a browser runs as a page; SVGs without script
    or external references (a reader may open one directly from the unzipped offline copy);
    raster images that are what their names say, of a size the book can hold (`heads`: their
    first bytes and the size their headers claim, load.read_image_heads)."""
    findings = []
    for rel in assets:
        shown = shown_in(shown_root, rel)
        if rel.lower().endswith(ACTIVE_SUFFIXES):
            findings.append(Finding(shown, 1, "E413", f"文件“{rel}”会被浏览器当作网页或脚本打开，不能随站点发布；请删除，材料请转成 PDF 或图片"))
        for line, what in sanitize.svg_problems(svgs[rel]) if rel in svgs else ():
            findings.append(Finding(shown, line, "E412", f"SVG 图片含有{what}，读者直接打开时会运行脚本或访问其他网站；请重新导出为不含脚本和外部引用的 SVG，或改用 PNG"))
        if heads and rel in heads and image_format_problem(rel, heads[rel][0]):
            findings.append(Finding(shown, 1, "E421", f"“{rel}”的内容不是 {rel[rel.rfind('.') + 1:].upper()} 图片（不是图片，或是改了扩展名的别种图片）："
                                                     "网页上会显示为破图，案例汇编也无法收入；请用看图或绘图软件另存为 PNG 或 JPEG，不要只改扩展名"))
        elif heads and rel in heads and (problem := image_size_problem(heads[rel][1])):
            findings.append(Finding(shown, 1, "E423", f"图片“{rel}”{problem}；案例汇编无法收入它。请用看图或绘图软件重新导出"
                                                     "（照片缩小到几千像素宽就足够清楚）"))
    return findings


def pictures_to_decode(assets: tuple[str, ...], findings: tuple[Finding, ...], shown_root: str) -> list[str]:
    """The library's pictures whose content the book's typesetter should be asked about (E424):
    every image file without a finding of its own. (E412, E421 and E423 refuse what must not be
    decoded: a script, a file that is not what its name says, a size that asks for gigabytes.)"""
    judged = {f.path for f in findings}
    return [rel for rel in assets if is_image(rel) and shown_in(shown_root, rel) not in judged]


def check_pictures(refused: Mapping[str, str], shown_root: str) -> list[Finding]:
    """E424 for each picture the book's typesetter cannot place (`refused`: by path, why and what
    to do, as a phrase that follows the picture's name)."""
    return [Finding(shown_in(shown_root, rel), 1, "E424", f"图片“{rel}”{why}") for rel, why in refused.items()]


def check_duplicate_ids(raws_and_cases: list[tuple[RawCase, Case | None]]) -> list[Finding]:
    """Ids must be unique across the library (subfolders make equal file names possible). A case's
    former ids (`aliases`) share that namespace: each names a page of the site (cases/<id>)."""
    first: dict[str, str] = {}
    findings = []
    for raw, case in raws_and_cases:
        if case is None:
            continue
        if case.id in first:
            findings.append(Finding(raw.shown, _front_line(raw, "id"), "E208", f"`id`“{case.id}” 与 {first[case.id]} 重复；请换一个 id 并同步文件名"))
        else:
            first[case.id] = raw.shown
    for raw, case in raws_and_cases:  # after every id: an alias never takes a case's own id
        for alias in case.aliases if case else ():
            if problem := id_problem(alias):
                findings.append(Finding(raw.shown, _front_line(raw, "aliases"), "E206", (
                    f"`aliases`（曾用编号）中的“{alias}”不是有效的编号：{problem}")))
            elif alias in first:
                findings.append(Finding(raw.shown, _front_line(raw, "aliases"), "E208", (
                    f"`aliases`（曾用编号）中的“{alias}”与 {first[alias]} 的编号重复；曾用编号不能是现有案例的 id，"
                    "也不能出现在两个案例中")))
            else:
                first[alias] = raw.shown
    return findings


def _front_line(raw: RawCase, key: str) -> int:
    """The file line of a top-level front-matter key (1 when not found)."""
    return next((i + raw.front_start for i, ln in enumerate(raw.front_lines) if ln.startswith(key + ":")), 1)
