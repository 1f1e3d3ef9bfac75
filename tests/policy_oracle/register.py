"""POLICY section 5, the license register: whether a license is on file for a transaction, and whether the
customer's id and name disagree.

A license on file is a register row whose holder is the customer (by `customer.id` when given, else by
normalised name), whose products include the item's catalog model, whose destinations include the destination,
whose validity includes the date, and whose remaining quantity and value cover the line. There is no decision
log here, so nothing is used yet: the line alone must fit within `quantity_limit` and `value_limit_usd`.

Names are compared by equality after section 8 normalisation. Section 5 asks for a section 8 score (a different
party scores below 0.92), which the oracle does not compute: the generators pair a holder's id only with the
holder's registered name, its normalisation variants (case, legal form, punctuation, accents, place qualifiers),
or a clearly different name (below 0.80), where equality and the score agree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tests.policy_oracle.reference import License, PolicyData, normalise_name

ON_FILE = "on-file"  # a covering license with room for the line: the license ground of an allow
UNKNOWN_NUMBER = "unknown-number"  # the number given is not in the register: review in place of the deny
NOT_COVERING = "not-covering"  # the number given is in the register but does not cover the transaction: deny
EXHAUSTED = "exhausted"  # a covering license without room for the line: deny
NONE_ON_FILE = "none-on-file"  # no number given and no covering license: deny ("license required")


@dataclass(frozen=True)
class LicenseCheck:
    """What the register says about a transaction that needs a license."""

    outcome: str
    number: str | None = None
    gaps: tuple[str, ...] = ()  # what a given number does not cover: holder, item, destination, date


@dataclass(frozen=True)
class Line:
    """The facts of a transaction the register is checked against."""

    customer: Mapping[str, Any]
    model: str | None
    destination: str
    date: dt.date
    quantity: int
    value_usd: Decimal


def check_license(line: Line, license_number: str | None, data: PolicyData) -> LicenseCheck:
    """Section 5: the license a transaction that needs one has, or why it has none.

    With a `license_number`, that number alone is checked; without one, any covering register row is used."""
    if license_number:
        row = data.license(license_number)
        if row is None:
            return LicenseCheck(UNKNOWN_NUMBER, license_number)
        gaps = coverage_gaps(row, line)
        if gaps:
            return LicenseCheck(NOT_COVERING, row.number, gaps)
        return LicenseCheck(ON_FILE if has_room(row, line) else EXHAUSTED, row.number)
    covering = [row for row in data.licenses if not coverage_gaps(row, line)]
    with_room = [row for row in covering if has_room(row, line)]
    if with_room:
        return LicenseCheck(ON_FILE, with_room[0].number)
    return LicenseCheck(EXHAUSTED, covering[0].number) if covering else LicenseCheck(NONE_ON_FILE)


def coverage_gaps(row: License, line: Line) -> tuple[str, ...]:
    """Which of holder, item, destination and date the register row does not cover (empty: it covers all).

    A license covers exactly the destinations it lists (CN does not cover HK or MO); an item outside the
    catalog is covered by no license (section 3)."""
    gaps = {
        "holder": not holds(row, line.customer),
        "item": line.model is None or line.model.lower() not in row.products,
        "destination": line.destination not in row.destinations,
        "date": not row.valid_from <= line.date <= row.valid_to,
    }
    return tuple(part for part, missing in gaps.items() if missing)


def has_room(row: License, line: Line) -> bool:
    """Depletion with no decision log: only this line counts against the limits."""
    return line.quantity <= row.quantity_limit and line.value_usd <= row.value_limit_usd


def holds(row: License, customer: Mapping[str, Any]) -> bool:
    """Whether the customer is the row's holder: by `customer.id` when given, else by normalised name."""
    customer_id = str(customer.get("id") or "").strip()
    if customer_id:
        return customer_id == row.holder_id
    return normalise_name(str(customer["name"])) == row.holder_key


def id_name_disagreement(customer: Mapping[str, Any], data: PolicyData) -> bool:
    """Section 5: the customer's id belongs to a register holder while the name given is another party's."""
    customer_id = str(customer.get("id") or "").strip()
    registered = data.holder_name(customer_id) if customer_id else None
    return registered is not None and normalise_name(str(customer["name"])) != normalise_name(registered)
