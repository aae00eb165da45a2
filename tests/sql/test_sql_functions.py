"""The SQL functions in mab_api against SciPy, the Python statistics and hand computations."""

from __future__ import annotations

import itertools
import math

import pytest
from scipy import stats

from service.stats.intervals import wilson_interval


def test_normal_quantile_matches_scipy(db):
    probabilities = [1e-300, 1e-20, 1e-10, 1e-5, 0.001, 0.0125, 0.025, 0.05, 0.1, 0.3, 0.425, 0.5,
                     0.575, 0.7, 0.9, 0.95, 0.975, 0.9995, 1 - 1e-10]
    rows = db.execute("SELECT p, mab_api.normal_quantile(p) AS z FROM unnest(%s::float8[]) AS p",
                      (probabilities,)).fetchall()
    for row in rows:
        assert row["z"] == pytest.approx(stats.norm.ppf(row["p"]), rel=1e-13, abs=1e-13), row["p"]


def test_normal_quantile_refuses_out_of_range(db):
    import psycopg
    with pytest.raises(psycopg.errors.NumericValueOutOfRange, match="strictly between 0 and 1"):
        db.execute("SELECT mab_api.normal_quantile(1)")


def test_wilson_sql_matches_python_on_a_grid(db):
    counts = [(0, 1), (1, 1), (0, 10), (3, 10), (10, 10), (1, 1000), (500, 1000), (999, 1000),
              (3785, 17293), (12345, 10**9), (10**9, 10**9), (0, 2**62)]
    levels = [0.5, 0.8, 0.9, 0.95, 0.99, 0.999]
    grid = list(itertools.product(counts, levels))
    rows = db.execute(
        """SELECT c, n, level, (mab_api.wilson_interval(c, n, level)).*
           FROM unnest(%s::bigint[], %s::bigint[], %s::float8[]) AS t (c, n, level)""",
        ([c for (c, _), _ in grid], [n for (_, n), _ in grid], [level for _, level in grid])).fetchall()
    assert len(rows) == len(grid)
    for row in rows:
        lower, upper = wilson_interval(row["c"], row["n"], row["level"])
        assert row["lower"] == pytest.approx(lower, abs=1e-12)
        assert row["upper"] == pytest.approx(upper, abs=1e-12)
        assert 0 <= row["lower"] <= row["c"] / row["n"] <= row["upper"] <= 1


def test_wilson_sql_by_hand_and_edges(db):
    # 3785/17293 at 95 %: p = 0.218875, z = 1.959964; centre and half-width by hand.
    n, c, z = 17293, 3785, 1.959963984540054
    p = c / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    row = db.execute("SELECT (mab_api.wilson_interval(3785, 17293, 0.95)).*").fetchone()
    assert row["lower"] == pytest.approx(centre - half, abs=1e-12)
    assert row["upper"] == pytest.approx(centre + half, abs=1e-12)
    assert row["lower"] == pytest.approx(0.2127748, abs=1e-6)
    empty = db.execute("SELECT mab_api.wilson_interval(0, 0, 0.95) IS NULL AS is_null").fetchone()
    assert empty["is_null"] is True
    zero = db.execute("SELECT (mab_api.wilson_interval(0, 50, 0.95)).*").fetchone()
    assert zero["lower"] == 0.0 and 0 < zero["upper"] < 0.1
    full = db.execute("SELECT (mab_api.wilson_interval(50, 50, 0.95)).*").fetchone()
    assert full["upper"] == 1.0 and 0.9 < full["lower"] < 1


def _experiment(db, variants=("A", "B"), prior=(1.0, 1.0)):
    experiment_id = db.execute(
        """INSERT INTO mab.experiments (name, settings)
           VALUES ('sql', jsonb_build_object('prior_alpha', %s::float8, 'prior_beta', %s::float8))
           RETURNING id""", prior).fetchone()["id"]
    ids = {}
    for position, name in enumerate(variants):
        ids[name] = db.execute(
            "INSERT INTO mab.variants (experiment_id, name, position, is_control) VALUES (%s, %s, %s, %s) RETURNING id",
            (experiment_id, name, position, position == 0)).fetchone()["id"]
    return experiment_id, ids


def _day(db, experiment_id, ids, date, **counts):
    for name, (n, c) in counts.items():
        db.execute("INSERT INTO mab.daily_data (experiment_id, variant_id, date, impressions, conversions) "
                   "VALUES (%s, %s, %s, %s, %s)", (experiment_id, ids[name], date, n, c))


def test_variant_summary_pooled_and_stratified(db):
    experiment_id, ids = _experiment(db, prior=(2.0, 3.0))
    _day(db, experiment_id, ids, "2025-01-01", A=(1000, 100), B=(1000, 110))
    _day(db, experiment_id, ids, "2025-01-02", A=(200, 4), B=(1800, 45))
    rows = {r["variant"]: r for r in db.execute("SELECT * FROM mab_api.variant_summary(%s)", (experiment_id,))}
    a = rows["A"]
    assert (a["impressions"], a["conversions"], a["days_with_data"]) == (1200, 104, 2)
    assert (a["posterior_alpha"], a["posterior_beta"]) == (2 + 104, 3 + 1096)
    w1, w2 = 4 / (1 / 1000 + 1 / 1000), 4 / (1 / 200 + 1 / 1800)
    assert a["stratified_rate"] == pytest.approx((w1 * 0.1 + w2 * 0.02) / (w1 + w2), rel=1e-14)
    n_eff = (w1 + w2) ** 2 / (w1 ** 2 / 1000 + w2 ** 2 / 200)
    assert a["stratified_effective_n"] == pytest.approx(n_eff, rel=1e-14)
    assert a["stratified_alpha"] == pytest.approx(2 + a["stratified_rate"] * n_eff, rel=1e-14)
    # A date range keeps day one only: the stratified answer is that day's.
    first = {r["variant"]: r for r in db.execute(
        "SELECT * FROM mab_api.variant_summary(%s, NULL, '2025-01-01')", (experiment_id,))}
    assert first["B"]["stratified_rate"] == pytest.approx(0.11)
    assert first["B"]["stratified_effective_n"] == pytest.approx(1000)


def test_stratified_equals_pooled_when_shares_are_constant(db):
    experiment_id, ids = _experiment(db)
    _day(db, experiment_id, ids, "2025-01-01", A=(300, 30), B=(100, 5))
    _day(db, experiment_id, ids, "2025-01-02", A=(600, 30), B=(200, 40))
    for row in db.execute("SELECT * FROM mab_api.variant_summary(%s)", (experiment_id,)):
        assert row["stratified_alpha"] == pytest.approx(row["posterior_alpha"], rel=1e-12)
        assert row["stratified_beta"] == pytest.approx(row["posterior_beta"], rel=1e-12)


def test_reporting_views(db):
    experiment_id, ids = _experiment(db, variants=("A", "B", "C"))
    _day(db, experiment_id, ids, "2025-01-01", A=(100, 10), B=(100, 20))
    _day(db, experiment_id, ids, "2025-01-03", A=(100, 30))
    stats_rows = {r["variant"]: r for r in db.execute(
        "SELECT * FROM mab_api.variant_statistics WHERE experiment_id = %s", (experiment_id,))}
    assert stats_rows["A"]["impressions"] == 200 and stats_rows["A"]["conversion_rate"] == 0.2
    assert stats_rows["C"]["conversion_rate"] is None and stats_rows["C"]["wilson_lower"] is None
    report = db.execute("SELECT variant, date, cumulative_impressions FROM mab_api.daily_report "
                        "WHERE experiment_id = %s ORDER BY variant, date", (experiment_id,)).fetchall()
    assert len(report) == 9  # three variants × three calendar days
    assert [r["cumulative_impressions"] for r in report if r["variant"] == "A"] == [100, 100, 200]
    totals = db.execute("SELECT * FROM mab_api.experiment_totals WHERE experiment_id = %s",
                        (experiment_id,)).fetchone()
    assert (totals["impressions"], totals["conversions"], totals["days_with_data"]) == (300, 60, 2)
