"""GET /api/v1/experiments/{id}/data."""

from __future__ import annotations

import pytest
from .support import assert_problem


def setup_data(client):
    response = client.post("/api/v1/experiments", json={"name": "read", "variants": ["B", "A"]})
    assert response.status_code == 201
    experiment_id = response.get_json()["id"]
    rows = [  # posted out of order on purpose
        ("2025-01-05", "A", 50, 5), ("2025-01-01", "A", 10, 1), ("2025-01-03", "B", 30, 3),
        ("2025-01-01", "B", 11, 2), ("2025-01-04", "A", 40, 4), ("2025-01-02", "A", 20, 2),
        ("2025-01-03", "A", 33, 0),
    ]
    response = client.post(f"/api/v1/experiments/{experiment_id}/data", json=[
        {"date": d, "variant": v, "impressions": i, "conversions": c} for d, v, i, c in rows])
    assert response.status_code == 200, response.get_data(as_text=True)
    return experiment_id


def read(client, experiment_id, query="", **kwargs):
    response = client.get(f"/api/v1/experiments/{experiment_id}/data{query}", **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


def as_tuples(body):
    return [(r["date"], r["variant"], r["impressions"], r["conversions"]) for r in body["rows"]]


def test_rows_ordered_by_date_then_variant_order(client):
    experiment_id = setup_data(client)
    body = read(client, experiment_id).get_json()
    assert body["experiment_id"] == experiment_id
    assert (body["from"], body["to"], body["variant"]) == (None, None, None)
    # variant order is the experiment's: B before A
    assert as_tuples(body) == [
        ("2025-01-01", "B", 11, 2), ("2025-01-01", "A", 10, 1), ("2025-01-02", "A", 20, 2),
        ("2025-01-03", "B", 30, 3), ("2025-01-03", "A", 33, 0), ("2025-01-04", "A", 40, 4),
        ("2025-01-05", "A", 50, 5),
    ]


def test_from_and_to_are_inclusive(client):
    experiment_id = setup_data(client)
    body = read(client, experiment_id, "?from=2025-01-02&to=2025-01-04").get_json()
    assert (body["from"], body["to"]) == ("2025-01-02", "2025-01-04")
    assert as_tuples(body) == [("2025-01-02", "A", 20, 2), ("2025-01-03", "B", 30, 3),
                               ("2025-01-03", "A", 33, 0), ("2025-01-04", "A", 40, 4)]
    same_day = read(client, experiment_id, "?from=2025-01-03&to=2025-01-03").get_json()
    assert [r["date"] for r in same_day["rows"]] == ["2025-01-03", "2025-01-03"]
    only_from = read(client, experiment_id, "?from=2025-01-05").get_json()
    assert as_tuples(only_from) == [("2025-01-05", "A", 50, 5)]
    only_to = read(client, experiment_id, "?to=2025-01-01").get_json()
    assert as_tuples(only_to) == [("2025-01-01", "B", 11, 2), ("2025-01-01", "A", 10, 1)]
    assert read(client, experiment_id, "?from=2025-01-04&to=2025-01-02").get_json()["rows"] == []


def test_variant_filter(client):
    experiment_id = setup_data(client)
    body = read(client, experiment_id, "?variant=B").get_json()
    assert body["variant"] == "B"
    assert as_tuples(body) == [("2025-01-01", "B", 11, 2), ("2025-01-03", "B", 30, 3)]
    body = read(client, experiment_id, "?variant=A&from=2025-01-03&to=2025-01-04").get_json()
    assert as_tuples(body) == [("2025-01-03", "A", 33, 0), ("2025-01-04", "A", 40, 4)]
    assert_problem(client.get(f"/api/v1/experiments/{experiment_id}/data?variant=nope"), 422, "variant")


def test_csv_when_accepted(client):
    experiment_id = setup_data(client)
    response = read(client, experiment_id, "?to=2025-01-03", headers={"Accept": "text/csv"})
    assert response.mimetype == "text/csv"
    assert response.get_data(as_text=True) == (
        "date,variant,impressions,conversions\n"
        "2025-01-01,B,11,2\n"
        "2025-01-01,A,10,1\n"
        "2025-01-02,A,20,2\n"
        "2025-01-03,B,30,3\n"
        "2025-01-03,A,33,0\n")


def test_csv_round_trips_through_post(client, db):
    experiment_id = setup_data(client)
    text = read(client, experiment_id, headers={"Accept": "text/csv"}).get_data(as_text=True)
    response = client.post("/api/v1/experiments", json={"name": "copy", "variants": ["A", "B"]})
    copy_id = response.get_json()["id"]
    posted = client.post(f"/api/v1/experiments/{copy_id}/data", data=text.encode(), content_type="text/csv")
    assert posted.get_json()["inserted"] == 7
    assert as_tuples(read(client, copy_id).get_json()) == [
        ("2025-01-01", "A", 10, 1), ("2025-01-01", "B", 11, 2), ("2025-01-02", "A", 20, 2),
        ("2025-01-03", "A", 33, 0), ("2025-01-03", "B", 30, 3), ("2025-01-04", "A", 40, 4),
        ("2025-01-05", "A", 50, 5)]


def test_json_is_default_and_preferred(client):
    experiment_id = setup_data(client)
    for accept in (None, "*/*", "application/json", "application/json, text/csv;q=0.5"):
        headers = {"Accept": accept} if accept else {}
        response = read(client, experiment_id, "?variant=B", headers=headers)
        assert response.mimetype == "application/json", accept
        assert len(response.get_json()["rows"]) == 2


def test_csv_header_only_when_no_rows(client):
    response = client.post("/api/v1/experiments", json={"name": "empty", "variants": ["A", "B"]})
    experiment_id = response.get_json()["id"]
    response = read(client, experiment_id, headers={"Accept": "text/csv"})
    assert response.get_data(as_text=True) == "date,variant,impressions,conversions\n"
    assert read(client, experiment_id).get_json()["rows"] == []


@pytest.mark.parametrize("query, field", [
    ("?from=2025/01/01", "from"), ("?from=20250101", "from"), ("?from=2025-02-30", "from"),
    ("?from=yesterday", "from"), ("?to=2025-13-01", "to"), ("?from=2025-01-01&to=x", "to"),
    ("?from=2025-W01-1", "from"), ("?limit=5", "limit"),
])
def test_bad_query_is_422(client, query, field):
    experiment_id = setup_data(client)
    assert_problem(client.get(f"/api/v1/experiments/{experiment_id}/data{query}"), 422, field)


def test_unknown_experiment_is_404(client):
    assert_problem(client.get("/api/v1/experiments/31337/data"), 404)
