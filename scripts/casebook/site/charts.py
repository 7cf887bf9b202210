"""Counts -> a horizontal bar chart as a standalone SVG (made at build time, no script).

The chart is drawn on its own white background, so its colours are the same in both of the site's
colour schemes: label text 12.6:1 and bars 6.6:1 against it (WCAG 2.1: 4.5:1 for text, 3:1 for
graphics). The page shows it as an <img> whose alt text names it; its data table follows it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from xml.sax import saxutils

VALUE_W = 48
ROW_H = 30
BAR_H = 18
PAD = 12
BAR = "#b71c1c"  # the site's party red (docs/assets/stylesheets/casebook.css)
TEXT = "#333333"
BACKGROUND = "#ffffff"
FONT = "'PingFang SC','Microsoft YaHei','Noto Sans CJK SC','Source Han Sans SC',sans-serif"


@dataclass(frozen=True)
class Layout:
    width: int
    label_width: int  # the labels' column, right-aligned
    label_chars: int  # a longer label is cut, with …


# A page shows a chart at most as wide as it is drawn (720 px at 14 px text). On a phone that
# shrank the text to 7 px: the page shows the narrow drawing there instead, at its own size.
WIDE = Layout(720, 170, 11)
NARROW = Layout(360, 110, 7)


# Characters XML 1.0 forbids (a chart with one of them would not display at all).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def escape(text: str, entities: dict[str, str] | None = None) -> str:
    """Library text as XML character data (or, with the quote entity, an attribute value)."""
    return saxutils.escape(_NOT_XML.sub("\ufffd", text), entities or {})


def bar_chart(title: str, counts: list[tuple[str, int]], layout: Layout = WIDE) -> str:
    full, labels = layout.width, layout.label_width
    top = max((n for _, n in counts), default=0) or 1
    span = full - labels - VALUE_W - 2 * PAD
    height = PAD * 2 + ROW_H * len(counts)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{full}" height="{height}" '
        f'viewBox="0 0 {full} {height}" role="img" aria-label="{escape(title, {chr(34): "&quot;"})}">',
        f"<title>{escape(title)}</title>",
        f'<rect width="{full}" height="{height}" rx="6" fill="{BACKGROUND}"/>',
        f'<g font-family="{FONT}" font-size="14" fill="{TEXT}">',
    ]
    for i, (label, n) in enumerate(counts):
        y = PAD + i * ROW_H
        mid = y + ROW_H / 2
        width = round(span * n / top, 1)
        shown = label if len(label) <= layout.label_chars else label[:layout.label_chars - 1] + "…"
        out.append(f'<text x="{labels}" y="{mid:.1f}" dy="0.35em" text-anchor="end">{escape(shown)}</text>')
        if n:
            out.append(f'<rect x="{labels + PAD}" y="{mid - BAR_H / 2:.1f}" width="{width}" height="{BAR_H}" rx="3" fill="{BAR}"/>')
        out.append(f'<text x="{labels + PAD + width + 6:.1f}" y="{mid:.1f}" dy="0.35em">{n}</text>')
    out += ["</g>", "</svg>"]
    return "\n".join(out) + "\n"
