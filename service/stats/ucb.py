"""UCB1 indices and the traffic split UCB1 would produce over a batch of impressions."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import optimize

__all__ = ["ucb1_allocation", "ucb1_indices"]


def _validate(impressions: Sequence[int], conversions: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    if len(impressions) != len(conversions):
        raise ValueError("impressions and conversions must have the same length")
    if len(impressions) == 0:
        raise ValueError("at least one arm is required")
    n = np.asarray(impressions, dtype=float)
    c = np.asarray(conversions, dtype=float)
    if np.any(n < 0) or np.any(c < 0) or np.any(c > n):
        raise ValueError("need 0 <= conversions <= impressions for every arm")
    return n, c


def ucb1_indices(impressions: Sequence[int], conversions: Sequence[int]) -> list[float | None]:
    """UCB1 index mean + sqrt(2 ln N / n) per arm, N = total impressions.

    None for an arm with n == 0: its index is +∞ (it must be played first), which is not
    returned as a float.  If N == 0 every entry is None.
    """
    n, c = _validate(impressions, conversions)
    total = float(n.sum())
    if total == 0:
        return [None] * len(n)
    log_total = math.log(total)
    return [None if n_v == 0 else c_v / n_v + math.sqrt(2.0 * log_total / n_v) for n_v, c_v in zip(n, c)]


def ucb1_allocation(
    impressions: Sequence[int], conversions: Sequence[int], batch_size: int, unplayed_mean: float
) -> list[float]:
    """Share of the next `batch_size` impressions that UCB1 would give each arm.

    Models UCB1 assigning the batch one impression at a time with every arm's mean held at
    its current estimate (unplayed_mean for arms without impressions).  In the continuous
    limit this is water-filling: at the end every arm that received traffic sits at a common
    index level λ, so its count is n_v' = max(n_v, 2 ln N' / (λ − μ_v)²) with
    N' = N + batch_size and Σ n_v' = N'.  λ is found by root finding; the result is
    deterministic, identical arms get identical shares, and shares sum to 1.
    """
    n, c = _validate(impressions, conversions)
    if batch_size < 1:
        raise ValueError("batch_size must be >= 1")
    if not 0.0 <= unplayed_mean <= 1.0:
        raise ValueError("unplayed_mean must lie in [0, 1]")
    k = len(n)
    if k == 1:
        return [1.0]
    total = float(n.sum())
    if total == 0:
        # Every index is +∞ and stays symmetric: UCB1 cycles through the arms.
        return [1.0 / k] * k
    means = np.divide(c, n, out=np.full(k, float(unplayed_mean)), where=n > 0)
    final_total = total + batch_size
    bonus = 2.0 * math.log(final_total)  # final_total >= 2, so bonus > 0
    top = float(means.max())

    def final_counts(gap: float) -> np.ndarray:
        # gap = λ − max μ > 0; every arm's distance to the level is at least gap.
        return np.maximum(n, bonus / (gap + (top - means)) ** 2)

    def excess(gap: float) -> float:
        return float(final_counts(gap).sum()) - final_total

    # At gap_lo the best arm alone would need N' impressions (excess >= 0); at gap_hi each
    # arm's requirement is at most bonus/gap² = batch/K on top of its count (excess <= 0).
    gap_lo = math.sqrt(bonus / final_total)
    gap_hi = math.sqrt(k * bonus / batch_size)
    if excess(gap_hi) >= 0.0:
        gap = gap_hi
    else:
        gap = optimize.brentq(excess, gap_lo, gap_hi, xtol=1e-300, rtol=4.0 * np.finfo(float).eps, maxiter=1000)
    added = final_counts(gap) - n
    # The root is exact to rounding, so this division is a tiny correction that makes the
    # shares sum to 1.
    return (added / added.sum()).tolist()
