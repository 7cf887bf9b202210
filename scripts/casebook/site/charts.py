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
ROW_H = 30  # a row whose label takes one line
LINE_H = 16  # a label's second line adds this much
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
    label_chars: int  # a longer label takes a second line; a label longer than two is cut, with …


# A page shows a chart at most as wide as it is drawn (720 px at 14 px text). On a phone that
# shrank the text to 7 px: the page shows the narrow drawing there instead, at its own size.
WIDE = Layout(720, 170, 11)
NARROW = Layout(360, 110, 7)


# Characters XML 1.0 forbids (a chart with one of them would not display at all).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def escape(text: str, entities: dict[str, str] | None = None) -> str:
    """Library text as XML character data (or, with the quote entity, an attribute value)."""
    return saxutils.escape(_NOT_XML.sub("\ufffd", text), entities or {})


def label_lines(label: str, chars: int) -> list[str]:
    """A label as the chart writes it: lines of at most `chars` characters, at most two of them;
    a longer label ends its second line with …. (The data table under the chart has it whole.)"""
    if len(label) > 2 * chars:
        label = label[:2 * chars - 1] + "…"
    return [label[i:i + chars] for i in range(0, len(label), chars)] or [""]


def bar_chart(title: str, counts: list[tuple[str, int]], layout: Layout = WIDE) -> str:
    full, labels = layout.width, layout.label_width
    top = max((n for _, n in counts), default=0) or 1
    span = full - labels - VALUE_W - 2 * PAD
    rows = [(label_lines(label, layout.label_chars), n) for label, n in counts]
    height = PAD * 2 + sum(ROW_H + LINE_H * (len(lines) - 1) for lines, _ in rows)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{full}" height="{height}" '
        f'viewBox="0 0 {full} {height}" role="img" aria-label="{escape(title, {chr(34): "&quot;"})}">',
        f"<title>{escape(title)}</title>",
        f'<rect width="{full}" height="{height}" rx="6" fill="{BACKGROUND}"/>',
        f'<g font-family="{FONT}" font-size="14" fill="{TEXT}">',
    ]
    y = PAD
    for lines, n in rows:
        row = ROW_H + LINE_H * (len(lines) - 1)
        mid = y + row / 2
        y += row
        width = round(span * n / top, 1)
        first = mid - LINE_H * (len(lines) - 1) / 2
        out.append(f'<text x="{labels}" y="{first:.1f}" dy="0.35em" text-anchor="end">'
                   + "".join(f'<tspan x="{labels}" y="{first + LINE_H * k:.1f}" dy="0.35em">{escape(line)}</tspan>' if k else escape(line)
                             for k, line in enumerate(lines)) + "</text>")
        if n:
            out.append(f'<rect x="{labels + PAD}" y="{mid - BAR_H / 2:.1f}" width="{width}" height="{BAR_H}" rx="3" fill="{BAR}"/>')
        out.append(f'<text x="{labels + PAD + width + 6:.1f}" y="{mid:.1f}" dy="0.35em">{n}</text>')
    out += ["</g>", "</svg>"]
    return "\n".join(out) + "\n"
