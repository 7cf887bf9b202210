"""The list of a 案例汇编's volumes (分册), written by `casebook book` beside the files when the book
is split and read by the site to link every volume with what it holds. One definition of the file
for both sides; a book of one volume has no list (the site links its files as they are)."""

from __future__ import annotations

import json
from dataclasses import dataclass

VOLUMES_FILE = "volumes.json"
# The 案例汇编's formats, with the names readers know them by: what `casebook book` writes, the site
# publishes and links, and a release hands out.
BOOK_FORMATS = {"pdf": "PDF", "docx": "Word"}
DEFAULT_VOLUME_PAGES = 1000  # a volume's page budget (casebook book --volume-pages)


@dataclass(frozen=True)
class VolumeFiles:
    number: int  # 第N册, 1-based
    holds: str  # what it holds, as its cover says
    cases: int
    files: tuple[str, ...]  # file names in the same folder (.pdf, .docx)


def volumes_json(volumes: list[VolumeFiles]) -> bytes:
    data = {"volumes": [{"number": v.number, "holds": v.holds, "cases": v.cases, "files": list(v.files)} for v in volumes]}
    return (json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode("utf-8")


def read_volumes(data: bytes) -> tuple[VolumeFiles, ...]:
    """The list back; ValueError (in Chinese) when it is not one `volumes_json` writes."""
    try:
        rows = json.loads(data.decode("utf-8"))["volumes"]
        out = tuple(VolumeFiles(int(r["number"]), str(r["holds"]), int(r["cases"]), tuple(str(f) for f in r["files"])) for r in rows)
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{VOLUMES_FILE} 不是 casebook book 写出的分册清单（{exc}）") from None
    if [v.number for v in out] != list(range(1, len(out) + 1)):
        raise ValueError(f"{VOLUMES_FILE} 中的册号应从 1 起连续编号")
    return out
