"""Where the SQL files that ship with the service live.

In an installed package they sit inside it (``service/sql``, ``service/migrations``); in a source
checkout they are the top-level ``sql/`` and ``migrations/`` folders.
"""

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """Return the directory ``name`` ('sql' or 'migrations'), installed or from the checkout."""
    for candidate in (_PACKAGE_DIR / name, _PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"cannot find the {name}/ directory next to {_PACKAGE_DIR}")
