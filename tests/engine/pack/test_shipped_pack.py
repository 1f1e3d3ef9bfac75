"""The shipped pack's reference data hangs together, and the README shows its real output."""

from __future__ import annotations

import re
import subprocess
import sys

import engine
from engine.contract.transaction import COUNTRY_CODES
from tests.conftest import ROOT


def test_vetted_licenses_cover_catalog_models_only(shipped_pack: engine.Pack) -> None:
    models = {row["model"] for row in shipped_pack.tables["chips"].rows}
    for row in shipped_pack.tables["vetted_customers"].rows:
        assert set(row["products"]) <= models, f"line {row.line}: {row['products']}"
        assert row["valid_from"] <= row["valid_to"], f"line {row.line}"


def test_country_groups_hold_assigned_codes(shipped_pack: engine.Pack) -> None:
    for name, members in shipped_pack.tables["country_groups"].sets.items():
        assert members <= COUNTRY_CODES, f"{name}: {sorted(members - COUNTRY_CODES)}"
    groups = shipped_pack.tables["country_groups"].sets
    assert "HK" not in groups["D:5"] and "MO" not in groups["D:5"] and "CN" in groups["D:5"]


def test_catalog_aliases_are_unambiguous(shipped_pack: engine.Pack) -> None:
    seen: dict[str, str] = {}
    for row in shipped_pack.tables["chips"].rows:
        for name in (row["model"], *row["aliases"]):
            key = " ".join(name.casefold().split())
            assert seen.setdefault(key, row["model"]) == row["model"], f"`{name}` names two models"


def test_readme_shows_real_output_of_clearance_check() -> None:
    readme = (ROOT / "README.md").read_text()
    shown = re.findall(r"\(`clearance check (\S+)`, exit status (\d)\):\n\n```\n(.*?)```", readme, re.S)
    assert len(shown) == 3
    for path, status, output in shown:
        run = subprocess.run(
            [sys.executable, "-m", "engine.cli", "check", path], cwd=ROOT, capture_output=True, text=True, check=False
        )
        assert str(run.returncode) == status
        assert _no_ids(run.stdout.rstrip()) == _no_ids(output.rstrip()), (
            f"README output of {path} is stale: run examples/update_readme.py"
        )


def _no_ids(text: str) -> str:
    """The output with its decision ids (new for every decision) blanked."""
    return re.sub(r"\[[0-9a-f]{32}\]", "[decision id]", text)
