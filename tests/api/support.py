"""Small helpers shared by the API tests."""

from __future__ import annotations

import json
import math

PROBLEM = "application/problem+json"


def create(client, name="exp", variants=("A", "B"), **fields) -> int:
    response = client.post("/api/v1/experiments", json={"name": name, "variants": list(variants), **fields})
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["id"]


def post_rows(client, experiment_id: int, rows: list[dict]) -> dict:
    response = client.post(f"/api/v1/experiments/{experiment_id}/data", json=rows)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def rows(date: str, **counts) -> list[dict]:
    """Rows of one day: rows('2025-01-01', A=(1000, 100), B=(1000, 110))."""
    return [{"date": date, "variant": name, "impressions": n, "conversions": c}
            for name, (n, c) in counts.items()]


def get_ok(client, path: str) -> dict:
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def assert_problem(response, status: int, *fields: str) -> dict:
    """The response is a problem+json of ``status`` whose errors name every one of ``fields``."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == PROBLEM
    body = response.get_json(force=True)
    assert body["status"] == status
    assert body["type"].startswith("https://")
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    if fields:
        named = [error["field"] for error in body["errors"]]
        for field in fields:
            assert field in named, (field, body["errors"])
    return body


def assert_strict_json(data: bytes) -> None:
    """The body parses without NaN/Infinity and every float in it is finite."""
    def reject(name):
        raise AssertionError(f"{name} in JSON")

    def walk(value):
        if isinstance(value, float):
            assert math.isfinite(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(json.loads(data, parse_constant=reject))
