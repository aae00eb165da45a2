"""Sample-ratio-mismatch check: chi-square goodness of fit of observed traffic."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from scipy import stats

__all__ = ["SrmResult", "sample_ratio_mismatch"]

# Below this expected count the chi-square approximation of the statistic is unreliable.
_MIN_EXPECTED = 5.0


@dataclass(frozen=True)
class SrmResult:
    """Outcome of the check; the numbers are None (with a reason) when it could not run."""

    chi_square: float | None
    p_value: float | None
    mismatch: bool | None
    reason: str | None


def sample_ratio_mismatch(observed: Sequence[int], expected: Sequence[float], threshold: float = 0.001,
                          names: Sequence[str] | None = None) -> SrmResult:
    """Chi-square test (K − 1 degrees of freedom) of observed counts against expected counts.

    `expected` are counts, already weighted by the caller for allocation changes over time,
    summing to sum(observed).  The test runs only if there are at least two variants and
    every expected count is >= 5; mismatch means p < threshold. ``names`` label the variants
    in the reason.
    """
    if len(observed) != len(expected):
        raise ValueError("observed and expected must have the same length")
    if any(o < 0 for o in observed) or any(not math.isfinite(e) or e < 0 for e in expected):
        raise ValueError("counts must be finite and >= 0")
    if not 0.0 < threshold < 1.0:
        raise ValueError("threshold must lie in (0, 1)")
    total_observed, total_expected = math.fsum(observed), math.fsum(expected)
    if abs(total_observed - total_expected) > 1e-9 * max(1.0, total_observed):
        raise ValueError(f"expected counts sum to {total_expected}, observed to {total_observed}")
    if len(observed) < 2:
        return SrmResult(None, None, None, "fewer than two variants")
    small = [i for i, e in enumerate(expected) if e < _MIN_EXPECTED]
    if small:
        labels = ", ".join(str(names[i]) if names else f"index {i}" for i in small)
        return SrmResult(None, None, None, f"expected count below {_MIN_EXPECTED:g} for {labels}")
    chi_square = math.fsum((o - e) ** 2 / e for o, e in zip(observed, expected))
    p_value = float(stats.chi2.sf(chi_square, len(observed) - 1))
    return SrmResult(chi_square, p_value, p_value < threshold, None)
