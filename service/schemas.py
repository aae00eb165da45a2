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
        "prior_alpha": {"type": "number", "exclusiveMinimum": 0, "maximum": 1e6, "default": 1.0,
                        "description": "Beta prior alpha (pseudo-conversions). Default 1: Beta(1, 1), uniform."},
        "prior_beta": {"type": "number", "exclusiveMinimum": 0, "maximum": 1e6, "default": 1.0,
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


def validate(schema: dict, body: Any) -> None:
    """Raise a 422 problem listing every way ``body`` breaks ``schema``."""
    validator = _VALIDATORS.get(id(schema))
    if validator is None:
        validator = _VALIDATORS[id(schema)] = Draft202012Validator(schema)
    errors = []
    for error in sorted(validator.iter_errors(body), key=lambda e: list(map(str, e.absolute_path))):
        field, message = _message(error)
        errors.append(field_error(field, message))
    if errors:
        raise validation_problem(errors)
