"""Postings: the `k` and `p` lists of the search index (see search.py for what they hold and how
they are encoded), built on whole-library arrays with numpy rather than per character in Python.

Every position of every page's text is one array element; the occurrences of a key are brought
together by one sort and all postings are varint-encoded in bulk. At 2,000 cases this takes
about 1.5 s where the per-page Python loop it replaced took about 8 s; the output is the same
bytes (tests/test_search.py checks it against a brute-force scan of the pages).
"""

from __future__ import annotations

import binascii
import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from json.encoder import encode_basestring

import numpy as np

from ..core.progress import give_way, passing_on
from .search import BODY, MARK, SHARD_BYTES, Page, script_text, shard_numbers


@dataclass
class Layout:
    """Every page's folded text laid end to end (word marks removed), each segment followed by a
    newline, as arrays with one element per position: its character, its segment's field, and
    `boundary`: a word starts or ends just before this position (one more element: after the
    last). A word is a run of letters and digits (`str.isalnum`) that no word mark (jieba's cut)
    splits. Page n is positions starts[n] to starts[n + 1]; an offset is counted from its start.
    Six bytes a position: at 20,000 cases the layout is about 130 MB."""
    chars: np.ndarray
    field: np.ndarray
    boundary: np.ndarray
    starts: np.ndarray

    def page_and_offset(self, at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        page = np.searchsorted(self.starts, at, side="right") - 1
        return page, at - self.starts[page]


def layout(pages: list[Page]) -> Layout:
    texts, seg_fields, seg_lengths = [], [], []
    for page in pages:
        give_way()
        fields = page.fields or ((BODY, ""),)  # a page without text: one newline
        texts.append("\n".join(seg for _, seg in fields) + "\n")
        for field, seg in fields:
            seg_fields.append(field)
            seg_lengths.append(len(seg) + 1)
    marked = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), dtype="<u4")
    page_lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    del texts
    mark = marked == ord(MARK)
    marks = np.add.reduceat(mark, np.cumsum(page_lengths) - page_lengths, dtype=np.int64)  # per page
    starts = np.zeros(len(pages) + 1, dtype=np.int64)
    np.cumsum(page_lengths - marks, out=starts[1:])
    keep = ~mark
    mark_before = np.zeros(len(marked), dtype=bool)
    mark_before[1:] = mark[:-1]
    del mark
    chars = marked[keep]
    del marked
    field = np.repeat(np.array(seg_fields, dtype=np.uint8), seg_lengths)[keep]
    mark_before = mark_before[keep]
    del keep
    n = len(chars)
    word = _letters(chars)
    boundary = np.ones(n + 1, dtype=np.uint8)
    boundary[1:n] = ~(word[:-1] & word[1:] & ~mark_before[1:])
    return Layout(chars, field, boundary, starts)


_BMP_LETTERS: np.ndarray | None = None


def _letters(chars: np.ndarray) -> np.ndarray:
    """chars.isalnum() for each code point (the regular expressions' [^\\W_])."""
    global _BMP_LETTERS
    if _BMP_LETTERS is None:
        _BMP_LETTERS = np.array([chr(c).isalnum() for c in range(0x10000)], dtype=bool)
    out = np.zeros(len(chars), dtype=bool)
    bmp = chars < 0x10000
    out[bmp] = _BMP_LETTERS[chars[bmp]]
    astral = np.flatnonzero(~bmp)
    if len(astral):
        values, inverse = np.unique(chars[astral], return_inverse=True)
        out[astral] = np.array([chr(c).isalnum() for c in values.tolist()], dtype=bool)[inverse]
    return out


# -- postings ----------------------------------------------------------------------------------

@dataclass
class Postings:
    """The encoded postings of one kind (k or p). Key i is `names[i]`; `codes[i]` is a number that
    sorts as that string does (first character << 21 | second character + 1, or the character << 21
    alone); its posting is the next lengths[i] bytes of `data`. Kept as arrays rather than a dict of
    bytes: 20,000 cases have about three million postings."""
    names: list[str]
    codes: np.ndarray
    data: np.ndarray
    lengths: np.ndarray


class _Collect:
    """Postings of one kind gathered bucket by bucket."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.codes: list[np.ndarray] = []
        self.data: list[np.ndarray] = []
        self.lengths: list[np.ndarray] = []

    def add(self, names: list[str], codes: np.ndarray, encoded: tuple[np.ndarray, np.ndarray]) -> None:
        self.names += names
        self.codes.append(codes)
        self.data.append(encoded[0])
        self.lengths.append(encoded[1])

    def extend(self, other: _Collect) -> None:
        self.names += other.names
        self.codes += other.codes
        self.data += other.data
        self.lengths += other.lengths

    def done(self) -> Postings:
        def joined(parts, dtype):
            return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)
        return Postings(self.names, joined(self.codes, np.int64), joined(self.data, np.uint8), joined(self.lengths, np.int64))


# Positions whose characters and pairs are sorted at once. Small enough that a bucket's arrays
# (a few MB) are reused by the allocator rather than mapped afresh from the kernel: at 2,000 cases
# 1 << 22 spent 0.7 s in page faults, 1 << 19 0.2 s; each bucket costs one pass over the layout.
BUCKET = 1 << 19
THREADS = min(2, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
PLAIN_SORT_MAX = (1 << 21) - 1  # a bucket's pairs (42 bits) with their rank in it fit in 63 bits


def index_pages(lay: Layout) -> tuple[Postings, Postings]:
    """(k postings: 1- and 2-character key -> encoded page list; p postings: pair -> encoded
    positions). The hot step of the build, done on whole-library arrays (numpy) rather than per
    character in Python: every position of every page is one element, the occurrences of a key
    are brought together by a sort, and postings are varint-encoded in bulk (`_encode`).
    A character is any position of the `layout` but its newlines, a pair any two adjacent ones.

    Memory: the keys are split into buckets by their (first) character, so that only THREADS
    buckets' occurrences (about BUCKET each) are sorted and encoded at a time. The caller lets go of the pages'
    text once it has the layout (20,000 cases: about 120 MB)."""
    k, p = _Collect(), _Collect()
    if len(lay.starts) < 2:
        return k.done(), p.done()
    real = lay.chars != 10
    buckets = max(1, -(-len(lay.chars) // BUCKET))
    bucket = np.where(real, lay.chars % buckets, buckets).astype(np.uint16 if buckets < 65535 else np.uint32)
    del real  # newlines are in no bucket
    # Two buckets at a time: numpy lets go of the interpreter lock while it sorts and copies, so
    # the second processor core does half of the work; the results are taken in bucket order.
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        for k_part, p_part in pool.map(passing_on(partial(_bucket, lay, bucket)), range(buckets)):
            k.extend(k_part)
            p.extend(p_part)
    return k.done(), p.done()


def _bucket(lay: Layout, bucket: np.ndarray, b: int) -> tuple[_Collect, _Collect]:
    k, p = _Collect(), _Collect()
    give_way()
    mine = bucket == b
    _index_chars(lay, np.flatnonzero(mine), k)
    give_way()
    _index_pairs(lay, np.flatnonzero(mine[:-1] & (lay.chars[1:] != 10)), k, p)
    return k, p


def _index_chars(lay: Layout, at: np.ndarray, k: _Collect) -> None:
    """k postings of the characters at `at`: per page, the best occurrence (field * 2 + whole)."""
    code = lay.field[at].astype(np.int64) * 2 + (lay.boundary[at] & lay.boundary[at + 1])
    page, _ = lay.page_and_offset(at)
    single = np.sort(lay.chars[at].astype(np.int64) << 32 | page << 3 | code)
    del code, page
    keys, values, sizes = _k_postings(single >> 32, (single >> 3) & 0x1FFFFFFF, single & 7)
    k.add(_char_names(keys), keys << 21, _encode(values, sizes))


def _index_pairs(lay: Layout, at: np.ndarray, k: _Collect, p: _Collect) -> None:
    """k and p postings of the pairs starting at `at`, in (pair, page, offset) order: a stable
    sort by pair of occurrences in text order."""
    pair = lay.chars[at].astype(np.int64) << 21 | lay.chars[at + 1]
    rank_bits = max(1, len(at).bit_length())
    if len(at) <= PLAIN_SORT_MAX:
        # Stable by pair, as one plain sort of (pair, rank in text order): faster than a stable argsort.
        both = np.sort(pair << rank_bits | np.arange(len(at)))
        at, pair = at[both & ((1 << rank_bits) - 1)], both >> rank_bits
        del both
    else:  # pair and rank would not fit in 63 bits
        order = np.argsort(pair, kind="stable")
        at, pair = at[order], pair[order]
        del order
    occ_page, offset = lay.page_and_offset(at)
    flags = lay.boundary[at].astype(np.int64) * 8 + lay.boundary[at + 2] * 4 + lay.field[at]  # start, end, field
    occ = offset * 16 + flags
    del offset
    del at
    field_code = (flags & 3) * 2 + ((flags >> 3) & (flags >> 2) & 1)  # field * 2 + whole word
    del flags
    new_key = np.ones(len(pair), dtype=bool)
    new_key[1:] = pair[1:] != pair[:-1]
    new_page = new_key.copy()
    new_page[1:] |= occ_page[1:] != occ_page[:-1]
    page_starts = np.flatnonzero(new_page)
    del new_page
    best = np.maximum.reduceat(field_code, page_starts) if len(page_starts) else field_code
    del field_code
    group_page = occ_page[page_starts]
    del occ_page
    keys, values, sizes = _k_postings(pair[page_starts], group_page, best)
    # The same pairs in the same order as the p postings' keys below: one str for both (20,000
    # cases: about 1.5 million pairs, 80 bytes each).
    names = _pair_names(keys)
    codes = (keys >> 21) << 21 | ((keys & 0x1FFFFF) + 1)  # sorts as the two-character string does
    k.add(names, codes, _encode(values, sizes))
    del keys, values, sizes, best

    # p postings: per pair [pages, page deltas..., counts..., occurrence deltas...].
    key_groups = np.flatnonzero(new_key[page_starts])  # each pair's first page group
    key_of_group = np.cumsum(new_key[page_starts]) - 1
    pages_per_key = np.diff(np.append(key_groups, len(page_starts)))
    key_starts = np.flatnonzero(new_key)
    sizes = 1 + 2 * pages_per_key + np.diff(np.append(key_starts, len(pair)))
    base = np.cumsum(sizes) - sizes
    values = np.empty(int(sizes.sum()), dtype=np.int64)
    values[base] = pages_per_key
    local = np.arange(len(page_starts)) - key_groups[key_of_group]
    previous = np.empty_like(group_page)
    previous[1:] = group_page[:-1]
    previous[key_groups] = -1
    at = base[key_of_group] + 1 + local
    values[at] = group_page - previous
    values[at + pages_per_key[key_of_group]] = np.diff(np.append(page_starts, len(pair)))
    del at, local, previous, group_page, key_of_group
    before = np.empty_like(occ)
    before[1:] = occ[:-1] & ~15
    before[page_starts] = 0
    occ -= before
    del before, page_starts
    key_of_occ = np.cumsum(new_key) - 1
    del new_key
    values[base[key_of_occ] + 1 + 2 * pages_per_key[key_of_occ] + np.arange(len(pair)) - key_starts[key_of_occ]] = occ
    del key_of_occ, occ
    p.add(names, codes, _encode(values, sizes))


def _k_postings(keys, pages, codes):
    """Sorted (key, page) runs with their best code last -> (distinct keys, values, values per
    key): per key, (page - previous page) * 8 + code, the first page's previous being -1."""
    last = np.ones(len(keys), dtype=bool)
    last[:-1] = (keys[1:] != keys[:-1]) | (pages[1:] != pages[:-1])
    keys, pages, codes = keys[last], pages[last], codes[last]
    first = np.ones(len(keys), dtype=bool)
    first[1:] = keys[1:] != keys[:-1]
    previous = np.empty_like(pages)
    previous[1:] = pages[:-1]
    previous[first] = -1
    starts = np.flatnonzero(first)
    return keys[starts], (pages - previous) * 8 + codes, np.diff(np.append(starts, len(keys)))


def _encode(values: np.ndarray, sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unsigned LEB128 of `values`, in consecutive runs of `sizes` values: (the bytes, the number of
    bytes of each run). Written a byte position at a time (every value's first byte, then the second
    byte of those that have one...), so the temporaries are the size of `values`, not of the output."""
    if not len(values):
        return np.zeros(0, dtype=np.uint8), np.zeros(len(sizes), dtype=np.int64)
    nbytes = np.ones(len(values), dtype=np.int64)
    top, bits = int(values.max()), 7
    while top >> bits:  # one pass per byte the largest value needs, not nine
        nbytes += values >= (1 << bits)
        bits += 7
    ends = np.cumsum(nbytes)
    starts = ends - nbytes
    out = np.empty(int(ends[-1]), dtype=np.uint8)
    out[starts] = values & 127 | (nbytes > 1) << 7
    sel = np.flatnonzero(nbytes > 1)
    j = 1
    while len(sel):
        more = nbytes[sel] > j + 1
        out[starts[sel] + j] = values[sel] >> 7 * j & 127 | more << 7
        sel = sel[more]
        j += 1
    del starts, nbytes
    run_ends = ends[np.cumsum(sizes) - 1]
    return out, np.diff(run_ends, prepend=0)


def _char_names(keys) -> list[str]:
    return list(keys.astype("<u4").tobytes().decode("utf-32-le", "surrogatepass"))


def _pair_names(keys) -> list[str]:
    both = np.empty((len(keys), 2), dtype="<u4")
    both[:, 0] = keys >> 21
    both[:, 1] = keys & 0x1FFFFF
    text = both.tobytes().decode("utf-32-le", "surrogatepass")
    return [text[i:i + 2] for i in range(0, len(text), 2)]


# -- shard files -------------------------------------------------------------------------------

CHUNK_SHARDS = 256  # shards assembled at once (a few MB of text)
# The characters json.dumps escapes in a str with ensure_ascii=False (all of them below U+0080).
_ESCAPED = np.array([encode_basestring(chr(c)) != f'"{chr(c)}"' for c in range(128)] + [False])


def shard_files(post: Postings, prefix: str) -> tuple[int, dict[str, str]]:
    """Postings -> (number of shards, file name -> script text): keys spread over shards of about
    SHARD_BYTES by `shard_numbers`; each shard is the JSON object {key: base64 of its posting}
    with its keys sorted, exactly as json.dumps(..., ensure_ascii=False, sort_keys=True,
    separators=(",", ":")) writes it (tests/test_search.py compares the two on generated keys).
    Written on arrays, a few hundred shards at a time (5,000 cases: 2.5 s before, as dicts and
    json.dumps); the keys' escapes are json's own (`encode_basestring`)."""
    n = len(post.names)
    two = (post.codes & 0x1FFFFF) > 0
    total = int((post.lengths * 4 // 3).sum()) + 3 * (n + int(two.sum())) + 6 * n
    count = max(1, math.ceil(total / SHARD_BYTES))
    shard = np.array(shard_numbers(post.names, count), dtype=np.int64)
    order = np.argsort(shard << 42 | post.codes)  # by shard, then key (sort_keys: code point order)
    bounds = np.searchsorted(shard[order], np.arange(count + 1)).tolist()
    del shard
    starts = np.cumsum(post.lengths) - post.lengths
    files: dict[str, str] = {}
    for first in range(0, count, CHUNK_SHARDS):
        give_way()
        last = min(count, first + CHUNK_SHARDS)
        sel = order[bounds[first]:bounds[last]]
        text, ends = _entries(post, sel, starts[sel])
        for s in range(first, last):
            a, b = bounds[s] - bounds[first], bounds[s + 1] - bounds[first]
            # each entry ends with a comma: a shard is its entries but the last comma
            body = text[ends[a - 1] if a else 0:ends[b - 1] - 1] if b > a else ""
            files[f"{prefix}{s}"] = script_text(f"{prefix}{s}", "{" + body + "}")
    return count, files


def _runs(starts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """starts[i], starts[i] + 1, ... starts[i] + sizes[i] - 1 for each i in turn (sizes >= 1), as
    32-bit numbers when they fit (they are positions in one chunk's text or in the postings' bytes)."""
    wide = len(sizes) and int(starts.max()) + int(sizes.max()) >= 2**31
    step = np.ones(int(sizes.sum()), dtype=np.int64 if wide else np.int32)
    if len(sizes):
        first = np.cumsum(sizes) - sizes
        step[0] = starts[0]
        step[first[1:]] = starts[1:] - (starts[:-1] + sizes[:-1] - 1)
    return np.cumsum(step, out=step)


def _entries(post: Postings, sel: np.ndarray, starts: np.ndarray) -> tuple[str, list[int]]:
    """The keys `sel` written `"key":"base64",` one after the other, and where each one ends."""
    codes = post.codes[sel]
    first, second = codes >> 21, (codes & 0x1FFFFF) - 1  # second: -1 for a one-character key
    two = second >= 0
    key_len = 3 + two.astype(np.int64)  # quote, one or two characters, quote
    # json escapes a few ASCII characters ("\\, controls): those keys are written by json itself
    escaped = np.flatnonzero(_ESCAPED[np.minimum(first, 128)] | (two & _ESCAPED[np.clip(second, 0, 128)])).tolist()
    written = [encode_basestring(post.names[sel[row]]) for row in escaped]
    key_len[escaped] = [len(w) for w in written]
    # Postings in base64: each padded with zeros to a multiple of three bytes encodes as the
    # posting itself would but for its last one or two characters, which become '='; so all of
    # them are encoded in one call.
    size = post.lengths[sel]
    padded = (size + 2) // 3 * 3
    raw = post.data[np.minimum(_runs(starts, padded), len(post.data) - 1)]  # the last may read past the end
    padded_ends = np.cumsum(padded)
    raw[padded_ends[size % 3 != 0] - 1] = 0
    raw[padded_ends[size % 3 == 1] - 2] = 0
    b64 = np.frombuffer(binascii.b2a_base64(raw.tobytes(), newline=False), dtype=np.uint8)
    del raw
    b64_len = padded // 3 * 4
    entry_len = key_len + 2 + b64_len + 2
    ends = np.cumsum(entry_len)
    begin = ends - entry_len
    out = np.empty(int(ends[-1]) if len(ends) else 0, dtype="<u4")
    out[_runs(begin + key_len + 2, b64_len)] = b64
    del b64
    out[begin + key_len] = ord(":")
    out[begin + key_len + 1] = ord('"')
    out[ends - 2] = ord('"')
    out[ends - 1] = ord(",")
    out[ends[size % 3 != 0] - 3] = ord("=")
    out[ends[size % 3 == 1] - 4] = ord("=")
    out[begin] = ord('"')
    out[begin + 1] = first
    out[begin[two] + 2] = second[two]
    out[begin[~two] + 2] = ord('"')
    out[begin[two] + 3] = ord('"')
    for row, text in zip(escaped, written):
        at = int(begin[row])
        out[at:at + len(text)] = [ord(c) for c in text]
    return out.tobytes().decode("utf-32-le", "surrogatepass"), ends.tolist()
