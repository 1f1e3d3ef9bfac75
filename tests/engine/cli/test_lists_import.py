"""`clearance lists import`: a downloaded Consolidated Screening List is checked, compared with the pack's list
(added, removed, changed, lifted) and written into the pack, which then loads with a new digest."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

from click.testing import CliRunner

import engine
from engine.cli import main

LIST = Path("data") / "csl_ai_entities.csv"


def test_a_new_list_is_compared_and_written_into_the_pack(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    shutil.copytree(engine.default_pack_path(), pack)
    with (pack / LIST).open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    header = list(rows[0])
    removed, changed, lifted = rows[0], rows[1], rows[2]
    rows = [r for r in rows if r is not removed]
    changed["addresses"] = "Shanghai, CN"
    lifted["end_date"] = "2026-06-30"
    rows.append({**rows[-1], "_id": "new-entry-1", "name": "Example Compute Ltd."})
    source = tmp_path / "consolidated.csv"
    with source.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, quoting=csv.QUOTE_ALL)
        writer.writeheader()
        writer.writerows(rows)
    before = engine.load_pack(pack).digest
    result = CliRunner().invoke(main, ["lists", "import", str(source), "--pack", str(pack), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert [e["name"] for e in report["added"]] == ["Example Compute Ltd."]
    assert [e["name"] for e in report["removed"]] == [removed["name"]]
    assert [e["name"] for e in report["changed"]] == [changed["name"]]
    assert report["changed"][0]["changes"]["addresses"][1] == "Shanghai, CN"
    assert [e["name"] for e in report["lifted"]] == [lifted["name"]]
    assert (pack / LIST).read_bytes() == source.read_bytes()
    assert engine.load_pack(pack).digest != before  # ready to publish as a new version


def test_a_file_that_is_not_a_screening_list_is_refused(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    shutil.copytree(engine.default_pack_path(), pack)
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    result = CliRunner().invoke(main, ["lists", "import", str(bad), "--pack", str(pack)])
    assert result.exit_code == 2 and "bad.csv" in result.output
    assert (pack / LIST).read_bytes() == (engine.default_pack_path() / LIST).read_bytes()
