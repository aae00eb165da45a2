"""Benchmarks of the decision engine: exact P(best) by arm count and scale, and the HTTP
allocation and data-write paths against a real PostgreSQL.

    DATABASE_URL=postgresql://postgres@127.0.0.1/postgres python bench/bench_allocation.py

Prints figures; it asserts nothing. Targets: allocation for 2 arms well under 10 ms of
computation, 50 arms under 300 ms; a 10,000-row batch stored in under a second.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from service import create_app  # noqa: E402
from service.migrate import migrate  # noqa: E402
from service.stats.beta import BetaPosterior, probability_best  # noqa: E402


def timed(fn, repeat=7) -> float:
    """Median milliseconds of ``fn(i)`` over ``repeat`` calls."""
    samples = []
    for i in range(repeat):
        start = time.perf_counter()
        fn(i)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def bench_probability_best():
    cases = {
        "2 arms, 1e3 impressions": [BetaPosterior(31, 971), BetaPosterior(41, 961)],
        "2 arms, 1e9 impressions": [BetaPosterior(1 + 1e6, 1 + 1e9 - 1e6), BetaPosterior(1 + 1.001e6, 1 + 1e9 - 1.001e6)],
        "10 arms, 1e5 impressions": [BetaPosterior(1 + 1000 + 10 * k, 1 + 99000 - 10 * k) for k in range(10)],
        "50 arms, 1e5 impressions": [BetaPosterior(1 + 1000 + 3 * k, 1 + 99000 - 3 * k) for k in range(50)],
        "50 arms, 1e9 impressions": [BetaPosterior(1 + 2e7 + 300 * k, 1 + 9.8e8 - 300 * k) for k in range(50)],
    }
    for name, posteriors in cases.items():
        # Shifting every alpha a little per call defeats the per-arm quantile cache: first calls.
        cold = timed(lambda i: probability_best([BetaPosterior(p.alpha + 1e-6 * (i + 1), p.beta)
                                                 for p in posteriors]))
        warm = timed(lambda i: probability_best(posteriors))
        print(f"probability_best  {name:28s} {cold:8.2f} ms first call, {warm:8.2f} ms repeated")


def bench_http(url: str):
    name = f"mab_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    db_url = psycopg.conninfo.make_conninfo(url, dbname=name)
    try:
        migrate(db_url, log=lambda _: None)
        app = create_app({"DATABASE_URL": db_url, "MAB_LOG_LEVEL": "WARNING"})
        client = app.test_client()
        variants = [f"v{k}" for k in range(50)]
        experiment_id = client.post("/api/v1/experiments", json={"name": "bench", "variants": variants}).get_json()["id"]
        start_day = dt.date(2024, 1, 1)
        rows = [{"date": (start_day + dt.timedelta(days=d)).isoformat(), "variant": v,
                 "impressions": 1000, "conversions": 20 + k % 7}
                for d in range(200) for k, v in enumerate(variants)]
        start = time.perf_counter()
        response = client.post(f"/api/v1/experiments/{experiment_id}/data", json=rows)
        elapsed = (time.perf_counter() - start) * 1000
        assert response.status_code == 200, response.get_data(as_text=True)
        print(f"POST data          {len(rows)} rows (50 variants x 200 days)   {elapsed:8.1f} ms")
        for query in ("", "?estimator=pooled", "?algorithm=ucb"):
            ms = timed(lambda i: client.get(f"/api/v1/experiments/{experiment_id}/allocation{query}"), repeat=5)
            print(f"GET allocation{query:20s} 50 variants x 200 days   {ms:8.1f} ms")
        ms = timed(lambda i: client.get(f"/api/v1/experiments/{experiment_id}/statistics"), repeat=3)
        print(f"GET statistics                  50 variants x 200 days   {ms:8.1f} ms")
        ms = timed(lambda i: client.get(f"/api/v1/experiments/{experiment_id}/timeseries"), repeat=3)
        print(f"GET timeseries                  50 variants x 200 days   {ms:8.1f} ms")
        app.extensions["mab_db"].close()
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    bench_probability_best()
    if os.environ.get("DATABASE_URL"):
        bench_http(os.environ["DATABASE_URL"])
    else:
        print("DATABASE_URL unset: skipping the HTTP benchmarks")
