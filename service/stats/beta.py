"""Beta–Bernoulli posterior computations: exact, deterministic one-dimensional quadrature.

Every quantity here is an integral over the conversion rate x of products of Beta densities
and Beta CDFs, e.g. P(arm k is best) = ∫ f_k(x) Π_{j≠k} F_j(x) dx.  They are evaluated by
Gauss–Legendre quadrature on a grid built from the arms' own quantiles, so the nodes sit
where the probability mass is, whether an arm has 0 or 10^9 impressions.

Implementation notes (the reasons behind the less obvious choices):

* Integration runs in logit space, s = log(x / (1 - x)).  With dx = x(1 - x) ds a Beta
  density becomes x^α (1 - x)^β / B(α, β): no endpoint singularities for α or β < 1, tails
  that decay exponentially, and both x and 1 - x are available to full relative precision
  (expit(s), expit(-s)), so rates within 1e-16 of 1 are not lost to rounding.
* Breakpoints are every arm's quantiles at fixed tail probabilities (_TAIL_PROBABILITIES on
  each side plus the median).  The merged breakpoints are coarsened so that each
  sub-interval holds at most one breakpoint of any arm in its interior (it spans at most two
  of each arm's quantile brackets, on which every factor of the integrand is smooth) and is
  at most _MAX_LOGIT_WIDTH wide.  Without the coarsening, 50 overlapping arms would give
  ~1000 intervals and cost seconds of incomplete-beta evaluations.
* Below an arm's 1e-15 quantile its CDF is treated as 0, above its 1 - 1e-15 quantile as 1,
  and its density as 0 outside both: each such truncation moves a result by < 1e-14.
* scipy.special.betaln loses up to ~1e-5 (absolute) for parameters ~1e9 (it subtracts
  log-gammas of size ~2e10), which would scale a whole density by 1 ± 1e-5.  The log-density
  is therefore written around the mean with a Stirling-series constant (_Arm.log_const).
* scipy.special.betaincinv silently returns wrong values for some extreme shapes (e.g.
  α = 1e3, β = 1e9), so every quantile is checked with betainc and re-solved by bracketed
  root finding when the check fails.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.polynomial.legendre import leggauss
from scipy import optimize, special

__all__ = [
    "BetaPosterior",
    "credible_interval",
    "expected_loss",
    "probability_best",
    "probability_best_monte_carlo",
    "probability_greater",
    "relative_uplift_interval",
    "value_remaining_cdf",
    "value_remaining_quantile",
]


@dataclass(frozen=True)
class BetaPosterior:
    """Beta(alpha, beta) posterior of a conversion rate (prior pseudo-counts included)."""

    alpha: float  # > 0
    beta: float  # > 0

    def __post_init__(self) -> None:
        for name in ("alpha", "beta"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a finite number > 0, got {value!r}")

    @property
    def mean(self) -> float:
        """Posterior mean α / (α + β)."""
        return self.alpha / (self.alpha + self.beta)


# Tail probabilities whose quantiles (taken from each side, plus the median) become breakpoints.
_TAIL_PROBABILITIES = np.array([1e-15, 1e-12, 1e-9, 1e-6, 1e-4, 1e-3, 0.01, 0.05, 0.15, 0.3])
_GL_NODES = 12
_GL_T, _GL_W = leggauss(_GL_NODES)
# Beta densities and CDFs are analytic in s except at s = ±iπ (x → ∞); intervals no wider than
# 3 keep that singularity far enough away for 12 nodes to reach ~1e-15 relative accuracy.
_MAX_LOGIT_WIDTH = 3.0
# x = expit(±700) ≈ 1e-304: beyond that float64 cannot represent the rate; the mass cut off
# is negligible for α, β ≳ 0.05.
_LOGIT_LIMIT = 700.0
# Quadrature of the sum of all P(best) must be this close to 1 before renormalising.
_SUM_TOLERANCE = 1e-6
_HALF_LOG_TWO_PI = 0.5 * math.log(2.0 * math.pi)
# Monte Carlo samples held in memory at once (rows × arms).
_MC_CHUNK_VALUES = 1_000_000


# --------------------------------------------------------------------------------------------
# Per-arm precomputation
# --------------------------------------------------------------------------------------------


def _stirling_correction(x: float) -> float:
    """ω(x) = lnΓ(x) − [(x − ½)ln x − x + ½ln 2π], small and cancellation-free for large x."""
    if x < 10.0:
        # Direct subtraction is harmless here: every term is O(10).
        return float(special.gammaln(x)) - (x - 0.5) * math.log(x) + x - _HALF_LOG_TWO_PI
    inv = 1.0 / x
    inv2 = inv * inv
    return inv * (1 / 12 - inv2 * (1 / 360 - inv2 * (1 / 1260 - inv2 / 1680)))


@dataclass(frozen=True, eq=False)
class _Arm:
    alpha: float
    beta: float
    mean: float  # α/(α+β)
    complement: float  # β/(α+β), computed directly rather than as 1 − mean
    log_mean: float
    log_complement: float
    mean_logit: float  # ln(α/β), the logit of the mean
    # ln of the logit-space density x^α(1−x)^β/B(α, β) at x = mean
    log_const: float
    logits: np.ndarray  # sorted breakpoints in logit space (read-only)

    @property
    def lowest(self) -> float:
        return float(self.logits[0])

    @property
    def highest(self) -> float:
        return float(self.logits[-1])


@lru_cache(maxsize=4096)
def _arm(alpha: float, beta: float) -> _Arm:
    total = alpha + beta
    log_mean = -math.log1p(beta / alpha)
    log_complement = -math.log1p(alpha / beta)
    # α ln m + β ln(1−m) − ln B(α, β) at m = α/(α+β), from Stirling's series with the large
    # terms cancelled analytically (scipy's betaln loses ~1e-5 here for α+β ~ 1e9).
    log_const = (
        0.5 * (log_mean + log_complement + math.log(total))
        - _HALF_LOG_TWO_PI
        - _stirling_correction(alpha)
        - _stirling_correction(beta)
        + _stirling_correction(total)
    )
    lower = _tail_logits(alpha, beta, _TAIL_PROBABILITIES, rtol=0.1)
    median = _tail_logits(alpha, beta, np.array([0.5]), rtol=0.1)
    upper = -_tail_logits(beta, alpha, _TAIL_PROBABILITIES, rtol=0.1)
    logits = np.unique(np.concatenate([lower, median, upper]))
    logits.flags.writeable = False  # cached and shared between calls
    return _Arm(
        alpha=alpha,
        beta=beta,
        mean=alpha / total,
        complement=beta / total,
        log_mean=log_mean,
        log_complement=log_complement,
        mean_logit=math.log(alpha) - math.log(beta),
        log_const=log_const,
        logits=logits,
    )


def _logit(x: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.clip(np.log(x) - np.log1p(-x), -_LOGIT_LIMIT, _LOGIT_LIMIT)


def _lower_cdf(a: float, b: float, s: np.ndarray) -> np.ndarray:
    """I_x(a, b) at x = expit(s); for x > 1/2 from 1 − x, which expit(−s) gives exactly."""
    return np.where(
        s <= 0.0, special.betainc(a, b, special.expit(s)), special.betaincc(b, a, special.expit(-s))
    )


def _tail_logits(a: float, b: float, probs: np.ndarray, rtol: float) -> np.ndarray:
    """Logits s with I_{expit(s)}(a, b) = p for each p <= 1/2, to relative accuracy rtol in p."""
    with warnings.catch_warnings():
        # Boost reports non-convergence as a warning; the result is checked below anyway.
        warnings.simplefilter("ignore", RuntimeWarning)
        logits = _logit(special.betaincinv(a, b, probs))
    achieved = _lower_cdf(a, b, logits)
    with np.errstate(divide="ignore", invalid="ignore"):
        good = np.abs(achieved / probs - 1.0) <= rtol
    for i in np.flatnonzero(~good):
        logits[i] = _solve_tail_logit(a, b, float(probs[i]))
    return logits


def _solve_tail_logit(a: float, b: float, p: float) -> float:
    """Bracketed root of I_{expit(s)}(a, b) = p, used when betaincinv is wrong."""

    def excess(s: float) -> float:
        # log keeps relative precision for p = 1e-15; the floor keeps it finite for brentq.
        return math.log(max(float(_lower_cdf(a, b, np.array([s]))[0]), 1e-300)) - math.log(p)

    # Start from a normal approximation of logit(X) = ln G_a − ln G_b (exact mean and variance).
    centre = float(special.digamma(a) - special.digamma(b))
    spread = math.sqrt(float(special.polygamma(1, a) + special.polygamma(1, b)))
    guess = min(max(centre + float(special.ndtri(p)) * spread, -_LOGIT_LIMIT), _LOGIT_LIMIT)
    lo, hi, step = guess - spread, guess + spread, spread
    while excess(lo) > 0.0:
        if lo <= -_LOGIT_LIMIT:
            return -_LOGIT_LIMIT  # quantile below representable rates: truncate there
        step *= 2.0
        lo = max(lo - step, -_LOGIT_LIMIT)
    while excess(hi) < 0.0:
        if hi >= _LOGIT_LIMIT:
            return _LOGIT_LIMIT
        step *= 2.0
        hi = min(hi + step, _LOGIT_LIMIT)
    return optimize.brentq(excess, lo, hi, xtol=1e-15, rtol=4.0 * np.finfo(float).eps, maxiter=500)


# --------------------------------------------------------------------------------------------
# Quadrature grid and integrand pieces
# --------------------------------------------------------------------------------------------


def _grid(point_sets: Sequence[np.ndarray], lo: float, hi: float) -> tuple[np.ndarray, np.ndarray]:
    """Gauss–Legendre nodes and weights (logit space) on [lo, hi], refined at the breakpoints.

    point_sets[i] holds arm i's breakpoints.  A cut is made whenever an interval would
    otherwise contain two breakpoints of the same arm.
    """
    if not hi > lo:
        return np.empty(0), np.empty(0)
    points = np.concatenate(point_sets)
    owners = np.concatenate([np.full(len(p), i) for i, p in enumerate(point_sets)])
    keep = (points > lo) & (points < hi)
    points, owners = points[keep], owners[keep]
    order = np.argsort(points, kind="stable")

    edges = [lo]
    seen: set[int] = set()
    previous = lo
    for point, owner in zip(points[order].tolist(), owners[order].tolist()):
        if owner in seen:
            edges.append(previous)
            seen = set()
        seen.add(owner)
        previous = point
    edges.append(hi)
    edges_arr = np.unique(np.array(edges))

    left, right = edges_arr[:-1], edges_arr[1:]
    pieces = np.maximum(1, np.ceil((right - left) / _MAX_LOGIT_WIDTH)).astype(int)
    interval = np.repeat(np.arange(len(left)), pieces)
    piece = np.arange(pieces.sum()) - np.repeat(np.cumsum(pieces) - pieces, pieces)
    width = (right - left)[interval] / pieces[interval]
    start = left[interval] + width * piece
    half = 0.5 * width
    nodes = (start + half)[:, None] + half[:, None] * _GL_T[None, :]
    weights = half[:, None] * _GL_W[None, :]
    return nodes.ravel(), weights.ravel()


def _coordinates(s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x and 1 − x at logit nodes s, each to full relative precision."""
    return special.expit(s), special.expit(-s)


def _log_density(arm: _Arm, s: np.ndarray) -> np.ndarray:
    """ln of the Beta density in logit space, f(x)·x·(1−x), at logit nodes s.

    With Δ = s − logit(mean) this equals log_const − (α+β)·R(Δ), where
    R(Δ) = ln(n + m·e^Δ) − m·Δ (m = mean, n = 1 − m) ≈ m·n·Δ²/2.  Writing it this way avoids
    adding α·ln x and β·ln(1 − x) separately: those terms are ~1e9 each for large samples and
    their rounding would perturb the density by ~1e-7 relative.
    """
    delta = s - arm.mean_logit
    m, n = arm.mean, arm.complement
    near = np.abs(delta) < 1.0
    with np.errstate(over="ignore"):
        # Near the mean: log1p/expm1 keep R's relative precision despite R ≈ m·n·Δ²/2.  The
        # two algebraically equal forms cancel in proportion to m and to n respectively, so
        # the one built on the smaller of the two is used.
        near_delta = np.where(near, delta, 0.0)
        if m <= 0.5:
            near_value = np.log1p(m * np.expm1(near_delta)) - m * near_delta
        else:
            near_value = n * near_delta + np.log1p(n * np.expm1(-near_delta))
        # Far away: exact rearrangements without overflow.
        above = n * delta + np.logaddexp(arm.log_mean, arm.log_complement - delta)
        below = np.logaddexp(arm.log_complement, arm.log_mean + delta) - m * delta
    remainder = np.where(near, near_value, np.where(delta > 0, above, below))
    return arm.log_const - (arm.alpha + arm.beta) * remainder


def _log_cdf(arm: _Arm, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """ln F(x) given x and y = 1 − x (both accurate)."""
    out = np.empty_like(x)
    low = x <= 0.5
    with np.errstate(divide="ignore"):
        out[low] = np.log(special.betainc(arm.alpha, arm.beta, x[low]))
        # Above 1/2 evaluate at y = 1 − x, which keeps precision when x ≈ 1:
        # F(x) = 1 − I_y(β, α), computed as a complement without cancellation.
        out[~low] = np.log(special.betaincc(arm.beta, arm.alpha, y[~low]))
    return out


def _max_integrals(arms: Sequence[_Arm], multiplicity: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For distinct arms u with multiplicities m_u, return per copy of u

        P_u = ∫ f_u F_u^{m_u−1} Π_{w≠u} F_w^{m_w} dx   and   E_u = ∫ x · (same integrand) dx,

    i.e. P(that copy is the best) and its contribution to E[max].
    """
    # Below the largest 1e-15 quantile some arm's CDF is < 1e-15; above the largest 1 − 1e-15
    # quantile every density has < 1e-15 mass left: nothing measurable lies outside.
    lo = max(arm.lowest for arm in arms)
    hi = max(arm.highest for arm in arms)
    s, w = _grid([arm.logits for arm in arms], lo, hi)
    x, y = _coordinates(s)

    log_cdf = np.zeros((len(arms), len(s)))
    log_pdf = np.full((len(arms), len(s)), -np.inf)
    for i, arm in enumerate(arms):
        below = s < arm.lowest
        inside = ~below & (s <= arm.highest)
        log_cdf[i, below] = -np.inf
        log_cdf[i, inside] = _log_cdf(arm, x[inside], y[inside])
        log_pdf[i, inside] = _log_density(arm, s[inside])

    # Π_{w≠u} by prefix and suffix sums of logs: a zero CDF is −inf and must never be
    # subtracted back out of a total.
    weighted = multiplicity[:, None] * log_cdf
    prefix = np.zeros_like(weighted)
    prefix[1:] = np.cumsum(weighted[:-1], axis=0)
    suffix = np.zeros_like(weighted)
    suffix[:-1] = np.cumsum(weighted[::-1], axis=0)[::-1][1:]
    with np.errstate(invalid="ignore"):  # 0·(−inf) in the branch np.where discards
        own = np.where((multiplicity > 1)[:, None], (multiplicity - 1)[:, None] * log_cdf, 0.0)
    integrand = np.exp(log_pdf + prefix + suffix + own)
    return integrand @ w, (integrand * x) @ w


def _scaled_logits(arm: _Arm, scale: float, shift: float) -> np.ndarray:
    """Logits of arm's breakpoints divided by scale (shift = scale − 1, given for accuracy).

    Breakpoints pushed to x >= 1 become +inf.
    """
    x, y = special.expit(arm.logits), special.expit(-arm.logits)
    scaled_x = x / scale
    scaled_y = (y + shift) / scale  # = 1 − x/scale without cancellation for scale >= 1
    with np.errstate(divide="ignore", invalid="ignore"):
        logits = np.log(scaled_x) - np.log(scaled_y)
    return np.where(scaled_y > 0, np.clip(logits, -_LOGIT_LIMIT, _LOGIT_LIMIT), np.inf)


def _scaled_integral(density: _Arm, others: Sequence[_Arm], scale: float, shift: float) -> float:
    """∫ f_density(x) Π_j F_j(scale·x) dx, with shift = scale − 1 supplied separately."""
    scaled = [_scaled_logits(arm, scale, shift) for arm in others]
    lo = max([density.lowest] + [float(points[0]) for points in scaled])
    hi = density.highest
    if not lo < hi:
        return 0.0  # some F_j(scale·x) < 1e-15 wherever the density has mass
    s, w = _grid([density.logits] + [points[np.isfinite(points)] for points in scaled], lo, hi)
    x, y = _coordinates(s)
    log_integrand = _log_density(density, s)
    z = scale * x
    z_complement = y - shift * x  # 1 − scale·x
    for arm, points in zip(others, scaled):
        below = s < points[0]
        inside = ~below & (s <= points[-1]) & (z_complement > 0)
        log_cdf = np.zeros_like(s)  # F = 1 above the arm's range and for scale·x >= 1
        log_cdf[below] = -np.inf
        log_cdf[inside] = _log_cdf(arm, z[inside], z_complement[inside])
        log_integrand += log_cdf
    return float(np.clip(np.exp(log_integrand) @ w, 0.0, 1.0))


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def _validate(posteriors: Sequence[BetaPosterior]) -> None:
    if len(posteriors) == 0:
        raise ValueError("at least one posterior is required")
    for p in posteriors:
        if not isinstance(p, BetaPosterior):
            raise TypeError(f"expected BetaPosterior, got {type(p).__name__}")


def _distinct(posteriors: Sequence[BetaPosterior]) -> tuple[list[_Arm], np.ndarray, list[int]]:
    """Distinct posteriors in sorted order, their multiplicities, and each input's position.

    Working on the sorted distinct set makes results independent of input order and gives
    identical arms bit-identical values.
    """
    _validate(posteriors)
    keys = sorted({(float(p.alpha), float(p.beta)) for p in posteriors})
    position = {key: i for i, key in enumerate(keys)}
    inverse = [position[(float(p.alpha), float(p.beta))] for p in posteriors]
    multiplicity = np.bincount(inverse, minlength=len(keys)).astype(float)
    return [_arm(*key) for key in keys], multiplicity, inverse


def _normalised_max_integrals(arms: Sequence[_Arm], multiplicity: np.ndarray) -> tuple[np.ndarray, float]:
    """Per-distinct-arm P(best) (renormalised) and E[max], both from one quadrature."""
    best, max_part = _max_integrals(arms, multiplicity)
    total = float(multiplicity @ best)
    # Mathematically total = 1; renormalising may only be a tiny correction.
    if not abs(total - 1.0) <= _SUM_TOLERANCE:
        raise ArithmeticError(f"quadrature failed: P(best) sums to {total!r}")
    # The same normalisation is applied to E[max]: both integrate the density of the maximum.
    expected_max = float(multiplicity @ max_part) / total
    return np.clip(best / total, 0.0, 1.0), expected_max


def probability_best(posteriors: Sequence[BetaPosterior]) -> list[float]:
    """P(arm k has the largest conversion rate), for each arm k.

    Computed as ∫ f_k(x) Π_{j≠k} F_j(x) dx by deterministic quadrature (absolute error
    ≲ 1e-9 in practice).  The values are renormalised to sum to 1 (to rounding); identical
    posteriors get bit-identical values and the result does not depend on input order.
    """
    arms, multiplicity, inverse = _distinct(posteriors)
    if len(arms) == 1:
        return [1.0 / len(posteriors)] * len(posteriors)
    best, _ = _normalised_max_integrals(arms, multiplicity)
    return [float(best[i]) for i in inverse]


def probability_best_monte_carlo(posteriors: Sequence[BetaPosterior], draws: int, seed: int) -> list[float]:
    """Monte Carlo estimate of probability_best from `draws` joint posterior samples.

    Deterministic for a given seed (numpy default_rng); samples are drawn in chunks so memory
    stays bounded.  Exact ties (possible only when draws underflow) go to the lower index.
    """
    _validate(posteriors)
    if draws < 1:
        raise ValueError("draws must be >= 1")
    rng = np.random.default_rng(seed)
    alphas = np.array([p.alpha for p in posteriors], dtype=float)
    betas = np.array([p.beta for p in posteriors], dtype=float)
    k = len(posteriors)
    chunk = max(1, _MC_CHUNK_VALUES // k)
    wins = np.zeros(k, dtype=np.int64)
    remaining = draws
    while remaining > 0:
        n = min(chunk, remaining)
        samples = rng.beta(alphas, betas, size=(n, k))
        wins += np.bincount(samples.argmax(axis=1), minlength=k)
        remaining -= n
    return (wins / draws).tolist()


def probability_greater(a: BetaPosterior, b: BetaPosterior) -> float:
    """P(p_a > p_b) = ∫ f_a(x) F_b(x) dx (the two-arm case of probability_best)."""
    return probability_best([a, b])[0]


def expected_loss(posteriors: Sequence[BetaPosterior]) -> list[float]:
    """E[max_j p_j − p_k] for each arm k: the expected regret of committing to arm k.

    E[max] = Σ_k ∫ x f_k(x) Π_{j≠k} F_j(x) dx on the probability_best grid; the result is
    E[max] − mean_k, with tiny negative rounding clipped to 0.
    """
    arms, multiplicity, _ = _distinct(posteriors)
    if len(posteriors) == 1:
        return [0.0]
    _, expected_max = _normalised_max_integrals(arms, multiplicity)
    return [max(expected_max - p.mean, 0.0) for p in posteriors]


def _check_index(posteriors: Sequence[BetaPosterior], index: int) -> None:
    _validate(posteriors)
    if not 0 <= index < len(posteriors):
        raise IndexError(f"index {index} out of range for {len(posteriors)} arms")


def _value_remaining_cdf(density: _Arm, others: Sequence[_Arm], t: float) -> float:
    if not others:
        return 1.0
    return _scaled_integral(density, others, 1.0 + t, t)


def value_remaining_cdf(posteriors: Sequence[BetaPosterior], index: int, t: float) -> float:
    """P((max_j p_j − p_v) / p_v <= t) for v = index and t >= 0.

    Equals ∫ f_v(x) Π_{j≠v} F_j((1+t)x) dx; at t = 0 it is P(v is best).
    """
    _check_index(posteriors, index)
    if not (math.isfinite(t) and t >= 0):
        raise ValueError("t must be a finite number >= 0")
    arms = [_arm(float(p.alpha), float(p.beta)) for p in posteriors]
    return _value_remaining_cdf(arms[index], arms[:index] + arms[index + 1 :], t)


def value_remaining_quantile(posteriors: Sequence[BetaPosterior], index: int, q: float = 0.95) -> float:
    """Smallest t >= 0 with value_remaining_cdf(t) >= q: the q-quantile of the relative
    amount by which the best arm may beat arm `index` (0.0 when P(best) >= q already).
    """
    _check_index(posteriors, index)
    if not 0.0 < q < 1.0:
        raise ValueError("q must lie in (0, 1)")
    arms = [_arm(float(p.alpha), float(p.beta)) for p in posteriors]
    density, others = arms[index], arms[:index] + arms[index + 1 :]

    def excess(t: float) -> float:
        return _value_remaining_cdf(density, others, t) - q

    if excess(0.0) >= 0.0:
        return 0.0
    # Expand a decade at a time: the quantile can be ~1e-4 (huge samples) or ~1e10 (α < 1).
    lo, hi = 0.0, 1e-3
    while excess(hi) < 0.0:
        if hi > 1e300:
            raise ArithmeticError("value-remaining quantile beyond 1e300")
        lo, hi = hi, hi * 10.0
    return float(optimize.brentq(excess, lo, hi, xtol=1e-12, rtol=1e-10, maxiter=500))


def credible_interval(posterior: BetaPosterior, level: float) -> tuple[float, float]:
    """Equal-tailed `level` credible interval (Beta quantiles at (1∓level)/2)."""
    if not 0.0 < level < 1.0:
        raise ValueError("level must lie in (0, 1)")
    tail = np.array([(1.0 - level) / 2.0])
    a, b = float(posterior.alpha), float(posterior.beta)
    # Both bounds come from lower-tail inversions (the upper one on the mirrored Beta(b, a)),
    # verified against betainc and re-solved if betaincinv misbehaves.
    lower = float(special.expit(_tail_logits(a, b, tail, rtol=1e-10)[0]))
    upper = float(special.expit(-_tail_logits(b, a, tail, rtol=1e-10)[0]))
    return lower, upper


def relative_uplift_interval(
    variant: BetaPosterior, control: BetaPosterior, level: float
) -> tuple[float, float] | None:
    """Equal-tailed `level` credible interval of the relative uplift p_v / p_c − 1.

    Inverts the exact CDF P(p_v / p_c <= r) = ∫ f_c(x) F_v(r x) dx by root finding on
    ln r.  None if a bound lies beyond ratios e^{±700}, where it cannot be represented.
    """
    if not 0.0 < level < 1.0:
        raise ValueError("level must lie in (0, 1)")
    v, c = _arm(float(variant.alpha), float(variant.beta)), _arm(float(control.alpha), float(control.beta))

    def cdf(log_ratio: float) -> float:
        return _scaled_integral(c, [v], math.exp(log_ratio), math.expm1(log_ratio))

    targets = ((1.0 - level) / 2.0, (1.0 + level) / 2.0)
    # Bracket around the delta-method normal approximation of ln(p_v/p_c), widened until it
    # contains both quantiles.
    centre = v.log_mean - c.log_mean
    spread = math.sqrt(
        v.beta / (v.alpha * (v.alpha + v.beta + 1.0)) + c.beta / (c.alpha * (c.alpha + c.beta + 1.0))
    )
    width = 4.0 * spread
    while True:
        lo, hi = max(centre - width, -_LOGIT_LIMIT), min(centre + width, _LOGIT_LIMIT)
        if cdf(lo) <= targets[0] and cdf(hi) >= targets[1]:
            break
        if lo <= -_LOGIT_LIMIT and hi >= _LOGIT_LIMIT:
            return None
        width *= 2.0
    bounds = [
        optimize.brentq(lambda r, t=t: cdf(r) - t, lo, hi, xtol=1e-13, rtol=1e-12, maxiter=500) for t in targets
    ]
    return math.expm1(bounds[0]), math.expm1(bounds[1])
