"""Every setting of the service, declared once: environment variable, default and help.

The README's settings table is checked against this list by a test, so a setting cannot be added
without being documented.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Setting:
    env: str
    default: str | None
    help: str
    kind: type = str


def _default_data_dir() -> str:
    # The embedded PostgreSQL changes the permissions of the data directory's parents when it
    # runs as root (it drops to a dedicated user), so root gets a system path, not /root.
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return "/var/lib/mab"
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return str(Path(base) / "mab")


SETTINGS: tuple[Setting, ...] = (
    Setting("DATABASE_URL", None,
            "PostgreSQL connection URL. Unset: `mab serve` starts an embedded PostgreSQL."),
    Setting("MAB_DATA_DIR", None,
            "Directory of the embedded PostgreSQL's data (default /var/lib/mab as root, "
            "else $XDG_DATA_HOME/mab or ~/.local/share/mab)."),
    Setting("MAB_HOST", "127.0.0.1", "Address `mab serve` listens on."),
    Setting("MAB_PORT", "8000", "Port `mab serve` listens on.", int),
    Setting("MAB_WORKERS", "2", "Gunicorn worker processes.", int),
    Setting("MAB_POOL_MIN_SIZE", "1", "Connections each worker keeps open.", int),
    Setting("MAB_POOL_MAX_SIZE", "10", "Most connections one worker opens.", int),
    Setting("MAB_POOL_TIMEOUT", "5", "Seconds a request waits for a connection before a 503.", float),
    Setting("MAB_STATEMENT_TIMEOUT_MS", "30000", "Longest a single SQL statement may run.", int),
    Setting("MAB_MAX_BODY_BYTES", "10485760", "Largest request body accepted (413 above).", int),
    Setting("MAB_LOG_LEVEL", "INFO", "Log level of the service."),
)

_BY_ENV = {s.env: s for s in SETTINGS}


def setting(env: str, environ: dict[str, str] | None = None):
    """Read one declared setting, converted to its type; None when unset and without default."""
    declared = _BY_ENV[env]
    source = os.environ if environ is None else environ
    raw = source.get(env) or declared.default
    if env == "MAB_DATA_DIR" and raw is None:
        raw = _default_data_dir()
    if raw is None:
        return None
    try:
        return declared.kind(raw)
    except ValueError:
        raise ValueError(f"{env} must be a {declared.kind.__name__}, got {raw!r}") from None


def load(overrides: dict | None = None) -> dict:
    """All settings as a dict keyed by environment variable name, overridden by ``overrides``."""
    values = {s.env: setting(s.env) for s in SETTINGS}
    values.update(overrides or {})
    return values
