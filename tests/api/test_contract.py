"""Real responses match the shapes the OpenAPI document declares, and the document covers every
route the app serves."""

from __future__ import annotations

import re

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from service import schemas

from .support import create, post_rows, rows


def _check(schema: dict, body) -> None:
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in
              Draft202012Validator(schema, format_checker=FormatChecker()).iter_errors(body)]
    assert errors == []


def test_responses_match_their_declared_schemas(client):
    experiment_id = create(client, variants=("A", "B", "C"))
    base = f"/api/v1/experiments/{experiment_id}"
    write = client.post(f"{base}/data", json=rows("2025-01-01", A=(500, 50), B=(400, 60), C=(0, 0)))
    _check(schemas.DATA_WRITE_RESULT, write.get_json())
    deployment = client.post(f"{base}/allocations", json={"effective_date": "2025-01-02",
                                                          "allocations": {"A": 50, "B": 50}})
    _check(schemas.DEPLOYMENT, deployment.get_json())
    post_rows(client, experiment_id, rows("2025-01-02", A=(500, 40), B=(500, 70)))
    cases = [
        ("/healthz", schemas.HEALTH), ("/readyz", schemas.HEALTH),
        ("/api/v1/experiments", schemas.EXPERIMENT_LIST), (base, schemas.EXPERIMENT),
        (f"{base}/data", schemas.DATA_ROWS), (f"{base}/allocation", schemas.ALLOCATION),
        (f"{base}/allocation?algorithm=ucb", schemas.ALLOCATION),
        (f"{base}/allocation?method=monte_carlo", schemas.ALLOCATION),
        (f"{base}/allocations", schemas.DEPLOYMENT_HISTORY), (f"{base}/statistics", schemas.STATISTICS),
        (f"{base}/statistics?estimator=pooled", schemas.STATISTICS), (f"{base}/timeseries", schemas.TIMESERIES),
    ]
    for path, schema in cases:
        response = client.get(path)
        assert response.status_code == 200, path
        _check(schema, response.get_json())
    problem = client.post(f"{base}/data", json=[{"date": "x"}])
    _check(schemas.PROBLEM, problem.get_json())


def test_openapi_document_covers_every_route(app, client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"] == "3.1.0"
    declared = {(path, method.upper()) for path, ops in document["paths"].items()
                for method in ops if method != "parameters"}
    served = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint in ("static", "docs.openapi"):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        served |= {(path, method) for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert served == declared
    # Request bodies point at the very declarations the API validates against.
    assert document["components"]["schemas"]["ExperimentCreate"]["required"] == schemas.EXPERIMENT_CREATE["required"]
    refs = re.findall(r'"\$ref": "#/components/schemas/(\w+)"', client.get("/api/v1/openapi.json").get_data(as_text=True))
    assert set(refs) <= set(document["components"]["schemas"])


@pytest.mark.parametrize("name", sorted(schemas.COMPONENTS))
def test_every_declared_schema_is_valid_json_schema(name):
    Draft202012Validator.check_schema(schemas.COMPONENTS[name])
