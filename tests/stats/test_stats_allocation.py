"""Tests for service.stats.allocation."""

from __future__ import annotations

import pytest

from service.stats.allocation import apply_floor, equal_split, largest_remainder_percentages


def test_equal_split():
    assert equal_split(1) == [1.0]
    assert equal_split(4) == [0.25] * 4
    assert sum(equal_split(3)) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        equal_split(0)


def test_apply_floor():
    assert apply_floor([0.7, 0.3, 0.0], 0.1) == pytest.approx([0.1 + 0.7 * 0.7, 0.1 + 0.7 * 0.3, 0.1])
    assert sum(apply_floor([0.5, 0.25, 0.25], 0.05)) == pytest.approx(1.0)
    assert apply_floor([1.0, 0.0], 0.0) == [1.0, 0.0]
    assert apply_floor([0.9, 0.1, 0.0], 1 / 3) == pytest.approx([1 / 3] * 3)
    with pytest.raises(ValueError):
        apply_floor([0.5, 0.5, 0.0], 0.34)
    with pytest.raises(ValueError):
        apply_floor([1.0], -0.1)


@pytest.mark.parametrize(
    "weights, expected",
    [
        ([1, 1, 1], [34, 33, 33]),  # tie on remainders: lower index first
        ([0.29, 0.71], [29, 71]),  # 0.29 * 100 = 28.999999999999996 in floating point
        ([0.01, 0.99], [1, 99]),
        ([0.5, 0.5], [50, 50]),
        ([0.125, 0.125, 0.75], [13, 12, 75]),
        ([2, 1, 1], [50, 25, 25]),
        ([0.0, 1.0], [0, 100]),
        ([0.333, 0.333, 0.334], [33, 33, 34]),
        ([1 / 7] * 7, [15, 15, 14, 14, 14, 14, 14]),
    ],
)
def test_largest_remainder_percentages(weights, expected):
    assert largest_remainder_percentages(weights) == expected


def test_largest_remainder_always_sums_to_100():
    for k in range(1, 30):
        weights = [((i * 7919) % 13 + 1) / 97 for i in range(k)]
        percentages = largest_remainder_percentages(weights)
        assert sum(percentages) == 100
        assert all(p >= 0 for p in percentages)


def test_largest_remainder_rejects_bad_weights():
    for weights in ([], [0.0, 0.0], [-0.1, 1.1], [float("nan"), 1.0]):
        with pytest.raises(ValueError):
            largest_remainder_percentages(weights)
