"""The v1 REST API: one blueprint per resource, mounted under /api/v1."""

from flask import current_app


def database():
    """The app's ``Database`` (its pool), for ``with database().connection() as conn``."""
    return current_app.extensions["mab_db"]
