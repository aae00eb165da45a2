"""UCB1 indices and the traffic split UCB1 would produce over a batch of impressions."""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from decimal import Decimal, localcontext
from fractions import Fraction

import numpy as np
from scipy import optimize

__all__ = ["ucb1_allocation", "ucb1_indices"]

# Precision of the index deficits: indices ~1 must be resolved to ~1e-30 at 2^63 impressions.
_DECIMAL_DIGITS = 60


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


def _exact(value: float) -> Fraction:
    """A count as an exact rational: Python or NumPy integers, floats and Decimals are all
    converted without rounding."""
    if isinstance(value, numbers.Integral):
        return Fraction(int(value))
    if isinstance(value, Decimal):
        return Fraction(value)
    return Fraction(float(value))


def _decimal(value: Fraction) -> Decimal:
    return Decimal(value.numerator) / Decimal(value.denominator)


def ucb1_allocation(
    impressions: Sequence[int], conversions: Sequence[int], batch_size: int, unplayed_mean: float
) -> list[float]:
    """Share of the next `batch_size` impressions that UCB1 would give each arm.

    Models UCB1 assigning the batch one impression at a time with every arm's mean held at
    its current estimate (unplayed_mean for arms without impressions).  In the continuous
    limit this is water-filling: at the end every arm that received traffic sits at a common
    index level λ, so its count is n_v' = max(n_v, 2 ln N' / (λ − μ_v)²) with
    N' = N + batch_size and Σ n_v' = N'.  The result is deterministic, identical arms get
    identical shares, shares are never NaN and sum to 1.

    Counts may be as large as 2^63 − 1, where N' = N in floating point and the indices that
    decide the split differ by ~1e-25: the level is therefore solved for as λ = U − s, U the
    largest index μ_v + a_v (a_v = √(2 ln N' / n_v)) among played arms, and each played arm's
    deficit ρ_v = U − U_v is computed exactly from the integer counts (60-digit decimal
    arithmetic, including ln N' = ln N + ln(1 + batch/N)) before rounding to a float.  Then
    λ − μ_v = a_v − (s − ρ_v) and arm v receives n_v·(s − ρ_v)(a_v + λ − μ_v)/(λ − μ_v)²
    for s > ρ_v, an expression without cancellation; an unplayed arm receives
    2 ln N' / (λ − μ_v)².
    """
    n, c = _validate(impressions, conversions)
    if batch_size < 1:
        raise ValueError("batch_size must be >= 1")
    if not 0.0 <= unplayed_mean <= 1.0:
        raise ValueError("unplayed_mean must lie in [0, 1]")
    k = len(n)
    if k == 1:
        return [1.0]
    counts = [_exact(v) for v in impressions]
    wins = [_exact(v) for v in conversions]
    total = sum(counts, Fraction(0))
    if total == 0:
        # Every index is +∞ and stays symmetric: UCB1 cycles through the arms.
        return [1.0 / k] * k
    played = n > 0
    with localcontext() as context:
        context.prec = _DECIMAL_DIGITS
        total_dec = _decimal(total)
        # ln N' to 60 digits: ln N + ln(1 + batch/N), where N + batch == N in floating point.
        bonus_dec = 2 * (total_dec.ln() + (1 + Decimal(batch_size) / total_dec).ln())
        indices = {
            v: _decimal(wins[v] / counts[v]) + (bonus_dec / _decimal(counts[v])).sqrt() for v in range(k) if played[v]
        }
        top = max(indices.values())
        deficit = np.array([float(top - indices[v]) if played[v] else 0.0 for v in range(k)])
        # For unplayed arms: U − unplayed_mean (their λ − μ_v at s = 0).
        headroom = np.array([0.0 if played[v] else float(top - Decimal(unplayed_mean)) for v in range(k)])
    bonus = float(bonus_dec)
    width = np.sqrt(bonus / np.where(played, n, 1.0))  # a_v for played arms
    unplayed = ~played

    def added(s: float) -> np.ndarray:
        out = np.zeros(k)
        excess = s - deficit
        gets = played & (excess > 0.0)
        distance = width[gets] - excess[gets]  # λ − μ_v > 0
        out[gets] = n[gets] * excess[gets] * (width[gets] + distance) / distance**2
        out[unplayed] = bonus / (headroom[unplayed] - s) ** 2
        return out

    def shortfall(s: float) -> float:
        return float(added(s).sum()) - batch_size

    # s_hi: the top played arm alone takes the whole batch there (n' = n + batch ⇔
    # s = a·(1 − (1 + batch/n)^(−1/2))), or an unplayed arm does (λ − μ_v = √(2 ln N'/batch)).
    best = int(np.flatnonzero(played & (deficit == 0.0))[0])
    s_hi = width[best] * -math.expm1(-0.5 * math.log1p(batch_size / n[best]))
    # s_lo: played arms get nothing (s <= 0) and each unplayed arm at most batch/K.
    s_lo = 0.0
    if unplayed.any():
        s_hi = min(s_hi, float(headroom[unplayed].min()) - math.sqrt(bonus / batch_size))
        s_lo = min(0.0, float(headroom[unplayed].min()) - math.sqrt(k * bonus / batch_size))
    if shortfall(s_hi) <= 0.0:
        s = s_hi
    else:
        s = optimize.brentq(shortfall, s_lo, s_hi, xtol=1e-300, rtol=4.0 * np.finfo(float).eps, maxiter=2000)
    shares = added(s)
    # The root is exact to rounding, so this division is a tiny correction that makes the
    # shares sum to 1.
    return (shares / shares.sum()).tolist()
