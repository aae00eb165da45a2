"""Experiments and their variants: create, read, list, change. Each function takes a connection
inside the caller's transaction and raises ``Problem`` for what the caller must fix."""

from __future__ import annotations

import psycopg
from psycopg.types.json import Jsonb

from .db import fetch_all, fetch_one, query
from .errors import Problem, field_error, not_found, validation_problem
from .schemas import EXPERIMENT_CREATE, EXPERIMENT_PATCH, SETTINGS, SETTINGS_DEFAULTS, schema_errors


_INTEGER_SETTINGS = {name for name, spec in SETTINGS["properties"].items() if "integer" in spec["type"]}


def complete_settings(stored: dict | None) -> dict:
    """Stored settings over the defaults, so that settings added later have values too.
    Whole numbers sent as 7.0 (valid JSON Schema integers) are kept as integers."""
    settings = {**SETTINGS_DEFAULTS, **(stored or {})}
    for name in _INTEGER_SETTINGS:
        if isinstance(settings[name], float) and settings[name].is_integer():
            settings[name] = int(settings[name])
    return settings


def _check_min_allocation(settings: dict, variant_count: int, field: str) -> list[dict]:
    floor = settings["min_allocation"]
    if not isinstance(floor, (int, float)) or isinstance(floor, bool) or variant_count == 0:
        return []  # a type error the schema check reports
    if floor * variant_count > 1 + 1e-12:
        return [field_error(field, f"{floor:g} × {variant_count} variants exceeds 100 % of the traffic; "
                                   f"use at most {1 / variant_count:.4g}")]
    return []


def _trimmed_unique(names, field: str, taken: set[str] = frozenset()) -> tuple[list[str], list[dict]]:
    errors, seen, cleaned = [], set(taken), []
    for index, raw in enumerate(names if isinstance(names, list) else []):
        if not isinstance(raw, str):
            continue  # a type error the schema check reports
        name = raw.strip()
        if raw and not name:  # an empty string is the schema's to report
            errors.append(field_error(f"{field}[{index}]", "must not be blank"))
        elif name in seen:
            errors.append(field_error(f"{field}[{index}]", f"duplicates the variant {name!r}"))
        seen.add(name)
        cleaned.append(name)
    return cleaned, errors


def create_experiment(conn: psycopg.Connection, body) -> int:
    """Validate and insert a creation body; return the new id (409 when the name is taken).

    Every problem is reported at once: the schema's and the checks across fields (unique
    variants after trimming, the control among them, the floor times the number of variants).
    """
    errors = schema_errors(EXPERIMENT_CREATE, body)
    if not isinstance(body, dict):
        raise validation_problem(errors)
    name = body.get("name").strip() if isinstance(body.get("name"), str) else ""
    if body.get("name") and isinstance(body["name"], str) and not name:
        errors.append(field_error("name", "must not be blank"))
    variants, variant_errors = _trimmed_unique(body.get("variants"), "variants")
    errors += variant_errors
    control = body.get("control")
    if isinstance(control, str) and control.strip() not in variants and variants:
        errors.append(field_error("control", f"{control.strip()!r} is not one of the variants"))
    control = control.strip() if isinstance(control, str) else (variants[0] if variants else None)
    settings = complete_settings(body.get("settings") if isinstance(body.get("settings"), dict) else None)
    errors += _check_min_allocation(settings, len(variants), "settings.min_allocation")
    if errors:
        raise validation_problem(errors)
    try:
        with conn.transaction():
            row = fetch_one(conn, "insert_experiment", {
                "name": name,
                "description": body.get("description"),
                "algorithm": body.get("algorithm", "thompson_sampling"),
                "confidence_level": body.get("confidence_level", 0.95),
                "settings": Jsonb(settings),
            })
            conn.execute(query("insert_variants"), {"experiment_id": row["id"], "names": variants,
                                                  "control": control})
    except psycopg.errors.UniqueViolation:
        raise Problem(409, "Conflict", f"An experiment named {name!r} already exists.",
                      errors=[field_error("name", "is already taken")], slug="conflict") from None
    return row["id"]


def experiment_page(conn: psycopg.Connection, *, limit: int, offset: int,
                    status: str | None = None) -> tuple[list[dict], int]:
    """(experiments, total matching) for one page, each experiment as the API shows it."""
    rows = fetch_all(conn, "experiment_page", {"id": None, "status": status,
                                               "limit": limit, "offset": offset})
    if rows:
        total = rows[0]["total_count"]
    else:
        total = fetch_one(conn, "experiment_count", {"status": status})["total"]
    return [_present(row) for row in rows], total


def get_experiment(conn: psycopg.Connection, experiment_id: int) -> dict:
    """One experiment as the API shows it, with per-variant totals; 404 when unknown."""
    rows = fetch_all(conn, "experiment_page", {"id": experiment_id, "status": None,
                                               "limit": 1, "offset": 0})
    if not rows:
        raise not_found(f"Experiment {experiment_id}")
    return _present(rows[0])


def experiment_core(conn: psycopg.Connection, experiment_id: int) -> dict:
    """The experiment's row with complete settings and control name; 404 when unknown."""
    row = fetch_one(conn, "experiment_core", {"id": experiment_id})
    if row is None:
        raise not_found(f"Experiment {experiment_id}")
    row["settings"] = complete_settings(row["settings"])
    return row


def _present(row: dict) -> dict:
    return {
        "id": row["id"],
        "name": row["name"],
        "description": row["description"],
        "algorithm": row["algorithm"],
        "control": row["control"],
        "confidence_level": row["confidence_level"],
        "settings": complete_settings(row["settings"]),
        "status": row["status"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "totals": {
            "impressions": row["impressions"],
            "conversions": row["conversions"],
            "conversion_rate": (row["conversions"] / row["impressions"]) if row["impressions"] else None,
            "days_with_data": row["days_with_data"],
            "first_date": row["first_date"],
            "last_date": row["last_date"],
        },
        "variants": row["variants"] or [],
    }


def update_experiment(conn: psycopg.Connection, experiment_id: int, body) -> None:
    """Validate and apply a PATCH body: changed fields, merged settings, appended variants."""
    if isinstance(body, dict) and "variants" in body:
        raise validation_problem([field_error(
            "variants", "variants cannot be replaced or removed; use add_variants to append new ones")])
    errors = schema_errors(EXPERIMENT_PATCH, body)
    if errors:
        raise validation_problem(errors)
    with conn.transaction():
        current = fetch_one(conn, "lock_experiment", {"id": experiment_id})
        if current is None:
            raise not_found(f"Experiment {experiment_id}")
        existing = [row["name"] for row in fetch_all(conn, "variant_names", {"experiment_id": experiment_id})]
        new_names, errors = _trimmed_unique(body.get("add_variants", []), "add_variants", set(existing))
        if len(existing) + len(new_names) > 50:
            errors.append(field_error("add_variants", f"an experiment has at most 50 variants; "
                                                      f"it has {len(existing)}"))
        settings = complete_settings(current["settings"])
        settings.update(body.get("settings", {}))
        errors += _check_min_allocation(settings, len(existing) + len(new_names),
                                        "settings.min_allocation")
        if errors:
            raise validation_problem(errors)
        conn.execute(query("update_experiment"), {
            "id": experiment_id,
            "description": body.get("description", current["description"]),
            "algorithm": body.get("algorithm", current["algorithm"]),
            "status": body.get("status", current["status"]),
            "confidence_level": body.get("confidence_level", current["confidence_level"]),
            "settings": Jsonb(settings),
        })
        if new_names:
            conn.execute(query("insert_variants"), {"experiment_id": experiment_id, "names": new_names,
                                                  "control": None})


def lock_for_data(conn: psycopg.Connection, experiment_id: int) -> None:
    """Hold the experiment's status until the transaction ends, and refuse data for an
    archived experiment (409) or an unknown one (404). Writers of data do not block each other;
    archiving waits for the writes in flight and stops later ones."""
    row = fetch_one(conn, "share_lock_experiment", {"id": experiment_id})
    if row is None:
        raise not_found(f"Experiment {experiment_id}")
    if row["status"] == "archived":
        raise Problem(409, "Experiment archived",
                      f"Experiment {experiment_id} is archived and takes no more data; "
                      "PATCH its status to reopen it.", slug="experiment-archived")


def resolve_experiment(conn: psycopg.Connection, key: str) -> int | None:
    """An experiment id from a name or a numeric id (for the CLI); None when unknown."""
    row = fetch_one(conn, "experiment_id_by_name", {"name": key.strip()})
    if row:
        return row["id"]
    if key.isdigit() and fetch_one(conn, "experiment_core", {"id": int(key)}):
        return int(key)
    return None
