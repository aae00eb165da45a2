"""`mab import` of the real Udacity data, checked through the API."""

from pathlib import Path

import pytest

from service.cli import main
from service.importer import ImportError_, parse_date

UDACITY = Path(__file__).resolve().parents[3] / "shared" / "data" / "udacity-free-trial"

UDACITY_ARGS = [
    "import", "udacity", str(UDACITY / "control.csv"), str(UDACITY / "experiment.csv"),
    "--variant", "control", "--variant", "experiment", "--date-column", "Date",
    "--impressions-column", "Clicks", "--conversions-column", "Enrollments",
    "--date-format", "%a, %b %d", "--year", "2014",
]


def _run(args, db_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", db_url)
    return main(args)


@pytest.mark.skipif(not UDACITY.is_dir(), reason="shared data not present")
def test_udacity_import_matches_published_totals(db_url, client, monkeypatch, capsys):
    assert _run(UDACITY_ARGS, db_url, monkeypatch) == 0
    err = capsys.readouterr().err
    assert "control: 23 days stored, 14 skipped" in err
    assert "experiment: 23 days stored, 14 skipped" in err

    listing = client.get("/api/v1/experiments").get_json()
    assert listing["total"] == 1
    experiment = client.get(f"/api/v1/experiments/{listing['experiments'][0]['id']}").get_json()
    totals = {v["name"]: (v["impressions"], v["conversions"], v["days_with_data"])
              for v in experiment["variants"]}
    assert totals == {"control": (17293, 3785, 23), "experiment": (17260, 3423, 23)}
    assert experiment["control"] == "control"
    assert experiment["totals"]["first_date"] == "2014-10-11"
    assert experiment["totals"]["last_date"] == "2014-11-02"

    # Importing again replaces the same days: nothing is double counted.
    assert _run(UDACITY_ARGS, db_url, monkeypatch) == 0
    again = client.get(f"/api/v1/experiments/{experiment['id']}").get_json()
    assert {v["name"]: v["impressions"] for v in again["variants"]} == {"control": 17293, "experiment": 17260}


def test_long_format_import_and_bad_rows(db_url, client, monkeypatch, tmp_path, capsys):
    good = tmp_path / "long.csv"
    good.write_text("date,variant,impressions,conversions\n"
                    "2025-01-01,A,100,10\n2025-01-01,B,100,12\n2025-01-02,A,50,\n")
    assert _run(["import", "long", str(good)], db_url, monkeypatch) == 0
    experiment = client.get("/api/v1/experiments").get_json()["experiments"][0]
    assert [(v["name"], v["impressions"], v["conversions"]) for v in experiment["variants"]] == \
        [("A", 100, 10), ("B", 100, 12)]

    bad = tmp_path / "bad.csv"
    bad.write_text("date,variant,impressions,conversions\n2025-01-03,A,10,11\n2025-01-03,C,1,1\n")
    assert _run(["import", "long", str(bad)], db_url, monkeypatch) == 2
    err = capsys.readouterr().err
    assert "line 2: conversions must not exceed impressions" in err
    assert "line 3: variant 'C' is not a variant" in err
    again = client.get(f"/api/v1/experiments/{experiment['id']}").get_json()
    assert again["totals"]["impressions"] == 200  # nothing of the bad file was stored


def test_parse_date_checks_weekday_and_year():
    assert parse_date("Sat, Oct 11", "%a, %b %d", 2014) == "2014-10-11"
    with pytest.raises(ImportError_, match="is a Saturday"):
        parse_date("Sun, Oct 11", "%a, %b %d", 2014)
    with pytest.raises(ImportError_, match="does not match"):
        parse_date("11/10/2014", "%a, %b %d", 2014)
    assert parse_date("2025-03-01", None, None) == "2025-03-01"


def test_import_cannot_create_a_one_variant_experiment(db_url, client, monkeypatch, tmp_path, capsys):
    single = tmp_path / "solo.csv"
    single.write_text("date,impressions,conversions\n2025-01-01,100,10\n")
    assert _run(["import", "solo", str(single), "--variant", "control"], db_url, monkeypatch) == 2
    err = capsys.readouterr().err
    assert "variants must have at least 2 items" in err
    assert "created experiment" not in err
    assert client.get("/api/v1/experiments").get_json()["total"] == 0


def test_import_into_an_archived_experiment_is_refused(db_url, client, monkeypatch, tmp_path, capsys):
    experiment_id = client.post("/api/v1/experiments", json={"name": "old", "variants": ["A", "B"]}).get_json()["id"]
    assert client.patch(f"/api/v1/experiments/{experiment_id}", json={"status": "archived"}).status_code == 200
    data = tmp_path / "long.csv"
    data.write_text("date,variant,impressions,conversions\n2025-01-01,A,100,10\n")
    assert _run(["import", "old", str(data)], db_url, monkeypatch) == 2
    assert "archived" in capsys.readouterr().err
    assert client.get(f"/api/v1/experiments/{experiment_id}").get_json()["totals"]["impressions"] == 0
