"""The OpenAPI 3.1 document, generated with apispec from the declarations in ``schemas``."""

from __future__ import annotations

from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version

from apispec import APISpec

from .schemas import COMPONENTS

_EXPERIMENT_ID = {"name": "experiment_id", "in": "path", "required": True, "schema": {"type": "integer"}}


def _query(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


_DATE = {"type": "string", "format": "date"}
_DECISION_RANGE = [
    _query("as_of", _DATE, "Use data up to and including this date."),
    _query("window_days", {"type": "integer", "minimum": 1}, "Only the last N days, counted back from "
           "as_of or from the latest data."),
    _query("estimator", {"enum": ["stratified", "pooled"], "default": "stratified"},
           "How daily data become a posterior (see the README)."),
]


def _json(schema: str) -> dict:
    return {"application/json": {"schema": schema}}


def _problems(*statuses: int) -> dict:
    words = {400: "Malformed body", 404: "Unknown experiment", 409: "Conflict", 413: "Body too large",
             415: "Unsupported media type", 422: "Invalid input; `errors` names each field",
             503: "Database unavailable"}
    return {str(s): {"description": words[s], "content": {"application/problem+json": {"schema": "Problem"}}}
            for s in statuses}


def _ok(schema: str, description: str, status: str = "200") -> dict:
    return {status: {"description": description, "content": _json(schema)}}


_PATHS = {
    "/healthz": {"get": {"summary": "The process answers", "responses": _ok("Health", "Alive")}},
    "/readyz": {"get": {"summary": "The database answers and is migrated",
                        "responses": {**_ok("Health", "Ready"), **_problems(503)}}},
    "/api/v1/experiments": {
        "post": {"summary": "Create an experiment",
                 "requestBody": {"required": True, "content": _json("ExperimentCreate")},
                 "responses": {**_ok("Experiment", "Created; Location names it", "201"),
                               **_problems(400, 409, 415, 422, 503)}},
        "get": {"summary": "List experiments, newest first, with totals",
                "parameters": [_query("limit", {"type": "integer", "minimum": 1, "maximum": 500, "default": 50}, "Page size."),
                               _query("offset", {"type": "integer", "minimum": 0, "default": 0}, "Experiments skipped."),
                               _query("status", {"enum": ["running", "paused", "completed", "archived"]}, "Only this status.")],
                "responses": {**_ok("ExperimentList", "One page"), **_problems(422, 503)}},
    },
    "/api/v1/experiments/{experiment_id}": {
        "parameters": [_EXPERIMENT_ID],
        "get": {"summary": "One experiment with per-variant totals",
                "responses": {**_ok("Experiment", "The experiment"), **_problems(404, 503)}},
        "patch": {"summary": "Change settings or status; append variants",
                  "requestBody": {"required": True, "content": _json("ExperimentPatch")},
                  "responses": {**_ok("Experiment", "The changed experiment"),
                                **_problems(400, 404, 415, 422, 503)}},
    },
    "/api/v1/experiments/{experiment_id}/data": {
        "parameters": [_EXPERIMENT_ID],
        "post": {"summary": "Store daily counts (all or nothing)",
                 "parameters": [_query("mode", {"enum": ["replace", "add"], "default": "replace"},
                                       "A stored (date, variant) is replaced, or added to.")],
                 "requestBody": {"required": True, "content": {
                     "application/json": {"schema": {"oneOf": ["DataRow", {"type": "array", "items": "DataRow"}]}},
                     "text/csv": {"schema": {"type": "string",
                                             "description": "Header date,variant,impressions,conversions"}}}},
                 "responses": {**_ok("DataWriteResult", "Stored"),
                               **_problems(400, 404, 409, 413, 415, 422, 503)}},
        "get": {"summary": "Stored rows by date (JSON, or CSV with Accept: text/csv)",
                "parameters": [_query("from", _DATE, "First date, inclusive."),
                               _query("to", _DATE, "Last date, inclusive."),
                               _query("variant", {"type": "string"}, "Only this variant.")],
                "responses": {"200": {"description": "Rows", "content": {
                    **_json("DataRows"), "text/csv": {"schema": {"type": "string"}}}},
                    **_problems(404, 422, 503)}},
    },
    "/api/v1/experiments/{experiment_id}/allocation": {
        "parameters": [_EXPERIMENT_ID],
        "get": {"summary": "The traffic split to put live next",
                "parameters": [_query("algorithm", {"enum": ["thompson_sampling", "ucb"]}, "Override the experiment's."),
                               *_DECISION_RANGE,
                               _query("method", {"enum": ["exact", "monte_carlo"], "default": "exact"}, "Thompson: exact quadrature or Monte Carlo."),
                               _query("draws", {"type": "integer", "minimum": 100, "maximum": 1000000, "default": 10000}, "Monte Carlo draws."),
                               _query("seed", {"type": "integer", "minimum": 0, "default": 0}, "Monte Carlo seed."),
                               _query("batch_size", {"type": "integer", "minimum": 1}, "UCB: impressions in the next batch.")],
                "responses": {**_ok("Allocation", "The allocation"), **_problems(404, 422, 503)}},
    },
    "/api/v1/experiments/{experiment_id}/allocations": {
        "parameters": [_EXPERIMENT_ID],
        "post": {"summary": "Record the split actually deployed",
                 "requestBody": {"required": True, "content": _json("DeploymentCreate")},
                 "responses": {**_ok("Deployment", "Recorded", "201"), **_problems(400, 404, 415, 422, 503)}},
        "get": {"summary": "The deployment history",
                "responses": {**_ok("DeploymentHistory", "Oldest first"), **_problems(404, 503)}},
    },
    "/api/v1/experiments/{experiment_id}/statistics": {
        "parameters": [_EXPERIMENT_ID],
        "get": {"summary": "Per-variant and experiment-level statistics",
                "parameters": [*_DECISION_RANGE,
                               _query("mde", {"type": "number", "exclusiveMinimum": 0, "maximum": 10, "default": 0.1},
                                      "Relative minimum detectable effect for the sample size.")],
                "responses": {**_ok("Statistics", "The statistics"), **_problems(404, 422, 503)}},
    },
    "/api/v1/experiments/{experiment_id}/timeseries": {
        "parameters": [_EXPERIMENT_ID],
        "get": {"summary": "Daily and cumulative series per variant",
                "parameters": [_query("from", _DATE, "First day shown, inclusive (totals still run from the start)."),
                               _query("to", _DATE, "Last day shown, inclusive.")],
                "responses": {**_ok("Timeseries", "The series"), **_problems(404, 422, 503)}},
    },
}


def _version() -> str:
    try:
        return version("mab-service")
    except PackageNotFoundError:
        return "0+source"


@lru_cache(maxsize=1)
def document() -> dict:
    """The whole OpenAPI document as a dict."""
    spec = APISpec(title="mab-service", version=_version(), openapi_version="3.1.0",
                   info={"description": "SQL-first multi-armed-bandit service for A/B tests. "
                                        "Errors are application/problem+json (RFC 9457)."})
    for name, schema in COMPONENTS.items():
        spec.components.schema(name, schema)
    for path, operations in _PATHS.items():
        operations = dict(operations)
        parameters = operations.pop("parameters", None)
        spec.path(path=path, operations=operations, parameters=parameters)
    return spec.to_dict()
