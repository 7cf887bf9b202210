"""Memory at 20,000 cases (issue 22): the search index keeps its postings as machine integers
(`_flat` into an array, `_items` back) and the plugin lets go of every page's Markdown and HTML
once the pages are written. The built files are the same either way (test_search.py,
test_site.py); these tests check the pieces themselves."""

from __future__ import annotations

from array import array

from casebook.site.search import _flat, _items


def test_flattened_postings_come_back_as_they_went_in():
    items = [5 << 32 | 17, (6, [33, 49, 1025]), 7 << 32 | 2, (9, [0, 16]), (12, [4])]
    flat = array("q", _flat(items))
    assert list(flat[:1]) == [5 << 32 | 17] and flat[1] == -7 and flat[2] == 3
    assert _items(flat) == items
    assert _items(array("q", _flat([]))) == []
    # arrays grow block by block: two flattened blocks read back as one list
    both = array("q", _flat(items[:2]))
    both.extend(_flat(items[2:]))
    assert _items(both) == items


def test_pages_are_released_after_they_are_written(build_site, tmp_path):
    """The plugin empties each page's Markdown and HTML in its first post-build step: a build
    still writes every page whole (test_site.py checks them) and its search index."""
    from conftest import VALID
    from casebook.site import plugin

    seen = []
    real = plugin.CasebookPlugin._search_index

    def spy(self, *, config):
        seen.extend((f.page.markdown, f.page.content) for f in self.files.documentation_pages() if f.page is not None)
        return real(self, config=config)

    spy = plugin.event_priority(-50)(spy)  # where the real step runs: after Material's search
    plugin.CasebookPlugin._search_index = spy
    plugin.CasebookPlugin.on_post_build = plugin.CombinedEvent(plugin.CasebookPlugin._pages_written, spy)
    try:
        build_site(VALID, tmp_path / "site")
    finally:
        plugin.CasebookPlugin._search_index = real
        plugin.CasebookPlugin.on_post_build = plugin.CombinedEvent(plugin.CasebookPlugin._pages_written, real)
    assert seen and all(pair == (None, None) for pair in seen)
    assert (tmp_path / "site" / "search" / "casebook").is_dir()  # our index was built after the release
