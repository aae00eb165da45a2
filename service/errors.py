"""One error shape for every endpoint: RFC 9457 ``application/problem+json``.

A problem has ``type``, ``title``, ``status`` and ``detail``; validation problems add an
``errors`` list whose items name the ``field`` (and, for rows of a batch, the row ``index``).
"""

from __future__ import annotations

import logging

from flask import Flask, Response, json
from werkzeug.exceptions import HTTPException

from .db import UNAVAILABLE_ERRORS

PROBLEM_MIME = "application/problem+json"
_TYPE_BASE = "https://mab.example/problems/"

log = logging.getLogger(__name__)


class Problem(Exception):
    """An error the caller can act on; raised anywhere, rendered by the app's handler."""

    def __init__(self, status: int, title: str, detail: str | None = None,
                 errors: list[dict] | None = None, slug: str | None = None,
                 headers: dict | None = None):
        super().__init__(detail or title)
        self.status = status
        self.title = title
        self.detail = detail
        self.errors = errors
        self.slug = slug or title.lower().replace(" ", "-")
        self.headers = headers or {}

    def body(self) -> dict:
        body = {"type": _TYPE_BASE + self.slug, "title": self.title, "status": self.status,
                "detail": self.detail or self.title}
        if self.errors is not None:
            body["errors"] = self.errors
        return body


def field_error(field: str, message: str, index: int | None = None, **extra) -> dict:
    """One item of a problem's ``errors`` list."""
    item = {"field": field, "message": message}
    if index is not None:
        item = {"index": index, **item}
    item.update(extra)
    return item


def validation_problem(errors: list[dict], detail: str | None = None) -> Problem:
    count = len(errors)
    return Problem(422, "Validation failed",
                   detail or f"{count} problem{'s' if count != 1 else ''} in the request; nothing was stored.",
                   errors=errors, slug="validation-failed")


def not_found(what: str) -> Problem:
    return Problem(404, "Not found", f"{what} does not exist.", slug="not-found")


def render(problem: Problem) -> Response:
    response = Response(json.dumps(problem.body()), status=problem.status, mimetype=PROBLEM_MIME)
    for name, value in problem.headers.items():
        response.headers[name] = value
    return response


def register(app: Flask) -> None:
    """Route every error, expected or not, through the problem+json shape."""

    @app.errorhandler(Problem)
    def _problem(problem: Problem):
        return render(problem)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        allow = exc.get_response().headers.get("Allow") if exc.code == 405 else None
        headers = {"Allow": allow} if allow else {}
        return render(Problem(exc.code or 500, exc.name, exc.description, headers=headers))

    for error_type in UNAVAILABLE_ERRORS:
        @app.errorhandler(error_type)
        def _unavailable(exc):
            log.warning("database unavailable: %s", exc)
            return render(Problem(503, "Database unavailable",
                                  "The database cannot be reached right now; retry shortly.",
                                  slug="database-unavailable", headers={"Retry-After": "5"}))

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error")
        return render(Problem(500, "Internal server error",
                              "An unexpected error occurred; it has been logged."))
