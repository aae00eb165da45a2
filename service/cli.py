"""The ``mab`` command: serve, migrate, import.

Without DATABASE_URL every command uses the embedded PostgreSQL in MAB_DATA_DIR, so a fresh
machine needs nothing but ``pip install`` and ``mab serve``.
"""

from __future__ import annotations

import argparse
import os
import sys
from contextlib import contextmanager
from pathlib import Path

from . import config


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@contextmanager
def _database(data_dir: str | None):
    """Yield a database URL: DATABASE_URL, or the embedded server (started, stopped after)."""
    url = config.setting("DATABASE_URL")
    if url:
        yield url
        return
    from . import embedded
    directory = data_dir or config.setting("MAB_DATA_DIR")
    _say(f"DATABASE_URL is not set: using the embedded PostgreSQL in {directory}")
    server, url = embedded.start(directory)
    try:
        yield url
    finally:
        embedded.stop(server)


def _migrate(url: str) -> None:
    from .migrate import migrate
    migrate(url, log=_say)


def cmd_migrate(args) -> int:
    with _database(args.data_dir) as url:
        _migrate(url)
    return 0


def cmd_serve(args) -> int:
    from gunicorn.app.base import BaseApplication

    host = args.host or config.setting("MAB_HOST")
    port = args.port or config.setting("MAB_PORT")
    workers = args.workers or config.setting("MAB_WORKERS")

    class _Server(BaseApplication):
        def load_config(self):
            # No control socket: its default path is per user, so two servers would share it.
            for key, value in {"bind": f"{host}:{port}", "workers": workers, "timeout": 60,
                               "accesslog": "-", "graceful_timeout": 10,
                               "control_socket_disable": True}.items():
                self.cfg.set(key, value)

        def load(self):
            from . import create_app
            return create_app()

    with _database(args.data_dir) as url:
        _migrate(url)
        os.environ["DATABASE_URL"] = url  # read by create_app in every worker
        _say(f"serving on http://{host}:{port} (API under /api/v1, health at /healthz)")
        try:
            _Server().run()
        except SystemExit as exit_:
            return exit_.code or 0
    return 0


def cmd_import(args) -> int:
    from . import daily_data, experiments
    from .db import connect, fetch_all
    from .errors import Problem
    from .importer import ColumnMap, ImportError_, read_files

    columns = ColumnMap(date=args.date_column, variant=args.variant_column,
                        impressions=args.impressions_column, conversions=args.conversions_column)
    try:
        read = read_files([Path(p) for p in args.files], args.variant, columns,
                          args.date_format, args.year, progress=_say)
    except (OSError, ImportError_) as exc:
        _say(f"error: {exc}")
        return 2
    _say(f"read {_plural(len(read.rows), 'row')} for {_plural(len(read.variants), 'variant')} "
         f"from {_plural(len(args.files), 'file')}")

    with _database(args.data_dir) as url:
        _migrate(url)
        with connect(url) as conn:
            try:
                with conn.transaction():
                    experiment_id = experiments.resolve_experiment(conn, args.experiment)
                    created = experiment_id is None
                    if created:
                        experiment_id = experiments.create_experiment(conn, {
                            "name": args.experiment, "variants": read.variants,
                            **({"control": args.control} if args.control else {})})
                    experiments.lock_for_data(conn, experiment_id)
                    variant_ids = {r["name"]: r["id"] for r in
                                   fetch_all(conn, "variant_names", {"experiment_id": experiment_id})}
                    rows = daily_data.validate_rows(read.rows, variant_ids, batch=True,
                                                    lines=[line for _, line in read.sources])
                    stored = _store_in_chunks(conn, experiment_id, rows, variant_ids, args.mode)
            except Problem as problem:
                _say(f"error: {problem.detail}")
                for item in (problem.errors or [])[:50]:
                    where = read.sources[item["index"]] if "index" in item else None
                    prefix = f"{where[0]}, line {where[1]}: " if where else ""
                    _say(f"  {prefix}{item['field']} {item['message']}")
                return 2
    if created:
        _say(f"created experiment {args.experiment!r} (id {experiment_id}) "
             f"with variants {', '.join(read.variants)}")
    for variant in read.variants:
        count = sum(1 for r in rows if r.variant == variant)
        _say(f"  {variant}: {_plural(count, 'day')} stored, {read.skipped[variant]} skipped (no conversions)")
    _say(f"experiment {experiment_id}: {stored.inserted} rows inserted, {stored.replaced} replaced, "
         f"{stored.added} added to; {sum(read.skipped.values())} rows skipped")
    print(experiment_id)
    return 0


def _store_in_chunks(conn, experiment_id, rows, variant_ids, mode, chunk=10000):
    from .daily_data import WriteResult, store_rows
    total = WriteResult(0, 0, 0)
    for start in range(0, len(rows), chunk):
        part = store_rows(conn, experiment_id, rows[start:start + chunk], variant_ids, mode)
        total = WriteResult(total.inserted + part.inserted, total.replaced + part.replaced,
                            total.added + part.added)
        if len(rows) > chunk:
            _say(f"stored {min(start + chunk, len(rows))}/{len(rows)} rows")
    return total


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mab", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    data_dir_help = "embedded PostgreSQL data directory when DATABASE_URL is unset (MAB_DATA_DIR)"

    serve = sub.add_parser("serve", help="migrate, then serve the API")
    serve.add_argument("--host", help="listen address (MAB_HOST, default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="listen port (MAB_PORT, default 8000)")
    serve.add_argument("--workers", type=int, help="worker processes (MAB_WORKERS, default 2)")
    serve.add_argument("--data-dir", help=data_dir_help)
    serve.set_defaults(func=cmd_serve)

    migrate = sub.add_parser("migrate", help="apply pending migrations and rebuild views")
    migrate.add_argument("--data-dir", help=data_dir_help)
    migrate.set_defaults(func=cmd_migrate)

    imp = sub.add_parser("import", help="import daily counts from CSV files",
                         description="Import CSV files into an experiment (created if missing). "
                                     "Long format: columns date,variant,impressions,conversions. "
                                     "One file per variant: give --variant once per file. Rows with "
                                     "an empty conversions cell are missing data and are skipped.")
    imp.add_argument("experiment", help="experiment name (or id)")
    imp.add_argument("files", nargs="+", help="CSV files")
    imp.add_argument("--variant", action="append", help="variant of the file at the same position")
    imp.add_argument("--control", help="control variant when the experiment is created (default: first)")
    imp.add_argument("--date-column", default="date")
    imp.add_argument("--variant-column", default="variant")
    imp.add_argument("--impressions-column", default="impressions")
    imp.add_argument("--conversions-column", default="conversions")
    imp.add_argument("--date-format", help="strptime format of the dates, e.g. '%%a, %%b %%d' (default ISO)")
    imp.add_argument("--year", type=int, help="year for dates written without one")
    imp.add_argument("--mode", choices=("replace", "add"), default="replace",
                     help="a day already stored is replaced (default) or added to")
    imp.add_argument("--data-dir", help=data_dir_help)
    imp.set_defaults(func=cmd_import)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
