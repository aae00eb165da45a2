"""Sample size for a two-sided two-proportion z-test."""

from __future__ import annotations

import math
from dataclasses import dataclass

from service.stats.intervals import normal_quantile

__all__ = ["SampleSize", "required_sample_size"]

# Impressions are counted in a signed 64-bit integer.
_MAX_SAMPLE = 2**63 - 1
_MAX_ROOT = math.sqrt(_MAX_SAMPLE) * 2.0  # anything beyond is certainly too large


@dataclass(frozen=True)
class SampleSize:
    """Impressions needed per variant, or None with the reason it is undefined."""

    required_per_variant: int | None
    reason: str | None


def required_sample_size(
    base_rate: float | None,
    relative_mde: float,
    alpha: float,
    power: float = 0.8,
    comparisons: int = 1,
) -> SampleSize:
    """Per-variant sample size to detect a relative change `relative_mde` from `base_rate`.

    Two-sided test with pooled variance under the null and a Bonferroni-corrected level
    alpha / comparisons:

        n = ceil((z_{1−α'/2}·sqrt(2p̄(1−p̄)) + z_power·sqrt(p1(1−p1) + p2(1−p2)))² / (p2 − p1)²)

    with p1 = base_rate, δ = p1·relative_mde, p2 = p1 + δ, p̄ = p1 + δ/2.  The effect δ is
    formed directly (never as the difference p2 − p1, which would keep only ~1e-16/mde of its
    digits), and so are the complements (1 − p2 = (1 − p1) − δ), so tiny effects stay
    accurate to ~1e-15 relative.  Data-dependent undefined cases
    (no base rate, p1 outside (0, 1), p2 outside (0, 1), zero effect, an effect too small to
    represent, or n beyond 2^63 − 1) give None with a reason; invalid settings raise
    ValueError.
    """
    if not 0.0 < alpha < 1.0:
        raise ValueError("alpha must lie in (0, 1)")
    if not 0.0 < power < 1.0:
        raise ValueError("power must lie in (0, 1)")
    if comparisons < 1:
        raise ValueError("comparisons must be >= 1")
    if not math.isfinite(relative_mde):
        raise ValueError("relative_mde must be finite")
    if base_rate is None:
        return SampleSize(None, "no base rate yet")
    if not 0.0 < base_rate < 1.0:
        return SampleSize(None, f"base rate {base_rate} is not strictly between 0 and 1")
    if relative_mde == 0.0:
        return SampleSize(None, "minimum detectable effect is zero")
    p1 = base_rate
    delta = p1 * relative_mde
    if delta == 0.0:
        return SampleSize(None, f"effect {p1} × {relative_mde} is too small to represent")
    p2 = p1 + delta
    # Complements from q1 = 1 − p1 (exact) minus the effect, so that rates within 1e-13 of 1
    # keep their precision too.
    q1 = 1.0 - p1
    q2 = q1 - delta
    if not (p2 > 0.0 and q2 > 0.0):
        return SampleSize(None, f"target rate {p2} is not strictly between 0 and 1")
    adjusted_alpha = alpha / comparisons
    z_alpha = normal_quantile(1.0 - adjusted_alpha / 2.0)
    z_power = normal_quantile(power)
    pooled, pooled_complement = p1 + delta / 2.0, q1 - delta / 2.0
    numerator = z_alpha * math.sqrt(2.0 * pooled * pooled_complement) + z_power * math.sqrt(p1 * q1 + p2 * q2)
    # (numerator/δ)² rather than numerator²/δ²: δ² underflows for |δ| < 1e-162.
    root = numerator / abs(delta)
    if not root < _MAX_ROOT:
        return SampleSize(None, f"required sample size exceeds {_MAX_SAMPLE} per variant")
    n = root * root
    # Round away float noise first so an exact integer n (e.g. 3841.0000000000005) is not
    # pushed up by one.
    required = math.ceil(round(n, 6))
    if required > _MAX_SAMPLE:
        return SampleSize(None, f"required sample size exceeds {_MAX_SAMPLE} per variant")
    return SampleSize(required, None)
