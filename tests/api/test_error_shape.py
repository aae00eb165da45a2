"""Every route answers errors in the one problem+json shape."""

from __future__ import annotations

import re

from .support import assert_problem, create


def _concrete(rule: str, experiment_id: int) -> str:
    return re.sub(r"<experiment_id:experiment_id>", str(experiment_id), rule)


def test_every_route_gives_problem_json_for_unknown_experiments_and_bad_methods(app, client):
    experiment_id = create(client)
    rules = [r for r in app.url_map.iter_rules() if r.endpoint != "static"]
    assert len(rules) >= 10
    for rule in rules:
        path = _concrete(rule.rule, experiment_id)
        if "<experiment_id:experiment_id>" in rule.rule:
            missing = _concrete(rule.rule, 987654)
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                kwargs = {"json": {}} if method in ("POST", "PATCH") else {}
                response = client.open(missing, method=method, **kwargs)
                assert response.status_code in (404, 422), (method, missing)
                assert response.headers["Content-Type"] == "application/problem+json", (method, missing)
        response = client.open(path, method="DELETE")
        body = assert_problem(response, 405)
        assert "Allow" in response.headers, path
        assert body["type"].endswith("/method-not-allowed")


def test_unknown_path_is_problem_json(client):
    body = assert_problem(client.get("/api/v1/nothing-here"), 404)
    assert body["type"].endswith("/not-found")
