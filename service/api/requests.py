"""Reading what a request sends: JSON bodies and query parameters, with 4xx problems that name
the offending field."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from flask import request

from ..errors import Problem, field_error, validation_problem


def _query_problem(errors: list[dict]):
    return validation_problem(errors, "The query string is invalid.")


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def body_bytes() -> bytes:
    data = request.get_data(cache=True)
    if not data.strip():
        raise validation_problem([field_error("body", "is empty")], "The request has no body.")
    return data


def require_content_type(*allowed: str) -> str:
    """The request's media type if it is one of ``allowed``, else a 415 problem."""
    mimetype = request.mimetype or ""
    if mimetype not in allowed:
        raise Problem(415, "Unsupported media type",
                      f"Send the body as {' or '.join(allowed)} (got {mimetype or 'no Content-Type'}).",
                      slug="unsupported-media-type")
    return mimetype


def json_body() -> Any:
    """The parsed JSON body; 415 for another content type, 400 for malformed JSON."""
    require_content_type("application/json")
    data = body_bytes()
    try:
        return json.loads(data.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError) as exc:
        raise Problem(400, "Malformed JSON", f"The body is not valid JSON: {exc}",
                      errors=[field_error("body", "is not valid JSON")], slug="malformed-json") from None


def query_int(name: str, default: int | None, *, minimum: int, maximum: int) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise _query_problem([field_error(name, "must be an integer")]) from None
    if not minimum <= value <= maximum:
        raise _query_problem([field_error(name, f"must be between {minimum} and {maximum}")])
    return value


def query_float(name: str, default: float | None, *, minimum: float, maximum: float,
                exclusive_minimum: bool = False) -> float | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise _query_problem([field_error(name, "must be a number")]) from None
    low_ok = value > minimum if exclusive_minimum else value >= minimum
    if not (low_ok and value <= maximum):
        bound = "greater than" if exclusive_minimum else "at least"
        raise _query_problem([field_error(name, f"must be {bound} {minimum:g} and at most {maximum:g}")])
    return value


def query_date(name: str) -> dt.date | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    try:
        # fromisoformat also takes other ISO forms of 10 characters, e.g. the week date 2025-W01-1
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", raw):
            raise ValueError
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise _query_problem([field_error(name, "must be a real date written YYYY-MM-DD")]) from None


def query_choice(name: str, default: str | None, choices: tuple[str, ...]) -> str | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if raw not in choices:
        raise _query_problem([field_error(name, "must be one of " + ", ".join(choices))])
    return raw


def reject_unknown_params(*known: str) -> None:
    unknown = sorted(set(request.args) - set(known))
    if unknown:
        raise _query_problem([field_error(name, "is not a known query parameter") for name in unknown])
