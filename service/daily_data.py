"""Daily per-variant counts: parsing request bodies, validating rows, storing a batch.

The API and ``mab import`` both go through ``validate_rows`` and ``store_rows``: a batch is checked
whole before anything is written, every bad row is reported by index and field, and the write is
one statement inside the caller's transaction, so a batch is stored completely or not at all.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from typing import Any, Iterable

import psycopg

from .db import fetch_all, query
from .errors import Problem, field_error, validation_problem
from .schemas import MAX_COUNT

CSV_COLUMNS = ("date", "variant", "impressions", "conversions")
MODES = ("replace", "add")
# Older dates are typos (0025 for 2025); refusing them also bounds the calendar the daily
# series spans.
EARLIEST_DATE = dt.date(1970, 1, 1)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DIGITS = re.compile(r"^[0-9]+$")
# Deadlocks can only come from two batches touching the same days in a different order, which
# sorting prevents; a retry covers whatever is left.
_WRITE_ATTEMPTS = 3


@dataclass(frozen=True)
class DailyRow:
    date: dt.date
    variant: str
    impressions: int
    conversions: int


@dataclass(frozen=True)
class MalformedCsvRow:
    """A CSV line that cannot be read as a row (wrong number of cells)."""
    message: str


@dataclass(frozen=True)
class WriteResult:
    inserted: int
    replaced: int
    added: int


def rows_from_json(body: Any) -> tuple[list[Any], bool]:
    """(rows, is_batch) from a parsed JSON body: one object or a non-empty array of objects."""
    if isinstance(body, dict):
        return [body], False
    if isinstance(body, list):
        if not body:
            raise validation_problem([field_error("body", "must contain at least one row")])
        return body, True
    raise validation_problem([field_error("body", "must be a row object or an array of rows")])


def rows_from_csv(text: str) -> tuple[list[dict | MalformedCsvRow], list[int]]:
    """(rows, line numbers) of a CSV body with the header date,variant,impressions,conversions
    (columns in any order); every value is the cell's trimmed text."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        return _read_csv(reader)
    except csv.Error as exc:  # a runaway quoted cell, a NUL byte
        raise validation_problem([field_error("body", f"line {reader.line_num}: {exc}")]) from None


def _read_csv(reader) -> tuple[list[dict | MalformedCsvRow], list[int]]:
    header = next(reader, None)
    if not header or not any(cell.strip() for cell in header):
        raise validation_problem([field_error("body", "is empty; expected a header line "
                                                      "date,variant,impressions,conversions")])
    columns = [cell.strip().lower() for cell in header]
    errors = [field_error(name, "column is missing from the CSV header")
              for name in CSV_COLUMNS if name not in columns]
    errors += [field_error(name or f"column {position + 1}", "is not a known column")
               for position, name in enumerate(columns) if name not in CSV_COLUMNS]
    if len(set(columns)) != len(columns):
        errors.append(field_error("header", "names a column twice"))
    if errors:
        raise validation_problem(errors)
    rows: list[dict | MalformedCsvRow] = []
    lines: list[int] = []
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue  # blank line
        if len(cells) != len(columns):
            rows.append(MalformedCsvRow(f"has {len(cells)} cells, the header has {len(columns)}"))
        else:
            rows.append({name: cell.strip() for name, cell in zip(columns, cells)})
        lines.append(reader.line_num)
    if not rows:
        raise validation_problem([field_error("body", "has a header but no rows")])
    return rows, lines


def _count(value: Any, field: str, from_text: bool) -> tuple[int | None, str | None]:
    """A count parsed and range-checked: (value, None) or (None, message)."""
    if from_text:
        if value is None or value == "":
            return None, "is required"
        if not _DIGITS.match(value):
            if value.startswith("-") and _DIGITS.match(value[1:]):
                return None, "must be at least 0"
            return None, "must be a whole number"
        if len(value.lstrip("0")) > len(str(MAX_COUNT)):
            # too long for a bigint, and int() refuses strings of over 4300 digits (a 500)
            return None, f"must be at most {MAX_COUNT} (2^63 − 1)"
        number = int(value)
    else:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None, "must be an integer"
        if isinstance(value, float) and not value.is_integer():
            return None, "must be an integer"
        number = int(value)
    if number < 0:
        return None, "must be at least 0"
    if number > MAX_COUNT:
        return None, f"must be at most {MAX_COUNT} (2^63 − 1)"
    return number, None


def _date(value: Any, latest: dt.date) -> tuple[dt.date | None, str | None]:
    if not isinstance(value, str) or not value:
        return None, "is required" if value in (None, "") else "must be a date written YYYY-MM-DD"
    if not _DATE.match(value):
        return None, "must be a date written YYYY-MM-DD"
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        return None, f"{value} is not a real date"
    if day > latest:
        return None, f"is more than a day in the future (latest accepted: {latest.isoformat()})"
    if day < EARLIEST_DATE:
        return None, f"is before {EARLIEST_DATE.isoformat()}, the earliest date accepted"
    return day, None


def validate_rows(raw_rows: list[Any], variants: Iterable[str], *, batch: bool,
                  lines: list[int] | None = None, today: dt.date | None = None) -> list[DailyRow]:
    """Check every row; return them typed, or raise a 422 listing every problem of every row.

    Rows are JSON values, or with ``lines`` (their CSV line numbers) the cells of a CSV file, whose
    counts are text. ``today`` is the UTC date; rows may be dated at most one day later, for
    callers in time zones ahead of UTC.
    """
    today = today or dt.datetime.now(dt.timezone.utc).date()
    latest = today + dt.timedelta(days=1)
    known = set(variants)
    errors: list[dict] = []
    rows: list[DailyRow] = []
    seen: dict[tuple[dt.date, str], int] = {}

    for index, raw in enumerate(raw_rows):
        position = index if batch else None
        extra = {"line": lines[index]} if lines is not None else {}

        def problem(field: str, message: str) -> None:
            errors.append(field_error(field, message, position, **extra))

        if isinstance(raw, MalformedCsvRow):
            problem("row", raw.message)
            continue
        if not isinstance(raw, dict):
            problem("row", "must be an object with date, variant, impressions and conversions")
            continue
        from_text = lines is not None
        before = len(errors)
        for name in sorted(set(raw) - set(CSV_COLUMNS)):
            problem(name, "is not a known field")
        for name in CSV_COLUMNS:
            if name not in raw:
                problem(name, "is required")

        day, message = _date(raw.get("date"), latest) if "date" in raw else (None, None)
        if message:
            problem("date", message)
        variant = raw.get("variant")
        if "variant" in raw:
            if not isinstance(variant, str) or not variant.strip():
                problem("variant", "must be a non-empty string")
                variant = None
            else:
                variant = variant.strip()
                if variant not in known:
                    problem("variant", f"{variant!r} is not a variant of this experiment "
                                       f"(variants: {', '.join(sorted(known))})")
        counts = {}
        for name in ("impressions", "conversions"):
            if name in raw:
                counts[name], message = _count(raw[name], name, from_text)
                if message:
                    problem(name, message)
        if counts.get("impressions") is not None and counts.get("conversions") is not None \
                and counts["conversions"] > counts["impressions"]:
            problem("conversions", f"must not exceed impressions ({counts['conversions']} > "
                                   f"{counts['impressions']})")
        if day is not None and variant in known:
            first = seen.setdefault((day, variant), index)
            if first != index:
                problem("date", f"duplicates row {first}: the same date and variant twice in one batch")
        if len(errors) == before:
            rows.append(DailyRow(day, variant, counts["impressions"], counts["conversions"]))
    if errors:
        bad_rows = len({e.get("index") for e in errors})
        detail = (f"{bad_rows} of {len(raw_rows)} rows {'is' if bad_rows == 1 else 'are'} invalid; "
                  "nothing was stored."
                  if batch else "The row is invalid; nothing was stored.")
        raise validation_problem(errors, detail)
    return rows


def store_rows(conn: psycopg.Connection, experiment_id: int, rows: list[DailyRow],
               variant_ids: dict[str, int], mode: str = "replace") -> WriteResult:
    """Write validated rows in one statement: a (date, variant) already stored is replaced, or
    in ``add`` mode summed with the new counts. Runs in a savepoint of the caller's transaction."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    ordered = sorted(rows, key=lambda r: (variant_ids[r.variant], r.date))
    params = {
        "experiment_id": experiment_id,
        "variant_ids": [variant_ids[r.variant] for r in ordered],
        "dates": [r.date for r in ordered],
        "impressions": [r.impressions for r in ordered],
        "conversions": [r.conversions for r in ordered],
        "add": mode == "add",
    }
    for attempt in range(1, _WRITE_ATTEMPTS + 1):
        try:
            with conn.transaction():
                if mode == "add":
                    _check_sums_fit(conn, params, ordered, rows)
                outcomes = conn.execute(query("upsert_daily_rows"), params).fetchall()
            break
        except (psycopg.errors.DeadlockDetected, psycopg.errors.SerializationFailure):
            if attempt == _WRITE_ATTEMPTS:
                raise
        except psycopg.errors.NumericValueOutOfRange:
            raise validation_problem([field_error("impressions", "the stored and added counts together "
                                                                 f"exceed {MAX_COUNT}")]) from None
    inserted = sum(1 for o in outcomes if o["inserted"])
    updated = len(outcomes) - inserted
    return WriteResult(inserted=inserted, replaced=updated if mode == "replace" else 0,
                       added=updated if mode == "add" else 0)


def _check_sums_fit(conn, params: dict, ordered: list[DailyRow], original: list[DailyRow]) -> None:
    """In add mode, name every row whose sum with the stored counts would overflow a bigint."""
    stored = {(r["variant_id"], r["date"]): r
              for r in fetch_all(conn, "lock_daily_rows", params)}
    position = {id(row): index for index, row in enumerate(original)}
    errors = []
    for variant_id, row in zip(params["variant_ids"], ordered):
        existing = stored.get((variant_id, row.date))
        if existing and existing["impressions"] + row.impressions > MAX_COUNT:
            errors.append(field_error("impressions", f"together with the stored "
                                      f"{existing['impressions']} exceeds {MAX_COUNT}",
                                      position[id(row)]))
    if errors:
        raise validation_problem(errors)
