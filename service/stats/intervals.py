"""Frequentist interval helpers: normal quantiles and the Wilson score interval."""

from __future__ import annotations

import math

from scipy import stats

__all__ = ["normal_quantile", "wilson_interval"]


def normal_quantile(p: float) -> float:
    """Standard normal quantile Φ⁻¹(p) for 0 < p < 1.

    For a two-sided interval at confidence c use normal_quantile(1 − (1 − c) / 2).
    """
    if not 0.0 < p < 1.0:
        raise ValueError("p must lie in (0, 1)")
    return float(stats.norm.ppf(p))


def wilson_interval(conversions: int, impressions: int, confidence: float) -> tuple[float, float] | None:
    """Wilson score interval for a binomial proportion, or None when impressions == 0.

    Unlike the Wald interval it stays inside [0, 1] and is sensible at 0/n and n/n;
    bounds are clipped to [0, 1] only to absorb floating-point rounding.  The confidence
    level maps to z = Φ⁻¹(1 − (1 − confidence)/2).
    """
    if impressions < 0 or conversions < 0 or conversions > impressions:
        raise ValueError("need 0 <= conversions <= impressions")
    if not 0.0 < confidence < 1.0:
        raise ValueError("confidence must lie in (0, 1)")
    if impressions == 0:
        return None
    z = normal_quantile(1.0 - (1.0 - confidence) / 2.0)
    n = float(impressions)
    p_hat = conversions / n
    z2 = z * z
    denominator = 1.0 + z2 / n
    centre = (p_hat + z2 / (2.0 * n)) / denominator
    half_width = z * math.sqrt(p_hat * (1.0 - p_hat) / n + z2 / (4.0 * n * n)) / denominator
    lower = max(0.0, centre - half_width)
    upper = min(1.0, centre + half_width)
    # At 0/n and n/n the bound is exactly 0 or 1 (centre and half-width are equal there);
    # return that rather than a rounding residue such as 0.9999999999999999.
    if conversions == 0:
        lower = 0.0
    if conversions == impressions:
        upper = 1.0
    return lower, upper
