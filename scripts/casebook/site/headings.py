"""Heading ids for the site's Markdown (mkdocs.yml: toc's slugify).

pymdownx's Unicode slugs keep Chinese (#经验启示). A heading whose slug would be a name the site
reserves for itself (`md-…`, `__…`, sanitize.reserved_name) gets `h-` in front: the sanitiser
would otherwise take the id off the published page and the heading's links would go nowhere.
"""

from __future__ import annotations

from pymdownx.slugs import slugify as _pymdownx_slugify

from ..core.sanitize import reserved_name

_unicode_lower = _pymdownx_slugify(case="lower")


def slugify(text: str, separator: str) -> str:
    slug = _unicode_lower(text, separator)
    return f"h{separator}{slug}" if reserved_name(slug) else slug
