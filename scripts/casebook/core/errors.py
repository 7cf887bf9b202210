"""The root of casebook's errors: a user's mistake or a missing tool. The CLI prints the (Chinese)
message and exits non-zero, never a traceback. Each layer defines its own subclasses next to its
code (site/errors.py, contrib/errors.py, book/errors.py). Findings about cases are not errors:
they are data (model.Finding), collected and reported together."""

from __future__ import annotations


class CasebookError(Exception):
    """A problem the user can fix; str(error) says what and how."""
