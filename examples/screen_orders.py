"""Screen an order book with the Python API: one line per order, then the totals.

    .venv/bin/python examples/screen_orders.py examples/orders.csv

It loads the shipped pack once, turns each CSV row into a transaction, and judges it with `engine.check`. An
`engine.InMemoryFacts` carries the use of each license from one order to the next, as the decision log does for
the HTTP API: an allowed order under a license adds its units and value, and a later order sees what remains.
Invalid rows are reported, not fatal.
"""

from __future__ import annotations

import csv
import sys
from collections import Counter
from decimal import Decimal
from typing import Any

import engine

PARTY = ("id", "name", "country", "headquarters")


def transaction(row: dict[str, str]) -> dict[str, Any]:
    """A CSV row (the columns of `clearance batch`) as a transaction object; empty cells are left out."""
    cells = {key: value for key, value in row.items() if value}
    tx: dict[str, Any] = {
        key: cells[key]
        for key in ("id", "date", "product", "quantity", "unit_price_usd", "ship_from", "destination", "end_use")
        if key in cells
    }
    for party in ("customer", "end_user"):
        fields = {attr: cells[f"{party}_{attr}"] for attr in PARTY if f"{party}_{attr}" in cells}
        if fields:
            tx[party] = fields
    if "license_number" in cells:
        tx["license_number"] = cells["license_number"]
    if "attestations" in cells:
        tx["attestations"] = cells["attestations"].split(";")
    return tx


def main(path: str) -> int:
    pack = engine.load_pack(engine.default_pack_path())
    usage = engine.InMemoryFacts()
    outcomes: Counter[str] = Counter()
    fees = Decimal(0)
    with open(path, newline="", encoding="utf-8-sig") as handle:
        for row in csv.DictReader(handle):
            try:
                decision = engine.check(pack, transaction(row), facts=usage)
            except engine.InvalidTransaction as exc:
                outcomes["invalid"] += 1
                print(f"{row['id']:8} invalid  {exc}")
                continue
            usage.record(decision)
            outcomes[decision.decision] += 1
            if decision.decision == "allow":
                fees += decision.fee_usd
            rules = ", ".join(f.rule for f in decision.findings)
            print(f"{row['id']:8} {decision.decision:7}  fee {decision.fee_usd:>12,}  {rules}")
    counts = ", ".join(f"{count} {outcome}" for outcome, count in sorted(outcomes.items()))
    print(f"{counts}; fees owed on allowed orders: USD {fees:,}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
