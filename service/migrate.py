"""Schema migrations: numbered table changes applied once, derived objects rebuilt every time.

``migrate`` runs in one transaction under an advisory lock, so two processes migrating at once
take turns and a failure leaves the database as it was:

1. each ``migrations/NNNN_name.sql`` not yet recorded in ``mab.schema_migrations`` is applied and
   recorded with its checksum (a changed file that was already applied is an error);
2. the ``mab_api`` schema (views and functions from ``sql/objects/``, in file-name order) is
   dropped and created again, so a view never half-updates and never lags the tables.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg.rows import tuple_row

from .resources import resource_dir

# pg_advisory_xact_lock key: the bytes "mab" + "mig" read as a number; any constant would do as
# long as every process uses the same one.
MIGRATION_LOCK_KEY = 0x6D6162_6D6967
DERIVED_SCHEMA = "mab_api"
_MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def available_migrations(directory: Path | None = None) -> list[Migration]:
    """The migration files, in version order; a badly named .sql file is an error."""
    directory = directory or resource_dir("migrations")
    found = []
    for path in sorted(directory.glob("*.sql")):
        match = _MIGRATION_NAME.match(path.name)
        if not match:
            raise ValueError(f"migration file {path.name} is not named NNNN_lowercase_name.sql")
        found.append(Migration(int(match.group(1)), match.group(2), path.read_text()))
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise ValueError("two migration files share a version number")
    return found


def derived_object_files(directory: Path | None = None) -> list[Path]:
    """The view and function files, in the order they are created."""
    directory = directory or resource_dir("sql") / "objects"
    return sorted(directory.glob("*.sql"))


def _bootstrap(conn: psycopg.Connection) -> None:
    conn.execute("CREATE SCHEMA IF NOT EXISTS mab")
    conn.execute(
        """CREATE TABLE IF NOT EXISTS mab.schema_migrations (
               version    integer PRIMARY KEY,
               name       text NOT NULL,
               checksum   text NOT NULL,
               applied_at timestamptz NOT NULL DEFAULT now())"""
    )


def applied_migrations(conn: psycopg.Connection) -> dict[int, str]:
    """version → checksum of the migrations recorded in the database ({} before the first)."""
    cursor = conn.cursor(row_factory=tuple_row)
    exists = cursor.execute("SELECT to_regclass('mab.schema_migrations') IS NOT NULL").fetchone()[0]
    if not exists:
        return {}
    rows = cursor.execute("SELECT version, checksum FROM mab.schema_migrations").fetchall()
    return {version: checksum for version, checksum in rows}


def pending_migrations(conn: psycopg.Connection) -> list[int]:
    """Versions on disk that the database has not applied yet."""
    applied = applied_migrations(conn)
    return [m.version for m in available_migrations() if m.version not in applied]


def migrate(conninfo: str, log=print) -> list[int]:
    """Bring the database at ``conninfo`` up to date; return the versions applied now."""
    migrations = available_migrations()
    objects = derived_object_files()
    applied_now = []
    with psycopg.connect(conninfo) as conn:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK_KEY,))
            _bootstrap(conn)
            applied = applied_migrations(conn)
            for migration in migrations:
                recorded = applied.get(migration.version)
                if recorded is not None:
                    if recorded != migration.checksum:
                        raise RuntimeError(
                            f"migration {migration.version:04d}_{migration.name} changed after it "
                            "was applied; add a new migration instead of editing an applied one"
                        )
                    continue
                conn.execute(migration.sql)
                conn.execute(
                    "INSERT INTO mab.schema_migrations (version, name, checksum) VALUES (%s, %s, %s)",
                    (migration.version, migration.name, migration.checksum),
                )
                applied_now.append(migration.version)
                log(f"applied migration {migration.version:04d}_{migration.name}")
            conn.execute(f"DROP SCHEMA IF EXISTS {DERIVED_SCHEMA} CASCADE")
            conn.execute(f"CREATE SCHEMA {DERIVED_SCHEMA}")
            for path in objects:
                conn.execute(path.read_text())
    log(f"database is up to date ({len(migrations)} migrations, {len(objects)} derived object files)")
    return applied_now
