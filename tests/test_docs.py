"""The README documents every setting and every experiment setting the code declares."""

from pathlib import Path

from service.config import SETTINGS
from service.schemas import SETTINGS as EXPERIMENT_SETTINGS

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_every_environment_setting_is_in_the_readme():
    missing = [s.env for s in SETTINGS if f"| `{s.env}` |" not in README]
    assert missing == []


def test_every_experiment_setting_is_in_the_readme():
    missing = [name for name in EXPERIMENT_SETTINGS["properties"] if f"`{name}`" not in README]
    assert missing == []
