"""CSV rows in the columns of SPEC.md become transactions; empty cells are absent values."""

from __future__ import annotations

import csv
import io

import engine
from engine.contract.rows import CSV_COLUMNS, transaction_from_row
from tests.conftest import ROOT


def test_a_full_row() -> None:
    row = dict.fromkeys(CSV_COLUMNS, "")
    row.update(
        id="R-1", date="2026-02-01", product="H200", quantity="100", unit_price_usd="30000", destination="CN",
        customer_id="C-ALI", customer_name="Alibaba Cloud Computing Ltd.", customer_country="CN",
        end_user_name="Alibaba Cloud Computing Ltd.", end_use="commercial-ai",
        attestations="us_third_party_tested; kyc_remote_access_controls;us_supply_sufficient;no_foundry_diversion;"
        "china_volume_within_50pct", tpp="15832", datacenter="true",
    )  # fmt: skip
    tx = transaction_from_row(row)
    assert tx["customer"] == {"id": "C-ALI", "name": "Alibaba Cloud Computing Ltd.", "country": "CN"}
    assert tx["end_user"] == {"name": "Alibaba Cloud Computing Ltd."}
    assert tx["specs"] == {"tpp": "15832", "datacenter": "true"}
    assert tx["attestations"][1] == "kyc_remote_access_controls" and len(tx["attestations"]) == 5
    assert "ship_from" not in tx and "license_number" not in tx
    parsed = engine.parse_transaction(tx)
    assert parsed.specs is not None and parsed.specs.datacenter is True and parsed.quantity == 100


def test_every_example_row_is_a_valid_transaction() -> None:
    text = (ROOT / "examples" / "transactions.csv").read_text()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 1000 and set(CSV_COLUMNS) <= set(rows[0])
    for row in rows:
        engine.parse_transaction(transaction_from_row(row))
