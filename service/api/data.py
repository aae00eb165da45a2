"""/api/v1/experiments/{id}/data: write and read daily per-variant counts."""

from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, request

from .. import daily_data, experiments
from ..db import fetch_all
from ..errors import field_error
from . import database
from .requests import (body_text, json_body, query_choice, query_date, query_problem,
                       reject_unknown_params, require_content_type)

bp = Blueprint("data", __name__)


@bp.post("/experiments/<experiment_id:experiment_id>/data")
def write(experiment_id: int):
    reject_unknown_params("mode")
    mode = query_choice("mode", "replace", daily_data.MODES)
    mimetype = require_content_type("application/json", "text/csv")
    if mimetype == "text/csv":
        raw_rows, lines = daily_data.rows_from_csv(body_text())
        batch = True
    else:
        raw_rows, batch = daily_data.rows_from_json(json_body())
        lines = None
    with database().connection() as conn:
        experiments.lock_for_data(conn, experiment_id)
        variant_ids = {row["name"]: row["id"]
                       for row in fetch_all(conn, "variant_names", {"experiment_id": experiment_id})}
        rows = daily_data.validate_rows(raw_rows, variant_ids, batch=batch, lines=lines)
        result = daily_data.store_rows(conn, experiment_id, rows, variant_ids, mode)
    return {"mode": mode, "rows": len(rows), "inserted": result.inserted,
            "replaced": result.replaced, "added": result.added}


@bp.get("/experiments/<experiment_id:experiment_id>/data")
def read(experiment_id: int):
    reject_unknown_params("from", "to", "variant")
    start, end = query_date("from"), query_date("to")
    variant = request.args.get("variant") or None
    with database().connection() as conn:
        experiments.experiment_core(conn, experiment_id)
        names = [r["name"] for r in fetch_all(conn, "variant_names", {"experiment_id": experiment_id})]
        if variant is not None and variant not in names:
            raise query_problem([field_error("variant", f"{variant!r} is not a variant of this "
                                                        f"experiment (variants: {', '.join(names)})")])
        rows = fetch_all(conn, "daily_rows", {"experiment_id": experiment_id, "from": start,
                                              "to": end, "variant": variant})
    if request.accept_mimetypes.best_match(["application/json", "text/csv"]) == "text/csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(daily_data.CSV_COLUMNS)
        for row in rows:
            writer.writerow([row["date"].isoformat(), row["variant"], row["impressions"], row["conversions"]])
        return Response(out.getvalue(), mimetype="text/csv")
    return {"experiment_id": experiment_id, "from": start, "to": end, "variant": variant,
            "rows": [{"date": r["date"], "variant": r["variant"], "impressions": r["impressions"],
                      "conversions": r["conversions"]} for r in rows]}
