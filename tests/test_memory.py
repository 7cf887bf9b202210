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


# -- related cases at 20,000 (core/index.py) -----------------------------------------------------

def related_by_counting_everything(cases):
    """The ranking as it was defined before issue 22: count every case that shares a value."""
    from collections import Counter, defaultdict
    from operator import itemgetter

    from casebook.core.index import CATEGORY_WEIGHT, RELATED_MAX, TAG_WEIGHT

    postings = defaultdict(list)
    for i, case in enumerate(cases):
        for value in case.category:
            postings["category", value].append(i)
        for value in case.tags:
            postings["tags", value].append(i)
    related = {}
    for i, case in enumerate(cases):
        lists = [postings["category", v] for v in case.category] * CATEGORY_WEIGHT
        lists += [postings["tags", v] for v in case.tags] * TAG_WEIGHT
        scores = Counter(dict.fromkeys(sorted(set().union(*lists)), 0))
        for ids in lists:
            scores.update(ids)
        scores.pop(i, None)
        best = sorted(scores.items(), key=itemgetter(1), reverse=True)[:RELATED_MAX]
        related[case.id] = tuple(cases[j].id for j, _ in best)
    return related


def test_related_cases_rank_as_counting_everything_does():
    import random
    from types import SimpleNamespace

    from casebook.core.index import related_cases

    rng = random.Random(22)
    for size, categories, tags, most_tags in ((300, 4, 12, 3), (200, 10, 30, 5), (60, 3, 40, 14), (40, 2, 3, 2)):
        cases = tuple(SimpleNamespace(id=f"c{i}", category=tuple(rng.sample(range(categories), rng.randint(1, 2))),
                                      tags=tuple(rng.sample(range(tags), rng.randint(0, most_tags))))
                      for i in range(size))
        assert related_cases(cases) == related_by_counting_everything(cases)
