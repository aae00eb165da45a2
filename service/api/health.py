"""/healthz (the process answers) and /readyz (the database answers and is migrated)."""

from __future__ import annotations

from flask import Blueprint

from ..db import UNAVAILABLE_ERRORS
from ..errors import Problem
from ..migrate import pending_migrations
from . import database

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return {"status": "ok"}


@bp.get("/readyz")
def readyz():
    try:
        with database().connection() as conn:
            pending = pending_migrations(conn)
    except UNAVAILABLE_ERRORS:
        raise Problem(503, "Not ready", "The database cannot be reached.", slug="not-ready",
                      headers={"Retry-After": "5"}) from None
    if pending:
        raise Problem(503, "Not ready", f"Migrations not applied: {pending}; run `mab migrate`.",
                      slug="not-ready")
    return {"status": "ready"}
