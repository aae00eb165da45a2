"""The database handle: a connection pool per process and the named queries of ``sql/queries``.

Queries live in ``.sql`` files as blocks headed ``-- name: query_name`` followed by a one-line
comment saying what they return; Python runs them by name with ``%(param)s`` parameters.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator

import psycopg
from psycopg.adapt import Loader
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

from .resources import resource_dir

_NAME_LINE = re.compile(r"^--\s*name:\s*([a-z_][a-z0-9_]*)\s*$", re.MULTILINE)

# Errors meaning "the database cannot be reached or did not answer in time": the request gets a
# 503 and the pool replaces the broken connection, so service resumes when PostgreSQL is back.
UNAVAILABLE_ERRORS = (psycopg.OperationalError, PoolTimeout)


@lru_cache(maxsize=None)
def queries(directory: Path | None = None) -> dict[str, str]:
    """All named queries, name → SQL text, read once per process."""
    directory = directory or resource_dir("sql") / "queries"
    found: dict[str, str] = {}
    for path in sorted(directory.glob("*.sql")):
        text = path.read_text()
        names = list(_NAME_LINE.finditer(text))
        for match, following in zip(names, names[1:] + [None]):
            body = text[match.end(): following.start() if following else len(text)].strip()
            if match.group(1) in found:
                raise ValueError(f"query {match.group(1)} is defined twice")
            found[match.group(1)] = body
    return found


def query(name: str) -> str:
    """The SQL text of one named query."""
    return queries()[name]


def fetch_all(conn: psycopg.Connection, name: str, params: dict | None = None) -> list[dict]:
    return conn.execute(query(name), params or {}).fetchall()


def fetch_one(conn: psycopg.Connection, name: str, params: dict | None = None) -> dict | None:
    return conn.execute(query(name), params or {}).fetchone()


class _WholeOrFloatLoader(Loader):
    """numeric → int when whole, else float. Sums of bigint counts are numeric in SQL (many days
    near the bigint limit add up past it); Python's int holds them exactly, and the statistics
    need plain numbers, not Decimal."""

    def load(self, data) -> int | float:
        value = Decimal(bytes(data).decode())
        return int(value) if value == value.to_integral_value() else float(value)


def configure(conn: psycopg.Connection) -> None:
    """Per-connection set-up shared by the pool and the command line."""
    conn.adapters.register_loader("numeric", _WholeOrFloatLoader)


def connect(conninfo: str, **kwargs) -> psycopg.Connection:
    """A single connection with the service's set-up (for the command line and tests)."""
    conn = psycopg.connect(conninfo, row_factory=dict_row, **kwargs)
    configure(conn)
    return conn


class Database:
    """A psycopg connection pool, created closed and opened in the process that serves requests.

    Opening without waiting lets the service start while PostgreSQL is still down; checking each
    connection as it leaves the pool drops connections that died with a server restart.
    """

    def __init__(self, conninfo: str, *, min_size: int = 1, max_size: int = 10,
                 timeout: float = 5.0, statement_timeout_ms: int = 30000):
        self.conninfo = conninfo
        self.pool = ConnectionPool(
            conninfo,
            min_size=min_size,
            max_size=max_size,
            timeout=timeout,
            open=False,
            check=ConnectionPool.check_connection,
            configure=configure,
            kwargs={
                "row_factory": dict_row,
                "connect_timeout": max(1, int(timeout)),
                "application_name": "mab-service",
                "options": f"-c statement_timeout={int(statement_timeout_ms)}",
            },
            name="mab",
        )

    def open(self) -> None:
        self.pool.open(wait=False)

    def close(self) -> None:
        self.pool.close()

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection[Any]]:
        """One connection for one request: committed on success, rolled back on any error."""
        with self.pool.connection() as conn:
            yield conn
