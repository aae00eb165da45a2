"""/api/v1/openapi.json: the OpenAPI 3.1 description of this API."""

from flask import Blueprint

from ..openapi import document

bp = Blueprint("docs", __name__)


@bp.get("/openapi.json")
def openapi():
    return document()
