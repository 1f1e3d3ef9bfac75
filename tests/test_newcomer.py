"""The newcomer's path: the README's first-success commands, run as written in a fresh clone of the committed
repository.

`make run` really creates the clone's own `.venv` and installs into it (minutes), then serves; the README's
commands of "A first decision in under a minute" run against it, and must print what the README shows (on a free
port instead of 8000, as tests/docs.py does for every document). The README's other command, `make test`, is the
one CI runs itself before this test.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests import docs
from tests.conftest import ROOT


@pytest.mark.slow
def test_the_readmes_first_decision_works_in_a_fresh_clone(tmp_path: Path) -> None:
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True)
    clone = tmp_path / "clearance"
    subprocess.run(["git", "clone", "--quiet", "--no-checkout", str(ROOT), str(clone)], check=True)
    subprocess.run(["git", "checkout", "--quiet", head.stdout.strip()], cwd=clone, check=True)
    assert not (clone / ".venv").exists()
    problems = docs.run_document("README.md", clone=clone)
    assert problems == [], "\n\n".join(map(str, problems))
    assert (clone / ".venv" / "bin" / "clearance").exists()
