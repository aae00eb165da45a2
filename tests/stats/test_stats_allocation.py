"""Tests for service.stats.allocation."""

from __future__ import annotations

import math
import random

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


def plain_largest_remainder(weights):
    """Hamilton's method as documented before the one-point floor (reference copy): scaled
    weights rounded to 9 decimals, floors, missing points to the largest remainders, ties to
    the lower index."""
    total = math.fsum(weights)
    scaled = [round(100.0 * w / total, 9) for w in weights]
    floors = [math.floor(s) for s in scaled]
    order = sorted(range(len(weights)), key=lambda i: (-(scaled[i] - floors[i]), i))
    for i in order[: 100 - sum(floors)]:
        floors[i] += 1
    return floors


@pytest.mark.parametrize(
    "weights, expected",
    [
        ([0.001, 0.999], [1, 99]),  # plain: [0, 100]
        ([0.004, 0.004, 0.992], [1, 1, 98]),  # plain: [0, 0, 100]
        ([1e-9, 1e-9, 1e-9, 1.0], [1, 1, 1, 97]),
        ([0.0, 0.001, 1.0], [0, 1, 99]),  # zero weights stay 0
        # By hand: 5 positive → 1 point each; the other 95 in proportion to 29, 29, 29, 0, 8.6
        # (sum 95.6): quotas 28.82, 28.82, 28.82, 0, 8.55 → floors 92, remainders .82 ×3 get
        # the 3 missing points → 29, 29, 29, 0, 8 → plus 1.
        ([0.3, 0.3, 0.3, 0.004, 0.096], [30, 30, 30, 1, 9]),
        ([0.005, 0.005, 0.495, 0.495], [1, 1, 49, 49]),
        ([1.0] * 100, [1] * 100),
    ],
)
def test_positive_weights_get_at_least_one_point(weights, expected):
    assert largest_remainder_percentages(weights) == expected


def test_identical_to_plain_when_every_weight_is_at_least_one_percent():
    rng = random.Random(20240603)
    checked = 0
    for _ in range(20000):
        k = rng.randint(1, 60)
        weights = [rng.choice([rng.random(), rng.randint(1, 9) / 10, 1 / rng.randint(1, 97)]) for _ in range(k)]
        if rng.random() < 0.2:
            weights[rng.randrange(k)] = 0.0
        total = math.fsum(weights)
        if total == 0 or any(0 < w < total / 100 for w in weights):
            continue
        assert largest_remainder_percentages(weights) == plain_largest_remainder(weights), weights
        checked += 1
    assert checked > 1000


def test_random_weights_properties():
    rng = random.Random(7)
    for _ in range(5000):
        k = rng.randint(1, 120)
        weights = [rng.choice([0.0, 1e-12, rng.random() * 1e-3, rng.random(), rng.expovariate(1.0)]) for _ in range(k)]
        if math.fsum(weights) == 0:
            weights[0] = 1.0
        got = largest_remainder_percentages(weights)
        assert sum(got) == 100
        positive = [i for i, w in enumerate(weights) if w > 0]
        assert all(got[i] == 0 for i, w in enumerate(weights) if w == 0)
        if len(positive) <= 100:
            assert all(got[i] >= 1 for i in positive)
        # Monotone: a larger weight never gets fewer points.
        for i in positive:
            for j in positive:
                if weights[i] > weights[j]:
                    assert got[i] >= got[j]
        assert largest_remainder_percentages(weights) == got  # deterministic


def test_more_than_one_hundred_positive_weights_fall_back_to_plain():
    weights = [1.0] * 101
    assert largest_remainder_percentages(weights) == plain_largest_remainder(weights) == [1] * 100 + [0]
