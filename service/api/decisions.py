"""/api/v1/experiments/{id}/allocation, /allocations, /statistics, /timeseries."""

from flask import Blueprint

bp = Blueprint("decisions", __name__)
