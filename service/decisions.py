"""From rollup rows to decisions: allocation, statistics and the time series.

The database hands over one row per variant (or per variant and day); ``service.stats`` does the
mathematics; this module chooses the inputs (date range, estimator, settings) and shapes the
answer. Nothing here writes.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import psycopg

from .db import fetch_all, fetch_one
from .errors import Problem, field_error
from .stats import allocation as alloc
from .stats import beta, power, srm, ucb

ESTIMATORS = ("stratified", "pooled")
METHODS = ("exact", "monte_carlo")


@dataclass(frozen=True)
class Window:
    """The inclusive date range the decision uses; None bounds are open."""
    start: dt.date | None
    end: dt.date | None


def resolve_window(conn: psycopg.Connection, experiment_id: int, as_of: dt.date | None,
                   window_days: int | None) -> Window:
    """Data up to ``as_of`` (default: all), only the last ``window_days`` days of it if given,
    counted back from ``as_of`` or, without it, from the latest day with data."""
    if window_days is None:
        return Window(None, as_of)
    end = as_of or fetch_one(conn, "latest_data_date", {"experiment_id": experiment_id, "to": None})["latest"]
    if end is None:
        return Window(None, as_of)
    start = end - dt.timedelta(days=window_days - 1) if end.toordinal() > window_days else dt.date.min
    return Window(start, end)


def variant_rows(conn, experiment: dict, window: Window) -> list[dict]:
    return fetch_all(conn, "variant_summary", {"experiment_id": experiment["id"],
                                               "confidence": experiment["confidence_level"],
                                               "from": window.start, "to": window.end})


def effective_estimator(rows: list[dict], requested: str) -> str:
    """The estimator that can be used: stratified needs a day on which every variant with data
    was shown; without one (say, variants shown on alternate days) it falls back to pooled."""
    if requested == "stratified" and any(r["impressions"] > 0 and r["stratified_rate"] is None
                                         for r in rows):
        return "pooled"
    return requested


def posteriors(rows: list[dict], estimator: str) -> list[beta.BetaPosterior]:
    """The Beta posterior of every variant under the estimator (both computed in SQL); a
    variant without data keeps the prior."""
    key = "stratified" if estimator == "stratified" else "posterior"
    return [beta.BetaPosterior(row[f"{key}_alpha"], row[f"{key}_beta"])
            if row["impressions"] > 0 else beta.BetaPosterior(row["posterior_alpha"], row["posterior_beta"])
            for row in rows]


def _effective_counts(rows: list[dict], estimator: str) -> tuple[list[float], list[float]]:
    """(impressions, conversions) that UCB sees: raw totals, or the stratified estimator's
    effective sample size and rate × that size."""
    if estimator == "pooled":
        return [r["impressions"] for r in rows], [r["conversions"] for r in rows]
    sizes = [r["stratified_effective_n"] or 0.0 for r in rows]
    wins = [(r["stratified_rate"] or 0.0) * n for r, n in zip(rows, sizes)]
    return sizes, wins


def _by_name(rows: list[dict], values) -> dict:
    return {row["variant"]: value for row, value in zip(rows, values)}


def _as_of(rows: list[dict], window: Window) -> dt.date | None:
    if window.end is not None:
        return window.end
    dates = [r["last_date"] for r in rows if r["last_date"] is not None]
    return max(dates) if dates else None


def batch_size(conn, experiment: dict, window: Window) -> tuple[int, str]:
    """Impressions in the next batch UCB plans for, and where the number came from."""
    configured = experiment["settings"]["ucb_batch_size"]
    if configured:
        return int(configured), "settings.ucb_batch_size"
    traffic = fetch_all(conn, "recent_traffic", {"experiment_id": experiment["id"], "to": window.end,
                                                 "days": experiment["settings"]["traffic_window_days"]})
    daily = sum(r["average_daily_impressions"] or 0.0 for r in traffic)
    if daily >= 1:
        return int(round(daily)), "recent average daily traffic"
    return 1000, "default (no recent traffic)"


def allocation(conn, experiment: dict, *, algorithm: str, window: Window, estimator: str,
               method: str, draws: int, seed: int, batch: int | None) -> dict:
    """The traffic split to put live next, with the probabilities behind it."""
    settings = experiment["settings"]
    rows = variant_rows(conn, experiment, window)
    estimator = effective_estimator(rows, estimator)
    post = posteriors(rows, estimator)
    if method == "monte_carlo":
        p_best = beta.probability_best_monte_carlo(post, draws=draws, seed=seed)
    else:
        p_best = beta.probability_best(post)

    burn_in = settings["burn_in_impressions"]
    in_burn_in = any(row["impressions"] < burn_in for row in rows)
    answer: dict = {"experiment_id": experiment["id"], "algorithm": algorithm,
                    "phase": "burn_in" if in_burn_in else "adaptive", "as_of": _as_of(rows, window),
                    "window": {"from": window.start, "to": window.end}, "estimator": estimator,
                    "confidence_level": experiment["confidence_level"]}
    used = {"prior_alpha": settings["prior_alpha"], "prior_beta": settings["prior_beta"],
            "min_allocation": settings["min_allocation"], "burn_in_impressions": burn_in}

    if algorithm == "ucb":
        size, source = (batch, "batch_size parameter") if batch else batch_size(conn, experiment, window)
        impressions, conversions = _effective_counts(rows, estimator)
        prior_mean = settings["prior_alpha"] / (settings["prior_alpha"] + settings["prior_beta"])
        shares = ucb.ucb1_allocation(impressions, conversions, size, unplayed_mean=prior_mean)
        answer["ucb_index"] = _by_name(rows, ucb.ucb1_indices(impressions, conversions))
        used.update({"batch_size": size, "batch_size_source": source})
    else:
        shares = p_best
        answer["method"] = method
        if method == "monte_carlo":
            used.update({"draws": draws, "seed": seed})

    weights = alloc.equal_split(len(rows)) if in_burn_in else alloc.apply_floor(shares, settings["min_allocation"])
    answer["allocations"] = _by_name(rows, alloc.largest_remainder_percentages(weights))
    answer["weights"] = _by_name(rows, weights)
    answer["probability_best"] = _by_name(rows, p_best)
    answer["settings"] = used
    return answer


def _interval(bounds) -> dict | None:
    if bounds is None:
        return None
    lower, upper = bounds
    return {"lower": lower, "upper": upper}


def statistics(conn, experiment: dict, *, window: Window, estimator: str, mde: float) -> dict:
    """Per-variant and experiment-level statistics behind the allocation."""
    settings = experiment["settings"]
    level = experiment["confidence_level"]
    rows = variant_rows(conn, experiment, window)
    estimator = effective_estimator(rows, estimator)
    post = posteriors(rows, estimator)
    p_best = beta.probability_best(post)
    losses = beta.expected_loss(post)
    control_at = next(i for i, r in enumerate(rows) if r["is_control"])
    control = post[control_at]

    variants = []
    for index, (row, posterior) in enumerate(zip(rows, post)):
        is_control = index == control_at
        has_data = row["impressions"] > 0
        item = {
            "name": row["variant"],
            "is_control": is_control,
            "impressions": row["impressions"],
            "conversions": row["conversions"],
            "conversion_rate": row["conversion_rate"],
            "confidence_interval": ({"lower": row["wilson_lower"], "upper": row["wilson_upper"]}
                                    if has_data else None),
            "posterior": {"alpha": posterior.alpha, "beta": posterior.beta, "mean": posterior.mean},
            "credible_interval": _interval(beta.credible_interval(posterior, level)),
            "probability_best": p_best[index],
            "expected_loss": losses[index],
            "uplift": None,
            "probability_beats_control": None,
        }
        # Without data on either side a comparison would only restate the prior.
        if not is_control and has_data and rows[control_at]["impressions"] > 0:
            item["probability_beats_control"] = beta.probability_greater(posterior, control)
            uplift = beta.relative_uplift_interval(posterior, control, level)
            item["uplift"] = {"estimate": posterior.mean / control.mean - 1,
                              "lower": uplift[0] if uplift else None,
                              "upper": uplift[1] if uplift else None}
        variants.append(item)

    return {
        "experiment_id": experiment["id"],
        "as_of": _as_of(rows, window),
        "window": {"from": window.start, "to": window.end},
        "estimator": estimator,
        "confidence_level": level,
        "control": rows[control_at]["variant"],
        "variants": variants,
        "srm": _srm(conn, experiment, window),
        "sample_size": _sample_size(conn, experiment, window, rows, control_at, mde),
        "winner": _winner(rows, post, p_best, settings, level),
        "regret": {"expected_conversions_lost": math.fsum(r["impressions"] * loss
                                                          for r, loss in zip(rows, losses))},
    }


def _srm(conn, experiment: dict, window: Window) -> dict:
    traffic = fetch_all(conn, "expected_traffic", {"experiment_id": experiment["id"],
                                                   "from": window.start, "to": window.end})
    result = srm.sample_ratio_mismatch([r["observed"] for r in traffic], [r["expected"] for r in traffic],
                                       names=[r["variant"] for r in traffic])
    return {"chi_square": result.chi_square, "p_value": result.p_value, "mismatch": result.mismatch,
            "threshold": 0.001, "reason": result.reason,
            "observed": {r["variant"]: r["observed"] for r in traffic},
            "expected": {r["variant"]: r["expected"] for r in traffic}}


def _sample_size(conn, experiment: dict, window: Window, rows: list[dict], control_at: int,
                 mde: float) -> dict:
    alpha = round(1 - experiment["confidence_level"], 12)  # 0.05, not 0.050000000000000044
    comparisons = max(1, len(rows) - 1)
    needed = power.required_sample_size(rows[control_at]["conversion_rate"], mde, alpha,
                                        power=0.8, comparisons=comparisons)
    answer = {"required_per_variant": needed.required_per_variant, "mde": mde, "alpha": alpha,
              "comparisons": comparisons, "power": 0.8, "days_remaining": None, "reason": needed.reason}
    if needed.required_per_variant is None:
        return answer
    traffic = {r["variant"]: r["average_daily_impressions"] for r in fetch_all(
        conn, "recent_traffic", {"experiment_id": experiment["id"], "to": window.end,
                                 "days": experiment["settings"]["traffic_window_days"]})}
    days = 0
    for row in rows:
        missing = needed.required_per_variant - row["impressions"]
        if missing <= 0:
            continue
        daily = traffic.get(row["variant"]) or 0.0
        if daily <= 0:
            answer["reason"] = f"variant {row['variant']!r} had no recent traffic"
            return answer
        days = max(days, math.ceil(missing / daily))
    answer["days_remaining"] = days
    return answer


def _winner(rows, post, p_best, settings: dict, level: float) -> dict:
    threshold = settings["winner_probability"] or level
    bound = settings["winner_value_remaining"]
    # The candidate is the leader among variants with data: one known only through its prior
    # (a uniform prior has mean 50 %) leads on paper and says nothing.
    with_data = [i for i, r in enumerate(rows) if r["impressions"] > 0] or list(range(len(rows)))
    leader = max(with_data, key=lambda i: (p_best[i], -i))
    answer = {"variant": None, "candidate": rows[leader]["variant"],
              "probability_best": p_best[leader], "probability_threshold": threshold,
              "value_remaining_p95": None, "value_remaining_threshold": bound, "reason": None}
    if all(r["impressions"] == 0 for r in rows):
        answer.update(candidate=None, probability_best=None, reason="no data yet")
        return answer
    answer["value_remaining_p95"] = beta.value_remaining_quantile(post, leader, 0.95)
    # A variant still in burn-in (or without data) is known mostly through its prior: no verdict.
    needed = max(1, settings["burn_in_impressions"])
    short = [r["variant"] for r in rows if r["impressions"] < needed]
    if short:
        answer["reason"] = (f"burn-in is not complete: {', '.join(repr(v) for v in short)} "
                            f"{'has' if len(short) == 1 else 'have'} fewer than {needed} impressions")
    elif p_best[leader] < threshold:
        answer["reason"] = (f"the leading variant {rows[leader]['variant']!r} is best with probability "
                            f"{p_best[leader]:.4f}, below {threshold:g}")
    elif answer["value_remaining_p95"] >= bound:
        answer["reason"] = (f"switching away from {rows[leader]['variant']!r} could still gain "
                            f"{answer['value_remaining_p95']:.2%} (95th percentile), not below {bound:.2%}")
    else:
        answer["variant"] = rows[leader]["variant"]
    return answer


# Exact P(best) for every day costs about a millisecond per variant and day; above this many
# variant-days the series uses seeded Monte Carlo (deterministic, about ±0.01), plenty for a
# chart, and says so.
EXACT_SERIES_BUDGET = 5000
SERIES_DRAWS = 2000
MAX_SERIES_DAYS = 3660


def timeseries(conn, experiment: dict, start: dt.date | None, end: dt.date | None) -> dict:
    """Per variant and day: counts, running totals, cumulative rate with its Wilson interval and
    the cumulative probability that the variant is best (pooled posterior up to that day), among
    the variants with data by then (null for the others)."""
    span = fetch_one(conn, "data_span", {"experiment_id": experiment["id"]})
    first = max(d for d in (span["first_date"], start) if d is not None) if span["first_date"] else None
    last = min(d for d in (span["last_date"], end) if d is not None) if span["last_date"] else None
    if first and last and (last - first).days >= MAX_SERIES_DAYS:
        raise Problem(422, "Range too long",
                      f"The series would span {(last - first).days + 1} days; ask for at most "
                      f"{MAX_SERIES_DAYS} with from and to.",
                      errors=[field_error("from", f"the range may span at most {MAX_SERIES_DAYS} days")],
                      slug="validation-failed")
    rows = fetch_all(conn, "daily_series", {"experiment_id": experiment["id"], "from": start, "to": end})
    by_date: dict[dt.date, list[dict]] = {}
    for row in rows:
        by_date.setdefault(row["date"], []).append(row)
    exact = len(rows) <= EXACT_SERIES_BUDGET
    series: dict[str, list[dict]] = {}
    for date, day_rows in by_date.items():
        shown = [r for r in day_rows if r["cumulative_impressions"] > 0]
        post = [beta.BetaPosterior(r["cumulative_alpha"], r["cumulative_beta"]) for r in shown]
        p_best = (beta.probability_best(post) if exact else
                  beta.probability_best_monte_carlo(post, draws=SERIES_DRAWS, seed=date.toordinal()))
        probability = dict(zip((r["variant"] for r in shown), p_best))
        for row in day_rows:
            series.setdefault(row["variant"], []).append({
                "date": date,
                "impressions": row["impressions"],
                "conversions": row["conversions"],
                "cumulative_impressions": row["cumulative_impressions"],
                "cumulative_conversions": row["cumulative_conversions"],
                "cumulative_rate": row["cumulative_rate"],
                "cumulative_interval": ({"lower": row["cumulative_lower"], "upper": row["cumulative_upper"]}
                                        if row["cumulative_impressions"] else None),
                "probability_best": probability.get(row["variant"]),
            })
    return {"experiment_id": experiment["id"], "confidence_level": experiment["confidence_level"],
            "from": first, "to": last, "estimator": "pooled",
            "probability_best_method": "exact" if exact else "monte_carlo",
            "series": [{"variant": name, "points": points} for name, points in series.items()]}
