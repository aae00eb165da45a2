"""Concurrent writes and reads against a real threaded HTTP server."""

from __future__ import annotations

import http.client
import json
import random
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from werkzeug.serving import make_server


@pytest.fixture
def server(app):
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield srv.server_port
    finally:
        srv.shutdown()
        thread.join(10)


def call(port, method, path, body=None, content_type="application/json"):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        headers = {}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = content_type
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        raw = response.read()
        return response.status, json.loads(raw) if raw else None
    finally:
        conn.close()


def create(port, name, variants=("A", "B")):
    status, body = call(port, "POST", "/api/v1/experiments", {"name": name, "variants": list(variants)})
    assert status == 201, body
    return body["id"]


def run_together(jobs, workers):
    """Run the callables at once (released by a barrier); return their results in order."""
    barrier = threading.Barrier(len(jobs))

    def start(job):
        barrier.wait(timeout=30)
        return job()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(start, jobs))


def test_50_concurrent_distinct_rows_with_reads(server, db):
    experiment_id = create(server, "concurrent")
    path = f"/api/v1/experiments/{experiment_id}/data"
    # row i: variant A for i < 25, else B; day i % 25 + 1; impressions 100 + i; conversions i
    writes = [lambda i=i: call(server, "POST", path, {
        "date": f"2025-01-{i % 25 + 1:02d}", "variant": "A" if i < 25 else "B",
        "impressions": 100 + i, "conversions": i}) for i in range(50)]
    reads = [lambda: call(server, "GET", f"/api/v1/experiments/{experiment_id}") for _ in range(15)]
    reads += [lambda: call(server, "GET", path) for _ in range(15)]
    results = run_together(writes + reads, workers=80)

    for status, body in results[:50]:
        assert status == 200, body
        assert (body["rows"], body["inserted"], body["replaced"]) == (1, 1, 0)
    for status, body in results[50:]:
        assert status == 200, body
    for _, body in results[50:65]:
        assert 0 <= body["totals"]["impressions"] <= 6225
    for _, body in results[65:]:
        assert len(body["rows"]) <= 50

    status, experiment = call(server, "GET", f"/api/v1/experiments/{experiment_id}")
    assert status == 200
    # A: sum(100 + i, i = 0..24) = 2500 + 300; B: sum(100 + i, i = 25..49) = 2500 + 925
    assert experiment["totals"]["impressions"] == 6225
    assert experiment["totals"]["conversions"] == 1225
    assert experiment["totals"]["days_with_data"] == 25
    a, b = experiment["variants"]
    assert (a["impressions"], a["conversions"], a["days_with_data"]) == (2800, 300, 25)
    assert (b["impressions"], b["conversions"], b["days_with_data"]) == (3425, 925, 25)
    assert db.execute("SELECT count(*) AS n FROM mab.daily_data").fetchone()["n"] == 50


def test_20_concurrent_adds_of_the_same_row(server, db):
    experiment_id = create(server, "adds")
    path = f"/api/v1/experiments/{experiment_id}/data?mode=add"
    jobs = [lambda: call(server, "POST", path, {"date": "2025-02-01", "variant": "B",
                                                "impressions": 7, "conversions": 3}) for _ in range(20)]
    results = run_together(jobs, workers=20)
    assert all(status == 200 for status, _ in results), results
    assert sum(body["inserted"] for _, body in results) == 1
    assert sum(body["added"] for _, body in results) == 19
    rows = db.execute("SELECT impressions, conversions FROM mab.daily_data").fetchall()
    assert rows == [{"impressions": 140, "conversions": 60}]
    status, experiment = call(server, "GET", f"/api/v1/experiments/{experiment_id}")
    assert (experiment["totals"]["impressions"], experiment["totals"]["conversions"]) == (140, 60)


def test_concurrent_overlapping_batches_in_add_mode(server, db):
    """Batches touching the same 20 rows in different orders must neither deadlock nor lose adds."""
    experiment_id = create(server, "overlap")
    path = f"/api/v1/experiments/{experiment_id}/data?mode=add"
    keys = [(f"2025-03-{day:02d}", variant) for day in range(1, 11) for variant in "AB"]
    batches = []
    for seed in range(12):
        order = keys[:]
        random.Random(seed).shuffle(order)
        batches.append([{"date": d, "variant": v, "impressions": 2, "conversions": 1} for d, v in order])
    results = run_together([lambda b=b: call(server, "POST", path, b) for b in batches], workers=12)
    assert all(status == 200 for status, _ in results), results
    rows = db.execute("SELECT impressions, conversions FROM mab.daily_data").fetchall()
    assert len(rows) == 20
    assert all(r == {"impressions": 24, "conversions": 12} for r in rows), rows
    status, experiment = call(server, "GET", f"/api/v1/experiments/{experiment_id}")
    assert (experiment["totals"]["impressions"], experiment["totals"]["conversions"]) == (480, 240)


def test_20_concurrent_replaces_of_the_same_row_leave_one_of_them(server, db):
    experiment_id = create(server, "replaces")
    path = f"/api/v1/experiments/{experiment_id}/data"
    jobs = [lambda i=i: call(server, "POST", path, {"date": "2025-02-01", "variant": "A",
                                                    "impressions": 100 + i, "conversions": i})
            for i in range(20)]
    results = run_together(jobs, workers=20)
    assert all(status == 200 for status, _ in results), results
    assert sum(body["inserted"] for _, body in results) == 1
    assert sum(body["replaced"] for _, body in results) == 19
    rows = db.execute("SELECT impressions, conversions FROM mab.daily_data").fetchall()
    assert len(rows) == 1
    assert rows[0]["impressions"] - rows[0]["conversions"] == 100
    assert 0 <= rows[0]["conversions"] < 20
