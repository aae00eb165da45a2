"""Tests for service.stats.intervals against a hand-written Wilson formula and hand values."""

from __future__ import annotations

import math

import pytest

from service.stats.intervals import normal_quantile, wilson_interval

Z95 = 1.959963984540054  # Φ⁻¹(0.975)


def wilson_by_hand(x, n, z):
    """Wilson (1927): (p̂ + z²/2n ± z·sqrt(p̂(1−p̂)/n + z²/4n²)) / (1 + z²/n)."""
    p = x / n
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    scale = 1 + z * z / n
    return (centre - spread) / scale, (centre + spread) / scale


def test_normal_quantile():
    assert normal_quantile(0.975) == pytest.approx(Z95, rel=1e-15)
    assert normal_quantile(0.5) == 0.0
    assert normal_quantile(0.8) == pytest.approx(0.8416212335729143, rel=1e-15)
    with pytest.raises(ValueError):
        normal_quantile(1.0)


def test_wilson_hand_computed_value():
    # 3785 / 17293 at 95 %, evaluated with 40-digit decimal arithmetic.
    lo, hi = wilson_interval(3785, 17293, 0.95)
    assert lo == pytest.approx(0.21277479215108313, rel=1e-13)
    assert hi == pytest.approx(0.22509945655796885, rel=1e-13)


@pytest.mark.parametrize("x, n", [(0, 10), (10, 10), (1, 1), (5, 17), (3785, 17293), (1, 1_000_000_000)])
@pytest.mark.parametrize("confidence", [0.8, 0.95, 0.999])
def test_wilson_matches_formula(x, n, confidence):
    z = normal_quantile(1 - (1 - confidence) / 2)
    expected = wilson_by_hand(x, n, z)
    got = wilson_interval(x, n, confidence)
    assert got == pytest.approx(expected, rel=1e-12, abs=1e-15)
    assert 0.0 <= got[0] <= x / n <= got[1] <= 1.0


def test_wilson_edge_cases():
    assert wilson_interval(0, 0, 0.95) is None
    assert wilson_interval(0, 10, 0.95)[0] == 0.0
    assert wilson_interval(10, 10, 0.95)[1] == 1.0
    with pytest.raises(ValueError):
        wilson_interval(11, 10, 0.95)
    with pytest.raises(ValueError):
        wilson_interval(1, 10, 1.0)
