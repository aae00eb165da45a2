"""Reading CSV files for ``mab import``: the long format (date, variant, impressions,
conversions) or one file per variant with its own column names and date format.

The rows it produces are validated and stored by ``service.daily_data``, the same code the API
uses. A row whose conversions cell is empty is missing data, not zero: it is skipped and counted.
"""

from __future__ import annotations

import csv
import datetime as dt
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path


class ImportError_(Exception):
    """A file cannot be read as asked (missing column, bad date); the message says which."""


@dataclass(frozen=True)
class ColumnMap:
    date: str = "date"
    variant: str = "variant"
    impressions: str = "impressions"
    conversions: str = "conversions"


@dataclass
class ReadResult:
    rows: list[dict] = field(default_factory=list)
    sources: list[tuple[str, int]] = field(default_factory=list)  # (file, line) of each row
    variants: list[str] = field(default_factory=list)  # in order of first appearance
    skipped: Counter = field(default_factory=Counter)   # variant → rows with no conversions


def parse_date(text: str, date_format: str | None, year: int | None) -> str:
    """An ISO date from a cell: ISO as is, or ``date_format`` (strptime) with ``year`` added when
    the cells carry none. A weekday in the cell must match the date."""
    text = text.strip()
    if not date_format:
        return text
    fmt, value = date_format, text
    if year is not None:
        fmt, value = f"{date_format} %Y", f"{text} {year}"
    try:
        parsed = time.strptime(value, fmt)
    except ValueError:
        raise ImportError_(f"date {text!r} does not match the format {date_format!r}") from None
    day = dt.date(parsed.tm_year, parsed.tm_mon, parsed.tm_mday)
    if ("%a" in date_format or "%A" in date_format) and parsed.tm_wday != day.weekday():
        raise ImportError_(f"date {text!r}: {day.isoformat()} is a {day.strftime('%A')}")
    return day.isoformat()


def _column(header: list[str], wanted: str, path: Path) -> int:
    lowered = [name.strip().lower() for name in header]
    try:
        return lowered.index(wanted.strip().lower())
    except ValueError:
        raise ImportError_(f"{path}: no column {wanted!r} (columns: {', '.join(header)})") from None


def read_files(paths: list[Path], variants: list[str] | None, columns: ColumnMap,
               date_format: str | None = None, year: int | None = None,
               progress=None) -> ReadResult:
    """Read every file into API-shaped rows. With ``variants`` (one per file) each file holds one
    variant; otherwise a file needs a variant column, or is named after its variant."""
    if variants and len(variants) != len(paths):
        raise ImportError_(f"{len(variants)} --variant names for {len(paths)} files; give one per file")
    result = ReadResult()
    for position, path in enumerate(paths):
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                raise ImportError_(f"{path}: the file is empty")
            fixed_variant = variants[position] if variants else None
            variant_at = None
            if fixed_variant is None:
                if columns.variant.strip().lower() in [h.strip().lower() for h in header]:
                    variant_at = _column(header, columns.variant, path)
                else:
                    fixed_variant = path.stem
            date_at = _column(header, columns.date, path)
            impressions_at = _column(header, columns.impressions, path)
            conversions_at = _column(header, columns.conversions, path)
            for cells in reader:
                if not any(cell.strip() for cell in cells):
                    continue
                if len(cells) < len(header):
                    raise ImportError_(f"{path}, line {reader.line_num}: {len(cells)} cells, "
                                       f"the header has {len(header)}")
                variant = fixed_variant or cells[variant_at].strip()
                if variant not in result.variants:
                    result.variants.append(variant)
                if not cells[conversions_at].strip():
                    result.skipped[variant] += 1
                    continue
                try:
                    day = parse_date(cells[date_at], date_format, year)
                except ImportError_ as exc:
                    raise ImportError_(f"{path}, line {reader.line_num}: {exc}") from None
                result.rows.append({"date": day, "variant": variant,
                                    "impressions": cells[impressions_at].strip(),
                                    "conversions": cells[conversions_at].strip()})
                result.sources.append((str(path), reader.line_num))
                if progress and len(result.rows) % 50000 == 0:
                    progress(f"read {len(result.rows)} rows")
    return result
