"""Tests for service.stats.power against the textbook formula evaluated by hand."""

from __future__ import annotations

import math

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
