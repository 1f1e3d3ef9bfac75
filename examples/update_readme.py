"""Rewrite the README's example outputs from a real run of `clearance check` (tests check they match).

.venv/bin/python examples/update_readme.py
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = [
    ("Allowed, with the 25% fee", "examples/transactions/h200-china-allowed.json"),
    ("Denied, with every failed condition listed", "examples/transactions/b200-china-denied.json"),
    ("Held for review", "examples/transactions/unknown-end-use-review.json"),
    ("Embargoed destination", "examples/transactions/rtx4090d-north-korea-embargo-denied.json"),
    ("License Exception SPP (Syria, from 2025-09-02)", "examples/transactions/rtx4090d-syria-spp-allowed.json"),
    ("A license from the register", "examples/transactions/h100-uae-license-allowed.json"),
    ("A license number the register does not hold", "examples/transactions/h100-uae-unknown-license-review.json"),
]


def main() -> None:
    parts = ["<!-- examples:start -->", "Some of the examples, as `clearance check` prints them:", ""]
    for title, path in EXAMPLES:
        run = subprocess.run(
            [sys.executable, "-m", "engine.cli", "check", path], cwd=ROOT, capture_output=True, text=True, check=False
        )
        parts += [f"**{title}** (`clearance check {path}`, exit status {run.returncode}):", "", "```"]
        parts += [run.stdout.rstrip(), "```", ""]
    parts.append("<!-- examples:end -->")
    readme = ROOT / "README.md"
    text = re.sub(
        r"<!-- examples:start -->.*?<!-- examples:end -->", lambda _: "\n".join(parts), readme.read_text(), flags=re.S
    )
    readme.write_text(text)


if __name__ == "__main__":
    main()
