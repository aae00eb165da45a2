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


def largest_remainder_percentages(weights: Sequence[float]) -> list[int]:
    """Integer percentages proportional to `weights` that sum to exactly 100.

    Hamilton's largest-remainder method: floor every scaled weight, then hand the missing
    points to the largest remainders, ties going to the lower index (deterministic).
    """
    if len(weights) == 0:
        raise ValueError("at least one weight is required")
    if any(not math.isfinite(w) or w < 0 for w in weights):
        raise ValueError("weights must be finite and >= 0")
    total = math.fsum(weights)
    if total <= 0:
        raise ValueError("weights must not all be zero")
    scaled = [round(100.0 * w / total, _SCALED_DECIMALS) for w in weights]
    floors = [math.floor(s) for s in scaled]
    missing = 100 - sum(floors)
    # Sort by remainder descending, then index ascending.
    order = sorted(range(len(scaled)), key=lambda i: (-(scaled[i] - floors[i]), i))
    for i in order[:missing]:
        floors[i] += 1
    return floors
