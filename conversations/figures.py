"""Figures that never point at a person: the minimum group size and the complement rule.

A count "c of n" about something sensitive (prepared, held, agreed, followed up, not offered)
is shown only when the group has at least `k` people AND both the people counted and the
people not counted are at least `k`: "0 of 3" and "3 of 3" tell something about every single
person, "1 of 10" points at a very small group. Anything else is shown as suppressed. A plain
size (how many were offered) is shown from `k` on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import mean

SUPPRESSED = None


def size(n: int, *, k: int) -> int | None:
    """A group's size, or None (suppressed) below the minimum group size."""
    return n if n >= k else SUPPRESSED


def share(c: int, n: int, *, k: int) -> tuple[int, int] | None:
    """A sensitive count `c` of `n`, or None when it would single someone out."""
    if n < k or c < k or n - c < k:
        return SUPPRESSED
    return (c, n)


@dataclass(frozen=True, slots=True)
class Aggregate:
    """Evaluation results: answers counted, a mean per question, comments (unattributed)."""

    answers: int
    means: dict[str, float]
    comments: tuple[str, ...]


def aggregate(
    responses: Sequence[tuple[dict[str, int], str | None]], *, k: int
) -> Aggregate | None:
    """Means per question and the comments, sorted (not in answer order); None below `k`."""
    if len(responses) < k:
        return None
    questions = sorted({q for scores, _ in responses for q in scores})
    means = {
        q: round(mean(s[q] for s, _ in responses if q in s), 1)
        for q in questions
        if sum(1 for s, _ in responses if q in s) >= k
    }
    comments = tuple(sorted(c.strip() for _, c in responses if c and c.strip()))
    return Aggregate(answers=len(responses), means=means, comments=comments)
