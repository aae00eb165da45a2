"""/api/v1/experiments/{id}/allocation, /allocations, /statistics and /timeseries."""

from __future__ import annotations

from flask import Blueprint, request, url_for

from .. import decisions, deployments, experiments
from ..errors import field_error
from ..schemas import ALGORITHMS, DEPLOYMENT_CREATE, validate
from . import database
from .requests import (json_body, query_choice, query_date, query_float, query_int,
                       query_problem, reject_unknown_params)

bp = Blueprint("decisions", __name__)


def _window(conn, experiment_id: int) -> decisions.Window:
    return decisions.resolve_window(conn, experiment_id, query_date("as_of"),
                                    query_int("window_days", None, minimum=1, maximum=36600))


@bp.get("/experiments/<experiment_id:experiment_id>/allocation")
def allocation(experiment_id: int):
    reject_unknown_params("algorithm", "as_of", "window_days", "estimator", "method", "draws",
                          "seed", "batch_size")
    estimator = query_choice("estimator", "stratified", decisions.ESTIMATORS)
    method = query_choice("method", "exact", decisions.METHODS)
    draws = query_int("draws", 10000, minimum=100, maximum=1_000_000)
    seed = query_int("seed", 0, minimum=0, maximum=2**63 - 1)
    batch = query_int("batch_size", None, minimum=1, maximum=10**12)
    with database().connection() as conn:
        experiment = experiments.experiment_core(conn, experiment_id)
        algorithm = query_choice("algorithm", experiment["algorithm"], ALGORITHMS)
        _check_combination(algorithm, method)
        return decisions.allocation(conn, experiment, algorithm=algorithm,
                                    window=_window(conn, experiment_id), estimator=estimator,
                                    method=method, draws=draws, seed=seed, batch=batch)


def _check_combination(algorithm: str, method: str) -> None:
    """Parameters that the chosen algorithm or method would silently ignore are refused."""
    given = set(request.args)
    errors = []
    if algorithm != "ucb" and "batch_size" in given:
        errors.append(field_error("batch_size", "applies to algorithm=ucb only"))
    if algorithm == "ucb" and "method" in given:
        errors.append(field_error("method", "applies to algorithm=thompson_sampling only"))
    if method != "monte_carlo":
        errors += [field_error(name, "applies to method=monte_carlo only")
                   for name in ("draws", "seed") if name in given]
    if errors:
        raise query_problem(errors)


@bp.get("/experiments/<experiment_id:experiment_id>/statistics")
def statistics(experiment_id: int):
    reject_unknown_params("as_of", "window_days", "estimator", "mde")
    estimator = query_choice("estimator", "stratified", decisions.ESTIMATORS)
    mde = query_float("mde", 0.1, minimum=0, maximum=10, exclusive_minimum=True)
    with database().connection() as conn:
        experiment = experiments.experiment_core(conn, experiment_id)
        return decisions.statistics(conn, experiment, window=_window(conn, experiment_id),
                                    estimator=estimator, mde=mde)


@bp.get("/experiments/<experiment_id:experiment_id>/timeseries")
def timeseries(experiment_id: int):
    reject_unknown_params("from", "to")
    start, end = query_date("from"), query_date("to")
    with database().connection() as conn:
        experiment = experiments.experiment_core(conn, experiment_id)
        return decisions.timeseries(conn, experiment, start, end)


@bp.post("/experiments/<experiment_id:experiment_id>/allocations")
def record_deployment(experiment_id: int):
    body = json_body()
    validate(DEPLOYMENT_CREATE, body)
    with database().connection() as conn:
        experiments.experiment_core(conn, experiment_id)
        created = deployments.record(conn, experiment_id, body)
    return created, 201, {"Location": url_for(".deployment_history", experiment_id=experiment_id)}


@bp.get("/experiments/<experiment_id:experiment_id>/allocations")
def deployment_history(experiment_id: int):
    reject_unknown_params()
    with database().connection() as conn:
        experiments.experiment_core(conn, experiment_id)
        return {"experiment_id": experiment_id, "deployments": deployments.history(conn, experiment_id)}
