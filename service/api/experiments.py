"""/api/v1/experiments: create, list, read and change experiments."""

from __future__ import annotations

from flask import Blueprint, url_for

from .. import experiments
from ..schemas import STATUSES
from . import database
from .requests import json_body, query_choice, query_int, reject_unknown_params

bp = Blueprint("experiments", __name__)


@bp.post("/experiments")
def create():
    body = json_body()
    with database().connection() as conn:
        experiment_id = experiments.create_experiment(conn, body)
        created = experiments.get_experiment(conn, experiment_id)
    return created, 201, {"Location": url_for(".read", experiment_id=experiment_id)}


@bp.get("/experiments")
def list_():
    reject_unknown_params("limit", "offset", "status")
    limit = query_int("limit", 50, minimum=1, maximum=500)
    offset = query_int("offset", 0, minimum=0, maximum=2**31 - 1)
    status = query_choice("status", None, STATUSES)
    with database().connection() as conn:
        page, total = experiments.experiment_page(conn, limit=limit, offset=offset, status=status)
    return {"experiments": page, "total": total, "limit": limit, "offset": offset}


@bp.get("/experiments/<experiment_id:experiment_id>")
def read(experiment_id: int):
    with database().connection() as conn:
        return experiments.get_experiment(conn, experiment_id)


@bp.patch("/experiments/<experiment_id:experiment_id>")
def change(experiment_id: int):
    body = json_body()
    with database().connection() as conn:
        experiments.update_experiment(conn, experiment_id, body)
        return experiments.get_experiment(conn, experiment_id)
