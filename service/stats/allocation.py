"""Turning allocation shares into traffic weights and integer percentages."""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["apply_floor", "equal_split", "largest_remainder_percentages"]

# Scaled shares are rounded to this many decimals before flooring, so that float artefacts
# such as 0.29 * 100 = 28.999999999999996 count as the intended 29.
_SCALED_DECIMALS = 9


def equal_split(k: int) -> list[float]:
    """k equal shares of 1/k."""
    if k < 1:
        raise ValueError("k must be >= 1")
    return [1.0 / k] * k


def apply_floor(shares: Sequence[float], floor: float) -> list[float]:
    """Guarantee every arm at least `floor`: weight = floor + (1 − K·floor)·share.

    Shares that sum to 1 give weights that sum to 1.  Raises ValueError if K·floor > 1.
    """
    k = len(shares)
    if k == 0:
        raise ValueError("at least one share is required")
    if not floor >= 0.0:
        raise ValueError("floor must be >= 0")
    # Tolerate rounding in e.g. 3 * (1/3) but not a genuinely infeasible floor.
    if k * floor > 1.0 + 1e-12:
        raise ValueError(f"floor {floor} is infeasible for {k} arms (K·floor > 1)")
    remainder = max(0.0, 1.0 - k * floor)
    return [floor + remainder * share for share in shares]


def _largest_remainder(quotas: Sequence[float], seats: int, eligible: Sequence[int]) -> list[int]:
    """Floor every quota, then hand the missing seats to the largest remainders among
    `eligible` (ties to the lower index)."""
    floors = [math.floor(q) for q in quotas]
    missing = seats - sum(floors)
    order = sorted(eligible, key=lambda i: (-(quotas[i] - floors[i]), i))
    while missing > 0 and order:  # more than one round only in degenerate rounding cases
        for i in order[:missing]:
            floors[i] += 1
        missing -= min(missing, len(order))
    return floors


def largest_remainder_percentages(weights: Sequence[float]) -> list[int]:
    """Integer percentages proportional to `weights` that sum to exactly 100, in which no
    positive weight is rounded down to 0 %.

    Hamilton's largest-remainder method with a floor of one point: each of the m variants with
    a positive weight gets 1 point, and the remaining 100 − m points are shared by largest
    remainder in proportion to max(0, 100·w − 1) (w the normalised weight), i.e. to how far
    each share exceeds the point it already has.  Ties go to the lower index (deterministic);
    zero weights get 0.  When every positive weight is at least 1 %, Σ(100·w − 1) = 100 − m, so
    the quotas are exactly the plain quotas less one and the result is identical to plain
    largest remainder.  With more than 100 positive weights the floor cannot be met and plain
    largest remainder is used.
    """
    if len(weights) == 0:
        raise ValueError("at least one weight is required")
    if any(not math.isfinite(w) or w < 0 for w in weights):
        raise ValueError("weights must be finite and >= 0")
    total = math.fsum(weights)
    if total <= 0:
        raise ValueError("weights must not all be zero")
    scaled = [round(100.0 * w / total, _SCALED_DECIMALS) for w in weights]
    positive = [i for i, w in enumerate(weights) if w > 0]
    m = len(positive)
    if m > 100:
        return _largest_remainder(scaled, 100, range(len(weights)))
    if all(scaled[i] >= 1.0 for i in positive):
        # Exact: x − 1 is representable for 1 <= x <= 100, and so is its fractional part.
        quotas = [s - 1.0 if w > 0 else 0.0 for s, w in zip(scaled, weights)]
    else:
        excess = [max(0.0, s - 1.0) if w > 0 else 0.0 for s, w in zip(scaled, weights)]
        excess_total = math.fsum(excess)
        factor = (100 - m) / excess_total if excess_total > 0 else 0.0
        quotas = [round(e * factor, _SCALED_DECIMALS) for e in excess]
    points = _largest_remainder(quotas, 100 - m, positive)
    return [p + 1 if w > 0 else 0 for p, w in zip(points, weights)]
