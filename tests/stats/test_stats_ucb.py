"""Tests for service.stats.ucb against UCB1 simulated one impression at a time, and against
the water-filling equations solved directly in 60-digit decimal arithmetic."""

from __future__ import annotations

import math
from decimal import Decimal, localcontext

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


# --------------------------------------------------------------------------------------------
# Huge counts (bigint impressions up to 2^63 − 1): references in exact decimal arithmetic
# --------------------------------------------------------------------------------------------

MAX_COUNT = 2**63 - 1


def simulate_ucb1_decimal(impressions, conversions, batch, unplayed_mean, digits=60):
    """simulate_ucb1 with every index computed in `digits`-digit decimal arithmetic from the
    exact integer counts, so that N + 1 != N and indices that differ by 1e-30 are ordered."""
    with localcontext() as context:
        context.prec = digits
        counts = [Decimal(int(n)) for n in impressions]
        means = [Decimal(int(c)) / Decimal(int(n)) if n else Decimal(unplayed_mean) for c, n in zip(conversions, impressions)]
        total = sum(counts)
        added = [0] * len(counts)
        for _ in range(batch):
            log_total = total.ln()
            indices = [Decimal("Infinity") if n == 0 else mu + (2 * log_total / n).sqrt() for n, mu in zip(counts, means)]
            best = max(range(len(counts)), key=lambda v: (indices[v], -v))  # ties: lowest index
            counts[best] += 1
            total += 1
            added[best] += 1
    return [a / batch for a in added]


def decimal_water_filling(impressions, conversions, batch, unplayed_mean, digits=80):
    """Shares from Σ_v max(n_v, 2 ln N' / (λ − μ_v)²) = N' solved for λ by bisection in
    `digits`-digit decimals: the model's equations taken literally, without the module's
    reformulation."""
    with localcontext() as context:
        context.prec = digits
        counts = [Decimal(int(n)) for n in impressions]
        means = [Decimal(int(c)) / Decimal(int(n)) if n else Decimal(unplayed_mean) for c, n in zip(conversions, impressions)]
        final_total = sum(counts) + batch
        bonus = 2 * final_total.ln()

        def final(level):
            return [max(n, bonus / (level - mu) ** 2) for n, mu in zip(counts, means)]

        lo = max(means)
        hi = lo + (bonus * len(counts) / batch).sqrt() + 1
        for _ in range(400):  # 2^-400: far below the resolution needed
            mid = (lo + hi) / 2
            if sum(final(mid)) > final_total:
                lo = mid
            else:
                hi = mid
        added = [f - n for f, n in zip(final(hi), counts)]
        total_added = sum(added)
        return [float(a / total_added) for a in added]


HUGE = [
    # The reviewed cases: NaN once N / batch > ~2e15, 0.5/0.5 where the answer is 0/1.
    ([5 * 10**16, 5 * 10**16], [10**15, 4 * 10**16], 1000, 0.05),
    ([10**16, 10**16], [10**14, 10**14 + 10**6], 1, 0.05),
    ([2**62, 2**62], [2**60, 2**60], 200, 0.05),
    ([10**18, 10**18, 10**18], [10**16, 2 * 10**16, 10**16], 10, 0.0),
    ([MAX_COUNT, MAX_COUNT // 3, 7], [MAX_COUNT // 4, MAX_COUNT // 12, 2], 300, 0.05),
    ([MAX_COUNT, 0], [MAX_COUNT // 2, 0], 100, 0.5),
    ([10**17, 10**17 // 2], [10**15, 10**15 // 2], 500, 0.05),  # equal means: fewer impressions wins
]


@pytest.mark.parametrize("impressions, conversions, batch, unplayed_mean", HUGE)
def test_huge_counts_match_exact_simulation(impressions, conversions, batch, unplayed_mean):
    got = ucb1_allocation(impressions, conversions, batch, unplayed_mean)
    assert all(math.isfinite(share) and 0.0 <= share <= 1.0 for share in got)
    assert math.fsum(got) == pytest.approx(1.0, abs=1e-12)
    simulated = simulate_ucb1_decimal(impressions, conversions, batch, unplayed_mean)
    for share, reference in zip(got, simulated):
        assert abs(share - reference) * batch <= 3.0


def test_reviewed_case_is_all_to_the_better_arm():
    assert ucb1_allocation([5 * 10**16, 5 * 10**16], [10**15, 4 * 10**16], 1000, 0.05) == [0.0, 1.0]


def near_tie(n_ref, c_ref, others, batch):
    """Conversions for arms with `others` impressions whose UCB1 indices (at N' = N + batch)
    equal that of the (n_ref, c_ref) arm up to integer rounding, so that the batch is split
    between them (input construction only, in 60-digit decimals)."""
    with localcontext() as context:
        context.prec = 60
        bonus = 2 * Decimal(n_ref + sum(others) + batch).ln()
        level = Decimal(c_ref) / n_ref + (bonus / n_ref).sqrt()
        return [int(((level - (bonus / n).sqrt()) * n).to_integral_value()) for n in others]


def water_filling_cases():
    cases = [
        ([100, 100], [10, 12], 5000, 0.05),
        ([5000, 5000, 100, 0], [100, 150, 2, 0], 1000, 0.05),
        ([10**12, 10**12, 0], [10**10, 10**10 + 10**5, 0], 10**9, 0.5),
    ]
    for n_ref, c_ref, others, batch in [
        (10**17, 2 * 10**16, [5 * 10**16, 3 * 10**16], 10**15),
        (MAX_COUNT, MAX_COUNT // 5, [2**61, 2**60], 10**14),
        (10**17, 2 * 10**16, [5 * 10**16], 10**12),
        (10**12, 10**10, [10**12 // 3], 10**6),
    ]:
        cases.append(([n_ref] + others, [c_ref] + near_tie(n_ref, c_ref, others, batch), batch, 0.05))
    return cases


@pytest.mark.parametrize("impressions, conversions, batch, unplayed_mean", water_filling_cases())
def test_matches_decimal_water_filling(impressions, conversions, batch, unplayed_mean):
    got = ucb1_allocation(impressions, conversions, batch, unplayed_mean)
    expected = decimal_water_filling(impressions, conversions, batch, unplayed_mean)
    assert got == pytest.approx(expected, rel=1e-9, abs=1e-12)
    assert math.fsum(got) == pytest.approx(1.0, abs=1e-12)


def test_near_tied_huge_arms_really_split():
    # Guards the cases above against degenerating into 0/1 answers.
    impressions = [10**17, 5 * 10**16, 3 * 10**16]
    conversions = [2 * 10**16] + near_tie(10**17, 2 * 10**16, impressions[1:], 10**15)
    assert min(ucb1_allocation(impressions, conversions, 10**15, 0.05)) > 0.05


def test_identical_huge_arms_share_equally():
    got = ucb1_allocation([MAX_COUNT, MAX_COUNT, MAX_COUNT], [12345, 12345, 12345], 10, 0.05)
    assert got[0] == got[1] == got[2] == pytest.approx(1 / 3, abs=1e-15)


def test_count_types():
    # Counts arrive as Python ints, NumPy integers, floats or Decimals (database numerics).
    import numpy as np

    expected = ucb1_allocation([100, 300, 0], [10, 60, 0], 1000, 0.05)
    assert ucb1_allocation(np.array([100, 300, 0]), np.array([10, 60, 0]), 1000, 0.05) == expected
    assert ucb1_allocation([100.0, 300.0, 0.0], [10.0, 60.0, 0.0], 1000, 0.05) == expected
    assert ucb1_allocation([Decimal(100), Decimal(300), Decimal(0)], [Decimal(10), Decimal(60), Decimal(0)], 1000, 0.05) == expected
