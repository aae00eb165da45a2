"""Tests for service.stats.ucb against UCB1 simulated one impression at a time."""

from __future__ import annotations

import math

import pytest

from service.stats.ucb import ucb1_allocation, ucb1_indices


def simulate_ucb1(impressions, conversions, batch, unplayed_mean):
    """Brute force: give each impression to the arm with the largest UCB1 index (lowest index
    on ties), means held at their current estimates, counts and N updated every step."""
    counts = [float(n) for n in impressions]
    means = [c / n if n else unplayed_mean for c, n in zip(conversions, impressions)]
    added = [0] * len(counts)
    for _ in range(batch):
        total = sum(counts)
        best, best_index = -1, -math.inf
        for v, n in enumerate(counts):
            index = math.inf if n == 0 else means[v] + math.sqrt(2 * math.log(total) / n)
            if index > best_index:
                best, best_index = v, index
        counts[best] += 1
        added[best] += 1
    return [a / batch for a in added]


def test_indices():
    got = ucb1_indices([100, 300, 0], [10, 60, 0])
    assert got[0] == pytest.approx(0.1 + math.sqrt(2 * math.log(400) / 100))
    assert got[1] == pytest.approx(0.2 + math.sqrt(2 * math.log(400) / 300))
    assert got[2] is None
    assert ucb1_indices([0, 0], [0, 0]) == [None, None]


CONFIGURATIONS = [
    ([100, 100], [10, 12], 0.05),
    ([1000, 50, 0], [30, 3, 0], 0.05),
    ([10, 10, 10, 10], [10, 1, 0, 5], 0.5),
    ([5000, 5000, 100], [100, 150, 2], 0.05),
    ([1, 0], [1, 0], 0.1),
    ([100_000, 100_000, 20], [2000, 2050, 1], 0.05),
    ([40, 40, 40, 40, 40], [4, 8, 2, 6, 40], 0.0),  # one arm at μ = 1
]


@pytest.mark.parametrize("impressions, conversions, unplayed_mean", CONFIGURATIONS)
def test_allocation_matches_one_at_a_time_simulation(impressions, conversions, unplayed_mean):
    batch = 5000
    got = ucb1_allocation(impressions, conversions, batch, unplayed_mean)
    simulated = simulate_ucb1(impressions, conversions, batch, unplayed_mean)
    assert math.fsum(got) == pytest.approx(1.0, abs=1e-12)
    for share, reference in zip(got, simulated):
        assert abs(share - reference) * batch <= 3.0  # within a few impressions per arm


def test_identical_arms_get_identical_shares():
    got = ucb1_allocation([200, 500, 200, 200], [20, 40, 20, 20], 1000, 0.05)
    assert got[0] == got[2] == got[3]
    assert math.fsum(got) == pytest.approx(1.0, abs=1e-12)


def test_all_unplayed_and_single_arm():
    assert ucb1_allocation([0, 0, 0], [0, 0, 0], 100, 0.05) == [1 / 3] * 3
    assert ucb1_allocation([50], [5], 100, 0.05) == [1.0]


def test_large_batch_is_fast_and_sums_to_one():
    got = ucb1_allocation([10_000_000] * 49 + [0], [200_000 + 1000 * i for i in range(49)] + [0], 50_000_000, 0.02)
    assert math.fsum(got) == pytest.approx(1.0, abs=1e-12)
    assert all(0.0 <= share <= 1.0 for share in got)


def test_invalid_input():
    with pytest.raises(ValueError):
        ucb1_allocation([10], [11], 10, 0.1)
    with pytest.raises(ValueError):
        ucb1_allocation([10, 10], [1, 1], 0, 0.1)
    with pytest.raises(ValueError):
        ucb1_indices([10], [1, 2])
