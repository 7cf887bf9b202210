"""The 案例汇编's errors."""

from __future__ import annotations

from ..core.errors import CasebookError


class BookError(CasebookError):
    """A usage problem (bad --where / --group-by): the message says what to write instead."""


class FontError(BookError):
    """No Chinese font for the PDF (fonts.py)."""


class TypesetError(BookError):
    """Typst could not typeset the PDF (pdf.py)."""
