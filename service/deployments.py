"""The deployment history: the splits tools actually put live, each from a date on.

The SRM check and the stratified estimator's expected shares come from this history (equal
split before the first record)."""

from __future__ import annotations

import datetime as dt
import math

import psycopg

from .db import fetch_all, fetch_one, query
from .errors import field_error, validation_problem

_TOLERANCE = 0.01  # percent points: what rounding to two decimals can leave


def record(conn: psycopg.Connection, experiment_id: int, body: dict) -> dict:
    """Store a validated deployment body; every variant not named gets 0 %."""
    variants = fetch_all(conn, "variant_names", {"experiment_id": experiment_id})
    known = {row["name"]: row["id"] for row in variants}
    errors = []
    try:
        day = dt.date.fromisoformat(body["effective_date"])
    except ValueError:
        errors.append(field_error("effective_date", f"{body['effective_date']} is not a real date"))
    percents = {}
    for name, percent in body["allocations"].items():
        if name.strip() not in known:
            errors.append(field_error(f"allocations.{name}", "is not a variant of this experiment"))
        elif name.strip() in percents:
            errors.append(field_error(f"allocations.{name}", f"names {name.strip()!r} a second time"))
        else:
            percents[name.strip()] = float(percent)
    total = math.fsum(percents.values())
    if not errors and abs(total - 100) > _TOLERANCE:
        errors.append(field_error("allocations", f"must sum to 100 (they sum to {total:g})"))
    if errors:
        raise validation_problem(errors)
    with conn.transaction():
        created = fetch_one(conn, "insert_deployment", {"experiment_id": experiment_id,
                                                        "effective_date": day, "note": body.get("note")})
        conn.execute(query("insert_deployment_shares"), {
            "deployment_id": created["id"],
            "variant_ids": [row["id"] for row in variants],
            # Normalised so that the stored shares sum to exactly 1.
            "shares": [percents.get(row["name"], 0.0) / total for row in variants],
        })
    return next(d for d in history(conn, experiment_id) if d["id"] == created["id"])


def history(conn: psycopg.Connection, experiment_id: int) -> list[dict]:
    """Every recorded deployment, oldest effective date first."""
    return fetch_all(conn, "deployments", {"experiment_id": experiment_id})
