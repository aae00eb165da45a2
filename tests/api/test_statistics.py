"""GET /api/v1/experiments/{id}/statistics and /timeseries, against independent references."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from scipy import integrate, special, stats

from service.cli import main as mab

from .support import assert_problem, assert_strict_json, create, get_ok, post_rows, rows

UDACITY = Path(__file__).resolve().parents[3] / "shared" / "data" / "udacity-free-trial"
Z95 = 1.959963984540054  # Φ⁻¹(0.975)


def statistics(client, experiment_id, query=""):
    return get_ok(client, f"/api/v1/experiments/{experiment_id}/statistics{query}")


def by_name(body):
    return {v["name"]: v for v in body["variants"]}


def hand_wilson(c, n, z=Z95):
    p = c / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def closed_form_b_beats_a(a_alpha, a_beta, b_alpha, b_beta):
    """Evan Miller's exact sum for integer b_alpha: P(p_B > p_A)."""
    i = np.arange(b_alpha)
    terms = (special.betaln(a_alpha + i, a_beta + b_beta) - np.log(b_beta + i)
             - special.betaln(1 + i, b_beta) - special.betaln(a_alpha, a_beta))
    return math.fsum(np.exp(terms))


@pytest.mark.skipif(not UDACITY.is_dir(), reason="shared data not present")
def test_udacity_allocation_and_statistics(client, db_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", db_url)
    assert mab(["import", "udacity", str(UDACITY / "control.csv"), str(UDACITY / "experiment.csv"),
                "--variant", "control", "--variant", "experiment", "--date-column", "Date",
                "--impressions-column", "Clicks", "--conversions-column", "Enrollments",
                "--date-format", "%a, %b %d", "--year", "2014"]) == 0
    experiment_id = get_ok(client, "/api/v1/experiments")["experiments"][0]["id"]

    allocation = get_ok(client, f"/api/v1/experiments/{experiment_id}/allocation")
    assert allocation["phase"] == "adaptive"
    assert allocation["allocations"]["control"] >= 98
    assert allocation["probability_best"]["control"] > 0.999
    assert allocation["weights"]["experiment"] >= 0.01  # the floor

    body = statistics(client, experiment_id)
    variants = by_name(body)
    for name, (n, c) in {"control": (17293, 3785), "experiment": (17260, 3423)}.items():
        lower, upper = hand_wilson(c, n)
        assert variants[name]["impressions"] == n and variants[name]["conversions"] == c
        assert variants[name]["conversion_rate"] == pytest.approx(c / n, abs=1e-15)
        assert variants[name]["confidence_interval"]["lower"] == pytest.approx(lower, abs=1e-6)
        assert variants[name]["confidence_interval"]["upper"] == pytest.approx(upper, abs=1e-6)
    assert body["winner"]["variant"] == "control"
    assert body["srm"]["mismatch"] is False


def test_simpsons_paradox_stratified_favours_b(client):
    experiment_id = create(client, settings={"burn_in_impressions": 0})
    post_rows(client, experiment_id, rows("2025-01-01", A=(1000, 100), B=(1000, 110)))
    post_rows(client, experiment_id, rows("2025-01-02", A=(200, 4), B=(1800, 45)))

    pooled = statistics(client, experiment_id, "?estimator=pooled")
    assert by_name(pooled)["A"]["probability_best"] > 0.99  # 104/1200 = 8.67 % against 155/2800 = 5.54 %

    stratified = statistics(client, experiment_id, "?estimator=stratified")
    a, b = by_name(stratified)["A"], by_name(stratified)["B"]
    # Day weights K² / Σ 1/n: day one 4 / (1/1000 + 1/1000) = 2000, day two 4 / (1/200 + 1/1800) = 720.
    w1, w2 = 4 / (1 / 1000 + 1 / 1000), 4 / (1 / 200 + 1 / 1800)
    rate_a = (w1 * 0.10 + w2 * 0.02) / (w1 + w2)  # 7.88 %
    rate_b = (w1 * 0.11 + w2 * 0.025) / (w1 + w2)  # 8.75 %
    n_a = (w1 + w2) ** 2 / (w1 ** 2 / 1000 + w2 ** 2 / 200)
    n_b = (w1 + w2) ** 2 / (w1 ** 2 / 1000 + w2 ** 2 / 1800)
    assert a["posterior"]["alpha"] == pytest.approx(1 + rate_a * n_a, rel=1e-12)
    assert a["posterior"]["beta"] == pytest.approx(1 + (1 - rate_a) * n_a, rel=1e-12)
    assert b["posterior"]["alpha"] == pytest.approx(1 + rate_b * n_b, rel=1e-12)
    assert b["probability_best"] > 0.5 > a["probability_best"]
    assert b["probability_beats_control"] > 0.5
    assert stratified["estimator"] == "stratified"
    allocation = get_ok(client, f"/api/v1/experiments/{experiment_id}/allocation")
    assert allocation["estimator"] == "stratified"
    assert allocation["allocations"]["B"] > allocation["allocations"]["A"]
    assert 0 < a["credible_interval"]["lower"] < a["credible_interval"]["upper"] < 1


def test_per_variant_statistics_match_references(client):
    experiment_id = create(client, variants=("A", "B"), confidence_level=0.9,
                           settings={"burn_in_impressions": 0})
    post_rows(client, experiment_id, rows("2025-01-01", A=(300, 30), B=(280, 39)))
    body = statistics(client, experiment_id, "?estimator=pooled")
    a, b = by_name(body)["A"], by_name(body)["B"]
    post_a, post_b = stats.beta(31, 271), stats.beta(40, 242)

    assert b["probability_beats_control"] == pytest.approx(closed_form_b_beats_a(31, 271, 40, 242), abs=1e-9)
    assert b["probability_best"] == pytest.approx(b["probability_beats_control"], abs=1e-9)
    for item, post in ((a, post_a), (b, post_b)):
        assert item["credible_interval"]["lower"] == pytest.approx(post.ppf(0.05), abs=1e-9)
        assert item["credible_interval"]["upper"] == pytest.approx(post.ppf(0.95), abs=1e-9)
        z90 = stats.norm.ppf(0.95)
        lower, upper = hand_wilson(item["conversions"], item["impressions"], z90)
        assert item["confidence_interval"]["lower"] == pytest.approx(lower, abs=1e-12)
        assert item["confidence_interval"]["upper"] == pytest.approx(upper, abs=1e-12)

    # E[max(p_A, p_B)] = ∫ (1 − F_A F_B) dx; expected loss = E[max] − mean.
    e_max, _ = integrate.quad(lambda x: 1 - post_a.cdf(x) * post_b.cdf(x), 0, 1, points=[0.1, 0.14],
                              epsabs=1e-13, limit=200)
    assert a["expected_loss"] == pytest.approx(e_max - post_a.mean(), abs=1e-8)
    assert b["expected_loss"] == pytest.approx(e_max - post_b.mean(), abs=1e-8)
    regret = 300 * a["expected_loss"] + 280 * b["expected_loss"]
    assert body["regret"]["expected_conversions_lost"] == pytest.approx(regret, rel=1e-12)

    # Uplift interval: P(p_B/p_A − 1 ≤ lower) = 5 % by the exact ratio distribution.
    def ratio_cdf(r):
        value, _ = integrate.quad(lambda x: post_a.pdf(x) * post_b.cdf((1 + r) * x), 0, 1,
                                  points=[0.1], epsabs=1e-13, limit=200)
        return value
    assert ratio_cdf(b["uplift"]["lower"]) == pytest.approx(0.05, abs=1e-6)
    assert ratio_cdf(b["uplift"]["upper"]) == pytest.approx(0.95, abs=1e-6)
    assert b["uplift"]["estimate"] == pytest.approx(post_b.mean() / post_a.mean() - 1, rel=1e-12)
    assert a["uplift"] is None and a["probability_beats_control"] is None


def test_srm_uses_the_deployment_history(client):
    experiment_id = create(client, settings={"burn_in_impressions": 0})
    post_rows(client, experiment_id, rows("2025-01-01", A=(1000, 10), B=(1000, 10)))
    post_rows(client, experiment_id, rows("2025-01-02", A=(400, 4), B=(1600, 16)))
    # Without history day two is expected 50/50: a glaring mismatch.
    unrecorded = statistics(client, experiment_id)["srm"]
    chi, p = stats.chisquare([1400, 2600], [2000, 2000])
    assert unrecorded["chi_square"] == pytest.approx(chi, rel=1e-9)
    assert unrecorded["p_value"] == pytest.approx(p, rel=1e-6, abs=1e-300)
    assert unrecorded["mismatch"] is True

    response = client.post(f"/api/v1/experiments/{experiment_id}/allocations",
                           json={"effective_date": "2025-01-02", "allocations": {"A": 20, "B": 80}})
    assert response.status_code == 201
    srm = statistics(client, experiment_id)["srm"]
    expected = [1000 + 0.2 * 2000, 1000 + 0.8 * 2000]
    chi, p = stats.chisquare([1400, 2600], expected)
    assert srm["expected"] == pytest.approx({"A": expected[0], "B": expected[1]})
    assert srm["chi_square"] == pytest.approx(chi, abs=1e-9)
    assert srm["p_value"] == pytest.approx(p, rel=1e-9)
    assert srm["mismatch"] is False


def test_srm_needs_five_expected_per_variant(client):
    experiment_id = create(client, variants=("A", "B", "C"))
    post_rows(client, experiment_id, rows("2025-01-01", A=(6, 1), B=(6, 1), C=(0, 0)))
    srm = statistics(client, experiment_id)["srm"]
    assert srm["chi_square"] is None and srm["mismatch"] is None and srm["reason"]


def test_sample_size_matches_the_two_proportion_formula(client):
    experiment_id = create(client, variants=("A", "B", "C"), confidence_level=0.95)
    for day in range(1, 8):
        post_rows(client, experiment_id, rows(f"2025-01-{day:02d}", A=(100, 10), B=(100, 12), C=(100, 9)))
    body = statistics(client, experiment_id, "?mde=0.2")["sample_size"]
    p1, p2 = 0.10, 0.12
    pbar = (p1 + p2) / 2
    z_alpha = stats.norm.ppf(1 - 0.05 / 2 / 2)  # Bonferroni over two comparisons
    z_beta = stats.norm.ppf(0.8)
    n = (z_alpha * math.sqrt(2 * pbar * (1 - pbar)) + z_beta * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))) ** 2 \
        / (p2 - p1) ** 2
    assert body["required_per_variant"] == math.ceil(n)
    assert body["comparisons"] == 2
    # 700 impressions so far, 100 a day per variant.
    assert body["days_remaining"] == math.ceil((math.ceil(n) - 700) / 100)


def test_no_data_statistics_are_null_not_nan(client):
    experiment_id = create(client, variants=("A", "B", "C"))
    response = client.get(f"/api/v1/experiments/{experiment_id}/statistics")
    assert response.status_code == 200
    assert_strict_json(response.data)
    body = response.get_json()
    for item in body["variants"]:
        assert item["conversion_rate"] is None and item["confidence_interval"] is None
        assert item["probability_best"] == pytest.approx(1 / 3, abs=1e-9)
    assert body["winner"]["variant"] is None and body["winner"]["reason"]
    assert body["sample_size"]["required_per_variant"] is None and body["sample_size"]["reason"]
    assert body["regret"]["expected_conversions_lost"] == 0


def test_one_arm_without_data(client):
    experiment_id = create(client, variants=("A", "B"))
    post_rows(client, experiment_id, rows("2025-01-01", A=(500, 50)))
    response = client.get(f"/api/v1/experiments/{experiment_id}/statistics")
    assert_strict_json(response.data)
    b = by_name(response.get_json())["B"]
    assert b["conversion_rate"] is None and b["confidence_interval"] is None
    assert b["posterior"] == {"alpha": 1.0, "beta": 1.0, "mean": 0.5}
    # B's prior alone makes it best with P = E[1 − p_A] for uniform B and Beta(51, 451) A: 451/502.
    assert b["probability_best"] == pytest.approx(451 / 502, abs=1e-9)
    assert b["uplift"] is None  # no data: the ratio would only restate the prior
    assert b["probability_beats_control"] is None


def test_bad_mde_is_named(client):
    experiment_id = create(client)
    assert_problem(client.get(f"/api/v1/experiments/{experiment_id}/statistics?mde=0"), 422, "mde")
    assert_problem(client.get(f"/api/v1/experiments/{experiment_id}/statistics?mde=x"), 422, "mde")


def test_timeseries_is_cumulative_and_dense(client):
    experiment_id = create(client)
    post_rows(client, experiment_id, rows("2025-01-01", A=(100, 10), B=(100, 20)))
    post_rows(client, experiment_id, rows("2025-01-03", A=(50, 5)))
    response = client.get(f"/api/v1/experiments/{experiment_id}/timeseries")
    assert_strict_json(response.data)
    series = {s["variant"]: s["points"] for s in response.get_json()["series"]}
    assert [p["date"] for p in series["A"]] == ["2025-01-01", "2025-01-02", "2025-01-03"]
    assert [p["cumulative_impressions"] for p in series["A"]] == [100, 100, 150]
    assert [p["cumulative_conversions"] for p in series["B"]] == [20, 20, 20]
    assert series["A"][2]["cumulative_rate"] == pytest.approx(15 / 150)
    lower, upper = hand_wilson(15, 150)
    assert series["A"][2]["cumulative_interval"] == pytest.approx({"lower": lower, "upper": upper}, abs=1e-12)
    for day in range(3):
        assert series["A"][day]["probability_best"] + series["B"][day]["probability_best"] == pytest.approx(1)
    # Day one: P(A best) for Beta(11, 91) against Beta(21, 81), by the closed form.
    assert series["A"][0]["probability_best"] == pytest.approx(closed_form_b_beats_a(21, 81, 11, 91), abs=1e-9)


def test_variant_added_later_is_not_expected_before_it_existed(client):
    experiment_id = create(client, settings={"burn_in_impressions": 0})
    post_rows(client, experiment_id, rows("2025-01-01", A=(1000, 10), B=(980, 10)))
    response = client.patch(f"/api/v1/experiments/{experiment_id}", json={"add_variants": ["C"]})
    assert response.status_code == 200
    srm = statistics(client, experiment_id)["srm"]
    # C was added after 2025-01-01: that day splits between A and B only, and C is left out.
    assert srm["expected"] == pytest.approx({"A": 990, "B": 990, "C": 0})
    chi, p = stats.chisquare([1000, 980], [990, 990])
    assert srm["chi_square"] == pytest.approx(chi) and srm["p_value"] == pytest.approx(p)
    assert srm["mismatch"] is False


def test_no_winner_during_burn_in_and_no_uplift_without_data(client):
    experiment_id = create(client, variants=("A", "B", "C"))
    post_rows(client, experiment_id, rows("2025-01-01", A=(5000, 50), B=(5000, 400)))
    body = statistics(client, experiment_id)
    assert by_name(body)["B"]["probability_beats_control"] > 0.999
    assert body["winner"]["variant"] is None
    assert "burn-in is not complete" in body["winner"]["reason"] and "'C'" in body["winner"]["reason"]
    assert body["winner"]["candidate"] == "B"  # C, known only through its prior, is no candidate
    assert by_name(body)["C"]["uplift"] is None
    post_rows(client, experiment_id, rows("2025-01-01", C=(5000, 60)))
    assert statistics(client, experiment_id)["winner"]["variant"] == "B"


def test_posteriors_do_not_depend_on_row_order(client):
    """The same data stored in a different order give bit-identical answers."""
    days = [rows(f"2025-01-{d:02d}", A=(1000 + 37 * d, 11 * d + 3), B=(900 + 53 * d, 13 * d + 1)) for d in range(1, 29)]
    first = create(client, name="forward", settings={"burn_in_impressions": 0})
    second = create(client, name="backward", settings={"burn_in_impressions": 0})
    for day in days:
        post_rows(client, first, day)
    for day in reversed(days):
        post_rows(client, second, list(reversed(day)))
    for path in ("allocation", "statistics"):
        a = client.get(f"/api/v1/experiments/{first}/{path}").get_json()
        b = client.get(f"/api/v1/experiments/{second}/{path}").get_json()
        a.pop("experiment_id"), b.pop("experiment_id")
        assert a == b, path


def test_a_tiny_day_cannot_outweigh_the_rest(client):
    """One impression on a day of heavy traffic gets almost no weight in the stratified rate."""
    experiment_id = create(client, settings={"burn_in_impressions": 0})
    post_rows(client, experiment_id, rows("2025-01-01", A=(1, 1), B=(99999, 5000)))
    post_rows(client, experiment_id, rows("2025-01-02", A=(50000, 2500), B=(50000, 2600)))
    a = by_name(statistics(client, experiment_id))["A"]
    w1, w2 = 4 / (1 / 1 + 1 / 99999), 4 / (1 / 50000 + 1 / 50000)
    rate = (w1 * 1 + w2 * 0.05) / (w1 + w2)
    n_eff = (w1 + w2) ** 2 / (w1 ** 2 / 1 + w2 ** 2 / 50000)
    assert a["posterior"]["mean"] == pytest.approx((1 + rate * n_eff) / (2 + n_eff), rel=1e-9)
    assert a["posterior"]["mean"] < 0.051
    assert a["probability_best"] < 0.2  # 5.00 % against B's 5.20 %; the 1/1 day does not make A best


def test_variant_added_later_is_compared_on_common_days(client):
    experiment_id = create(client, settings={"burn_in_impressions": 0})
    for day in range(1, 11):
        post_rows(client, experiment_id, rows(f"2025-01-{day:02d}", A=(1000, 20), B=(1000, 20)))
    assert client.patch(f"/api/v1/experiments/{experiment_id}", json={"add_variants": ["C"]}).status_code == 200
    for day in range(11, 21):
        post_rows(client, experiment_id, rows(f"2025-01-{day:02d}", A=(1000, 100), B=(1000, 100), C=(1000, 100)))
    body = statistics(client, experiment_id)
    for item in body["variants"]:  # all three measured on days 11–20: identical
        assert item["posterior"] == {"alpha": 1 + 1000, "beta": 1 + 9000, "mean": 1001 / 10002}
        assert item["probability_best"] == pytest.approx(1 / 3, abs=1e-9)
    assert body["winner"]["variant"] is None


def test_no_common_day_falls_back_to_pooled(client):
    experiment_id = create(client, settings={"burn_in_impressions": 0})
    post_rows(client, experiment_id, rows("2025-01-01", A=(1000, 20)))
    post_rows(client, experiment_id, rows("2025-01-02", B=(1000, 30)))
    body = statistics(client, experiment_id)
    assert body["estimator"] == "pooled"
    assert by_name(body)["B"]["posterior"] == {"alpha": 31, "beta": 971, "mean": 31 / 1002}


def test_data_backfilled_for_a_later_variant_is_expected(client):
    experiment_id = create(client, settings={"burn_in_impressions": 0})
    assert client.patch(f"/api/v1/experiments/{experiment_id}", json={"add_variants": ["C"]}).status_code == 200
    # C was added today, yet has data for 2025-01-01: it was evidently live that day.
    post_rows(client, experiment_id, rows("2025-01-01", A=(1000, 10), B=(1010, 10), C=(990, 10)))
    srm = statistics(client, experiment_id)["srm"]
    assert srm["expected"] == pytest.approx({"A": 1000, "B": 1000, "C": 1000})
    assert srm["mismatch"] is False
