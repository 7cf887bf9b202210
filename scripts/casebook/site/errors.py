"""The site layer's errors."""

from __future__ import annotations

from ..core.errors import CasebookError


class BuildError(CasebookError):
    """MkDocs could not load its configuration or build the site, or the output cannot be written."""
