"""Input that once reached the database or the mathematics unchecked: each gets a 4xx or a
correct answer, never a 500."""

from __future__ import annotations

import json

import pytest

from .support import assert_problem, create, get_ok, post_rows, rows


@pytest.mark.parametrize("body, field", [
    ({"name": "x\u0000y", "variants": ["A", "B"]}, "name"),
    ({"name": "x", "variants": ["A", "B\u0000"]}, "variants[1]"),
    ({"name": "\ud800", "variants": ["A", "B"]}, "name"),
    ({"name": "x", "variants": ["A", "B"], "description": "a\u0000"}, "description"),
])
def test_strings_postgresql_cannot_store_are_named(client, db, body, field):
    response = client.post("/api/v1/experiments", data=json.dumps(body), content_type="application/json")
    assert_problem(response, 422, field)
    assert db.execute("SELECT count(*) AS n FROM mab.experiments").fetchone()["n"] == 0


def test_deeply_nested_json_is_malformed_not_a_crash(client):
    response = client.post("/api/v1/experiments", data="[" * 5000 + "]" * 5000, content_type="application/json")
    assert_problem(response, 400, "body")


def test_json_with_a_byte_order_mark_is_read(client):
    response = client.post("/api/v1/experiments", data=b"\xef\xbb\xbf" + json.dumps(
        {"name": "bom", "variants": ["A", "B"]}).encode(), content_type="application/json")
    assert response.status_code == 201


def test_experiment_id_beyond_bigint_is_404(client):
    assert_problem(client.get("/api/v1/experiments/9223372036854775808"), 404)
    assert_problem(client.get("/api/v1/experiments/9223372036854775808/allocation"), 404)


def test_csv_edge_cases(client, db):
    experiment_id = create(client)
    url = f"/api/v1/experiments/{experiment_id}/data"
    runaway = 'date,variant,impressions,conversions\n2025-01-01,"' + "x" * 200000 + '",1,0\n'
    assert_problem(client.post(url, data=runaway, content_type="text/csv"), 422, "body")
    latin = "date,variant,impressions,conversions\n2025-01-01,A,10,1\n".encode("latin-1")
    response = client.post(url, data=latin, content_type="text/csv; charset=latin-1")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert_problem(client.post(url, data=latin, content_type="text/csv; charset=klingon"), 415)
    crlf = "date,variant,impressions,conversions\r\n2025-01-02,A,10,1\r\n\r\n2025-01-02,B,10,2\r\n"
    assert client.post(url, data=crlf, content_type="text/csv").get_json()["inserted"] == 2


def test_dates_before_1970_are_refused(client):
    experiment_id = create(client)
    response = client.post(f"/api/v1/experiments/{experiment_id}/data",
                           json={"date": "0025-01-01", "variant": "A", "impressions": 1, "conversions": 0})
    assert_problem(response, 422, "date")


def test_window_reaching_before_year_one_is_fine(client):
    experiment_id = create(client)
    post_rows(client, experiment_id, rows("2025-01-01", A=(100, 10), B=(100, 12)))
    body = get_ok(client, f"/api/v1/experiments/{experiment_id}/allocation?as_of=0001-01-05&window_days=10")
    assert body["window"] == {"from": "0001-01-01", "to": "0001-01-05"}
    assert body["phase"] == "burn_in"  # no data in that window


def test_whole_floats_in_integer_settings_are_integers(client):
    experiment_id = create(client, settings={"traffic_window_days": 7.0, "burn_in_impressions": 10.0})
    assert get_ok(client, f"/api/v1/experiments/{experiment_id}")["settings"]["traffic_window_days"] == 7
    post_rows(client, experiment_id, rows("2025-01-01", A=(100, 10), B=(100, 12)))
    for path in ("statistics", "allocation?algorithm=ucb"):
        get_ok(client, f"/api/v1/experiments/{experiment_id}/{path}")


@pytest.mark.parametrize("query, field", [
    ("?draws=1_000&method=monte_carlo", "draws"), ("?draws=%2B500&method=monte_carlo", "draws"),
    ("?window_days=%D9%A3", "window_days"), ("?estimator=stratified&estimator=bogus", "estimator"),
    ("?window_days=nan", "window_days"),
])
def test_query_integers_are_plain_digits_given_once(client, query, field):
    experiment_id = create(client)
    assert_problem(client.get(f"/api/v1/experiments/{experiment_id}/allocation{query}"), 422, field)


def test_statistics_mde_must_be_finite(client):
    experiment_id = create(client)
    for value in ("nan", "inf", "1e400"):
        assert_problem(client.get(f"/api/v1/experiments/{experiment_id}/statistics?mde={value}"), 422, "mde")


def test_deployment_naming_a_variant_twice_is_refused(client, db):
    experiment_id = create(client)
    response = client.post(f"/api/v1/experiments/{experiment_id}/allocations",
                           json={"effective_date": "2025-01-01", "allocations": {"A": 30, " A": 60, "B": 40}})
    assert_problem(response, 422, "allocations. A")
    assert db.execute("SELECT count(*) AS n FROM mab.deployments").fetchone()["n"] == 0


def test_priors_below_the_supported_range_are_refused(client):
    response = client.post("/api/v1/experiments", json={"name": "p", "variants": ["A", "B"],
                                                        "settings": {"prior_alpha": 0.01}})
    assert_problem(response, 422, "settings.prior_alpha")


def test_timeseries_before_a_variant_existed_and_its_range(client):
    experiment_id = create(client)
    post_rows(client, experiment_id, rows("2025-01-01", A=(100, 10), B=(100, 12)))
    assert client.patch(f"/api/v1/experiments/{experiment_id}", json={"add_variants": ["C"]}).status_code == 200
    post_rows(client, experiment_id, rows("2025-01-02", A=(100, 10), B=(100, 12), C=(100, 11)))
    body = get_ok(client, f"/api/v1/experiments/{experiment_id}/timeseries")
    series = {s["variant"]: s["points"] for s in body["series"]}
    assert series["C"][0]["probability_best"] is None  # no data yet on day one
    assert series["A"][0]["probability_best"] + series["B"][0]["probability_best"] == pytest.approx(1)
    assert body["probability_best_method"] == "exact" and body["estimator"] == "pooled"
    late = get_ok(client, f"/api/v1/experiments/{experiment_id}/timeseries?from=2025-01-02")
    points = {s["variant"]: s["points"] for s in late["series"]}
    assert [p["date"] for p in points["A"]] == ["2025-01-02"]
    assert points["A"][0]["cumulative_impressions"] == 200  # running totals still start at day one
    post_rows(client, experiment_id, rows("2010-01-01", A=(1, 0)))
    assert_problem(client.get(f"/api/v1/experiments/{experiment_id}/timeseries"), 422, "from")


def test_counts_at_the_bigint_limit_still_get_answers(client):
    experiment_id = create(client, settings={"burn_in_impressions": 0})
    top = 2**63 - 1
    post_rows(client, experiment_id, rows("2025-01-01", A=(top, 0), B=(top, 1)))
    for path in ("allocation", "allocation?algorithm=ucb", "allocation?estimator=pooled", "statistics",
                 "timeseries"):
        response = client.get(f"/api/v1/experiments/{experiment_id}/{path}")
        assert response.status_code == 200, (path, response.get_data(as_text=True)[:300])
    body = get_ok(client, f"/api/v1/experiments/{experiment_id}/allocation?estimator=pooled")
    assert sum(body["allocations"].values()) == 100
    assert sum(body["probability_best"].values()) == pytest.approx(1, abs=1e-9)


def test_a_floor_below_one_percent_never_rounds_to_zero(client):
    names = [f"v{k:02d}" for k in range(50)]
    experiment_id = create(client, variants=names, settings={"min_allocation": 0.004, "burn_in_impressions": 0})
    post_rows(client, experiment_id, [
        {"date": "2025-01-01", "variant": name, "impressions": 1000, "conversions": 10 + k}
        for k, name in enumerate(names)])
    body = get_ok(client, f"/api/v1/experiments/{experiment_id}/allocation")
    assert min(body["weights"].values()) >= 0.004 - 1e-12
    assert min(body["allocations"].values()) >= 1
    assert sum(body["allocations"].values()) == 100
