"""Tests for service.stats.beta against references computed independently in this file:
scipy.integrate.quad, Evan Miller's closed form for P(p_B > p_A), scipy.stats.beta quantiles,
closed forms for uniform posteriors, and Monte Carlo."""

from __future__ import annotations

import math
import time
from fractions import Fraction

import numpy as np
import pytest
from scipy import integrate, optimize, special, stats

from service.stats.beta import (
    BetaPosterior,
    credible_interval,
    expected_loss,
    probability_best,
    probability_best_monte_carlo,
    probability_greater,
    relative_uplift_interval,
    value_remaining_cdf,
    value_remaining_quantile,
)

# Warnings from the reference computations (QUADPACK round-off notes, boost's ppf at 1 − 1e-12)
# only; the module itself suppresses and checks its own.
pytestmark = [
    pytest.mark.filterwarnings("ignore::scipy.integrate.IntegrationWarning"),
    pytest.mark.filterwarnings("ignore:Error in function boost:RuntimeWarning"),
]

# --------------------------------------------------------------------------------------------
# Independent references
# --------------------------------------------------------------------------------------------


def quad_probability_best(posteriors, k):
    """∫ f_k Π_{j≠k} F_j by adaptive quadrature, split at the arms' central quantiles.

    If arm k has α < 1 or β < 1 its density is infinite at 0 or 1; the end pieces then use
    QUADPACK's algebraic end-point weights x^(α−1) and (1−x)^(β−1).
    """
    a, b = posteriors[k].alpha, posteriors[k].beta
    log_norm = special.betaln(a, b)
    other_a = np.array([p.alpha for j, p in enumerate(posteriors) if j != k])
    other_b = np.array([p.beta for j, p in enumerate(posteriors) if j != k])

    def others(x):
        return float(np.prod(special.betainc(other_a, other_b, x)))

    def density(x):
        if x <= 0.0 or x >= 1.0:
            return 0.0
        return math.exp((a - 1) * math.log(x) + (b - 1) * math.log1p(-x) - log_norm)

    probabilities = [1e-12, 1e-9, 1e-6, 1e-3, 0.02, 0.1, 0.3, 0.5, 0.7, 0.9, 0.98, 1 - 1e-3, 1 - 1e-6, 1 - 1e-9, 1 - 1e-12]
    quantiles = {float(stats.beta.ppf(q, p.alpha, p.beta)) for p in posteriors for q in probabilities}
    options = dict(epsabs=1e-16, epsrel=1e-12, limit=200)
    if a >= 1 and b >= 1:
        edges = [0.0] + sorted(x for x in quantiles if 0.0 < x < 1.0) + [1.0]
        return math.fsum(
            integrate.quad(lambda x: density(x) * others(x), lo, hi, **options)[0] for lo, hi in zip(edges[:-1], edges[1:])
        )
    # Small parameters only here, so exp(−betaln) is harmless.
    points = sorted(x for x in quantiles if 1e-3 <= x <= 1 - 1e-3) or [0.5]
    first, last = points[0], points[-1]
    scale = math.exp(-log_norm)
    pieces = [
        integrate.quad(lambda x: (1 - x) ** (b - 1) * others(x) * scale, 0.0, first, weight="alg", wvar=(a - 1, 0.0), **options)[0],
        integrate.quad(lambda x: x ** (a - 1) * others(x) * scale, last, 1.0, weight="alg", wvar=(0.0, b - 1), **options)[0],
    ]
    pieces += [integrate.quad(lambda x: density(x) * others(x), lo, hi, **options)[0] for lo, hi in zip(points[:-1], points[1:])]
    return math.fsum(pieces)


def miller_betaln(a_a, b_a, a_b, b_b):
    """Evan Miller's closed form P(p_B > p_A), integer α_B, summed in log space with betaln:
    Σ_{i<α_B} B(α_A+i, β_A+β_B) / ((β_B+i) B(1+i, β_B) B(α_A, β_A))."""
    i = np.arange(int(a_b), dtype=float)
    logs = special.betaln(a_a + i, b_a + b_b) - np.log(b_b + i) - special.betaln(1 + i, b_b) - special.betaln(a_a, b_a)
    top = logs.max()
    return math.exp(top) * math.fsum(np.exp(logs - top))


def miller_recurrence(a_a, b_a, a_b, b_b):
    """The same closed form for integer α_A and α_B, but with the terms generated from
    their ratios instead of betaln.

    scipy's betaln subtracts log-gammas of size ~2e10 for β ~ 1e9 and loses ~1e-5, so for the
    10^9-impression case the terms are built from
        T_0 = B(α_A, β_A+β_B)/B(α_A, β_A) = Π_{k<α_A} (β_A+k)/(β_A+β_B+k)
        T_{i+1}/T_i = (α_A+i)(β_B+i) / ((α_A+β_A+β_B+i)(1+i)),
    each factor an O(1) ratio computed to full precision.
    """
    k = np.arange(int(a_a), dtype=float)
    log_t0 = math.fsum(np.log1p(-b_b / (b_a + b_b + k)).tolist())
    i = np.arange(int(a_b) - 1, dtype=float)
    log_ratios = np.log((a_a + i) / (1 + i)) + np.log1p(-(a_a + b_a) / (a_a + b_a + b_b + i))
    # ln T_i = ln T_0 + Σ_{j<i} ln ratio_j runs from about −7e5 up to O(1): a plain running sum
    # would drift by ~1e-8.  Offsets of blocks are summed exactly (math.fsum within a block,
    # exact rationals across blocks) instead, and only short in-block running sums are left
    # to ordinary floating point.
    logs = [np.array([log_t0])]
    offset = Fraction(log_t0)
    for start in range(0, len(log_ratios), 1000):
        block = log_ratios[start : start + 1000]
        logs.append(float(offset) + np.cumsum(block))
        offset += Fraction(math.fsum(block.tolist()))
    logs = np.concatenate(logs)
    top = logs.max()
    return math.exp(top) * math.fsum(np.exp(logs - top))


def quad_expected_max(posteriors):
    """E[max] = ∫_0^1 (1 − Π_j F_j(x)) dx — a different formula from the module's."""
    points = sorted({float(stats.beta.ppf(q, p.alpha, p.beta)) for p in posteriors for q in (1e-6, 0.01, 0.5, 0.99, 1 - 1e-6)})

    def integrand(x):
        return 1.0 - math.prod(stats.beta.cdf(x, p.alpha, p.beta) for p in posteriors)

    edges = [0.0] + [x for x in points if 0 < x < 1] + [1.0]
    return math.fsum(
        integrate.quad(integrand, lo, hi, epsabs=1e-15, epsrel=1e-12, limit=200)[0] for lo, hi in zip(edges[:-1], edges[1:])
    )


def quad_value_remaining_cdf(posteriors, v, t):
    """∫_0^{1/(1+t)} f_v(x) Π_{j≠v} F_j((1+t)x) dx + P(p_v > 1/(1+t)) for smooth posteriors."""
    cut = 1.0 / (1.0 + t)
    p = posteriors[v]

    def integrand(x):
        value = stats.beta.pdf(x, p.alpha, p.beta)
        for j, q in enumerate(posteriors):
            if j != v:
                value *= stats.beta.cdf((1 + t) * x, q.alpha, q.beta)
        return value

    points = sorted({float(stats.beta.ppf(q, r.alpha, r.beta)) / (1 + t) for r in posteriors for q in (0.001, 0.1, 0.5, 0.9, 0.999)} | {float(stats.beta.ppf(q, p.alpha, p.beta)) for q in (0.001, 0.1, 0.5, 0.9, 0.999)})
    edges = [0.0] + [x for x in points if 0 < x < cut] + [cut]
    body = math.fsum(
        integrate.quad(integrand, lo, hi, epsabs=1e-15, epsrel=1e-12, limit=200)[0] for lo, hi in zip(edges[:-1], edges[1:])
    )
    return body + stats.beta.sf(cut, p.alpha, p.beta)


def quad_ratio_cdf(variant, control, r):
    """P(p_v / p_c <= r) = ∫ f_c(x) F_v(r x) dx (moderate parameters)."""
    points = sorted({float(stats.beta.ppf(q, control.alpha, control.beta)) for q in (1e-6, 0.001, 0.1, 0.5, 0.9, 0.999, 1 - 1e-6)})
    edges = [0.0] + points + [1.0]
    return math.fsum(
        integrate.quad(
            lambda x: stats.beta.pdf(x, control.alpha, control.beta) * stats.beta.cdf(r * x, variant.alpha, variant.beta),
            lo, hi, epsabs=1e-15, epsrel=1e-12, limit=200,
        )[0]
        for lo, hi in zip(edges[:-1], edges[1:])
    )


def from_counts(conversions, impressions):
    """Posterior under a uniform Beta(1, 1) prior."""
    return BetaPosterior(1 + conversions, 1 + impressions - conversions)


def fifty_arms():
    rng = np.random.default_rng(20240601)
    impressions = rng.integers(2_000, 5_000, size=50)
    conversions = rng.binomial(impressions, 0.05 * (1 + 0.15 * rng.standard_normal(50)).clip(0.5, 1.5))
    return [from_counts(int(c), int(n)) for c, n in zip(conversions, impressions)]


# --------------------------------------------------------------------------------------------
# probability_best / probability_greater
# --------------------------------------------------------------------------------------------

QUADRATURE_CASES = [
    [BetaPosterior(1, 1), BetaPosterior(2, 1)],
    [from_counts(10, 100), from_counts(15, 100)],
    [BetaPosterior(3.5, 20), BetaPosterior(15, 40), BetaPosterior(0.5, 0.5)],
    [BetaPosterior(0.1, 0.1), BetaPosterior(0.3, 2), BetaPosterior(1, 30), BetaPosterior(50, 50)],
    [from_counts(100, 1000), from_counts(119, 1000), from_counts(94, 1000), BetaPosterior(1, 1)],
    [from_counts(1000, 100_000), from_counts(1040, 100_000)],
    [BetaPosterior(0.1, 5), BetaPosterior(0.2, 0.1), BetaPosterior(0.7, 0.9)],
]


@pytest.mark.parametrize("posteriors", QUADRATURE_CASES)
def test_probability_best_matches_quadrature(posteriors):
    got = probability_best(posteriors)
    expected = [quad_probability_best(posteriors, k) for k in range(len(posteriors))]
    assert got == pytest.approx(expected, abs=1e-9)
    assert math.fsum(got) == pytest.approx(1.0, abs=1e-14)
    assert all(0.0 <= p <= 1.0 for p in got)


@pytest.mark.parametrize(
    "a_a, b_a, a_b, b_b",
    [(3, 7, 5, 4), (11, 90, 16, 85), (101, 901, 120, 880), (1, 1, 1, 1), (1, 51, 3, 49), (40, 2, 37, 5)],
)
def test_probability_greater_matches_closed_form(a_a, b_a, a_b, b_b):
    expected = miller_betaln(a_a, b_a, a_b, b_b)
    assert probability_greater(BetaPosterior(a_b, b_b), BetaPosterior(a_a, b_a)) == pytest.approx(expected, abs=1e-10)
    # The reference used for 10^9 impressions agrees with the betaln form where betaln is exact.
    assert miller_recurrence(a_a, b_a, a_b, b_b) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("variant_conversions", [1_001_000, 1_004_500, 999_000])
def test_billion_impressions_matches_closed_form(variant_conversions):
    n = 1_000_000_000
    control = from_counts(1_000_000, n)
    variant = from_counts(variant_conversions, n)
    expected = miller_recurrence(control.alpha, control.beta, variant.alpha, variant.beta)
    assert probability_greater(variant, control) == pytest.approx(expected, abs=1e-9)


def test_no_data_gives_equal_split():
    assert probability_best([BetaPosterior(1, 1)]) == [1.0]
    for k in (2, 3, 7):
        assert probability_best([BetaPosterior(1, 1)] * k) == [1.0 / k] * k


def test_one_arm_without_data():
    posteriors = [BetaPosterior(1, 1), from_counts(30, 400)]
    expected = [quad_probability_best(posteriors, k) for k in range(2)]
    assert probability_best(posteriors) == pytest.approx(expected, abs=1e-9)


def test_zero_and_full_conversions():
    none, all_ = from_counts(0, 50), from_counts(50, 50)
    # Closed form with integer parameters: P(Beta(51,1) > Beta(1,51)).
    expected = miller_betaln(none.alpha, none.beta, all_.alpha, all_.beta)
    assert probability_greater(all_, none) == pytest.approx(expected, abs=1e-12)
    posteriors = [none, from_counts(3, 50), all_]
    got = probability_best(posteriors)
    expected = [quad_probability_best(posteriors, k) for k in range(3)]
    assert got == pytest.approx(expected, abs=1e-9)


def test_identical_arms_are_bit_identical_and_order_free():
    a, b, c = from_counts(12, 300), from_counts(20, 310), BetaPosterior(0.5, 2)
    posteriors = [a, b, a, c, a]
    got = probability_best(posteriors)
    assert got[0] == got[2] == got[4]
    permuted = probability_best([c, a, a, b, a])
    assert permuted == [got[3], got[0], got[0], got[1], got[0]]
    # Three copies of a: P(best) of each copy is ∫ f_a F_a² F_b F_c.
    expected_b = quad_probability_best(posteriors, 1)
    assert got[1] == pytest.approx(expected_b, abs=1e-9)
    assert probability_best([b, b]) == [0.5, 0.5]
    assert probability_greater(a, a) == 0.5


def test_fifty_arms_sum_to_one_deterministic_and_match_quadrature():
    posteriors = fifty_arms()
    start = time.perf_counter()
    got = probability_best(posteriors)
    elapsed = time.perf_counter() - start
    assert math.fsum(got) == pytest.approx(1.0, abs=1e-13)
    assert probability_best(posteriors) == got
    assert probability_best(list(reversed(posteriors))) == list(reversed(got))
    leader = int(np.argmax(got))
    for k in {leader, int(np.argsort(got)[-2]), 7}:
        assert got[k] == pytest.approx(quad_probability_best(posteriors, k), abs=1e-9)
    assert elapsed < 2.0  # ~20 ms typical; a loose bound against regressions


def test_results_are_finite_for_extreme_parameters():
    posteriors = [
        BetaPosterior(0.1, 0.1),
        BetaPosterior(0.1, 1e9),
        BetaPosterior(1e9, 0.1),
        BetaPosterior(1_000, 1e9),
        BetaPosterior(2e7, 9.8e8),
        BetaPosterior(5e8, 5e8),
    ]
    for values in (probability_best(posteriors), expected_loss(posteriors)):
        assert all(math.isfinite(v) for v in values)
    assert math.fsum(probability_best(posteriors)) == pytest.approx(1.0, abs=1e-12)


def test_invalid_posteriors_rejected():
    with pytest.raises(ValueError):
        BetaPosterior(0, 1)
    with pytest.raises(ValueError):
        BetaPosterior(1, float("inf"))
    with pytest.raises(ValueError):
        probability_best([])


# --------------------------------------------------------------------------------------------
# Monte Carlo
# --------------------------------------------------------------------------------------------


def test_monte_carlo_agrees_with_exact_within_four_standard_errors():
    posteriors = [from_counts(100, 1000), from_counts(119, 1000), from_counts(94, 1000), from_counts(110, 1000)]
    draws = 200_000
    estimate = probability_best_monte_carlo(posteriors, draws=draws, seed=7)
    exact = probability_best(posteriors)
    for e, p in zip(estimate, exact):
        assert abs(e - p) <= 4 * math.sqrt(p * (1 - p) / draws) + 1e-12
    assert probability_best_monte_carlo(posteriors, draws=draws, seed=7) == estimate
    assert sum(estimate) == pytest.approx(1.0)


# --------------------------------------------------------------------------------------------
# expected_loss
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "posteriors",
    [
        [from_counts(10, 100), from_counts(15, 100)],
        [from_counts(100, 1000), from_counts(119, 1000), from_counts(94, 1000), BetaPosterior(1, 1)],
        [BetaPosterior(2, 3), BetaPosterior(2, 3), BetaPosterior(5, 4)],
    ],
)
def test_expected_loss_matches_quadrature(posteriors):
    expected_max = quad_expected_max(posteriors)
    expected = [expected_max - p.mean for p in posteriors]
    got = expected_loss(posteriors)
    assert got == pytest.approx(expected, abs=1e-10)
    assert all(v >= 0.0 for v in got)


def test_expected_loss_edge_cases():
    assert expected_loss([BetaPosterior(3, 4)]) == [0.0]
    # Two independent uniforms: E[max] = 2/3, so each loses 2/3 − 1/2 = 1/6.
    assert expected_loss([BetaPosterior(1, 1)] * 2) == pytest.approx([1 / 6, 1 / 6], abs=1e-12)
    losses = expected_loss([BetaPosterior(1, 1)] * 3)
    assert losses[0] == losses[1] == losses[2] == pytest.approx(3 / 4 - 1 / 2, abs=1e-12)


# --------------------------------------------------------------------------------------------
# value remaining
# --------------------------------------------------------------------------------------------

VR_ARMS = [from_counts(20, 200), from_counts(24, 200), from_counts(18, 200)]


@pytest.mark.parametrize("index", [0, 1, 2])
@pytest.mark.parametrize("t", [0.0, 0.05, 0.2, 1.0, 3.0])
def test_value_remaining_cdf_matches_quadrature(index, t):
    assert value_remaining_cdf(VR_ARMS, index, t) == pytest.approx(quad_value_remaining_cdf(VR_ARMS, index, t), abs=1e-10)


def test_value_remaining_cdf_at_zero_is_probability_best():
    best = probability_best(VR_ARMS)
    for index in range(3):
        assert value_remaining_cdf(VR_ARMS, index, 0.0) == pytest.approx(best[index], abs=1e-12)
    assert value_remaining_cdf([BetaPosterior(2, 5)], 0, 0.3) == 1.0


@pytest.mark.parametrize("index", [0, 1, 2])
def test_value_remaining_quantile_inverts_the_cdf(index):
    t = value_remaining_quantile(VR_ARMS, index, 0.95)
    assert t > 0.0
    assert quad_value_remaining_cdf(VR_ARMS, index, t) == pytest.approx(0.95, abs=1e-9)


def test_value_remaining_quantile_monte_carlo_sanity():
    rng = np.random.default_rng(11)
    samples = rng.beta([p.alpha for p in VR_ARMS], [p.beta for p in VR_ARMS], size=(400_000, 3))
    for index in range(3):
        mc = np.quantile((samples.max(axis=1) - samples[:, index]) / samples[:, index], 0.95)
        assert value_remaining_quantile(VR_ARMS, index) == pytest.approx(mc, rel=0.01)


def test_value_remaining_quantile_zero_when_clear_winner():
    winner, loser = from_counts(300, 1000), from_counts(100, 1000)
    assert value_remaining_quantile([winner, loser], 0, 0.95) == 0.0
    assert value_remaining_quantile([winner], 0) == 0.0
    assert value_remaining_quantile([winner, loser], 1, 0.95) > 1.0


def test_value_remaining_quantile_for_uniform_arms():
    # Two uniforms: P((max − p_v)/p_v <= t) = P(p_other <= (1+t) p_v) = 1 − 1/(2(1+t)) for t >= 0,
    # so the 0.95 quantile is t = 9.
    assert value_remaining_quantile([BetaPosterior(1, 1)] * 2, 0, 0.95) == pytest.approx(9.0, rel=1e-9)


def test_value_remaining_huge_samples_is_small_and_finite():
    arms = [from_counts(1_000_000, 1_000_000_000), from_counts(1_001_000, 1_000_000_000)]
    t = value_remaining_quantile(arms, 0)
    assert 0.0 < t < 0.01


# --------------------------------------------------------------------------------------------
# credible intervals
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "posterior", [BetaPosterior(1, 1), from_counts(0, 40), from_counts(40, 40), from_counts(3785, 17293), BetaPosterior(0.5, 3)]
)
@pytest.mark.parametrize("level", [0.8, 0.95, 0.99])
def test_credible_interval_matches_scipy(posterior, level):
    expected = stats.beta.ppf([(1 - level) / 2, (1 + level) / 2], posterior.alpha, posterior.beta)
    assert credible_interval(posterior, level) == pytest.approx(tuple(expected), rel=1e-9, abs=1e-15)


def test_credible_interval_where_scipy_ppf_fails():
    # scipy's beta.ppf returns a wrong value for this shape; check the tails with betainc.
    posterior = BetaPosterior(1_000, 1e9)
    lo, hi = credible_interval(posterior, 0.95)
    assert special.betainc(posterior.alpha, posterior.beta, lo) == pytest.approx(0.025, rel=1e-9)
    assert special.betaincc(posterior.alpha, posterior.beta, hi) == pytest.approx(0.025, rel=1e-9)


# --------------------------------------------------------------------------------------------
# relative uplift
# --------------------------------------------------------------------------------------------


def test_relative_uplift_interval_for_uniform_arms_closed_form():
    # U/V for independent uniforms: CDF r/2 (r <= 1) and 1 − 1/(2r) (r >= 1), so the 2.5 % and
    # 97.5 % quantiles of U/V are 0.05 and 20.
    lo, hi = relative_uplift_interval(BetaPosterior(1, 1), BetaPosterior(1, 1), 0.95)
    assert lo == pytest.approx(0.05 - 1, rel=1e-10)
    assert hi == pytest.approx(20 - 1, rel=1e-10)


@pytest.mark.parametrize(
    "variant, control", [(from_counts(20, 200), from_counts(24, 200)), (from_counts(130, 1000), from_counts(100, 1000))]
)
def test_relative_uplift_interval_bounds_are_cdf_quantiles(variant, control):
    lo, hi = relative_uplift_interval(variant, control, 0.9)
    assert quad_ratio_cdf(variant, control, 1 + lo) == pytest.approx(0.05, abs=1e-9)
    assert quad_ratio_cdf(variant, control, 1 + hi) == pytest.approx(0.95, abs=1e-9)


def test_relative_uplift_interval_billion_impressions():
    control, variant = from_counts(1_000_000, 1_000_000_000), from_counts(1_001_000, 1_000_000_000)
    lo, hi = relative_uplift_interval(variant, control, 0.95)
    # Normal approximation of the log ratio: centre ~ 1e-3, sd ~ sqrt(2/1e6) ≈ 1.41e-3.
    sd = math.sqrt(1 / 1_000_000 + 1 / 1_001_000)
    assert lo == pytest.approx(math.expm1(math.log(1.001) - 1.959963984540054 * sd), abs=2e-5)
    assert hi == pytest.approx(math.expm1(math.log(1.001) + 1.959963984540054 * sd), abs=2e-5)


# --------------------------------------------------------------------------------------------
# Huge counts (up to 2^63 − 1 impressions): references from exact rationals and closed forms
# --------------------------------------------------------------------------------------------

MAX_COUNT = 2**63 - 1


def exact_moments(a, b):
    """Mean, variance and third cumulant of Beta(a, b), exactly (the floats a, b as rationals)."""
    a, b = Fraction(a), Fraction(b)
    s = a + b
    return a / s, a * b / (s * s * (s + 1)), 2 * a * b * (b - a) / (s**3 * (s + 1) * (s + 2))


def edgeworth_greater(x, y):
    """P(X > Y) for independent X ~ Beta(*x), Y ~ Beta(*y): normal approximation of D = X − Y
    with exact mean and variance plus the first Edgeworth (skewness) term.  Its error is
    O(1/min(α, β)), below 1e-11 for the parameters used here."""
    mx, vx, kx = exact_moments(*x)
    my, vy, ky = exact_moments(*y)
    sd = math.sqrt(vx + vy)
    z = float(-(mx - my) / Fraction(sd))
    skew = float(kx - ky) / sd**3
    cdf = special.ndtr(z) - math.exp(-z * z / 2) / math.sqrt(2 * math.pi) * skew / 6 * (z * z - 1)
    return 1.0 - cdf


def posterior(a, b):
    """A posterior from (possibly huge integer) parameters, as the service builds it."""
    return BetaPosterior(float(a), float(b))


def huge_pairs():
    """(control, variant) parameter pairs at 50 % and 1 % rates, 10^11 .. 2^63 − 1 impressions,
    the variant ~0.14 standard deviations of the difference better."""
    pairs = []
    for n in (10**11, 10**13, 10**15, 10**17, MAX_COUNT):
        nudge = math.isqrt(n) // 10
        pairs.append(((n // 2 + 1, n - n // 2 + 1), (n // 2 + 1 + nudge, n - n // 2 + 1 - nudge)))
        pairs.append(((n // 100 + 1, n - n // 100 + 1), (n // 100 + 1 + nudge // 10, n - n // 100 + 1 - nudge // 10)))
    return pairs


@pytest.mark.parametrize("control, variant", huge_pairs())
def test_huge_counts_match_edgeworth_reference(control, variant):
    c, v = posterior(*control), posterior(*variant)
    expected = edgeworth_greater((v.alpha, v.beta), (c.alpha, c.beta))
    got = probability_best([c, v])
    # 1e-9 while doubles resolve the posteriors that finely; beyond 10^15 impressions a node's
    # rounding is ~1e-7 posterior standard deviations.
    tolerance = 1e-9 if c.alpha + c.beta <= 1e16 else 2e-8
    assert got[1] == pytest.approx(expected, abs=tolerance)
    assert math.fsum(got) == pytest.approx(1.0, abs=1e-14)
    assert probability_greater(v, c) == got[1]


def test_reviewed_failures_fifty_billion_each_side():
    # Raised ArithmeticError ("P(best) sums to ...") or NaN before.
    c = BetaPosterior(5e10 + 1, 5e10 + 1)
    v = BetaPosterior(5e10 + 1 + 1000, 5e10 + 1 - 1000)
    expected = edgeworth_greater((v.alpha, v.beta), (c.alpha, c.beta))
    assert probability_best([c, v])[1] == pytest.approx(expected, abs=1e-9)


def test_zero_rate_at_max_count_matches_closed_form():
    # Beta(1, b_A) vs Beta(2, b_B): Evan Miller's sum has two terms,
    # P(p_B > p_A) = b_A/S + b_A·b_B/(S(S+1)), S = b_A + b_B, evaluated in exact rationals; and
    # E[max] = ∫(1 − F_A F_B) = 1/(a+1) + 2/(b+2) − 1/(a+b+2) − (b+1)/((a+b+1)(a+b+2)) with
    # a = b_A, b = b_B (F_A = 1 − (1−x)^a, F_B = 1 − (1−x)^(b+1) − (b+1)x(1−x)^b).
    a_arm = BetaPosterior(1 + 0, 1 + MAX_COUNT)
    b_arm = BetaPosterior(1 + 1, 1 + MAX_COUNT - 1)
    a, b = Fraction(a_arm.beta), Fraction(b_arm.beta)
    s = a + b
    greater = a / s + a * b / (s * (s + 1))
    got = probability_best([a_arm, b_arm])
    assert got[1] == pytest.approx(float(greater), abs=1e-12)
    assert got[0] == pytest.approx(float(1 - greater), abs=1e-12)
    expected_max = 1 / (a + 1) + 2 / (b + 2) - 1 / (a + b + 2) - (b + 1) / ((a + b + 1) * (a + b + 2))
    expected = [float(expected_max - 1 / (a + 1)), float(expected_max - 2 / (b + 2))]
    assert expected_loss([a_arm, b_arm]) == pytest.approx(expected, rel=1e-9)


def test_asymptotic_path_matches_exact_closed_form():
    # min(α, β) >= 10^7 takes the CDF from Temme's expansion; Miller's closed form is exact.
    n = 10**9
    control, variant = from_counts(10_000_000, n), from_counts(10_004_000, n)
    expected = miller_recurrence(control.alpha, control.beta, variant.alpha, variant.beta)
    assert probability_greater(variant, control) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize(
    "alpha, beta", [(1e7, 1e7), (1.2e7, 9.9e8), (5e8, 5e8), (3e8, 7e9), (1e9, 1e9 + 12345.5), (2e9, 1e7)]
)
def test_asymptotic_cdf_matches_scipy_where_scipy_is_accurate(alpha, beta):
    # Boost's incomplete beta is accurate to ~1e-12 up to min(α, β) ~ 1e10 (checked against
    # high-precision quadrature while writing the module); compare the module's asymptotic
    # CDF with it from the 1e-12 to the 1 − 1e-12 quantile.
    from service.stats import beta as module

    arm = module._arm(alpha, beta)
    assert arm.asymptotic
    spread = math.sqrt(1 / alpha + 1 / beta)
    delta = np.linspace(-7.5, 7.5, 301) * spread
    x, y, _ = module._rates(arm, delta)
    got = np.exp(module._log_cdf(arm, delta, x, y))
    # I_x(α, β) = 1 − I_{1−x}(β, α), taken as scipy's complement so that small values keep
    # their relative precision for x > 1/2 too.
    expected = np.where(x <= 0.5, special.betainc(alpha, beta, x), special.betaincc(beta, alpha, y))
    assert np.max(np.abs(got - expected)) < 1e-10
    lower = got < 0.5
    assert np.max(np.abs(got[lower] / expected[lower] - 1)) < 1e-8


@pytest.mark.parametrize("n", [10**11, 10**15, MAX_COUNT])
def test_credible_interval_huge_counts(n):
    # At a 50 % rate the Beta is symmetric and its excess kurtosis is −6/(n+…): the normal
    # quantiles with the exact variance are correct to ~1e-10 of the half-width.
    p = posterior(n // 2 + 1, n - n // 2 + 1)
    mean, variance, _ = exact_moments(p.alpha, p.beta)
    half = 1.959963984540054 * math.sqrt(variance)
    lo, hi = credible_interval(p, 0.95)
    assert (lo - float(mean)) == pytest.approx(-half, rel=1e-6)
    assert (hi - float(mean)) == pytest.approx(half, rel=1e-6)


def test_credible_interval_asymptotic_against_scipy():
    posterior_ = BetaPosterior(2e7, 9.8e8)  # asymptotic path; betainc accurate here
    lo, hi = credible_interval(posterior_, 0.9)
    assert special.betainc(posterior_.alpha, posterior_.beta, lo) == pytest.approx(0.05, rel=1e-8)
    assert special.betaincc(posterior_.alpha, posterior_.beta, hi) == pytest.approx(0.05, rel=1e-8)


def normal_ratio_quantile(variant, control, q, scale_offset=0.0):
    """r with P(p_v <= r·p_c) = q under the normal approximation of p_v − r·p_c (exact moments);
    accurate for symmetric (50 %) posteriors with huge counts."""
    mv, vv, _ = exact_moments(variant.alpha, variant.beta)
    mc, vc, _ = exact_moments(control.alpha, control.beta)

    def cdf(log_r):
        r = math.exp(log_r)
        centre = float(mv - Fraction(r) * mc)
        return special.ndtr(-centre / math.sqrt(float(vv) + r * r * float(vc))) - q

    spread = math.sqrt(float(vv / mv**2 + vc / mc**2))
    return optimize.brentq(cdf, -20 * spread, 20 * spread, xtol=1e-22, rtol=1e-15)


@pytest.mark.parametrize("n", [10**11, 10**15, MAX_COUNT])
def test_relative_uplift_interval_huge_counts(n):
    nudge = math.isqrt(n) // 10
    control = posterior(n // 2 + 1, n - n // 2 + 1)
    variant = posterior(n // 2 + 1 + nudge, n - n // 2 + 1 - nudge)
    lo, hi = relative_uplift_interval(variant, control, 0.95)
    expected_lo = math.expm1(normal_ratio_quantile(variant, control, 0.025))
    expected_hi = math.expm1(normal_ratio_quantile(variant, control, 0.975))
    width = expected_hi - expected_lo
    assert lo == pytest.approx(expected_lo, abs=1e-6 * width)
    assert hi == pytest.approx(expected_hi, abs=1e-6 * width)


@pytest.mark.parametrize("n", [10**11, 10**15, MAX_COUNT])
def test_value_remaining_quantile_huge_counts(n):
    # Two arms: P((p_o − p_v)/p_v <= t) = P(p_o <= (1+t)·p_v), the ratio CDF again.
    nudge = math.isqrt(n) // 10
    arm = posterior(n // 2 + 1, n - n // 2 + 1)
    better = posterior(n // 2 + 1 + nudge, n - n // 2 + 1 - nudge)
    t = value_remaining_quantile([arm, better], 0, 0.95)
    expected = math.expm1(normal_ratio_quantile(better, arm, 0.95))
    assert t == pytest.approx(expected, rel=1e-6)


def test_huge_counts_everything_finite_and_consistent():
    # Random configurations from 10^3 to 2^63 − 1 impressions, rates from 1e-12 to 1 − 1e-6,
    # priors 0.05, 0.5 and 1: no exception, no NaN, values in [0, 1] summing to 1, expected
    # losses >= 0 whose differences are the differences of the means, and
    # value_remaining_cdf(·, 0) = P(best) on an independent grid.
    rng = np.random.default_rng(20240602)
    for _ in range(40):
        k = int(rng.integers(2, 5))
        n = min(MAX_COUNT, int(10 ** rng.uniform(3, 19)))
        rate = float(rng.choice([1e-12, 1e-6, 0.01, 0.3, 0.5, 0.999999]))
        prior = float(rng.choice([0.05, 0.5, 1.0]))
        sd = math.sqrt(n * rate * (1 - rate))
        arms = []
        for _ in range(k):
            c = int(max(0, min(n, round(n * rate + rng.standard_normal() * sd))))
            arms.append(BetaPosterior(prior + c, prior + (n - c)))
        best = probability_best(arms)
        assert all(0.0 <= p <= 1.0 for p in best)
        assert math.fsum(best) == pytest.approx(1.0, abs=1e-13)
        losses = expected_loss(arms)
        assert all(math.isfinite(v) and v >= 0.0 for v in losses)
        top = int(np.argmax(best))
        assert value_remaining_cdf(arms, top, 0.0) == pytest.approx(best[top], abs=1e-6)
        assert math.isfinite(value_remaining_quantile(arms, 0))
        interval = relative_uplift_interval(arms[1], arms[0], 0.95)
        assert interval is None or (math.isfinite(interval[0]) and interval[0] <= interval[1])
        lo, hi = credible_interval(arms[0], 0.95)
        assert 0.0 <= lo <= arms[0].mean <= hi <= 1.0


def test_huge_counts_speed():
    rng = np.random.default_rng(5)
    n = 10**12
    arms = [from_counts(int(n // 2 + rng.standard_normal() * 5e5), n) for _ in range(50)]
    start = time.perf_counter()
    probability_best(arms)
    assert time.perf_counter() - start < 2.0  # ~30 ms cold; a loose bound against regressions


# --------------------------------------------------------------------------------------------
# Small priors (the service allows priors down to 0.05)
# --------------------------------------------------------------------------------------------


def logit_quad_probability_best(posteriors, k):
    """∫ f_k(s) Π_{j≠k} F_j(s) ds over logit space s ∈ [−700, 700] by QUADPACK (the density
    x^α(1−x)^β/B(α, β) has no endpoint singularity there).  Unlike quad_probability_best it
    copes with β < 1 in the arms whose CDF is taken; the mass beyond ±700 is < 1e-15 for
    parameters >= 0.05."""
    a, b = posteriors[k].alpha, posteriors[k].beta
    log_norm = special.betaln(a, b)
    others = [p for j, p in enumerate(posteriors) if j != k]

    def integrand(s):
        log_x = -math.log1p(math.exp(-s)) if s > 0 else s - math.log1p(math.exp(s))
        log_y = -math.log1p(math.exp(s)) if s < 0 else -s - math.log1p(math.exp(-s))
        value = math.exp(a * log_x + b * log_y - log_norm)
        x, y = special.expit(s), special.expit(-s)
        for p in others:
            value *= special.betainc(p.alpha, p.beta, x) if s <= 0 else special.betaincc(p.beta, p.alpha, y)
        return value

    quantiles = [q for p in posteriors for q in special.betaincinv(p.alpha, p.beta, [1e-6, 0.01, 0.2, 0.5, 0.8, 0.99])]
    points = sorted({float(special.logit(q)) for q in quantiles if 0 < q < 1})
    edges = [-700.0] + [s for s in points if -700 < s < 700] + [700.0]
    return math.fsum(
        integrate.quad(integrand, lo, hi, epsabs=1e-15, epsrel=1e-12, limit=500)[0] for lo, hi in zip(edges[:-1], edges[1:])
    )


@pytest.mark.parametrize("prior", [0.05, 0.5])
@pytest.mark.parametrize("data", [[(30, 1000), (40, 1000)], [(1, 1), (2, 5)], [(0, 3), (40, 1000)]])
def test_small_prior_with_a_variant_without_data(prior, data):
    posteriors = [BetaPosterior(prior, prior)] + [BetaPosterior(prior + c, prior + n - c) for c, n in data]
    got = probability_best(posteriors)
    expected = [logit_quad_probability_best(posteriors, k) for k in range(len(posteriors))]
    assert got == pytest.approx(expected, abs=1e-9)
    assert math.fsum(got) == pytest.approx(1.0, abs=1e-14)
    expected_max = quad_expected_max(posteriors)
    assert expected_loss(posteriors) == pytest.approx([expected_max - p.mean for p in posteriors], abs=1e-9)


def beta_fn_ratio(a1, b1, a0, b0):
    """B(a1, b1) / B(a0, b0)."""
    return math.exp(special.betaln(a1, b1) - special.betaln(a0, b0))


@pytest.mark.parametrize("prior", [0.05, 0.5, 0.01])
def test_small_prior_closed_forms(prior):
    # X ~ Beta(a, a) without data; Y ~ Beta(1, d) and Z ~ Beta(1, e) (no conversions in d − 1 and
    # e − 1 impressions under a uniform prior) have F = 1 − (1−x)^d, so
    #   P(X > max(Y, Z)) = E[(1 − (1−X)^d)(1 − (1−X)^e)]
    #                    = 1 − B(a, a+d)/B(a, a) − B(a, a+e)/B(a, a) + B(a, a+d+e)/B(a, a),
    #   E[max(X, Y)] = E[X] + B(a, a+d+1) / ((d+1)·B(a, a)).
    # With prior 0.01, X has 5e-4 of its mass above 1 − 1e-304, which is only reachable through
    # the closed-form tail terms.
    a, d, e = prior, 50.0, 80.0
    x, y, z = BetaPosterior(a, a), BetaPosterior(1, d), BetaPosterior(1, e)
    expected = 1 - beta_fn_ratio(a, a + d, a, a) - beta_fn_ratio(a, a + e, a, a) + beta_fn_ratio(a, a + d + e, a, a)
    got = probability_best([x, y, z])
    assert got[0] == pytest.approx(expected, abs=1e-10)
    assert math.fsum(got) == pytest.approx(1.0, abs=1e-14)
    assert probability_greater(x, y) == pytest.approx(1 - beta_fn_ratio(a, a + d, a, a), abs=1e-10)
    expected_max = 0.5 + beta_fn_ratio(a, a + d + 1, a, a) / (d + 1)
    assert expected_loss([x, y]) == pytest.approx([expected_max - x.mean, expected_max - y.mean], abs=1e-10)
    # Y' ~ Beta(c, 1) has F = x^c: P(X > Y') = E[X^c] = B(a+c, a)/B(a, a), mass near 0 matters.
    c = 40.0
    assert probability_greater(x, BetaPosterior(c, 1)) == pytest.approx(beta_fn_ratio(a + c, a, a, a), abs=1e-10)


def test_prior_one_hundredth_does_not_raise():
    # Used to raise "P(best) sums to 0.99958...": the no-data arm's mass beyond 1 − 1e-304.
    posteriors = [BetaPosterior(0.01, 0.01), BetaPosterior(30.01, 970.01), BetaPosterior(40.01, 960.01)]
    got = probability_best(posteriors)
    assert math.fsum(got) == pytest.approx(1.0, abs=1e-14)
    assert all(math.isfinite(v) and v >= 0 for v in expected_loss(posteriors))
    assert math.isfinite(value_remaining_quantile(posteriors, 1))
    assert relative_uplift_interval(posteriors[0], posteriors[1], 0.95) is not None
