"""Cases -> facets, counts, related cases, statistics. Pure and linear in the number of cases."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from operator import itemgetter
from types import MappingProxyType

from .model import Case, Library
from .schema import VOCABULARIES

RELATED_MAX = 5
# A shared category says more about two methods than a shared tag.
CATEGORY_WEIGHT, TAG_WEIGHT = 2, 1


@dataclass(frozen=True)
class Facet:
    """One value of one vocabulary and the published cases that carry it."""

    vocab: str
    value: str
    slug: str  # ASCII page name, stable for a given value
    case_ids: tuple[str, ...]


@dataclass(frozen=True)
class Index:
    cases: tuple[Case, ...]  # published, newest first, then by id
    by_id: Mapping[str, Case]
    facets: Mapping[str, tuple[Facet, ...]]  # vocabulary -> facets in taxonomy order
    related: Mapping[str, tuple[str, ...]]  # case id -> related case ids, best first
    by_year: tuple[tuple[int, int], ...]  # 收录年份 -> count, ascending
    draft_count: int

    def facet_of(self, vocab: str, value: str) -> Facet:
        return next(f for f in self.facets[vocab] if f.value == value)

    @property
    def incomplete(self) -> tuple[Case, ...]:
        return tuple(c for c in self.cases if c.incomplete_sections)


def case_values(case: Case, vocab: str) -> tuple[str, ...]:
    """The values a case carries in one vocabulary."""
    if vocab == "honor_level":
        return tuple(dict.fromkeys(h.level for h in case.honors))
    value = getattr(case, vocab)
    if value is None:
        return ()
    return value if isinstance(value, tuple) else (value,)


def slugify(value: str) -> str:
    """ASCII page name from a Chinese value: pinyin words joined by hyphens."""
    from pypinyin import lazy_pinyin  # 0.2 s to load: only when a slug is made, not to validate

    words = lazy_pinyin(value)
    text = "-".join(re.sub(r"[^a-z0-9]+", "-", w.lower()).strip("-") for w in words)
    return re.sub(r"-{2,}", "-", text).strip("-") or "x"


def unique_slugs(values: tuple[str, ...]) -> dict[str, str]:
    """Homophones (同音) get a numeric suffix, in taxonomy order, so slugs never collide."""
    seen: Counter[str] = Counter()
    out = {}
    for value in values:
        slug = slugify(value)
        seen[slug] += 1
        out[value] = slug if seen[slug] == 1 else f"{slug}-{seen[slug]}"
    return out


def newest_first(case: Case) -> tuple:
    return (-case.date.toordinal(), case.id)


def related_cases(cases: tuple[Case, ...], of: Collection[str] | None = None) -> dict[str, tuple[str, ...]]:
    """Up to RELATED_MAX related cases each, ranked by shared categories and tags, then by order.

    An inverted index (value -> cases) visits only cases that share something, never all pairs;
    the counting and ranking run in C (set union, Counter.update, sorted), as a category of a
    large library holds thousands of cases.
    """
    postings: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, case in enumerate(cases):
        for value in case.category:
            postings["category", value].append(i)
        for value in case.tags:
            postings["tags", value].append(i)
    related = {}
    for i, case in enumerate(cases):
        if of is not None and case.id not in of:
            continue
        lists = [postings["category", v] for v in case.category] * CATEGORY_WEIGHT
        lists += [postings["tags", v] for v in case.tags] * TAG_WEIGHT
        # Insert candidates in case order first: the stable sort below then breaks ties by it.
        scores: Counter[int] = Counter(dict.fromkeys(sorted(set().union(*lists)), 0))
        for ids in lists:
            scores.update(ids)
        scores.pop(i, None)
        best = sorted(scores.items(), key=itemgetter(1), reverse=True)[:RELATED_MAX]
        related[case.id] = tuple(cases[j].id for j, _ in best)
    return related


def build_index(library: Library, related_of: Collection[str] | None = None) -> Index:
    """The index of the library's published cases. `related_of`: the only cases whose related
    cases are needed (`casebook serve` showing one edited case); None: all."""
    cases = tuple(sorted(library.published, key=newest_first))
    facets = []
    for vocab in VOCABULARIES:
        values = library.taxonomy.values(vocab)
        members: dict[str, list[str]] = {v: [] for v in values}
        for case in cases:
            for value in case_values(case, vocab):
                members.setdefault(value, []).append(case.id)
        slugs = unique_slugs(tuple(members))
        facets.append((vocab, tuple(Facet(vocab, v, slugs[v], tuple(ids)) for v, ids in members.items())))
    years = Counter(c.date.year for c in cases)
    return Index(
        cases=cases,
        by_id=MappingProxyType({c.id: c for c in cases}),
        facets=MappingProxyType(dict(facets)),
        related=MappingProxyType(related_cases(cases, related_of)),
        by_year=tuple(sorted(years.items())),
        draft_count=len(library.cases) - len(cases),
    )

