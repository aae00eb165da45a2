"""Reading what a request sends: JSON bodies and query parameters, with 4xx problems that name
the offending field."""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from typing import Any

from flask import request

from ..errors import Problem, field_error, validation_problem

_DIGITS = re.compile(r"^[0-9]+$")
_NUMBER = re.compile(r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$")


def query_problem(errors: list[dict]):
    """A 422 problem for invalid query parameters (nothing is stored by a query)."""
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


def _text_errors(value: Any, path: str = "") -> list[dict]:
    """Strings PostgreSQL cannot store: NUL characters and unpaired UTF-16 surrogates."""
    if isinstance(value, str):
        if "\x00" in value:
            return [field_error(path or "body", "must not contain NUL characters")]
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return [field_error(path or "body", "is not valid Unicode (unpaired surrogate)")]
        return []
    if isinstance(value, list):
        return [e for i, item in enumerate(value) for e in _text_errors(item, f"{path}[{i}]")]
    if isinstance(value, dict):
        errors = []
        for key, item in value.items():
            where = f"{path}.{key}" if path else key
            key_errors = _text_errors(key, path or "body")
            errors += key_errors or _text_errors(item, where)
        return errors
    return []


def json_body() -> Any:
    """The parsed JSON body; 415 for another content type, 400 for malformed JSON, 422 for
    strings that cannot be stored."""
    require_content_type("application/json")
    data = body_bytes()
    try:
        body = json.loads(data.decode("utf-8-sig"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise Problem(400, "Malformed JSON", f"The body is not valid JSON: {reason}",
                      errors=[field_error("body", "is not valid JSON")], slug="malformed-json") from None
    errors = _text_errors(body)
    if errors:
        raise validation_problem(errors)
    return body


def body_text() -> str:
    """The body decoded with the request's charset (UTF-8 when it names none)."""
    charset = request.mimetype_params.get("charset", "utf-8")
    try:
        return body_bytes().decode(charset)
    except LookupError:
        raise Problem(415, "Unsupported media type", f"Unknown charset {charset!r}.",
                      slug="unsupported-media-type") from None
    except UnicodeDecodeError:
        raise Problem(400, "Malformed body", f"The body is not valid {charset} text.",
                      slug="malformed-body") from None


def _single(name: str) -> str | None:
    """The value of a query parameter given at most once."""
    values = request.args.getlist(name)
    if len(values) > 1:
        raise query_problem([field_error(name, "is given more than once")])
    return values[0] if values else None


def query_int(name: str, default: int | None, *, minimum: int, maximum: int) -> int | None:
    raw = _single(name)
    if raw is None or raw == "":
        return default
    if not _DIGITS.match(raw.removeprefix("-")):
        raise query_problem([field_error(name, "must be an integer")])
    value = int(raw)
    if not minimum <= value <= maximum:
        raise query_problem([field_error(name, f"must be between {minimum} and {maximum}")])
    return value


def query_float(name: str, default: float | None, *, minimum: float, maximum: float,
                exclusive_minimum: bool = False) -> float | None:
    raw = _single(name)
    if raw is None or raw == "":
        return default
    value = float(raw) if _NUMBER.match(raw) else math.nan  # 1e400 parses to inf
    if not math.isfinite(value):
        raise query_problem([field_error(name, "must be a number")])
    low_ok = value > minimum if exclusive_minimum else value >= minimum
    if not (low_ok and value <= maximum):
        bound = "greater than" if exclusive_minimum else "at least"
        raise query_problem([field_error(name, f"must be {bound} {minimum:g} and at most {maximum:g}")])
    return value


def query_date(name: str) -> dt.date | None:
    raw = _single(name)
    if raw is None or raw == "":
        return None
    try:
        # fromisoformat also takes other ISO forms of 10 characters, e.g. the week date 2025-W01-1
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", raw):
            raise ValueError
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise query_problem([field_error(name, "must be a real date written YYYY-MM-DD")]) from None


def query_choice(name: str, default: str | None, choices: tuple[str, ...]) -> str | None:
    raw = _single(name)
    if raw is None or raw == "":
        return default
    if raw not in choices:
        raise query_problem([field_error(name, "must be one of " + ", ".join(choices))])
    return raw


def reject_unknown_params(*known: str) -> None:
    unknown = sorted(set(request.args) - set(known))
    if unknown:
        raise query_problem([field_error(name, "is not a known query parameter") for name in unknown])
