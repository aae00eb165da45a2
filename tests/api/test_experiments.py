"""POST/GET/PATCH /api/v1/experiments."""

from __future__ import annotations

import datetime as dt

import pytest
from .support import assert_problem

URL = "/api/v1/experiments"
DEFAULT_SETTINGS = {
    "prior_alpha": 1.0, "prior_beta": 1.0, "min_allocation": 0.01, "burn_in_impressions": 100,
    "ucb_batch_size": None, "traffic_window_days": 7, "winner_probability": None,
    "winner_value_remaining": 0.01,
}


def create(client, name="exp", variants=("A", "B"), **extra):
    response = client.post(URL, json={"name": name, "variants": list(variants), **extra})
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def stored(db):
    row = db.execute("SELECT (SELECT count(*) FROM mab.experiments) AS experiments, "
                     "(SELECT count(*) FROM mab.variants) AS variants").fetchone()
    return row["experiments"], row["variants"]


def post_rows(client, experiment_id, rows, mode=None):
    url = f"{URL}/{experiment_id}/data" + (f"?mode={mode}" if mode else "")
    response = client.post(url, json=rows)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


# --- create -----------------------------------------------------------------------------------

def test_create_returns_201_and_location_that_reads_back(client, db):
    response = client.post(URL, json={"name": "checkout", "variants": ["A", "B"]})
    assert response.status_code == 201
    body = response.get_json()
    assert isinstance(body["id"], int)
    location = response.headers["Location"]
    assert location.endswith(f"/api/v1/experiments/{body['id']}")
    read = client.get(location)
    assert read.status_code == 200
    assert read.get_json() == body
    assert stored(db) == (1, 2)


def test_create_defaults(client, db):
    body = create(client, "defaults", ["first", "second", "third"])
    assert body["algorithm"] == "thompson_sampling"
    assert body["control"] == "first"
    assert body["confidence_level"] == 0.95
    assert body["settings"] == DEFAULT_SETTINGS
    assert body["status"] == "running"
    assert body["description"] is None
    assert [v["name"] for v in body["variants"]] == ["first", "second", "third"]
    assert [v["is_control"] for v in body["variants"]] == [True, False, False]
    assert all(v["impressions"] == 0 and v["conversions"] == 0 for v in body["variants"])
    assert body["totals"] == {"impressions": 0, "conversions": 0, "conversion_rate": None,
                              "days_with_data": 0, "first_date": None, "last_date": None}
    row = db.execute("SELECT algorithm, confidence_level, status FROM mab.experiments").fetchone()
    assert row == {"algorithm": "thompson_sampling", "confidence_level": 0.95, "status": "running"}


def test_create_explicit_values(client):
    body = create(client, "explicit", ["A", "B"], algorithm="ucb", control="B", confidence_level=0.9,
                  description="about", settings={"prior_alpha": 2, "min_allocation": 0.2})
    assert body["algorithm"] == "ucb"
    assert body["control"] == "B"
    assert body["confidence_level"] == 0.9
    assert body["description"] == "about"
    assert body["settings"] == {**DEFAULT_SETTINGS, "prior_alpha": 2, "min_allocation": 0.2}
    assert [v["is_control"] for v in body["variants"]] == [False, True]


def test_create_trims_names(client, db):
    body = create(client, "  spaced name \t", [" A ", "B  "], control="  B")
    assert body["name"] == "spaced name"
    assert [v["name"] for v in body["variants"]] == ["A", "B"]
    assert body["control"] == "B"
    assert db.execute("SELECT name FROM mab.experiments").fetchone()["name"] == "spaced name"
    assert [r["name"] for r in db.execute("SELECT name FROM mab.variants ORDER BY position")] == ["A", "B"]


def test_create_accepts_name_of_255_and_variant_of_100_characters(client):
    body = create(client, "n" * 255, ["v" * 100, "B"])
    assert body["name"] == "n" * 255
    assert body["variants"][0]["name"] == "v" * 100


REJECTED = [
    ("missing name", {"variants": ["A", "B"]}, "name"),
    ("empty name", {"name": "", "variants": ["A", "B"]}, "name"),
    ("blank name", {"name": "   ", "variants": ["A", "B"]}, "name"),
    ("name too long", {"name": "n" * 256, "variants": ["A", "B"]}, "name"),
    ("name not a string", {"name": 5, "variants": ["A", "B"]}, "name"),
    ("missing variants", {"name": "x"}, "variants"),
    ("one variant", {"name": "x", "variants": ["A"]}, "variants"),
    ("51 variants", {"name": "x", "variants": [f"v{i}" for i in range(51)]}, "variants"),
    ("duplicate variants after trim", {"name": "x", "variants": ["A", " A "]}, "variants[1]"),
    ("blank variant", {"name": "x", "variants": ["A", "  "]}, "variants[1]"),
    ("variant too long", {"name": "x", "variants": ["A", "v" * 101]}, "variants[1]"),
    ("unknown field", {"name": "x", "variants": ["A", "B"], "colour": "red"}, "colour"),
    ("unknown algorithm", {"name": "x", "variants": ["A", "B"], "algorithm": "epsilon_greedy"}, "algorithm"),
    ("control not a variant", {"name": "x", "variants": ["A", "B"], "control": "C"}, "control"),
    ("confidence 0.4", {"name": "x", "variants": ["A", "B"], "confidence_level": 0.4}, "confidence_level"),
    ("confidence 1.0", {"name": "x", "variants": ["A", "B"], "confidence_level": 1.0}, "confidence_level"),
    ("min_allocation too big", {"name": "x", "variants": ["A", "B", "C"],
                                "settings": {"min_allocation": 0.4}}, "settings.min_allocation"),
    ("unknown setting", {"name": "x", "variants": ["A", "B"], "settings": {"epsilon": 0.1}},
     "settings.epsilon"),
    ("body is an array", [{"name": "x", "variants": ["A", "B"]}], "body"),
]


@pytest.mark.parametrize("body, field", [case[1:] for case in REJECTED], ids=[case[0] for case in REJECTED])
def test_create_rejects(client, db, body, field):
    problem = assert_problem(client.post(URL, json=body), 422, field)
    assert problem["title"] == "Validation failed"
    assert stored(db) == (0, 0)


def test_min_allocation_at_exactly_one_over_k_is_accepted(client):
    body = create(client, "floor", ["A", "B", "C", "D"], settings={"min_allocation": 0.25})
    assert body["settings"]["min_allocation"] == 0.25


@pytest.mark.parametrize("second_name", ["taken", "  taken  "])
def test_create_duplicate_name_is_409(client, db, second_name):
    create(client, "taken", ["A", "B"])
    response = client.post(URL, json={"name": second_name, "variants": ["X", "Y", "Z"]})
    problem = assert_problem(response, 409, "name")
    assert "taken" in problem["detail"]
    assert stored(db) == (1, 2)


def test_create_wrong_content_type_is_415(client, db):
    response = client.post(URL, data='{"name": "x", "variants": ["A", "B"]}', content_type="text/plain")
    assert_problem(response, 415)
    assert stored(db) == (0, 0)


def test_create_malformed_json_is_400(client, db):
    response = client.post(URL, data='{"name": "x", "variants": ["A", "B"]', content_type="application/json")
    assert_problem(response, 400, "body")
    assert stored(db) == (0, 0)


@pytest.mark.parametrize("data", ["", "   \n"])
def test_create_empty_body_is_422(client, db, data):
    response = client.post(URL, data=data, content_type="application/json")
    assert_problem(response, 422, "body")
    assert stored(db) == (0, 0)


# --- list ------------------------------------------------------------------------------------

def test_list_pages_newest_first(client):
    ids = [create(client, f"e{i}")["id"] for i in range(3)]
    first = client.get(f"{URL}?limit=2&offset=0").get_json()
    assert [e["id"] for e in first["experiments"]] == [ids[2], ids[1]]
    assert (first["total"], first["limit"], first["offset"]) == (3, 2, 0)
    second = client.get(f"{URL}?limit=2&offset=2").get_json()
    assert [e["id"] for e in second["experiments"]] == [ids[0]]
    assert second["total"] == 3
    past = client.get(f"{URL}?limit=2&offset=10").get_json()
    assert past["experiments"] == [] and past["total"] == 3
    default = client.get(URL).get_json()
    assert (default["limit"], default["offset"], len(default["experiments"])) == (50, 0, 3)


def test_list_empty(client):
    assert client.get(URL).get_json() == {"experiments": [], "total": 0, "limit": 50, "offset": 0}


def test_list_shows_totals_after_data(client):
    with_data = create(client, "with-data", ["A", "B"])["id"]
    create(client, "without-data")
    post_rows(client, with_data, [
        {"date": "2025-01-01", "variant": "A", "impressions": 100, "conversions": 10},
        {"date": "2025-01-01", "variant": "B", "impressions": 100, "conversions": 20},
        {"date": "2025-01-02", "variant": "A", "impressions": 50, "conversions": 5},
    ])
    listed = {e["name"]: e for e in client.get(URL).get_json()["experiments"]}
    totals = listed["with-data"]["totals"]
    assert totals == {"impressions": 250, "conversions": 35, "conversion_rate": pytest.approx(0.14),
                      "days_with_data": 2, "first_date": "2025-01-01", "last_date": "2025-01-02"}
    a, b = listed["with-data"]["variants"]
    assert (a["name"], a["impressions"], a["conversions"], a["days_with_data"]) == ("A", 150, 15, 2)
    assert a["conversion_rate"] == pytest.approx(0.1)
    assert (a["first_date"], a["last_date"]) == ("2025-01-01", "2025-01-02")
    assert (b["name"], b["impressions"], b["conversions"], b["days_with_data"]) == ("B", 100, 20, 1)
    assert listed["without-data"]["totals"]["impressions"] == 0
    assert client.get(f"{URL}/{with_data}").get_json()["totals"] == totals


def test_list_status_filter(client):
    running = create(client, "running-one")["id"]
    paused = create(client, "paused-one")["id"]
    assert client.patch(f"{URL}/{paused}", json={"status": "paused"}).status_code == 200
    page = client.get(f"{URL}?status=paused").get_json()
    assert [e["id"] for e in page["experiments"]] == [paused] and page["total"] == 1
    page = client.get(f"{URL}?status=running").get_json()
    assert [e["id"] for e in page["experiments"]] == [running] and page["total"] == 1
    page = client.get(f"{URL}?status=archived").get_json()
    assert page["experiments"] == [] and page["total"] == 0


@pytest.mark.parametrize("query, field", [
    ("limit=0", "limit"), ("limit=501", "limit"), ("limit=abc", "limit"), ("limit=1.5", "limit"),
    ("offset=-1", "offset"), ("offset=x", "offset"), ("status=deleted", "status"),
    ("page=2", "page"), ("limit=5&sort=name", "sort"),
])
def test_list_bad_query_is_422(client, query, field):
    assert_problem(client.get(f"{URL}?{query}"), 422, field)


def test_get_unknown_id_is_404(client):
    problem = assert_problem(client.get(f"{URL}/999"), 404)
    assert "999" in problem["detail"]


# --- patch -----------------------------------------------------------------------------------

def test_patch_changes_fields(client, db):
    experiment = create(client, "patched", ["A", "B"])
    url = f"{URL}/{experiment['id']}"
    response = client.patch(url, json={"description": "new text", "algorithm": "ucb", "status": "paused",
                                       "confidence_level": 0.99})
    assert response.status_code == 200
    body = response.get_json()
    assert (body["description"], body["algorithm"], body["status"], body["confidence_level"]) == \
        ("new text", "ucb", "paused", 0.99)
    assert body["name"] == "patched" and body["control"] == "A"
    assert client.get(url).get_json() == body
    row = db.execute("SELECT description, algorithm, status, confidence_level FROM mab.experiments").fetchone()
    assert row == {"description": "new text", "algorithm": "ucb", "status": "paused", "confidence_level": 0.99}
    body = client.patch(url, json={"description": None}).get_json()
    assert body["description"] is None and body["algorithm"] == "ucb"


def test_patch_merges_settings(client, db):
    experiment = create(client, "settings", ["A", "B"],
                        settings={"prior_alpha": 2, "burn_in_impressions": 500})
    body = client.patch(f"{URL}/{experiment['id']}",
                        json={"settings": {"prior_alpha": 3, "ucb_batch_size": 1000}}).get_json()
    expected = {**DEFAULT_SETTINGS, "prior_alpha": 3, "burn_in_impressions": 500, "ucb_batch_size": 1000}
    assert body["settings"] == expected
    assert db.execute("SELECT settings FROM mab.experiments").fetchone()["settings"] == expected


def test_patch_rejects_bad_settings_and_changes_nothing(client, db):
    experiment = create(client, "settings", ["A", "B"], settings={"min_allocation": 0.3})
    url = f"{URL}/{experiment['id']}"
    assert_problem(client.patch(url, json={"settings": {"nope": 1}}), 422, "settings.nope")
    assert_problem(client.patch(url, json={"add_variants": ["C", "D"]}), 422, "settings.min_allocation")
    assert_problem(client.patch(url, json={"confidence_level": 1.0}), 422, "confidence_level")
    assert_problem(client.patch(url, json={"status": "deleted"}), 422, "status")
    assert_problem(client.patch(url, json={"name": "renamed"}), 422, "name")
    assert_problem(client.patch(url, json={}), 422, "body")
    assert client.get(url).get_json() == experiment
    assert stored(db) == (1, 2)


def test_patch_add_variants_appends_in_order_and_keeps_data(client, db):
    experiment_id = create(client, "grow", ["A", "B"])["id"]
    post_rows(client, experiment_id, [
        {"date": "2025-03-01", "variant": "A", "impressions": 40, "conversions": 4},
        {"date": "2025-03-01", "variant": "B", "impressions": 60, "conversions": 9},
    ])
    body = client.patch(f"{URL}/{experiment_id}", json={"add_variants": ["Z", " C "]}).get_json()
    assert [(v["name"], v["is_control"], v["impressions"], v["conversions"]) for v in body["variants"]] == [
        ("A", True, 40, 4), ("B", False, 60, 9), ("Z", False, 0, 0), ("C", False, 0, 0)]
    assert body["control"] == "A"
    assert body["totals"]["impressions"] == 100 and body["totals"]["conversions"] == 13
    positions = db.execute("SELECT name, position FROM mab.variants ORDER BY position").fetchall()
    assert [(r["name"], r["position"]) for r in positions] == [("A", 0), ("B", 1), ("Z", 2), ("C", 3)]
    assert db.execute("SELECT count(*) AS n FROM mab.daily_data").fetchone()["n"] == 2
    # the new variants take data
    post_rows(client, experiment_id, [{"date": "2025-03-01", "variant": "C", "impressions": 5, "conversions": 1}])
    assert client.get(f"{URL}/{experiment_id}").get_json()["variants"][3]["impressions"] == 5


def test_patch_variants_key_is_422(client, db):
    experiment = create(client, "fixed", ["A", "B"])
    url = f"{URL}/{experiment['id']}"
    assert_problem(client.patch(url, json={"variants": ["A", "B", "C"]}), 422, "variants")
    assert client.get(url).get_json() == experiment
    assert stored(db) == (1, 2)


@pytest.mark.parametrize("new, field", [
    (["C", "B"], "add_variants[1]"), ([" A "], "add_variants[0]"), (["C", "C"], "add_variants[1]"),
    (["C", "  "], "add_variants[1]"), ([], "add_variants"), (["v" * 101], "add_variants[0]"),
])
def test_patch_add_existing_or_bad_variant_is_422(client, db, new, field):
    experiment = create(client, "fixed", ["A", "B"])
    url = f"{URL}/{experiment['id']}"
    assert_problem(client.patch(url, json={"add_variants": new, "description": "changed?"}), 422, field)
    assert client.get(url).get_json() == experiment
    assert stored(db) == (1, 2)


def test_patch_add_variants_beyond_50_is_422(client, db):
    experiment = create(client, "many", [f"v{i}" for i in range(48)])
    url = f"{URL}/{experiment['id']}"
    assert_problem(client.patch(url, json={"add_variants": ["x", "y", "z"]}), 422, "add_variants")
    assert stored(db) == (1, 48)
    body = client.patch(url, json={"add_variants": ["x", "y"]}).get_json()
    assert len(body["variants"]) == 50


def test_patch_unknown_id_is_404(client, db):
    assert_problem(client.patch(f"{URL}/424242", json={"description": "x"}), 404)
    assert stored(db) == (0, 0)


def test_patch_moves_updated_at(client, db):
    experiment = create(client, "clock", ["A", "B"])
    before = db.execute("SELECT created_at, updated_at FROM mab.experiments").fetchone()
    body = client.patch(f"{URL}/{experiment['id']}", json={"description": "later"}).get_json()
    after = db.execute("SELECT created_at, updated_at FROM mab.experiments").fetchone()
    assert after["created_at"] == before["created_at"]
    assert after["updated_at"] > before["updated_at"]
    assert dt.datetime.fromisoformat(body["updated_at"]) == after["updated_at"]
    assert dt.datetime.fromisoformat(body["updated_at"]) > dt.datetime.fromisoformat(experiment["updated_at"])
    assert body["created_at"] == experiment["created_at"]


def test_totals_above_bigint_do_not_break_reading(client):
    experiment_id = create(client, "huge", ["A", "B"])["id"]
    post_rows(client, experiment_id, [
        {"date": "2025-01-01", "variant": "A", "impressions": 2**62, "conversions": 0},
        {"date": "2025-01-02", "variant": "A", "impressions": 2**62, "conversions": 0},
    ])
    response = client.get(f"{URL}/{experiment_id}")
    assert response.status_code == 200
    assert response.get_json()["totals"]["impressions"] == 2**63
    assert response.get_json()["variants"][0]["impressions"] == 2**63
    for path in ("allocation", "statistics", "timeseries"):
        assert client.get(f"{URL}/{experiment_id}/{path}").status_code == 200, path
