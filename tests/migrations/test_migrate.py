"""Migrations build the schema from nothing, run once, and are safe to run concurrently."""

import threading

import psycopg
import pytest

from service.migrate import available_migrations, derived_object_files, migrate


def _one(url, sql, params=()):
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchone()[0]


def test_builds_expected_schema_from_nothing(empty_db_url):
    applied = migrate(empty_db_url, log=lambda _: None)
    assert applied == [m.version for m in available_migrations()]
    tables = _one(empty_db_url, """SELECT array_agg(table_name::text ORDER BY table_name)
                                   FROM information_schema.tables
                                   WHERE table_schema = 'mab' AND table_type = 'BASE TABLE'""")
    assert tables == ["daily_data", "deployment_shares", "deployments", "experiments",
                      "schema_migrations", "variants"]
    # The unique (experiment, variant, date) constraint and the counts check exist.
    constraints = _one(empty_db_url, """SELECT array_agg(conname::text ORDER BY conname)
                                        FROM pg_constraint
                                        WHERE conrelid = 'mab.daily_data'::regclass""")
    assert "daily_data_one_row_per_day" in constraints
    assert "daily_data_counts_valid" in constraints
    column_types = dict(psycopg.connect(empty_db_url).execute(
        """SELECT column_name::text, data_type::text FROM information_schema.columns
           WHERE table_schema = 'mab' AND table_name = 'daily_data'""").fetchall())
    assert column_types["impressions"] == "bigint" and column_types["conversions"] == "bigint"
    functions = _one(empty_db_url, """SELECT array_agg(p.proname::text ORDER BY p.proname)
                                      FROM pg_proc AS p JOIN pg_namespace AS n ON n.oid = p.pronamespace
                                      WHERE n.nspname = 'mab_api'""")
    for name in ("wilson_interval", "normal_quantile", "variant_summary", "daily_series",
                 "expected_traffic", "recent_traffic"):
        assert name in functions


def test_second_run_applies_nothing_and_keeps_data(db_url):
    with psycopg.connect(db_url) as conn:
        conn.execute("INSERT INTO mab.experiments (name) VALUES ('kept')")
    assert migrate(db_url, log=lambda _: None) == []
    assert _one(db_url, "SELECT count(*) FROM mab.experiments WHERE name = 'kept'") == 1
    assert _one(db_url, "SELECT count(*) FROM mab.schema_migrations") == len(available_migrations())


def test_concurrent_migrations_take_turns(empty_db_url):
    failures = []

    def run():
        try:
            migrate(empty_db_url, log=lambda _: None)
        except Exception as exc:  # collected and asserted below
            failures.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert _one(empty_db_url, "SELECT count(*) FROM mab.schema_migrations") == len(available_migrations())


def test_edited_applied_migration_is_refused(db_url):
    with psycopg.connect(db_url) as conn:
        conn.execute("UPDATE mab.schema_migrations SET checksum = 'different' WHERE version = 1")
    with pytest.raises(RuntimeError, match="changed after it was applied"):
        migrate(db_url, log=lambda _: None)


def test_failed_rebuild_leaves_database_as_it_was(db_url, tmp_path, monkeypatch):
    """A broken view file aborts the whole migration: the old views are still there."""
    broken = tmp_path / "objects"
    broken.mkdir()
    for path in derived_object_files():
        (broken / path.name).write_text(path.read_text())
    (broken / "999_broken.sql").write_text("CREATE VIEW mab_api.broken AS SELECT no_such_column;")
    import service.migrate as migrate_module
    monkeypatch.setattr(migrate_module, "derived_object_files",
                        lambda directory=None: sorted(broken.glob("*.sql")))
    with pytest.raises(psycopg.errors.UndefinedColumn):
        migrate_module.migrate(db_url, log=lambda _: None)
    assert _one(db_url, "SELECT to_regclass('mab_api.variant_totals') IS NOT NULL") is True
    assert _one(db_url, "SELECT to_regclass('mab_api.broken') IS NULL") is True
