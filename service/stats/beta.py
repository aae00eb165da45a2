"""Beta–Bernoulli posterior computations: exact, deterministic one-dimensional quadrature.

Every quantity here is an integral over the conversion rate x of products of Beta densities
and Beta CDFs, e.g. P(arm k is best) = ∫ f_k(x) Π_{j≠k} F_j(x) dx.  They are evaluated by
Gauss–Legendre quadrature on a grid built from the arms' own quantiles, so the nodes sit
where the probability mass is, whether an arm has 0 or 10^19 impressions.

Implementation notes (the reasons behind the less obvious choices):

* Integration runs in logit space, s = log(x / (1 - x)).  With dx = x(1 - x) ds a Beta
  density becomes x^α (1 - x)^β / B(α, β): no endpoint singularities for α or β < 1, tails
  that decay exponentially.
* The nodes are offsets t = s − c from a centre c, the mean logit of the most concentrated
  arm, and every arm works with its own offset Δ = s − logit(mean) = t − (its shift from c),
  the shift being the log of a ratio of odds (accurate to ~1e-16 absolute).  Storing s itself
  would round every node by ~1e-15 at |s| ≈ 5 (a 1 % rate), which is 3e-7 posterior standard
  deviations at 10^19 impressions.  x and 1 − x are computed from t and the centre's mean,
  each to full relative precision (rates within 1e-16 of 0 or 1 are not lost).
* Breakpoints are every arm's quantiles at fixed tail probabilities (_TAIL_PROBABILITIES on
  each side plus the median).  The merged breakpoints are coarsened so that each
  sub-interval holds at most one breakpoint of any arm in its interior (it spans at most two
  of each arm's quantile brackets, on which every factor of the integrand is smooth) and is
  at most _MAX_LOGIT_WIDTH wide.  Without the coarsening, 50 overlapping arms would give
  ~1000 intervals and cost seconds of incomplete-beta evaluations.
* Below an arm's 1e-15 quantile its CDF is treated as 0, above its 1 - 1e-15 quantile as 1,
  and its density as 0 outside both: each such truncation moves a result by < 1e-14.
* The log-density is log_const − (α+β)·R(Δ) with R(Δ) = ln(n + m·e^Δ) − m·Δ (m = mean,
  n = 1 − m), which is >= 0 and ≈ m·n·Δ²/2.  Only R's *relative* error matters (the density
  is negligible once (α+β)·R > 700), so R is never formed as a difference of terms much
  larger than itself: a cumulant series for |Δ| < 0.01, log1p/expm1 forms built on the
  smaller of m and n elsewhere.  (The previous version used such a difference for |Δ| > 1;
  with m ≈ 1e-19 it cost (α+β)·ε·|Δ| ≈ 10^3 in the log-density: P(best) summed to 2.9.)
  log_const, the log-density at the mean, comes from a Stirling series with the large terms
  cancelled analytically (scipy's betaln loses ~1e-5 for α+β ~ 1e9).
* CDFs come from scipy.special.betainc/betaincc while min(α, β) < _ASYMPTOTIC_MIN.  Boost's
  incomplete beta is accurate to ~1e-12 there (checked against closed forms, high-precision
  quadrature and the expansion below), also with max(α, β) up to ~10^19.  It is not for both
  parameters large: near a rate of 1/2 it returns sporadic relative errors up to 1e-3 from
  α ≈ β ≈ 5e10, garbage from ~5e15 and NaN for some inputs near 1e18 (the sum check then
  failed, or brentq hit NaN); betaincinv fails likewise.  Such arms (min(α, β) >= 10^7) use Temme's uniform asymptotic expansion
  (DLMF 8.18.9–8.18.12) with its first correction term,

      I_x(α, β) ≈ Φ(η√r) + φ(η√r)·c₀(η)/√r,   r = α + β,  η = sign(Δ)·√(2R(Δ)),
      c₀(η) = 1/η − √(m n)/(x − m),

  whose remaining error is O(min(α, β)^(-3/2)) ≲ 1e-11 at the threshold (it agrees with
  betainc to ~1e-12 for 10^6..10^10), and which, being a function of Δ and the accurate
  R(Δ), resolves the posterior as finely as doubles allow; their quantiles are found by
  Newton's method on it.
* scipy.special.betaincinv silently returns wrong values for some extreme shapes (e.g.
  α = 1e3, β = 1e9), so every quantile is checked with betainc and re-solved by bracketed
  root finding when the check fails.
* Rates below expit(−700) ≈ 1e-304 (or that close to 1) cannot be represented; the mass
  there is < 1e-15 for α, β >= 0.05.  For smaller parameters (e.g. a Beta(0.01, 0.01) prior
  puts 5e-4 above 1 − 1e-304) probability_best and expected_loss add those tails in closed
  form (_tail_contributions); value remaining and the uplift interval ignore them, so they
  are accurate only to about that mass there.
"""

from __future__ import annotations

import dataclasses
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
# is negligible for α, β >= 0.05.
_LOGIT_LIMIT = 700.0
# Quadrature of the sum of all P(best) must be this close to 1 before renormalising.
_SUM_TOLERANCE = 1e-6
_HALF_LOG_TWO_PI = 0.5 * math.log(2.0 * math.pi)
# Monte Carlo samples held in memory at once (rows × arms).
_MC_CHUNK_VALUES = 1_000_000
# Arms with min(α, β) at least this large take their CDF and quantiles from Temme's expansion.
_ASYMPTOTIC_MIN = 1e7
# |Δ| below which R(Δ) is summed from its cumulant series (7 terms: relative error < 1e-16).
_SERIES_DELTA = 0.01
# |Δ| below which Temme's c₀ is taken from its linear Taylor polynomial (error ~Δ²/√(mn)).
_C0_SERIES_DELTA = 1e-4


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


def _log_ratio(numerator: float, denominator: float) -> float:
    """ln(numerator / denominator), from the rounded quotient (error ~1e-16 absolute) whenever
    that quotient is a normal float."""
    ratio = numerator / denominator
    if 1e-300 < ratio < 1e300:
        return math.log(ratio)
    return math.log(numerator) - math.log(denominator)


@dataclass(frozen=True, eq=False)
class _Arm:
    alpha: float
    beta: float
    total: float  # α+β
    mean: float  # α/(α+β)
    complement: float  # β/(α+β), computed directly rather than as 1 − mean
    log_mean: float
    log_complement: float
    mean_logit: float  # ln(α/β), the logit of the mean
    # ln of the logit-space density x^α(1−x)^β/B(α, β) at x = mean
    log_const: float
    asymptotic: bool  # CDF from Temme's expansion rather than betainc
    # sorted breakpoints as offsets Δ from mean_logit (read-only)
    deltas: np.ndarray = dataclasses.field(default_factory=lambda: np.empty(0))
    # P(x < expit(−700)) and P(x > expit(700)): rates the quadrature cannot represent
    mass_below: float = 0.0
    mass_above: float = 0.0

    @property
    def logits(self) -> np.ndarray:
        return self.mean_logit + self.deltas

    @property
    def lowest(self) -> float:
        return float(self.mean_logit + self.deltas[0])

    @property
    def highest(self) -> float:
        return float(self.mean_logit + self.deltas[-1])


def _shape(alpha: float, beta: float) -> _Arm:
    """An arm's constants, without breakpoints."""
    total = alpha + beta
    mean_logit = _log_ratio(alpha, beta)
    log_mean = -float(np.logaddexp(0.0, -mean_logit))
    log_complement = -float(np.logaddexp(0.0, mean_logit))
    # α ln m + β ln(1−m) − ln B(α, β) at m = α/(α+β), from Stirling's series with the large
    # terms cancelled analytically.
    log_const = (
        0.5 * (log_mean + log_complement + math.log(total))
        - _HALF_LOG_TWO_PI
        - _stirling_correction(alpha)
        - _stirling_correction(beta)
        + _stirling_correction(total)
    )
    return _Arm(
        alpha=alpha,
        beta=beta,
        total=total,
        mean=alpha / total,
        complement=beta / total,
        log_mean=log_mean,
        log_complement=log_complement,
        mean_logit=mean_logit,
        log_const=log_const,
        asymptotic=min(alpha, beta) >= _ASYMPTOTIC_MIN,
    )


@lru_cache(maxsize=4096)
def _arm(alpha: float, beta: float) -> _Arm:
    shape = _shape(alpha, beta)
    if shape.asymptotic:
        mirror = _shape(beta, alpha)
        lower = _asymptotic_tail_deltas(shape, _TAIL_PROBABILITIES)
        median = _asymptotic_tail_deltas(shape, np.array([0.5]))
        upper = -_asymptotic_tail_deltas(mirror, _TAIL_PROBABILITIES)
        mass_below = mass_above = 0.0  # such arms sit > 10^3 posterior sd inside (0, 1)
    else:
        lower = _tail_logits(alpha, beta, _TAIL_PROBABILITIES, rtol=0.1) - shape.mean_logit
        median = _tail_logits(alpha, beta, np.array([0.5]), rtol=0.1) - shape.mean_logit
        upper = -_tail_logits(beta, alpha, _TAIL_PROBABILITIES, rtol=0.1) - shape.mean_logit
        limit = np.array([special.expit(-_LOGIT_LIMIT)])
        mass_below = float(special.betainc(alpha, beta, limit)[0])
        mass_above = float(special.betainc(beta, alpha, limit)[0])
    deltas = np.unique(np.concatenate([lower, median, upper]))
    deltas.flags.writeable = False  # cached and shared between calls
    return dataclasses.replace(shape, deltas=deltas, mass_below=mass_below, mass_above=mass_above)


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
    lo, hi, step = max(guess - spread, -_LOGIT_LIMIT), min(guess + spread, _LOGIT_LIMIT), spread
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
# Log-density, asymptotic CDF and rates, all as functions of the offset Δ from the mean logit
# --------------------------------------------------------------------------------------------


def _remainder(arm: _Arm, delta: np.ndarray) -> np.ndarray:
    """R(Δ) = ln(n + m·e^Δ) − m·Δ >= 0 to full relative precision.

    R(Δ; m, n) = R(−Δ; n, m), so the formulas are written for p = min(m, n) <= 1/2.  For
    |Δ| < _SERIES_DELTA, R = Σ_{r>=2} κ_r Δ^r / r! with the Bernoulli(p) cumulants κ_r (R is
    the Bernoulli cumulant generating function minus its linear term); elsewhere
    log1p(p·expm1(Δ)) − p·Δ, whose two terms are at most ~400·R apart in size for
    |Δ| >= 0.01, and for Δ > 700, where e^Δ overflows, ln(q + p·e^Δ) ≈ Δ + ln p dominates.
    """
    if arm.mean <= 0.5:
        p, q, log_p, log_q, d = arm.mean, arm.complement, arm.log_mean, arm.log_complement, delta
    else:
        p, q, log_p, log_q, d = arm.complement, arm.mean, arm.log_complement, arm.log_mean, -delta
    u, g = p * q, q - p
    k2, k3, k4 = u / 2, u * g / 6, u * (1 - 6 * u) / 24
    k5, k6, k7 = u * g * (1 - 12 * u) / 120, u * (1 - 30 * u + 120 * u * u) / 720, u * g * (1 - 60 * u + 360 * u * u) / 5040
    small = np.abs(d) < _SERIES_DELTA
    far = d > _LOGIT_LIMIT
    ds = np.where(small, d, 0.0)
    series = ds * ds * (k2 + ds * (k3 + ds * (k4 + ds * (k5 + ds * (k6 + ds * k7)))))
    dm = np.where(small | far, 1.0, d)
    direct = np.log1p(p * np.expm1(dm)) - p * dm
    df = np.where(far, d, 0.0)
    overflow = np.logaddexp(log_p + df, log_q) - p * df
    return np.where(small, series, np.where(far, overflow, direct))


def _log_density(arm: _Arm, delta: np.ndarray) -> np.ndarray:
    """ln of the Beta density in logit space, f(x)·x·(1−x), at offsets Δ from the mean logit:
    log_const − (α+β)·R(Δ)."""
    return arm.log_const - arm.total * _remainder(arm, delta)


def _rates(arm: _Arm, delta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x, 1 − x and x − mean at offsets Δ from arm's mean logit, each to full relative precision.

    With e = e^{−|Δ|} <= 1 (no overflow): for Δ <= 0, x = m·e/(n + m·e), 1 − x = n/(n + m·e);
    for Δ > 0, x = m/(m + n·e), 1 − x = n·e/(m + n·e); and x − m = ±m·n·(1 − e)/(same).
    """
    m, n = arm.mean, arm.complement
    e = np.exp(-np.abs(delta))
    above = delta > 0.0
    denominator = np.where(above, m + n * e, n + m * e)
    x = np.where(above, m, m * e) / denominator
    y = np.where(above, n * e, n) / denominator
    offset = np.sign(delta) * (m * n) * -np.expm1(-np.abs(delta)) / denominator
    return x, y, offset


def _delta_at(arm: _Arm, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Offset Δ = logit(x) − logit(mean) from x and y = 1 − x, to ~1e-16 absolute near the mean.

    Uses odds(x)/odds(m) − 1 = (x − m)/(y·m) (or the mirrored form for m > 1/2), where x − m
    is an exact subtraction near the mean.
    """
    with np.errstate(divide="ignore"):
        if arm.mean <= 0.5:
            return np.log1p((x - arm.mean) / (y * arm.mean))
        return -np.log1p((y - arm.complement) / (x * arm.complement))


def _asymptotic_log_cdf(arm: _Arm, delta: np.ndarray) -> np.ndarray:
    """ln I_x(α, β) from Temme's expansion (DLMF 8.18.9) with the c₀ term, at offsets Δ."""
    m, n, r = arm.mean, arm.complement, arm.total
    sigma = math.sqrt(m * n)
    eta = np.sign(delta) * np.sqrt(2.0 * _remainder(arm, delta))
    _, _, x_minus_mean = _rates(arm, delta)
    tiny = np.abs(delta) < _C0_SERIES_DELTA
    with np.errstate(divide="ignore", invalid="ignore"):
        c0 = np.where(tiny, 0.0, 1.0 / eta - sigma / x_minus_mean)
    # c₀ = [g/3 + (3h − 5g²)/24·Δ + O(Δ²)]/σ, g = n − m, h = 1 − 6mn (from the cumulants).
    g, h = n - m, 1.0 - 6.0 * m * n
    c0 = np.where(tiny, (g / 3.0 + (3.0 * h - 5.0 * g * g) / 24.0 * delta) / sigma, c0)
    t = eta * math.sqrt(r)
    correction = c0 / math.sqrt(r)  # times φ(t)
    log_phi = -0.5 * t * t - _HALF_LOG_TWO_PI
    lower = t <= 0.0
    t_low = np.where(lower, t, 0.0)
    log_low = special.log_ndtr(t_low)
    # F = Φ(t)·(1 + φ(t)/Φ(t)·c₀/√r) for t <= 0; F = 1 − Q, Q = Φ(−t) − φ(t)·c₀/√r, for t > 0.
    ratio = np.exp(np.where(lower, log_phi, 0.0) - log_low) * correction
    log_f_low = log_low + np.log1p(np.maximum(ratio, -1.0 + 1e-16))
    q = special.ndtr(-np.where(lower, 0.0, t)) - np.exp(np.where(lower, 0.0, log_phi)) * correction
    log_f_high = np.log1p(-np.clip(q, 0.0, 1.0 - 1e-16))
    return np.where(lower, log_f_low, log_f_high)


def _asymptotic_tail_deltas(arm: _Arm, probs: np.ndarray) -> np.ndarray:
    """Offsets Δ with I(Δ) = p (each p <= 1/2) by Newton's method on ln I.

    ln I is concave in Δ (the logit-space density is log-concave), so Newton converges from the
    normal approximation of logit(X) it starts from; d ln I/dΔ = f/I with f the logit-space
    density.
    """
    spread = math.sqrt(1.0 / arm.alpha + 1.0 / arm.beta)
    delta = special.ndtri(probs) * spread
    log_p = np.log(probs)
    for _ in range(100):
        log_cdf = _asymptotic_log_cdf(arm, delta)
        step = (log_cdf - log_p) * np.exp(log_cdf - _log_density(arm, delta))
        delta = delta - step
        if not np.all(np.isfinite(delta)):
            raise ArithmeticError(f"quantile iteration diverged for Beta({arm.alpha}, {arm.beta})")
        if np.max(np.abs(step)) <= 1e-13 * spread:  # ~1e-13 relative in the tail probability
            break
    return delta


def _log_cdf(arm: _Arm, delta: np.ndarray | None, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """ln F given the offset Δ (needed for asymptotic arms only), x and y = 1 − x."""
    if arm.asymptotic:
        assert delta is not None
        return _asymptotic_log_cdf(arm, delta)
    out = np.empty_like(x)
    low = x <= 0.5
    with np.errstate(divide="ignore"):
        out[low] = np.log(special.betainc(arm.alpha, arm.beta, x[low]))
        # Above 1/2 evaluate at y = 1 − x, which keeps precision when x ≈ 1:
        # F(x) = 1 − I_y(β, α), computed as a complement without cancellation.
        out[~low] = np.log(special.betaincc(arm.beta, arm.alpha, y[~low]))
    return out


# --------------------------------------------------------------------------------------------
# Quadrature grid and integrals
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


def _shift(arm: _Arm, centre: _Arm) -> float:
    """arm.mean_logit − centre.mean_logit as the log of a ratio of odds (~1e-16 absolute)."""
    ratio = (arm.alpha / arm.beta) * (centre.beta / centre.alpha)
    if 1e-300 < ratio < 1e300:
        return math.log(ratio)
    return arm.mean_logit - centre.mean_logit


def _max_integrals(arms: Sequence[_Arm], multiplicity: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """For distinct arms u with multiplicities m_u, return per copy of u

        P_u = ∫ f_u F_u^{m_u−1} Π_{w≠u} F_w^{m_w} dx   and   E_u = ∫ (x − x_c) · (same) dx,

    i.e. P(that copy is the best) and its contribution to E[max] − x_c, with x_c, the mean of
    the centre arm, returned too (so that tiny expected losses keep their relative precision).
    """
    # The centre: the most concentrated arm (the first in sorted order on ties).
    centre = max(arms, key=lambda arm: arm.alpha * arm.beta / arm.total)
    shifts = [_shift(arm, centre) for arm in arms]
    points = [arm.deltas + shift for arm, shift in zip(arms, shifts)]
    # Below the largest 1e-15 quantile some arm's CDF is < 1e-15; above the largest 1 − 1e-15
    # quantile every density has < 1e-15 mass left: nothing measurable lies outside.
    lo = max(float(p[0]) for p in points)
    hi = max(float(p[-1]) for p in points)
    t, w = _grid(points, lo, hi)
    x, y, x_offset = _rates(centre, t)

    log_cdf = np.zeros((len(arms), len(t)))
    log_pdf = np.full((len(arms), len(t)), -np.inf)
    for i, (arm, shift, own) in enumerate(zip(arms, shifts, points)):
        below = t < own[0]
        inside = ~below & (t <= own[-1])
        delta = t[inside] - shift
        log_cdf[i, below] = -np.inf
        log_cdf[i, inside] = _log_cdf(arm, delta, x[inside], y[inside])
        log_pdf[i, inside] = _log_density(arm, delta)

    # Π_{w≠u} by prefix and suffix sums of logs: a zero CDF is −inf and must never be
    # subtracted back out of a total.
    weighted = multiplicity[:, None] * log_cdf
    prefix = np.zeros_like(weighted)
    prefix[1:] = np.cumsum(weighted[:-1], axis=0)
    suffix = np.zeros_like(weighted)
    suffix[:-1] = np.cumsum(weighted[::-1], axis=0)[::-1][1:]
    with np.errstate(invalid="ignore"):  # 0·(−inf) in the branch np.where discards
        own_power = np.where((multiplicity > 1)[:, None], (multiplicity - 1)[:, None] * log_cdf, 0.0)
    integrand = np.exp(log_pdf + prefix + suffix + own_power)
    best, max_part = integrand @ w, (integrand * x_offset) @ w
    best_tails = _tail_contributions(arms, multiplicity)
    # Rates in the tails are 0 or 1 to double precision: x − x_c = −x_c or 1 − x_c there.
    return (
        best + best_tails[0] + best_tails[1],
        max_part - centre.mean * best_tails[0] + centre.complement * best_tails[1],
        centre.mean,
    )


def _tail_contributions(arms: Sequence[_Arm], multiplicity: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Contributions to P_u (per copy) from rates below expit(−700) and above expit(700).

    Nonzero only for parameters below ~0.05.  There every CDF is a power law to double
    precision: F_j = C_j·x^{α_j}, and 1 − F_j = D_j·(1 − x)^{β_j}.  Below, the integral is
    exact: ∫ f_u F_u^{m_u−1} Π_{w≠u} F_w^{m_w} = (α_u / Σ_w m_w α_w) · Π_w F_w(L)^{m_w}.  Above,
    with G_w = 1 − F_w at the cut, it is G_u·(1 − Σ_w m'_w β_u/(β_u + β_w) G_w) + O(G³)
    (m'_w = m_w, or m_u − 1 for w = u): exact to ~1e-10 for parameters >= 0.01.
    """
    below = np.array([arm.mass_below for arm in arms])
    above = np.array([arm.mass_above for arm in arms])
    lower = np.zeros(len(arms))
    upper = np.zeros(len(arms))
    if np.all(below > 0.0):
        alphas = np.array([arm.alpha for arm in arms])
        lower = alphas / float(multiplicity @ alphas) * math.exp(float(multiplicity @ np.log(below)))
    if np.any(above > 0.0):
        betas = np.array([arm.beta for arm in arms])
        others = np.where(np.eye(len(arms), dtype=bool), multiplicity - 1.0, multiplicity)
        pair = betas[:, None] / (betas[:, None] + betas[None, :])
        upper = above * (1.0 - (others * pair) @ above)
    return lower, upper


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
    """∫ f_density(x) Π_j F_j(scale·x) dx, with shift = scale − 1 supplied separately.

    Nodes are offsets from density's mean logit (see the module notes).
    """
    scaled = [_scaled_logits(arm, scale, shift) - density.mean_logit for arm in others]
    lo = max([float(density.deltas[0])] + [float(points[0]) for points in scaled])
    hi = float(density.deltas[-1])
    if not lo < hi:
        return 0.0  # some F_j(scale·x) < 1e-15 wherever the density has mass
    t, w = _grid([density.deltas] + [points[np.isfinite(points)] for points in scaled], lo, hi)
    x, y, _ = _rates(density, t)
    log_integrand = _log_density(density, t)
    z = scale * x
    z_complement = y - shift * x  # 1 − scale·x
    for arm, points in zip(others, scaled):
        below = t < points[0]
        inside = ~below & (t <= points[-1]) & (z_complement > 0)
        log_cdf = np.zeros_like(t)  # F = 1 above the arm's range and for scale·x >= 1
        log_cdf[below] = -np.inf
        z_in, zc_in = z[inside], z_complement[inside]
        delta = _delta_at(arm, z_in, zc_in) if arm.asymptotic else None
        log_cdf[inside] = _log_cdf(arm, delta, z_in, zc_in)
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


def _normalised_max_integrals(arms: Sequence[_Arm], multiplicity: np.ndarray) -> tuple[np.ndarray, float, float]:
    """Per-distinct-arm P(best) (renormalised), and E[max] as (E[max] − x_c, x_c), from one
    quadrature."""
    best, max_part, reference = _max_integrals(arms, multiplicity)
    total = float(multiplicity @ best)
    # Mathematically total = 1; renormalising may only be a tiny correction.  (Below prior
    # parameters of ~0.01 the tail terms' O(G³) error can exceed the tolerance: it is allowed
    # for, so that such inputs give approximate results rather than an exception.)
    tails = float(multiplicity @ np.array([arm.mass_below + arm.mass_above for arm in arms]))
    if not abs(total - 1.0) <= _SUM_TOLERANCE + tails**2:
        raise ArithmeticError(f"quadrature failed: P(best) sums to {total!r}")
    # The same normalisation is applied to E[max]: both integrate the density of the maximum.
    max_offset = float(multiplicity @ max_part) / total
    return np.clip(best / total, 0.0, 1.0), max_offset, reference


def probability_best(posteriors: Sequence[BetaPosterior]) -> list[float]:
    """P(arm k has the largest conversion rate), for each arm k.

    Computed as ∫ f_k(x) Π_{j≠k} F_j(x) dx by deterministic quadrature (absolute error
    ≲ 1e-9 in practice up to 10^9 impressions per arm; beyond, about as fine as the rates
    can be resolved in double precision, ≲ 1e-7 at 10^19).  The values are renormalised to sum
    to 1 (to rounding); identical posteriors get bit-identical values and the result does not
    depend on input order.
    """
    arms, multiplicity, inverse = _distinct(posteriors)
    if len(arms) == 1:
        return [1.0 / len(posteriors)] * len(posteriors)
    best, _, _ = _normalised_max_integrals(arms, multiplicity)
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

    E[max] = Σ_k ∫ x f_k(x) Π_{j≠k} F_j(x) dx on the probability_best grid, integrated as
    E[max] − x_c for a reference rate x_c (the mean of the most concentrated arm) so that
    losses of 10^-10 keep their relative precision; the result is (E[max] − x_c) −
    (mean_k − x_c), with tiny negative rounding clipped to 0.
    """
    arms, multiplicity, _ = _distinct(posteriors)
    if len(posteriors) == 1:
        return [0.0]
    _, max_offset, reference = _normalised_max_integrals(arms, multiplicity)
    return [max(max_offset - (p.mean - reference), 0.0) for p in posteriors]


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

    Found to relative accuracy ~1e-10 (or 1e-12 absolute, whichever is smaller), so
    quantiles of 10^-9 (10^19 impressions) keep their precision.
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
    # Bracket a decade at a time: the quantile can be ~1e-10 (huge samples) or ~1e10 (α < 1).
    lo, hi = 0.0, 1e-3
    if excess(hi) >= 0.0:
        while hi > 1e-300 and excess(hi / 10.0) >= 0.0:
            hi /= 10.0
        lo = hi / 10.0 if hi > 1e-300 else 0.0
    else:
        while excess(hi) < 0.0:
            if hi > 1e300:
                raise ArithmeticError("value-remaining quantile beyond 1e300")
            lo, hi = hi, hi * 10.0
    return float(optimize.brentq(excess, lo, hi, xtol=min(1e-12, 1e-10 * hi), rtol=1e-10, maxiter=500))


def _tail_rate(a: float, b: float, tail: float) -> tuple[float, float]:
    """x and 1 − x (each to full relative precision) at the lower `tail` quantile (tail <= 1/2)
    of Beta(a, b), to ~1e-10 relative in the tail probability."""
    if min(a, b) >= _ASYMPTOTIC_MIN:
        arm = _arm(a, b)
        x, y, _ = _rates(arm, _asymptotic_tail_deltas(arm, np.array([tail])))
        return float(x[0]), float(y[0])
    logit = float(_tail_logits(a, b, np.array([tail]), rtol=1e-10)[0])
    return float(special.expit(logit)), float(special.expit(-logit))


def credible_interval(posterior: BetaPosterior, level: float) -> tuple[float, float]:
    """Equal-tailed `level` credible interval (Beta quantiles at (1∓level)/2)."""
    if not 0.0 < level < 1.0:
        raise ValueError("level must lie in (0, 1)")
    tail = (1.0 - level) / 2.0
    a, b = float(posterior.alpha), float(posterior.beta)
    # Both bounds come from lower-tail inversions (the upper one on the mirrored Beta(b, a)):
    # betaincinv verified against betainc and re-solved if it misbehaves, or, for
    # min(α, β) >= 10^7, Newton's method on Temme's expansion.
    lower, _ = _tail_rate(a, b, tail)
    _, upper = _tail_rate(b, a, tail)
    return lower, upper


def relative_uplift_interval(
    variant: BetaPosterior, control: BetaPosterior, level: float
) -> tuple[float, float] | None:
    """Equal-tailed `level` credible interval of the relative uplift p_v / p_c − 1.

    Inverts the exact CDF P(p_v / p_c <= r) = ∫ f_c(x) F_v(r x) dx by root finding on
    ln r, to ~1e-9 of the interval's scale.  None if a bound lies beyond ratios e^{±700},
    where it cannot be represented.
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
    xtol = min(1e-13, 1e-9 * spread)
    bounds = [
        optimize.brentq(lambda r, t=t: cdf(r) - t, lo, hi, xtol=xtol, rtol=1e-12, maxiter=500) for t in targets
    ]
    return math.expm1(bounds[0]), math.expm1(bounds[1])
