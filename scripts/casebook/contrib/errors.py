"""The contributor tools' errors."""

from __future__ import annotations

from ..core.errors import CasebookError


class DraftError(CasebookError):
    """What was asked for a new draft is wrong: a bad id, a value not in a vocabulary."""


class WordError(DraftError):
    """The file is not a Word document that can be read (word.py)."""


class GuideError(CasebookError):
    """CONTRIBUTING.md lacks the markers of a generated block (guide.py)."""

    def __init__(self, block: str, message: str):
        super().__init__(message)
        self.block = block
