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
    summing to sum(observed).  A variant deployed at 0 % (expected exactly 0) that got no
    traffic is left out, since it has nothing to test; one that got traffic anyway is a
    mismatch outright (its chi-square term is infinite: p = 0, chi_square None). Otherwise
    the test runs only if at least two variants remain and every expected count is >= 5
    (variants with zero observed traffic included); mismatch means p < threshold. ``names``
    label the variants in the reason.
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
    def label(indices) -> str:
        return ", ".join(str(names[i]) if names else f"index {i}" for i in indices)

    unexpected = [i for i, (o, e) in enumerate(zip(observed, expected)) if e == 0 and o > 0]
    if unexpected:
        return SrmResult(None, 0.0, True, f"traffic reached {label(unexpected)}, deployed at 0 %")
    tested = [i for i, e in enumerate(expected) if e > 0]
    if len(tested) < 2:
        return SrmResult(None, None, None, "fewer than two variants were meant to get traffic")
    small = [i for i in tested if expected[i] < _MIN_EXPECTED]
    if small:
        return SrmResult(None, None, None, f"expected count below {_MIN_EXPECTED:g} for {label(small)}")
    chi_square = math.fsum((observed[i] - expected[i]) ** 2 / expected[i] for i in tested)
    p_value = float(stats.chi2.sf(chi_square, len(tested) - 1))
    return SrmResult(chi_square, p_value, p_value < threshold, None)
