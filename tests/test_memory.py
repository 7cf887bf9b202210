"""Memory at 20,000 cases (issue 22): the search index sorts and encodes its postings one bucket of
keys at a time, and the plugin lets go of every page's Markdown and HTML once the pages are
written. The built files are the same either way (test_search.py, test_site.py); these tests
check the pieces themselves."""

from __future__ import annotations

from casebook.site import postings
from casebook.site.search import build_search_files


def test_postings_built_bucket_by_bucket_are_the_same_files(monkeypatch):
    """Buckets split the keys by character: any bucket size gives the same index, byte for byte."""
    texts = ["党建引领车队服务一一两个人", "阳光车队 party 2024 𠮷野", "统一一些第一个人", "", "车队长好"]
    docs = [entry for i, text in enumerate(texts) for entry in (
        {"location": f"cases/c{i}/", "title": f"案例{i}", "text": f"<p>{text}</p>", "tags": []},
        {"location": f"cases/c{i}/#s", "title": "做法", "text": f"<p>{text[::-1]}</p>", "tags": []})]

    def files():
        return build_search_files({"config": {"lang": ["zh"]}, "docs": [dict(d) for d in docs]}, lambda loc: True)

    whole = files()
    for size in (1, 7, 40):
        monkeypatch.setattr(postings, "BUCKET", size)
        assert files() == whole, size
    monkeypatch.setattr(postings, "PLAIN_SORT_MAX", 0)  # a bucket too large for the plain sort
    assert files() == whole


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
