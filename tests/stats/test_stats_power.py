"""Tests for service.stats.power against the textbook formula evaluated by hand."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from service.stats.power import SampleSize, required_sample_size

Z_975 = 1.959963984540054  # two-sided α = 0.05
Z_80 = 0.8416212335729143  # power 0.8
Z_9875 = 2.241402727604947  # two-sided α = 0.025 (two comparisons)


def by_hand(p1, p2, z_alpha, z_power):
    pooled = (p1 + p2) / 2
    root = z_alpha * math.sqrt(2 * pooled * (1 - pooled)) + z_power * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    return math.ceil(root**2 / (p2 - p1) ** 2)


def test_textbook_ten_to_twelve_percent():
    # Classic example: 10 % → 12 %, α = 0.05 two-sided, 80 % power: 3841 per group.
    assert required_sample_size(0.10, 0.2, 0.05) == SampleSize(3841, None)
    assert by_hand(0.10, 0.12, Z_975, Z_80) == 3841


@pytest.mark.parametrize("p1, mde", [(0.10, 0.2), (0.02, 0.1), (0.5, -0.1), (0.001, 0.5), (0.3, 0.05)])
def test_matches_hand_formula(p1, mde):
    assert required_sample_size(p1, mde, 0.05).required_per_variant == by_hand(p1, p1 * (1 + mde), Z_975, Z_80)


def test_bonferroni_correction():
    got = required_sample_size(0.10, 0.2, 0.05, comparisons=2).required_per_variant
    assert got == by_hand(0.10, 0.12, Z_9875, Z_80)
    assert got > 3841


@pytest.mark.parametrize(
    "base_rate, mde", [(None, 0.1), (0.0, 0.1), (1.0, 0.1), (0.6, 0.7), (0.1, -1.0), (0.1, 0.0)]
)
def test_undefined_cases_return_reason(base_rate, mde):
    result = required_sample_size(base_rate, mde, 0.05)
    assert result.required_per_variant is None
    assert result.reason


def test_invalid_settings_raise():
    for kwargs in (dict(alpha=0.0), dict(alpha=0.05, power=1.0), dict(alpha=0.05, comparisons=0)):
        with pytest.raises(ValueError):
            required_sample_size(0.1, 0.1, **kwargs)


def by_hand_exact(p1, mde, z_alpha, z_power):
    """The textbook formula with every rate and effect formed in exact rationals from the float
    inputs (δ = p1·mde, p2 = p1 + δ, complements 1 − p), rounded to floats only for the square
    roots: an independent evaluation without the cancellation in p2 − p1."""
    p1, delta = Fraction(p1), Fraction(p1) * Fraction(mde)
    p2 = p1 + delta
    pooled = (p1 + p2) / 2
    root = z_alpha * math.sqrt(float(2 * pooled * (1 - pooled))) + z_power * math.sqrt(float(p1 * (1 - p1) + p2 * (1 - p2)))
    return (Fraction(root) / abs(delta)) ** 2


@pytest.mark.parametrize(
    "p1, mde",
    [
        (0.5, 1e-8),  # n ≈ 1.6e17; p2 − p1 would have kept only 8 digits of δ
        (0.5, -1e-8),
        (0.02, 3e-8),
        (1 - 1e-13, 1e-15),  # n ≈ 1.6e18: tiny effect near a rate of 1
        (1 - 1e-13, -1e-15),
        (0.3, 1e-7),
    ],
)
def test_tiny_effects_are_accurate(p1, mde):
    got = required_sample_size(p1, mde, 0.05)
    expected = by_hand_exact(p1, mde, Z_975, Z_80)
    assert got.reason is None
    assert got.required_per_variant == pytest.approx(float(expected), rel=1e-12)


@pytest.mark.parametrize("mde", [1e-9, 1e-15, 1e-16, 1e-17, 1e-200, 1e-310])
def test_effect_needing_more_than_int64_impressions(mde):
    # Used to raise ZeroDivisionError below ~1e-16 (p2 == p1 in floating point).
    result = required_sample_size(0.1, mde, 0.05)
    assert result.required_per_variant is None
    assert "exceeds" in result.reason
    # By hand: n ≈ (1.96 + 0.84)²·2·0.09/(0.1·mde)² > 2^63 − 1 for each of these.
    assert Fraction((Z_975 + Z_80) ** 2 * 2 * 0.09) / (Fraction(0.1) * Fraction(mde)) ** 2 > 2**63 - 1


def test_effect_too_small_to_represent():
    result = required_sample_size(0.1, 5e-324, 0.05)  # 0.1 × 5e-324 underflows to 0
    assert result.required_per_variant is None
    assert "too small" in result.reason


def test_largest_representable_sample_size_boundary():
    # Hand formula at 10 %: n = K/mde² with K = (z_a·√(2·p̄q̄) + z_b·√(p1q1 + p2q2))²/p1²,
    # p̄ → p1 as mde → 0, so K → (1.96 + 0.84)²·2·0.09/0.01 and mde = √(K/2^62) gives n ≈ 2^62.
    k = (Z_975 + Z_80) ** 2 * 2 * 0.09 / 0.01
    fits = required_sample_size(0.1, math.sqrt(k / 2**62), 0.05)
    assert fits.required_per_variant == pytest.approx(2**62, rel=1e-6)
    too_big = required_sample_size(0.1, math.sqrt(k / 2**64), 0.05)
    assert too_big.required_per_variant is None and "exceeds" in too_big.reason
