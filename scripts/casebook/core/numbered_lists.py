"""A Python-Markdown extension: an ordered list is numbered from the number its first item is
written with (`3.` after a sentence shows 3, as in CommonMark); Python-Markdown's default numbers
every list from 1. Lists of both kinds still join as before: the `sane_lists` extension, which
also keeps the first number, would make a `- 乙` line under `1. 甲` part of that item's text.
Named in mkdocs.yml, so the site, `validate` and the book (core/markup.STRUCTURE_EXTENSIONS) read
lists alike; E426 reports an item whose written number the page would still change."""

from __future__ import annotations

from markdown.blockprocessors import OListProcessor
from markdown.extensions import Extension


class _NumberedFromTheFirst(OListProcessor):
    LAZY_OL = False  # `<ol start="3">` for a list written from 3.


class NumberedListExtension(Extension):
    def extendMarkdown(self, md) -> None:
        md.parser.blockprocessors.register(_NumberedFromTheFirst(md.parser), "olist", 40)  # Markdown's own place


def makeExtension(**kwargs) -> NumberedListExtension:  # noqa: N802 - the name Markdown looks for
    return NumberedListExtension(**kwargs)
