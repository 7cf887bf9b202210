"""One family of errors for a user's mistake or a missing tool: the CLI prints the (Chinese)
message and exits non-zero, never a traceback. Findings about cases are not errors: they are
data (model.Finding), collected and reported together."""

from __future__ import annotations


class CasebookError(Exception):
    """A problem the user can fix; str(error) says what and how."""


class BuildError(CasebookError):
    """MkDocs could not build the site (site/build.py)."""


class DraftError(CasebookError):
    """What was asked for a new draft is wrong: a bad id, a value not in a vocabulary (contrib/)."""


class WordError(DraftError):
    """The file is not a Word document that can be read (contrib/word.py)."""


class GuideError(CasebookError):
    """CONTRIBUTING.md lacks the markers of a generated block (contrib/guide.py)."""

    def __init__(self, block: str, message: str):
        super().__init__(message)
        self.block = block


class BookError(CasebookError):
    """A usage problem (bad --where / --group-by): the message says what to write instead."""


class FontError(BookError):
    """No Chinese font for the PDF (book/fonts.py)."""


class TypesetError(BookError):
    """Typst could not typeset the PDF (book/pdf.py)."""
