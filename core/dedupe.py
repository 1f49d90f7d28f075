"""Near-duplicate detection shared by the dataset tools (dedupe across sources) and the evaluation
suite (contamination check against training data): one definition of "the same code".

Code is normalised (whitespace collapsed), cut into word 5-shingles and summarised by a MinHash; two
texts are near duplicates when their estimated Jaccard similarity is at least `threshold`.
datasketch is imported lazily: it ships with the `train` and `eval` extras, not with the server.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

NUM_PERM = 128
SHINGLE = 5
DEFAULT_THRESHOLD = 0.8
_TOKEN = re.compile(r"\w+|[^\w\s]")


def shingles(text: str, size: int = SHINGLE) -> set[str]:
    """Word/punctuation shingles; short texts become one shingle so they still compare."""
    tokens = _TOKEN.findall(text)
    if len(tokens) <= size:
        return {" ".join(tokens)} if tokens else set()
    return {" ".join(tokens[i : i + size]) for i in range(len(tokens) - size + 1)}


def minhash(text: str) -> Any:
    from datasketch import MinHash

    m = MinHash(num_perm=NUM_PERM, seed=1)
    for s in shingles(text):
        m.update(s.encode("utf-8"))
    return m


class NearDuplicateIndex:
    """Texts seen so far; `find` answers which earlier key a new text nearly duplicates (LSH)."""

    def __init__(self, threshold: float = DEFAULT_THRESHOLD):
        from datasketch import MinHashLSH

        self.threshold = threshold
        self._lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
        self._hashes: dict[str, Any] = {}

    def find(self, text: str) -> str | None:
        """The key of a stored text whose estimated Jaccard with `text` is ≥ threshold, if any."""
        m = minhash(text)
        best, best_sim = None, 0.0
        for key in self._lsh.query(m):
            sim = m.jaccard(self._hashes[key])
            if sim >= self.threshold and sim > best_sim:
                best, best_sim = key, sim
        return best

    def add(self, key: str, text: str) -> None:
        if key in self._hashes:
            raise ValueError(f"duplicate key {key!r}")
        m = minhash(text)
        self._hashes[key] = m
        self._lsh.insert(key, m)

    def add_if_new(self, key: str, text: str) -> str | None:
        """Store `text` unless it nearly duplicates a stored one; return that one's key if so."""
        dup = self.find(text)
        if dup is None:
            self.add(key, text)
        return dup

    def __contains__(self, key: str) -> bool:
        return key in self._hashes

    def __len__(self) -> int:
        return len(self._hashes)


def near_duplicates(items: Iterable[tuple[str, str]], threshold: float = DEFAULT_THRESHOLD) -> list[tuple[str, str]]:
    """(later key, earlier key) for every item that nearly duplicates an earlier one."""
    index = NearDuplicateIndex(threshold)
    return [(key, dup) for key, text in items if (dup := index.add_if_new(key, text)) is not None]
