"""Tests for service.stats.srm against scipy.stats.chisquare."""

from __future__ import annotations

import pytest
from scipy import stats

from service.stats.srm import SrmResult, sample_ratio_mismatch


@pytest.mark.parametrize(
    "observed, expected",
    [
        ([5000, 5000], [5000.0, 5000.0]),
        ([5100, 4900], [5000.0, 5000.0]),
        ([5300, 4700], [5000.0, 5000.0]),
        ([1000, 2050, 2950], [1000.0, 2000.0, 3000.0]),
        ([0, 60, 40], [10.0, 50.0, 40.0]),  # a variant with no traffic at all
        ([7, 13, 30, 50], [10.0, 10.0, 30.0, 50.0]),
    ],
)
def test_matches_scipy_chisquare(observed, expected):
    reference = stats.chisquare(observed, expected)
    result = sample_ratio_mismatch(observed, expected)
    assert result.chi_square == pytest.approx(reference.statistic, rel=1e-12)
    assert result.p_value == pytest.approx(reference.pvalue, rel=1e-9, abs=1e-300)
    assert result.mismatch == (reference.pvalue < 0.001)
    assert result.reason is None


def test_mismatch_flag_and_threshold():
    assert sample_ratio_mismatch([5300, 4700], [5000.0, 5000.0]).mismatch is True
    assert sample_ratio_mismatch([5050, 4950], [5000.0, 5000.0]).mismatch is False
    # p ≈ 0.0455 for chi² = 4 with one degree of freedom.
    assert sample_ratio_mismatch([5100, 4900], [5000.0, 5000.0], threshold=0.05).mismatch is True


def test_small_expected_counts_are_not_tested():
    result = sample_ratio_mismatch([3, 7], [4.0, 6.0])
    assert result == SrmResult(None, None, None, result.reason)
    assert "below 5" in result.reason
    result = sample_ratio_mismatch([0, 100], [4.9, 95.1])
    assert result.chi_square is None and result.reason


def test_single_variant_and_invalid_input():
    assert sample_ratio_mismatch([10], [10.0]).reason == "fewer than two variants were meant to get traffic"
    with pytest.raises(ValueError):
        sample_ratio_mismatch([10, 10], [10.0])
    with pytest.raises(ValueError):
        sample_ratio_mismatch([10, 10], [5.0, 5.0])  # expected counts do not add up


def test_variant_deployed_at_zero_percent():
    # Left out when it got nothing: the test runs on the other two (one degree of freedom).
    result = sample_ratio_mismatch([480, 520, 0], [500.0, 500.0, 0.0], names=["A", "B", "C"])
    chi, p = stats.chisquare([480, 520], [500.0, 500.0])
    assert result.chi_square == pytest.approx(chi) and result.p_value == pytest.approx(p)
    # Traffic where none was meant to go is a mismatch outright.
    result = sample_ratio_mismatch([480, 510, 10], [500.0, 500.0, 0.0], names=["A", "B", "C"])
    assert result.mismatch is True and result.p_value == 0.0 and result.chi_square is None
    assert "C" in result.reason
