"""POST /api/v1/experiments/{id}/data."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from service import create_app
from .support import assert_problem

MAX = 2**63 - 1
TODAY = dt.datetime.now(dt.timezone.utc).date()


def create(client, name="exp", variants=("A", "B")):
    response = client.post("/api/v1/experiments", json={"name": name, "variants": list(variants)})
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["id"]


def url(experiment_id, mode=None):
    return f"/api/v1/experiments/{experiment_id}/data" + (f"?mode={mode}" if mode else "")


def row(date="2025-01-01", variant="A", impressions=100, conversions=10, **extra):
    return {"date": date, "variant": variant, "impressions": impressions, "conversions": conversions, **extra}


def post(client, experiment_id, body, mode=None):
    return client.post(url(experiment_id, mode), json=body)


def post_csv(client, experiment_id, text, mode=None):
    return client.post(url(experiment_id, mode), data=text.encode(), content_type="text/csv")


def ok(response):
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def stored(db):
    """Every stored row as (date, variant, impressions, conversions), sorted."""
    return [(r["date"].isoformat(), r["name"], r["impressions"], r["conversions"]) for r in db.execute(
        "SELECT d.date, v.name, d.impressions, d.conversions FROM mab.daily_data d "
        "JOIN mab.variants v ON v.id = d.variant_id ORDER BY d.date, v.position")]


def errors_by_index(problem):
    found = {}
    for error in problem["errors"]:
        found.setdefault(error.get("index"), set()).add(error["field"])
    return found


# --- accepted --------------------------------------------------------------------------------

def test_single_object(client, db):
    experiment_id = create(client)
    body = ok(post(client, experiment_id, row()))
    assert body == {"mode": "replace", "rows": 1, "inserted": 1, "replaced": 0, "added": 0}
    assert stored(db) == [("2025-01-01", "A", 100, 10)]


def test_array(client, db):
    experiment_id = create(client)
    body = ok(post(client, experiment_id, [row("2025-01-02", "B", 7, 0), row("2025-01-01", "A", 100, 10),
                                           row("2025-01-01", " B ", 50, 50)]))
    assert body == {"mode": "replace", "rows": 3, "inserted": 3, "replaced": 0, "added": 0}
    assert stored(db) == [("2025-01-01", "A", 100, 10), ("2025-01-01", "B", 50, 50), ("2025-01-02", "B", 7, 0)]


def test_csv_columns_in_any_order(client, db):
    experiment_id = create(client)
    text = ("Conversions, variant ,date,impressions\r\n"
            "3,A,2025-01-01,30\r\n"
            "\r\n"
            " 4 , B ,2025-01-02, 40\r\n")
    body = ok(post_csv(client, experiment_id, text))
    assert body == {"mode": "replace", "rows": 2, "inserted": 2, "replaced": 0, "added": 0}
    assert stored(db) == [("2025-01-01", "A", 30, 3), ("2025-01-02", "B", 40, 4)]


def test_csv_with_bom_and_charset(client, db):
    experiment_id = create(client)
    response = client.post(url(experiment_id), data="\ufeffdate,variant,impressions,conversions\n"
                                                    "2025-01-01,A,9,1\n".encode(),
                           content_type="text/csv; charset=utf-8")
    assert ok(response)["inserted"] == 1
    assert stored(db) == [("2025-01-01", "A", 9, 1)]


def test_same_row_twice_is_replaced(client, db):
    experiment_id = create(client)
    ok(post(client, experiment_id, row(impressions=100, conversions=10)))
    body = ok(post(client, experiment_id, row(impressions=80, conversions=2)))
    assert body == {"mode": "replace", "rows": 1, "inserted": 0, "replaced": 1, "added": 0}
    assert stored(db) == [("2025-01-01", "A", 80, 2)]
    assert db.execute("SELECT count(*) AS n FROM mab.daily_data").fetchone()["n"] == 1


def test_replace_counts_inserted_and_replaced(client, db):
    experiment_id = create(client)
    ok(post(client, experiment_id, [row("2025-01-01", "A", 10, 1), row("2025-01-01", "B", 10, 1)]))
    body = ok(post(client, experiment_id, [row("2025-01-01", "B", 20, 2), row("2025-01-02", "A", 30, 3)]))
    assert (body["inserted"], body["replaced"], body["added"]) == (1, 1, 0)
    assert stored(db) == [("2025-01-01", "A", 10, 1), ("2025-01-01", "B", 20, 2), ("2025-01-02", "A", 30, 3)]


def test_add_mode_sums(client, db):
    experiment_id = create(client)
    ok(post(client, experiment_id, row(impressions=100, conversions=10)))
    body = ok(post(client, experiment_id, [row(impressions=50, conversions=5),
                                           row("2025-01-02", "B", 8, 1)], mode="add"))
    assert body == {"mode": "add", "rows": 2, "inserted": 1, "replaced": 0, "added": 1}
    ok(post_csv(client, experiment_id, "date,variant,impressions,conversions\n2025-01-01,A,1,1\n", mode="add"))
    assert stored(db) == [("2025-01-01", "A", 151, 16), ("2025-01-02", "B", 8, 1)]


def test_counts_at_the_limits_are_accepted(client, db):
    experiment_id = create(client)
    ok(post(client, experiment_id, [row("2025-01-01", "A", MAX, MAX), row("2025-01-01", "B", 0, 0),
                                    row("2025-01-02", "A", 5.0, 0)]))
    ok(post_csv(client, experiment_id, f"date,variant,impressions,conversions\n2025-01-02,B,{MAX},0\n"))
    assert stored(db) == [("2025-01-01", "A", MAX, MAX), ("2025-01-01", "B", 0, 0),
                          ("2025-01-02", "A", 5, 0), ("2025-01-02", "B", MAX, 0)]


def test_tomorrow_utc_is_accepted(client, db):
    experiment_id = create(client)
    tomorrow = (TODAY + dt.timedelta(days=1)).isoformat()
    ok(post(client, experiment_id, row(tomorrow)))
    assert stored(db) == [(tomorrow, "A", 100, 10)]


# --- rejected rows ---------------------------------------------------------------------------

BAD_ROWS = [
    ("unknown variant", row(variant="Z"), "variant"),
    ("blank variant", row(variant="  "), "variant"),
    ("variant not a string", row(variant=1), "variant"),
    ("conversions above impressions", row(impressions=5, conversions=6), "conversions"),
    ("negative impressions", row(impressions=-1, conversions=0), "impressions"),
    ("negative conversions", row(conversions=-1), "conversions"),
    ("fractional count", row(impressions=1.5), "impressions"),
    ("count as string", row(impressions="10"), "impressions"),
    ("count null", row(conversions=None), "conversions"),
    ("boolean count", row(conversions=True), "conversions"),
    ("count above bigint", row(impressions=2**63, conversions=0), "impressions"),
    ("huge float count", row(impressions=1e30, conversions=0), "impressions"),
    ("slashed date", row(date="2025/01/01"), "date"),
    ("compact date", row(date="20250101"), "date"),
    ("impossible date", row(date="2025-02-30"), "date"),
    ("numeric date", row(date=20250101), "date"),
    ("date with time", row(date="2025-01-01T00:00:00"), "date"),
    ("date two days ahead", row(date=(TODAY + dt.timedelta(days=2)).isoformat()), "date"),
    ("missing field", {"date": "2025-01-01", "variant": "A", "impressions": 1}, "conversions"),
    ("unknown field", row(clicks=3), "clicks"),
]


@pytest.mark.parametrize("bad, field", [c[1:] for c in BAD_ROWS], ids=[c[0] for c in BAD_ROWS])
def test_bad_single_row(client, db, bad, field):
    experiment_id = create(client)
    ok(post(client, experiment_id, row("2024-12-31", "B", 1, 1)))
    problem = assert_problem(post(client, experiment_id, bad), 422, field)
    assert all("index" not in error for error in problem["errors"])
    assert stored(db) == [("2024-12-31", "B", 1, 1)]


@pytest.mark.parametrize("bad, field", [c[1:] for c in BAD_ROWS], ids=[c[0] for c in BAD_ROWS])
def test_bad_row_in_batch_is_named_by_index(client, db, bad, field):
    experiment_id = create(client)
    ok(post(client, experiment_id, row("2024-12-31", "B", 1, 1)))
    good = row("2024-12-30", "A", 3, 1)
    problem = assert_problem(post(client, experiment_id, [good, bad]), 422, field)
    assert errors_by_index(problem).keys() == {1}
    assert field in errors_by_index(problem)[1]
    assert "nothing was stored" in problem["detail"]
    assert stored(db) == [("2024-12-31", "B", 1, 1)]


def test_duplicate_date_and_variant_in_batch(client, db):
    experiment_id = create(client)
    problem = assert_problem(post(client, experiment_id, [row(), row("2025-01-02"), row(variant=" A ")]),
                             422, "date")
    assert errors_by_index(problem) == {2: {"date"}}
    assert stored(db) == []


def test_every_bad_row_is_listed(client, db):
    experiment_id = create(client)
    ok(post(client, experiment_id, row("2024-12-31", "B", 1, 1)))
    batch = [
        row("2025-01-01", "Z"),                          # 0: unknown variant
        row("2025-01-02"),                               # 1: fine
        row("2025-01-03", impressions=1, conversions=2),  # 2: conversions > impressions
        row("2025-01-04"),                               # 3: fine
        row("2025/01/05", impressions=-5),               # 4: date and impressions
        "not a row",                                     # 5: not an object
    ]
    problem = assert_problem(post(client, experiment_id, batch), 422)
    assert errors_by_index(problem) == {0: {"variant"}, 2: {"conversions"}, 4: {"date", "impressions"},
                                        5: {"row"}}
    assert problem["detail"].startswith("4 of 6 rows are invalid")
    assert stored(db) == [("2024-12-31", "B", 1, 1)]


@pytest.mark.parametrize("body, field", [([], "body"), ("row", "body"), (5, "body"), (None, "body")])
def test_body_that_is_not_rows(client, db, body, field):
    experiment_id = create(client)
    assert_problem(client.post(url(experiment_id), data=json.dumps(body), content_type="application/json"),
                   422, field)
    assert stored(db) == []


@pytest.mark.parametrize("content_type", ["application/json", "text/csv"])
def test_empty_body(client, db, content_type):
    experiment_id = create(client)
    assert_problem(client.post(url(experiment_id), data=b"", content_type=content_type), 422, "body")
    assert_problem(client.post(url(experiment_id), data=b" \n ", content_type=content_type), 422, "body")
    assert stored(db) == []


def test_malformed_json_is_400(client, db):
    experiment_id = create(client)
    assert_problem(client.post(url(experiment_id), data=b'[{"date": ', content_type="application/json"),
                   400, "body")
    assert_problem(client.post(url(experiment_id), data=b'{"date": "2025-01-01", "variant": "A", '
                                                       b'"impressions": NaN, "conversions": 0}',
                               content_type="application/json"), 400, "body")
    assert stored(db) == []


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_wrong_content_type_is_415(client, db, content_type):
    experiment_id = create(client)
    kwargs = {"content_type": content_type} if content_type else {}
    response = client.post(url(experiment_id), data=json.dumps(row()).encode(), **kwargs)
    assert_problem(response, 415)
    assert stored(db) == []


def test_body_over_the_limit_is_413(db_url, db):
    app = create_app({"DATABASE_URL": db_url, "MAB_POOL_MIN_SIZE": 1, "MAB_POOL_MAX_SIZE": 2,
                      "MAB_LOG_LEVEL": "WARNING", "MAB_MAX_BODY_BYTES": 2000})
    try:
        client = app.test_client()
        experiment_id = create(client)
        small = [row(f"2025-01-{day:02d}") for day in range(1, 3)]
        assert len(json.dumps(small)) < 2000
        ok(post(client, experiment_id, small))
        big = [row(f"2025-01-{day:02d}", variant) for day in range(1, 29) for variant in "AB"]
        assert len(json.dumps(big)) > 2000
        assert_problem(post(client, experiment_id, big), 413)
        csv_text = "date,variant,impressions,conversions\n" + "2025-02-01,A,1,1\n" * 200
        assert_problem(post_csv(client, experiment_id, csv_text), 413)
        assert stored(db) == [("2025-01-01", "A", 100, 10), ("2025-01-02", "A", 100, 10)]
    finally:
        app.extensions["mab_db"].close()


def test_unknown_mode_and_query_parameter(client, db):
    experiment_id = create(client)
    assert_problem(post(client, experiment_id, row(), mode="sum"), 422, "mode")
    assert_problem(client.post(url(experiment_id) + "?dry_run=1", json=row()), 422, "dry_run")
    assert stored(db) == []


# --- CSV rejections ---------------------------------------------------------------------------

@pytest.mark.parametrize("text, field", [
    ("date,variant,impressions\n2025-01-01,A,1\n", "conversions"),
    ("date,variant,impressions,conversions,clicks\n2025-01-01,A,1,1,1\n", "clicks"),
    ("date,variant,impressions,conversions,date\n2025-01-01,A,1,1,2025-01-01\n", "header"),
    ("date,variant,impressions,conversions\n", "body"),
    ("date,variant,impressions,conversions\n\n\n", "body"),
])
def test_csv_bad_header(client, db, text, field):
    experiment_id = create(client)
    assert_problem(post_csv(client, experiment_id, text), 422, field)
    assert stored(db) == []


def test_csv_bad_rows_are_named_by_index_and_line(client, db):
    experiment_id = create(client)
    ok(post(client, experiment_id, row("2024-12-31", "B", 1, 1)))
    text = ("date,variant,impressions,conversions\n"
            "2025-01-01,A,10,1\n"        # index 0, line 2: fine
            "2025-01-02,A,10\n"          # index 1, line 3: too few cells
            "\n"                          # blank, skipped
            "2025-01-03,A,1.5,1\n"       # index 2, line 5: not whole
            "2025-01-04,A,-3,0\n"        # index 3, line 6: negative
            "2025-01-05,A,,0\n"          # index 4, line 7: missing
            "2025-01-06,A,10,1,extra\n"  # index 5, line 8: too many cells
            f"2025-01-07,A,{2**63},0\n"  # index 6, line 9: above bigint
            "2025-01-08,B,5,6\n")        # index 7, line 10: conversions > impressions
    problem = assert_problem(post_csv(client, experiment_id, text), 422)
    by_index = {e["index"]: (e["field"], e["line"]) for e in problem["errors"]}
    assert by_index == {1: ("row", 3), 2: ("impressions", 5), 3: ("impressions", 6), 4: ("impressions", 7),
                        5: ("row", 8), 6: ("impressions", 9), 7: ("conversions", 10)}
    assert stored(db) == [("2024-12-31", "B", 1, 1)]


def test_csv_count_with_thousands_of_digits_is_422(client, db):
    experiment_id = create(client)
    text = "date,variant,impressions,conversions\n2025-01-01,A," + "9" * 5000 + ",0\n"
    assert_problem(post_csv(client, experiment_id, text), 422, "impressions")
    assert stored(db) == []


def test_csv_not_utf8_is_400(client, db):
    experiment_id = create(client)
    response = client.post(url(experiment_id), data=b"date,variant,impressions,conversions\n2025-01-01,\xff,1,1\n",
                           content_type="text/csv")
    assert_problem(response, 400)
    assert stored(db) == []


# --- experiment state -------------------------------------------------------------------------

def test_archived_experiment_is_409(client, db):
    experiment_id = create(client)
    ok(post(client, experiment_id, row("2024-12-31")))
    assert client.patch(f"/api/v1/experiments/{experiment_id}", json={"status": "archived"}).status_code == 200
    assert_problem(post(client, experiment_id, row("2025-01-01")), 409)
    assert_problem(post_csv(client, experiment_id, "date,variant,impressions,conversions\n2025-01-01,A,1,1\n"), 409)
    assert stored(db) == [("2024-12-31", "A", 100, 10)]
    assert client.patch(f"/api/v1/experiments/{experiment_id}", json={"status": "running"}).status_code == 200
    ok(post(client, experiment_id, row("2025-01-01")))


def test_paused_experiment_takes_data(client, db):
    experiment_id = create(client)
    assert client.patch(f"/api/v1/experiments/{experiment_id}", json={"status": "paused"}).status_code == 200
    ok(post(client, experiment_id, row()))
    assert stored(db) == [("2025-01-01", "A", 100, 10)]


def test_unknown_experiment_is_404(client, db):
    assert_problem(post(client, 4242, row()), 404)
    assert_problem(post_csv(client, 4242, "date,variant,impressions,conversions\n2025-01-01,A,1,1\n"), 404)
    assert stored(db) == []


def test_rows_of_another_experiments_variant_are_rejected(client, db):
    first = create(client, "first", ["A", "B"])
    second = create(client, "second", ["C", "D"])
    assert_problem(post(client, first, row(variant="C")), 422, "variant")
    ok(post(client, second, row(variant="C")))
    assert stored(db) == [("2025-01-01", "C", 100, 10)]


def test_add_mode_overflow_is_422_and_changes_nothing(client, db):
    experiment_id = create(client)
    ok(post(client, experiment_id, [row("2025-01-01", "A", MAX - 10, 0), row("2025-01-01", "B", 5, 5)]))
    problem = assert_problem(post(client, experiment_id, [row("2025-01-01", "B", 1, 1),
                                                          row("2025-01-01", "A", 11, 0)], mode="add"),
                             422, "impressions")
    assert {e.get("index") for e in problem["errors"]} == {1}
    assert stored(db) == [("2025-01-01", "A", MAX - 10, 0), ("2025-01-01", "B", 5, 5)]
    # exactly the maximum still fits
    body = ok(post(client, experiment_id, row("2025-01-01", "A", 10, 0), mode="add"))
    assert body["added"] == 1
    assert stored(db) == [("2025-01-01", "A", MAX, 0), ("2025-01-01", "B", 5, 5)]
