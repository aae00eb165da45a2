"""Request bodies, declared once as JSON Schema (2020-12, the dialect of OpenAPI 3.1).

The API validates against these declarations and the OpenAPI document is generated from them, so
the documentation cannot drift from what is enforced. ``validate`` turns every violation into a
problem ``errors`` item naming the field.
"""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator

from .errors import field_error, validation_problem

MAX_COUNT = 2**63 - 1  # PostgreSQL bigint
ALGORITHMS = ("thompson_sampling", "ucb")
STATUSES = ("running", "paused", "completed", "archived")
DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"

SETTINGS_DEFAULTS: dict[str, Any] = {
    "prior_alpha": 1.0,
    "prior_beta": 1.0,
    "min_allocation": 0.01,
    "burn_in_impressions": 100,
    "ucb_batch_size": None,
    "traffic_window_days": 7,
    "winner_probability": None,
    "winner_value_remaining": 0.01,
}

SETTINGS = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "prior_alpha": {"type": "number", "minimum": 0.05, "maximum": 1e6, "default": 1.0,
                        "description": "Beta prior alpha (pseudo-conversions). Default 1: Beta(1, 1), uniform."},
        "prior_beta": {"type": "number", "minimum": 0.05, "maximum": 1e6, "default": 1.0,
                       "description": "Beta prior beta (pseudo-non-conversions)."},
        "min_allocation": {"type": "number", "minimum": 0, "maximum": 0.5, "default": 0.01,
                           "description": "Floor f of every variant's traffic share; K·f must not exceed 1."},
        "burn_in_impressions": {"type": "integer", "minimum": 0, "maximum": MAX_COUNT, "default": 100,
                                "description": "Equal split until every variant has this many impressions."},
        "ucb_batch_size": {"type": ["integer", "null"], "minimum": 1, "maximum": 10**12, "default": None,
                           "description": "Impressions in the next batch UCB plans for; null: recent average daily traffic."},
        "traffic_window_days": {"type": "integer", "minimum": 1, "maximum": 366, "default": 7,
                                "description": "Dates with data averaged for 'recent daily traffic'."},
        "winner_probability": {"type": ["number", "null"], "minimum": 0.5, "maximum": 0.99999, "default": None,
                               "description": "probability_best a winner needs; null: the confidence level."},
        "winner_value_remaining": {"type": "number", "exclusiveMinimum": 0, "maximum": 1, "default": 0.01,
                                   "description": "Bound on the 95th percentile of the relative value remaining."},
    },
}

_NAME = {"type": "string", "minLength": 1, "maxLength": 255}
_VARIANT_NAME = {"type": "string", "minLength": 1, "maxLength": 100}
_CONFIDENCE = {"type": "number", "minimum": 0.5, "maximum": 0.999}

EXPERIMENT_CREATE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "variants"],
    "properties": {
        "name": {**_NAME, "description": "Unique name, 1–255 characters after trimming."},
        "description": {"type": ["string", "null"], "maxLength": 10000},
        "variants": {"type": "array", "minItems": 2, "maxItems": 50, "items": _VARIANT_NAME,
                     "description": "2–50 distinct names (trimmed), in display order."},
        "algorithm": {"enum": list(ALGORITHMS), "default": "thompson_sampling"},
        "control": {**_VARIANT_NAME, "description": "One of the variants; default the first."},
        "confidence_level": {**_CONFIDENCE, "default": 0.95},
        "settings": SETTINGS,
    },
}

EXPERIMENT_PATCH = {
    "type": "object",
    "additionalProperties": False,
    "minProperties": 1,
    "properties": {
        "description": {"type": ["string", "null"], "maxLength": 10000},
        "algorithm": {"enum": list(ALGORITHMS)},
        "status": {"enum": list(STATUSES)},
        "confidence_level": _CONFIDENCE,
        "settings": {**SETTINGS, "description": "Keys given replace the stored ones; others are kept."},
        "add_variants": {"type": "array", "minItems": 1, "maxItems": 50, "items": _VARIANT_NAME,
                         "description": "Variants appended after the existing ones (variants are never removed)."},
    },
}

DATA_ROW = {
    "type": "object",
    "additionalProperties": False,
    "required": ["date", "variant", "impressions", "conversions"],
    "properties": {
        "date": {"type": "string", "pattern": DATE_PATTERN, "format": "date",
                 "description": "Day of the counts, YYYY-MM-DD; at most one day after today (UTC)."},
        "variant": _VARIANT_NAME,
        "impressions": {"type": "integer", "minimum": 0, "maximum": MAX_COUNT},
        "conversions": {"type": "integer", "minimum": 0, "maximum": MAX_COUNT,
                        "description": "At most impressions."},
    },
}

DATA_BODY = {"oneOf": [DATA_ROW, {"type": "array", "minItems": 1, "items": DATA_ROW}]}

DEPLOYMENT_CREATE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["effective_date", "allocations"],
    "properties": {
        "effective_date": {"type": "string", "pattern": DATE_PATTERN, "format": "date",
                           "description": "First day the split was live."},
        "allocations": {"type": "object", "minProperties": 1,
                        "additionalProperties": {"type": "number", "minimum": 0, "maximum": 100},
                        "description": "Variant → percent of traffic; sums to 100. Variants left out got 0."},
        "note": {"type": ["string", "null"], "maxLength": 1000},
    },
}


def _field(path) -> str:
    field = ""
    for part in path:
        field += f"[{part}]" if isinstance(part, int) else (f".{part}" if field else str(part))
    return field or "body"


def _message(error) -> tuple[str, str]:
    """(field, message) of one jsonschema error, in words a caller can act on."""
    field = _field(error.absolute_path)
    kind, limit = error.validator, error.validator_value
    if kind == "required":
        missing = [name for name in limit if name not in error.instance]
        return _field([*error.absolute_path, missing[0]]), "is required"
    if kind == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        return _field([*error.absolute_path, extra[0]]), "is not a known field"
    if kind == "type":
        wanted = limit if isinstance(limit, str) else " or ".join(limit)
        return field, f"must be of type {wanted}"
    if kind == "enum":
        return field, "must be one of " + ", ".join(map(str, limit))
    if kind == "minLength":
        return field, "must not be empty" if limit == 1 else f"must have at least {limit} characters"
    if kind == "maxLength":
        return field, f"must have at most {limit} characters"
    if kind == "minItems":
        return field, f"must have at least {limit} items"
    if kind == "maxItems":
        return field, f"must have at most {limit} items"
    if kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        words = {"minimum": "at least", "maximum": "at most",
                 "exclusiveMinimum": "greater than", "exclusiveMaximum": "less than"}[kind]
        return field, f"must be {words} {limit:g}" if isinstance(limit, float) else f"must be {words} {limit}"
    if kind == "minProperties":
        return field, "must not be empty"
    if kind == "pattern":
        return field, "must be a date written YYYY-MM-DD" if limit == DATE_PATTERN else f"must match {limit}"
    return field, error.message


_VALIDATORS: dict[int, Draft202012Validator] = {}


def schema_errors(schema: dict, body: Any) -> list[dict]:
    """Every way ``body`` breaks ``schema``, as problem ``errors`` items naming the field."""
    validator = _VALIDATORS.get(id(schema))
    if validator is None:
        validator = _VALIDATORS[id(schema)] = Draft202012Validator(schema)
    return [field_error(*_message(error)) for error in
            sorted(validator.iter_errors(body), key=lambda e: list(map(str, e.absolute_path)))]


def validate(schema: dict, body: Any) -> None:
    """Raise a 422 problem listing every way ``body`` breaks ``schema``."""
    errors = schema_errors(schema, body)
    if errors:
        raise validation_problem(errors)


# Response bodies. Declared here for the OpenAPI document, and checked against real responses
# by the contract tests, so they describe what the service actually sends.

_NUMBER_OR_NULL = {"type": ["number", "null"]}
_DATE_OR_NULL = {"type": ["string", "null"], "format": "date"}
_BY_VARIANT = {"type": "object", "additionalProperties": {"type": "number"},
               "description": "Variant name → value, in variant order."}
_BOUNDS = {"type": ["object", "null"], "required": ["lower", "upper"],
           "properties": {"lower": {"type": "number"}, "upper": {"type": "number"}}}
_WINDOW = {"type": "object", "required": ["from", "to"],
           "properties": {"from": _DATE_OR_NULL, "to": _DATE_OR_NULL},
           "description": "Inclusive date range used; null bounds are open."}

PROBLEM = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {"type": "array", "items": {
            "type": "object", "required": ["field", "message"],
            "properties": {"field": {"type": "string"}, "message": {"type": "string"},
                           "index": {"type": "integer", "description": "0-based row of a batch"},
                           "line": {"type": "integer", "description": "CSV line"}}}},
    },
}

_TOTALS = {
    "type": "object",
    "required": ["impressions", "conversions", "conversion_rate", "days_with_data", "first_date", "last_date"],
    "properties": {"impressions": {"type": "integer"}, "conversions": {"type": "integer"},
                   "conversion_rate": _NUMBER_OR_NULL, "days_with_data": {"type": "integer"},
                   "first_date": _DATE_OR_NULL, "last_date": _DATE_OR_NULL},
}

EXPERIMENT = {
    "type": "object",
    "required": ["id", "name", "description", "algorithm", "control", "confidence_level", "settings",
                 "status", "created_at", "updated_at", "totals", "variants"],
    "properties": {
        "id": {"type": "integer"}, "name": {"type": "string"}, "description": {"type": ["string", "null"]},
        "algorithm": {"enum": list(ALGORITHMS)}, "control": {"type": "string"},
        "confidence_level": {"type": "number"},
        "settings": {**SETTINGS, "required": list(SETTINGS_DEFAULTS)},
        "status": {"enum": list(STATUSES)},
        "created_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"},
        "totals": _TOTALS,
        "variants": {"type": "array", "items": {
            **_TOTALS,
            "required": ["name", "is_control", *_TOTALS["required"]],
            "properties": {"name": {"type": "string"}, "is_control": {"type": "boolean"},
                           **_TOTALS["properties"]}}},
    },
}

EXPERIMENT_LIST = {
    "type": "object", "required": ["experiments", "total", "limit", "offset"],
    "properties": {"experiments": {"type": "array", "items": EXPERIMENT}, "total": {"type": "integer"},
                   "limit": {"type": "integer"}, "offset": {"type": "integer"}},
}

DATA_WRITE_RESULT = {
    "type": "object", "required": ["mode", "rows", "inserted", "replaced", "added"],
    "properties": {"mode": {"enum": ["replace", "add"]}, "rows": {"type": "integer"},
                   "inserted": {"type": "integer"}, "replaced": {"type": "integer"},
                   "added": {"type": "integer"}},
}

DATA_ROWS = {
    "type": "object", "required": ["experiment_id", "from", "to", "variant", "rows"],
    "properties": {"experiment_id": {"type": "integer"}, "from": _DATE_OR_NULL, "to": _DATE_OR_NULL,
                   "variant": {"type": ["string", "null"]},
                   "rows": {"type": "array", "items": {
                       "type": "object", "required": ["date", "variant", "impressions", "conversions"],
                       "properties": {"date": {"type": "string", "format": "date"}, "variant": {"type": "string"},
                                      "impressions": {"type": "integer"}, "conversions": {"type": "integer"}}}}},
}

ALLOCATION = {
    "type": "object",
    "required": ["experiment_id", "algorithm", "phase", "as_of", "window", "estimator", "confidence_level",
                 "allocations", "weights", "probability_best", "settings"],
    "properties": {
        "experiment_id": {"type": "integer"}, "algorithm": {"enum": list(ALGORITHMS)},
        "phase": {"enum": ["burn_in", "adaptive"]}, "as_of": _DATE_OR_NULL, "window": _WINDOW,
        "estimator": {"enum": ["stratified", "pooled"]}, "confidence_level": {"type": "number"},
        "method": {"enum": ["exact", "monte_carlo"], "description": "Thompson sampling only."},
        "allocations": {"type": "object", "additionalProperties": {"type": "integer"},
                        "description": "Variant → integer percent; they sum to exactly 100."},
        "weights": {**_BY_VARIANT, "description": "Variant → unrounded share; they sum to 1."},
        "probability_best": _BY_VARIANT,
        "ucb_index": {"type": "object", "additionalProperties": _NUMBER_OR_NULL,
                      "description": "UCB only; null for a variant without impressions (infinite index)."},
        "settings": {"type": "object", "description": "The settings the answer used."},
    },
}

DEPLOYMENT = {
    "type": "object", "required": ["id", "effective_date", "note", "created_at", "allocations"],
    "properties": {"id": {"type": "integer"}, "effective_date": {"type": "string", "format": "date"},
                   "note": {"type": ["string", "null"]}, "created_at": {"type": "string", "format": "date-time"},
                   "allocations": _BY_VARIANT},
}

DEPLOYMENT_HISTORY = {
    "type": "object", "required": ["experiment_id", "deployments"],
    "properties": {"experiment_id": {"type": "integer"}, "deployments": {"type": "array", "items": DEPLOYMENT}},
}

_VARIANT_STATISTICS = {
    "type": "object",
    "required": ["name", "is_control", "impressions", "conversions", "conversion_rate", "confidence_interval",
                 "posterior", "credible_interval", "probability_best", "expected_loss", "uplift",
                 "probability_beats_control"],
    "properties": {
        "name": {"type": "string"}, "is_control": {"type": "boolean"},
        "impressions": {"type": "integer"}, "conversions": {"type": "integer"},
        "conversion_rate": _NUMBER_OR_NULL,
        "confidence_interval": {**_BOUNDS, "description": "Wilson score interval of the observed rate."},
        "posterior": {"type": "object", "required": ["alpha", "beta", "mean"],
                      "properties": {"alpha": {"type": "number"}, "beta": {"type": "number"},
                                     "mean": {"type": "number"}}},
        "credible_interval": _BOUNDS,
        "probability_best": {"type": "number"}, "expected_loss": {"type": "number"},
        "uplift": {"type": ["object", "null"], "required": ["estimate", "lower", "upper"],
                   "properties": {"estimate": {"type": "number"}, "lower": _NUMBER_OR_NULL,
                                  "upper": _NUMBER_OR_NULL}},
        "probability_beats_control": _NUMBER_OR_NULL,
    },
}

STATISTICS = {
    "type": "object",
    "required": ["experiment_id", "as_of", "window", "estimator", "confidence_level", "control", "variants",
                 "srm", "sample_size", "winner", "regret"],
    "properties": {
        "experiment_id": {"type": "integer"}, "as_of": _DATE_OR_NULL, "window": _WINDOW,
        "estimator": {"enum": ["stratified", "pooled"]}, "confidence_level": {"type": "number"},
        "control": {"type": "string"}, "variants": {"type": "array", "items": _VARIANT_STATISTICS},
        "srm": {"type": "object", "required": ["chi_square", "p_value", "mismatch", "threshold", "reason",
                                                "observed", "expected"],
                "properties": {"chi_square": _NUMBER_OR_NULL, "p_value": _NUMBER_OR_NULL,
                               "mismatch": {"type": ["boolean", "null"]}, "threshold": {"type": "number"},
                               "reason": {"type": ["string", "null"]}, "observed": _BY_VARIANT,
                               "expected": _BY_VARIANT}},
        "sample_size": {"type": "object",
                        "required": ["required_per_variant", "mde", "alpha", "comparisons", "power",
                                     "days_remaining", "reason"],
                        "properties": {"required_per_variant": {"type": ["integer", "null"]},
                                       "mde": {"type": "number"}, "alpha": {"type": "number"},
                                       "comparisons": {"type": "integer"}, "power": {"type": "number"},
                                       "days_remaining": {"type": ["integer", "null"]},
                                       "reason": {"type": ["string", "null"]}}},
        "winner": {"type": "object",
                   "required": ["variant", "candidate", "probability_best", "probability_threshold",
                                "value_remaining_p95", "value_remaining_threshold", "reason"],
                   "properties": {"variant": {"type": ["string", "null"]}, "candidate": {"type": ["string", "null"]},
                                  "probability_best": _NUMBER_OR_NULL, "probability_threshold": {"type": "number"},
                                  "value_remaining_p95": _NUMBER_OR_NULL,
                                  "value_remaining_threshold": {"type": "number"},
                                  "reason": {"type": ["string", "null"]}}},
        "regret": {"type": "object", "required": ["expected_conversions_lost"],
                   "properties": {"expected_conversions_lost": {"type": "number"}}},
    },
}

TIMESERIES = {
    "type": "object",
    "required": ["experiment_id", "confidence_level", "from", "to", "estimator", "probability_best_method",
                 "series"],
    "properties": {
        "experiment_id": {"type": "integer"}, "confidence_level": {"type": "number"},
        "from": _DATE_OR_NULL, "to": _DATE_OR_NULL,
        "estimator": {"const": "pooled", "description": "The series shows the cumulative pooled data."},
        "probability_best_method": {"enum": ["exact", "monte_carlo"],
                                    "description": "Seeded Monte Carlo (2000 draws a day) above 5000 variant-days."},
        "series": {"type": "array", "items": {
            "type": "object", "required": ["variant", "points"],
            "properties": {"variant": {"type": "string"}, "points": {"type": "array", "items": {
                "type": "object",
                "required": ["date", "impressions", "conversions", "cumulative_impressions",
                             "cumulative_conversions", "cumulative_rate", "cumulative_interval",
                             "probability_best"],
                "properties": {"date": {"type": "string", "format": "date"},
                               "impressions": {"type": "integer"}, "conversions": {"type": "integer"},
                               "cumulative_impressions": {"type": "integer"},
                               "cumulative_conversions": {"type": "integer"},
                               "cumulative_rate": _NUMBER_OR_NULL, "cumulative_interval": _BOUNDS,
                               "probability_best": {**_NUMBER_OR_NULL,
                                                    "description": "null before the variant has data"}}}}}}},
    },
}

HEALTH = {"type": "object", "required": ["status"], "properties": {"status": {"type": "string"}}}

# Name in the OpenAPI document → declaration.
COMPONENTS = {
    "ExperimentCreate": EXPERIMENT_CREATE, "ExperimentPatch": EXPERIMENT_PATCH, "Settings": SETTINGS,
    "DataRow": DATA_ROW, "DeploymentCreate": DEPLOYMENT_CREATE, "Problem": PROBLEM,
    "Experiment": EXPERIMENT, "ExperimentList": EXPERIMENT_LIST, "DataWriteResult": DATA_WRITE_RESULT,
    "DataRows": DATA_ROWS, "Allocation": ALLOCATION, "Deployment": DEPLOYMENT,
    "DeploymentHistory": DEPLOYMENT_HISTORY, "Statistics": STATISTICS, "Timeseries": TIMESERIES,
    "Health": HEALTH,
}
