"""GET /api/v1/experiments/{id}/allocation and the deployment history."""

from __future__ import annotations

import math

import pytest
from scipy import integrate, stats

from .support import assert_problem, assert_strict_json, create, get_ok, post_rows, rows


def allocation(client, experiment_id, query=""):
    return get_ok(client, f"/api/v1/experiments/{experiment_id}/allocation{query}")


def test_no_data_gives_equal_burn_in_split(client):
    experiment_id = create(client, variants=("A", "B", "C"))
    body = allocation(client, experiment_id)
    assert body["phase"] == "burn_in"
    assert body["allocations"] == {"A": 34, "B": 33, "C": 33}
    assert body["weights"] == pytest.approx({"A": 1 / 3, "B": 1 / 3, "C": 1 / 3}, abs=1e-15)
    assert body["probability_best"] == pytest.approx({"A": 1 / 3, "B": 1 / 3, "C": 1 / 3}, abs=1e-9)
    assert body["as_of"] is None
    ucb = allocation(client, experiment_id, "?algorithm=ucb")
    assert ucb["ucb_index"] == {"A": None, "B": None, "C": None}
    assert sum(ucb["allocations"].values()) == 100


def test_burn_in_until_every_variant_has_enough_impressions(client):
    experiment_id = create(client)
    post_rows(client, experiment_id, rows("2025-01-01", A=(5000, 50), B=(99, 30)))
    body = allocation(client, experiment_id)
    assert body["phase"] == "burn_in" and body["allocations"] == {"A": 50, "B": 50}
    post_rows(client, experiment_id, rows("2025-01-02", B=(1, 0)))
    body = allocation(client, experiment_id)
    assert body["phase"] == "adaptive"
    assert body["allocations"]["B"] > 90  # 30/100 against 50/5000


def test_thompson_weights_are_exact_probability_best_with_floor(client):
    experiment_id = create(client, settings={"min_allocation": 0.05})
    post_rows(client, experiment_id, rows("2025-01-01", A=(400, 40), B=(420, 50)))
    body = allocation(client, experiment_id, "?estimator=pooled")
    # Independent reference: P(B > A) by SciPy quadrature over the Beta(1 + c, 1 + n - c) posteriors.
    a, b = stats.beta(41, 361), stats.beta(51, 371)
    p_b, _ = integrate.quad(lambda x: b.pdf(x) * a.cdf(x), 0, 1, points=[0.1, 0.12], epsabs=1e-12)
    assert body["probability_best"]["B"] == pytest.approx(p_b, abs=1e-6)
    assert body["probability_best"]["A"] == pytest.approx(1 - p_b, abs=1e-6)
    assert body["weights"]["B"] == pytest.approx(0.05 + 0.9 * p_b, abs=1e-6)
    assert math.fsum(body["weights"].values()) == pytest.approx(1, abs=1e-12)
    assert sum(body["allocations"].values()) == 100
    assert body["allocations"]["B"] == round(100 * (0.05 + 0.9 * p_b))
    assert body["settings"]["min_allocation"] == 0.05
    assert body["method"] == "exact" and body["algorithm"] == "thompson_sampling"


def test_identical_arms_split_evenly_and_answers_are_byte_identical(client):
    experiment_id = create(client, variants=("A", "B", "C", "D"))
    post_rows(client, experiment_id, rows("2025-01-01", A=(1000, 37), B=(1000, 37), C=(1000, 37), D=(1000, 37)))
    for query in ("", "?algorithm=ucb"):
        first = client.get(f"/api/v1/experiments/{experiment_id}/allocation{query}")
        second = client.get(f"/api/v1/experiments/{experiment_id}/allocation{query}")
        assert first.data == second.data
        body = first.get_json()
        assert len(set(body["weights"].values())) == 1
        assert body["allocations"] == {"A": 25, "B": 25, "C": 25, "D": 25}


def test_answers_are_byte_identical_for_unequal_arms(client):
    experiment_id = create(client, variants=("A", "B", "C"))
    for day in range(1, 24):  # many days, so that summation order could matter
        post_rows(client, experiment_id, rows(f"2025-01-{day:02d}", A=(1000 + 7 * day, 30 + day % 5),
                                               B=(900 + 11 * day, 33 + day % 7), C=(1100 - 3 * day, 35)))
    for query in ("", "?algorithm=ucb", "?method=monte_carlo&draws=5000&seed=7", "?estimator=pooled"):
        path = f"/api/v1/experiments/{experiment_id}/allocation{query}"
        # Fifteen calls on the pool's connection: PostgreSQL switches to a prepared statement's
        # generic plan after a few, which must not change a digit.
        bodies = {client.get(path).data for _ in range(15)}
        assert len(bodies) == 1, query
        assert_strict_json(bodies.pop())
    stats_bodies = {client.get(f"/api/v1/experiments/{experiment_id}/statistics").data for _ in range(12)}
    assert len(stats_bodies) == 1


def test_monte_carlo_agrees_with_exact_within_its_noise(client):
    experiment_id = create(client, variants=("A", "B", "C"))
    post_rows(client, experiment_id, rows("2025-01-01", A=(1000, 30), B=(900, 33), C=(1100, 35)))
    exact = allocation(client, experiment_id)["probability_best"]
    draws = 200000
    sampled = allocation(client, experiment_id, f"?method=monte_carlo&draws={draws}&seed=3")
    assert sampled["settings"]["draws"] == draws and sampled["settings"]["seed"] == 3
    for name, p in exact.items():
        assert sampled["probability_best"][name] == pytest.approx(p, abs=5 * math.sqrt(p * (1 - p) / draws) + 1e-9)


def test_ucb_gives_the_batch_to_the_highest_index_and_reports_indices(client):
    experiment_id = create(client, algorithm="ucb", settings={"ucb_batch_size": 10})
    post_rows(client, experiment_id, rows("2025-01-01", A=(10000, 100), B=(10000, 500)))
    body = allocation(client, experiment_id)
    assert body["algorithm"] == "ucb"
    n = 20000
    expected_a = 0.01 + math.sqrt(2 * math.log(n) / 10000)
    expected_b = 0.05 + math.sqrt(2 * math.log(n) / 10000)
    assert body["ucb_index"]["A"] == pytest.approx(expected_a, abs=1e-12)
    assert body["ucb_index"]["B"] == pytest.approx(expected_b, abs=1e-12)
    # Ten more impressions cannot bring B's index down to A's: all of them go to B.
    assert body["weights"] == pytest.approx({"A": 0.01, "B": 0.99}, abs=1e-9)
    assert body["allocations"] == {"A": 1, "B": 99}
    assert body["settings"]["batch_size"] == 10


def test_ucb_batch_defaults_to_recent_daily_traffic(client):
    experiment_id = create(client, algorithm="ucb")
    for day in range(1, 10):
        post_rows(client, experiment_id, rows(f"2025-01-{day:02d}", A=(100 * day, day), B=(100 * day, 2 * day)))
    body = allocation(client, experiment_id)
    # The last seven days (3..9): (2 · 100 · (3 + … + 9)) / 7 = 1200 impressions a day.
    assert body["settings"]["batch_size"] == 1200
    assert body["settings"]["batch_size_source"] == "recent average daily traffic"


def test_as_of_and_window_days_choose_the_data(client):
    experiment_id = create(client)
    post_rows(client, experiment_id, rows("2025-01-01", A=(1000, 200), B=(1000, 100)))
    post_rows(client, experiment_id, rows("2025-01-02", A=(1000, 100), B=(1000, 200)))
    early = allocation(client, experiment_id, "?as_of=2025-01-01")
    assert early["as_of"] == "2025-01-01" and early["allocations"]["A"] == 99
    late = allocation(client, experiment_id, "?window_days=1")
    assert late["window"] == {"from": "2025-01-02", "to": "2025-01-02"}
    assert late["allocations"]["B"] == 99
    both = allocation(client, experiment_id)
    assert both["probability_best"]["A"] == pytest.approx(0.5, abs=1e-9)


def test_bad_query_parameters_are_named(client):
    experiment_id = create(client)
    base = f"/api/v1/experiments/{experiment_id}/allocation"
    for query, field in [("?algorithm=epsilon", "algorithm"), ("?as_of=2025-13-01", "as_of"),
                         ("?window_days=0", "window_days"), ("?estimator=median", "estimator"),
                         ("?method=guess", "method"), ("?draws=10", "draws"), ("?seed=-1", "seed"),
                         ("?colour=red", "colour")]:
        assert_problem(client.get(base + query), 422, field)
    assert_problem(client.get("/api/v1/experiments/999/allocation"), 404)


def test_get_never_writes(client, db, db_url):
    """Every read endpoint works on a database that refuses writes."""
    experiment_id = create(client)
    post_rows(client, experiment_id, rows("2025-01-01", A=(1000, 20), B=(1000, 30)))
    client.application.extensions["mab_db"].close()
    dbname = db.execute("SELECT current_database() AS name").fetchone()["name"]
    db.execute(f'ALTER DATABASE "{dbname}" SET default_transaction_read_only = on')
    from service import create_app
    read_only = create_app({"DATABASE_URL": db_url, "MAB_LOG_LEVEL": "WARNING"})
    try:
        reader = read_only.test_client()
        for path in ("allocation", "allocation?algorithm=ucb", "statistics", "timeseries", "allocations", "data"):
            assert reader.get(f"/api/v1/experiments/{experiment_id}/{path}").status_code == 200, path
        assert reader.get(f"/api/v1/experiments/{experiment_id}").status_code == 200
        # And the database really refuses writes: the check above could not pass by accident.
        assert reader.post(f"/api/v1/experiments/{experiment_id}/data",
                           json=rows("2025-01-02", A=(1, 0))).status_code >= 500
    finally:
        read_only.extensions["mab_db"].close()
        db.execute(f'ALTER DATABASE "{dbname}" RESET default_transaction_read_only')


def test_deployment_history_is_recorded_and_validated(client, db):
    experiment_id = create(client, variants=("A", "B", "C"))
    base = f"/api/v1/experiments/{experiment_id}/allocations"
    response = client.post(base, json={"effective_date": "2025-01-05", "allocations": {"A": 20, "B": 80},
                                       "note": "first ramp"})
    assert response.status_code == 201, response.get_data(as_text=True)
    created = response.get_json()
    assert created["allocations"] == pytest.approx({"A": 20, "B": 80, "C": 0})
    assert created["effective_date"] == "2025-01-05" and created["note"] == "first ramp"
    history = get_ok(client, base)["deployments"]
    assert [d["id"] for d in history] == [created["id"]]

    before = db.execute("SELECT count(*) AS n FROM mab.deployments").fetchone()["n"]
    assert_problem(client.post(base, json={"effective_date": "2025-01-06", "allocations": {"A": 50, "B": 40}}),
                   422, "allocations")
    assert_problem(client.post(base, json={"effective_date": "2025-01-06", "allocations": {"Z": 100}}),
                   422, "allocations.Z")
    assert_problem(client.post(base, json={"effective_date": "2025-02-30", "allocations": {"A": 100}}),
                   422, "effective_date")
    assert_problem(client.post(base, json={"effective_date": "2025-01-06", "allocations": {"A": -1, "B": 101}}),
                   422, "allocations.A")
    assert_problem(client.post(base, json={"allocations": {"A": 100}}), 422, "effective_date")
    assert db.execute("SELECT count(*) AS n FROM mab.deployments").fetchone()["n"] == before


def test_parameters_the_choice_would_ignore_are_refused(client):
    experiment_id = create(client)
    base = f"/api/v1/experiments/{experiment_id}/allocation"
    assert_problem(client.get(base + "?batch_size=100"), 422, "batch_size")
    assert_problem(client.get(base + "?draws=5000"), 422, "draws")
    assert_problem(client.get(base + "?method=exact&seed=3"), 422, "seed")
    assert_problem(client.get(base + "?algorithm=ucb&method=monte_carlo"), 422, "method")
    assert client.get(base + "?algorithm=ucb&batch_size=100").status_code == 200
