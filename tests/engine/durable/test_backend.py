"""The durable backend as a user's script starts it."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from tests.conftest import tx

SCRIPT = """\
import engine

pack = engine.load_pack()
backend = engine.make_backend(pack, "durable")
decision = engine.check(pack, {tx!r}, backend=backend)
backend.close()
print("decision:", decision.decision)
"""


def test_a_script_without_a_main_guard_can_use_the_durable_backend(tmp_path: Path) -> None:
    """A spawned worker would run such a script again; the worker starts without the caller's main module."""
    script = tmp_path / "screen.py"
    script.write_text(textwrap.dedent(SCRIPT.format(tx=tx())))
    run = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == ["decision: allow"]
    assert "Traceback" not in run.stderr
