"""`python -m engine.cli`: the `clearance` command."""

from engine.cli import main

main()
