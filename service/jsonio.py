"""JSON out: numbers are numbers or null, never NaN, Infinity or strings.

Responses go through ``plain``, which turns NumPy scalars, dates and Decimals into JSON types and
non-finite floats into null, then through a serialiser that refuses NaN outright, so a slip in a
computation shows up as null rather than as invalid JSON.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from decimal import Decimal
from typing import Any

from flask.json.provider import DefaultJSONProvider


def plain(value: Any) -> Any:
    """Convert ``value`` recursively to JSON-ready Python types; non-finite floats become None."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return plain(float(value)) if value != value.to_integral_value() else int(value)
    if hasattr(value, "item"):  # NumPy scalar
        return plain(value.item())
    if hasattr(value, "tolist"):  # NumPy array
        return plain(value.tolist())
    raise TypeError(f"cannot serialise {type(value).__name__} to JSON")


class StrictJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider with key order kept (variants stay in their order) and no NaN."""

    sort_keys = False

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        kwargs.setdefault("sort_keys", self.sort_keys)
        kwargs.setdefault("ensure_ascii", False)
        return json.dumps(plain(obj), allow_nan=False, **kwargs)
