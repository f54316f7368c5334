"""Games with known answers, built as bitmask arrays (v[mask], bit j = player j)."""
from __future__ import annotations

import itertools

import numpy as np


def game(n: int, fn) -> np.ndarray:
    """v for every bitmask from a function of the member tuple."""
    return np.array([float(fn(tuple(j for j in range(n) if (m >> j) & 1))) for m in range(2 ** n)])


def glove(left: int, right: int) -> np.ndarray:
    """Players 0…left−1 hold left gloves, the rest right gloves; a pair is worth 1."""
    n = left + right
    return game(n, lambda S: min(sum(1 for j in S if j < left), sum(1 for j in S if j >= left)))


def bankruptcy(estate: float, claims: list[float]) -> np.ndarray:
    """v(S) = max(0, E − Σ claims outside S) (O'Neill 1982)."""
    n = len(claims)
    return game(n, lambda S: max(0.0, estate - sum(claims[j] for j in range(n) if j not in S)))


def subsets(n: int):
    for k in range(n + 1):
        yield from itertools.combinations(range(n), k)
