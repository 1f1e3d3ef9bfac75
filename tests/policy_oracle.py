"""An independent plain-Python reading of POLICY.md (sections 1-7) for differential tests of the shipped pack.

`decide(tx)` judges one transaction, given as the JSON-like dict of SPEC.md, and returns `(decision, fee_usd)`.
It reads only the pack's reference data (catalog, country groups, vetted customers), never its rules.
Denied-party screening (section 8) is out of scope: every party is taken to be unlisted.

Missing data (POLICY 3) is judged rule by rule, as POLICY's own example reads ("die area when 1,600 <= TPP <
4,800 ... make[s] the item unclassifiable"): every rule of sections 4-6 is a condition in three-valued logic; a
deny rule that holds denies, one that cannot be settled because a field is missing gives `review`, and so does a
fee rule that cannot be settled when the transaction would otherwise be allowed. An unknown (die area, memory
bandwidth, a party's headquarters) is settled when every value it could take gives the condition the same truth.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Any

import yaml

DATA = Path(__file__).resolve().parent.parent / "rules" / "us-ai-chips" / "data"

ALLOW, DENY, REVIEW = "allow", "deny", "review"
ZERO = Decimal("0.00")
CENT = Decimal("0.01")

COVERAGE_FROM = dt.date(2023, 11, 17)
H20_CLASS_FROM = dt.date(2025, 4, 9)
H20_FEE_FROM = dt.date(2025, 8, 11)
CHINA_ROUTE_FROM = dt.date(2026, 1, 15)

CHINA_ROUTE = frozenset({"CN", "HK", "MO"})
DENIED_END_USES = frozenset({"military", "military-intelligence", "wmd", "supercomputer", "advanced-ic-fabrication"})
PERMITTED_END_USES = frozenset({"commercial-ai", "cloud-services", "research", "consumer", "industrial"})
ATTESTATIONS = (
    "us_third_party_tested",
    "kyc_remote_access_controls",
    "us_supply_sufficient",
    "no_foundry_diversion",
    "china_volume_within_50pct",
)
CLOUD_ATTESTATION = "iaas_remote_users_disclosed"
LEGAL_FORMS = frozenset(
    {
        "co", "company", "corp", "corporation", "inc", "incorporated", "ltd", "limited", "llc", "plc", "pte", "pty",
        "gmbh", "ag", "sa", "nv", "bv", "jsc", "oao", "ooo", "zao", "ao", "kk",
    }
)  # fmt: skip

FEE_232 = Decimal("0.25")
FEE_H20 = Decimal("0.15")

# Thresholds of sections 3, 5 and 6 on the quantities that can be missing.
PD_EDGES = (Fraction("1.6"), Fraction("3.2"), Fraction("5.92"))
BANDWIDTH_EDGES = (1400, 4500, 5000, 5800, 6200, 6500)


@dataclass(frozen=True)
class Chip:
    """One catalog row."""

    model: str
    names: frozenset[str]
    datacenter: bool
    us_commercial: bool
    tpp: Fraction | None
    die_area: Fraction | None
    bandwidth: Fraction | None


@dataclass(frozen=True)
class VettedCustomer:
    """One row of the vetted-customer list (a license on file)."""

    customer_id: str
    normalised_name: str
    products: frozenset[str]
    valid_from: dt.date
    valid_to: dt.date


@dataclass(frozen=True)
class PolicyData:
    """The reference data the policy refers to."""

    chips: Mapping[str, Chip]
    groups: Mapping[str, frozenset[str]]
    vetted: tuple[VettedCustomer, ...]

    def group(self, name: str) -> frozenset[str]:
        return self.groups.get(name, frozenset())


@dataclass(frozen=True)
class Item:
    """What is known about the item after resolving the product and applying `specs`."""

    model: str | None
    us_commercial: bool
    datacenter: bool
    tpp: Fraction
    die_area: Fraction | None
    bandwidth: Fraction | None


Truth = bool | None
"""A condition's truth in three-valued logic: None when missing data leaves it unsettled."""


@dataclass(frozen=True)
class Profile:
    """What sections 3, 5 and 6 say about the item, each fact possibly unsettled by missing data."""

    is_3a090: Truth
    h20_class: Truth
    within_route_limits: Truth
    in_fee_band: Truth


@dataclass(frozen=True)
class Context:
    """The item-independent facts of one transaction."""

    date: dt.date
    destination: str
    ship_from: str
    end_use: str | None
    license_number: bool
    license_on_file: bool
    us_commercial: bool
    attestations: frozenset[str]
    line_value: Decimal


def decide(tx: Mapping[str, Any], data: PolicyData | None = None) -> tuple[str, Decimal]:
    """Judge one transaction under POLICY sections 1-7; returns (decision, fee in USD)."""
    data = data or policy_data()
    date = _date(tx["date"])
    end_use = tx.get("end_use")
    if end_use in DENIED_END_USES:  # section 7 applies at every date and overrides everything else
        return DENY, ZERO
    if date < COVERAGE_FROM:  # section 1: outside the pack's coverage
        return REVIEW, ZERO
    item = resolve_item(tx, data)
    if item is None:  # section 3: cannot classify
        return REVIEW, ZERO
    customer = tx["customer"]
    ctx = Context(
        date=date,
        destination=tx["destination"],
        ship_from=tx.get("ship_from") or "US",
        end_use=end_use,
        license_number=bool(str(tx.get("license_number") or "").strip()),
        license_on_file=license_on_file(customer, item.model, date, data),
        us_commercial=item.us_commercial,
        attestations=frozenset(_attestations(tx.get("attestations"))),
        line_value=Decimal(int(tx["quantity"])) * _decimal(tx["unit_price_usd"]),
    )
    profile = item_profile(item.tpp, item.die_area, item.bandwidth, item.datacenter, date >= H20_CLASS_FROM)
    hq_of_concern = any_of(*(_hq_of_concern(party, data) for party in (customer, tx.get("end_user") or customer)))
    denials, fees = licensing_rules(ctx, profile, hq_of_concern, data)
    if any(truth is True for truth in denials):
        return DENY, ZERO
    if end_use not in PERMITTED_END_USES:  # section 7: unknown or missing end use
        return REVIEW, ZERO
    if any(truth is None for truth in denials) or any(truth is None for truth, _ in fees):  # missing data
        return REVIEW, ZERO
    rate = sum((rate for truth, rate in fees if truth), Decimal(0))
    return ALLOW, (rate * ctx.line_value).quantize(CENT, rounding=ROUND_HALF_UP)


def licensing_rules(
    ctx: Context, item: Profile, hq_of_concern: Truth, data: PolicyData
) -> tuple[list[Truth], list[tuple[Truth, Decimal]]]:
    """Sections 4-6 as conditions: the deny rules, and the fee rules with their rates."""
    dest = ctx.destination
    china = dest in CHINA_ROUTE
    d5 = dest in data.group("D:5")
    license_destination = dest in (data.group("D:1") | data.group("D:4")) - (
        data.group("A:5") | data.group("A:6") | data.group("D:5")
    )
    route_open = ctx.date >= CHINA_ROUTE_FROM
    route_met = _route_conditions(ctx, item)
    h20_licensed = ctx.license_number or ctx.license_on_file
    denials = [
        all_of(item.is_3a090, china, not route_open),  # presumption of denial before the route
        all_of(item.is_3a090, china, route_open, negate(route_met)),  # a route condition failed
        all_of(item.is_3a090, not china, d5),  # D:5 other than China
        all_of(item.is_3a090, not china, hq_of_concern),  # HQ rule
        all_of(item.is_3a090, not china, license_destination, not ctx.license_number),  # D:1/D:4 license
        all_of(item.h20_class, china or d5, not h20_licensed),  # H20-class license
    ]
    fees = [
        (all_of(item.is_3a090, china, route_open, route_met, item.in_fee_band), FEE_232),
        (all_of(item.h20_class, china, ctx.date >= H20_FEE_FROM, h20_licensed), FEE_H20),
    ]
    return denials, fees


def _route_conditions(ctx: Context, item: Profile) -> Truth:
    """Section 5, conditions 1-6 of the China route (screening taken as clear)."""
    required = set(ATTESTATIONS)
    if ctx.end_use == "cloud-services":
        required.add(CLOUD_ATTESTATION)
    return all_of(
        item.within_route_limits,
        ctx.ship_from == "US",
        ctx.us_commercial,
        ctx.license_on_file,
        ctx.end_use in PERMITTED_END_USES,
        required <= ctx.attestations,
    )


def all_of(*values: Truth) -> Truth:
    """Three-valued AND."""
    if any(value is False for value in values):
        return False
    return True if all(value is True for value in values) else None


def any_of(*values: Truth) -> Truth:
    """Three-valued OR."""
    if any(value is True for value in values):
        return True
    return False if all(value is False for value in values) else None


def negate(value: Truth) -> Truth:
    """Three-valued NOT."""
    return None if value is None else not value


# -- classification (section 3) ---------------------------------------------------------------------------------


def resolve_item(tx: Mapping[str, Any], data: PolicyData) -> Item | None:
    """The catalog row with `specs` applied field by field; None when the item cannot be classified at all.

    An item outside the catalog needs at least its TPP from `specs` to be classified.
    """
    product = tx.get("product")
    chip = data.chips.get(product.strip().lower()) if isinstance(product, str) else None
    specs = tx.get("specs") or {}
    tpp = _measure(specs.get("tpp"), chip.tpp if chip else None)
    if tpp is None:
        return None
    datacenter = _flag(specs.get("datacenter"))
    return Item(
        model=chip.model if chip else None,
        us_commercial=chip.us_commercial if chip else False,
        datacenter=datacenter if datacenter is not None else (chip.datacenter if chip else True),
        tpp=tpp,
        die_area=_measure(specs.get("die_area_mm2"), chip.die_area if chip else None),
        bandwidth=_measure(specs.get("memory_bandwidth_gbs"), chip.bandwidth if chip else None),
    )


@cache
def item_profile(
    tpp: Fraction, die_area: Fraction | None, bandwidth: Fraction | None, datacenter: bool, h20_in_force: bool
) -> Profile:
    """Classify the item over every completion of its unknown die area and bandwidth."""
    densities = [tpp / die_area] if die_area is not None else _samples(PD_EDGES)
    bandwidths = [bandwidth] if bandwidth is not None else _samples(BANDWIDTH_EDGES)
    seen = [classify(tpp, pd, bw, datacenter, h20_in_force) for pd, bw in itertools.product(densities, bandwidths)]
    return Profile(*(_settled({getattr(p, field) for p in seen}) for field in Profile.__dataclass_fields__))


def classify(tpp: Fraction, pd: Fraction, bandwidth: Fraction, datacenter: bool, h20_in_force: bool) -> Profile:
    """Section 3 (3A090.a/.b, Note 2, H20 class), section 5 condition 1 and the section 6 fee bands."""
    if not datacenter and tpp < 4800:  # Note 2
        is_3a090 = False
    else:
        is_a = tpp >= 4800 or (tpp >= 1600 and pd >= Fraction("5.92"))
        is_b = (2400 <= tpp < 4800 and Fraction("1.6") <= pd < Fraction("5.92")) or (
            tpp >= 1600 and Fraction("3.2") <= pd < Fraction("5.92")
        )
        is_3a090 = is_a or is_b
    band_1 = 14000 < tpp < 17500 and 4500 < bandwidth < 5000
    band_2 = 20800 < tpp < 21100 and 5800 < bandwidth < 6200
    return Profile(
        is_3a090=is_3a090,
        h20_class=h20_in_force and datacenter and not is_3a090 and bandwidth >= 1400,
        within_route_limits=tpp < 21000 and bandwidth < 6500,
        in_fee_band=band_1 or band_2,
    )


def _settled(values: set[Truth]) -> Truth:
    return values.pop() if len(values) == 1 else None


def _samples(edges: Iterable[Fraction | int]) -> list[Fraction]:
    """One value in every region the edges cut the non-negative line into, the edges included."""
    points = sorted({Fraction(edge) for edge in edges})
    samples = [Fraction(0), points[0] / 2, *points, points[-1] + 1]
    return samples + [(a + b) / 2 for a, b in itertools.pairwise(points)]


# -- parties and licenses (sections 4, 5, 8) --------------------------------------------------------------------


def _hq_of_concern(party: Mapping[str, Any], data: PolicyData) -> Truth:
    """Section 4: headquarters (else country) in D:5 or Macau, Hong Kong counting as China; None if neither given."""
    hq = party.get("headquarters") or party.get("country")
    if not hq:
        return None
    return hq in data.group("D:5") or hq in ("MO", "HK")


def license_on_file(customer: Mapping[str, Any], model: str | None, date: dt.date, data: PolicyData) -> bool:
    """Section 5: the customer is vetted (by id when given, else by normalised name) for the item's catalog model."""
    if model is None:
        return False
    customer_id = customer.get("id")
    if customer_id:
        rows = [row for row in data.vetted if row.customer_id == customer_id.strip()]
    else:
        name = normalise_name(customer["name"])
        rows = [row for row in data.vetted if row.normalised_name == name]
    return any(model.lower() in row.products and row.valid_from <= date <= row.valid_to for row in rows)


def normalise_name(name: str) -> str:
    """Section 8 normalisation: accents off, lower case, no place qualifiers, punctuation or legal forms."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = re.sub(r"\([^()]*\)", " ", text)
    text = "".join(ch if ch.isalnum() or ch.isspace() else " " for ch in text)
    return " ".join(word for word in text.split() if word not in LEGAL_FORMS)


# -- questions the differential test asks about a disagreement ---------------------------------------------


def item_class_unsettled(tx: Mapping[str, Any], data: PolicyData | None = None) -> bool:
    """Whether missing data leaves it open if the item is 3A090 or H20-class (not whether it can be classified)."""
    data = data or policy_data()
    item = resolve_item(tx, data)
    if item is None:
        return False
    profile = item_profile(
        item.tpp, item.die_area, item.bandwidth, item.datacenter, _date(tx["date"]) >= H20_CLASS_FROM
    )
    return profile.is_3a090 is None or profile.h20_class is None


def licensed(tx: Mapping[str, Any], data: PolicyData | None = None) -> bool:
    """Whether the transaction carries a license number or its customer has a license on file for the item."""
    data = data or policy_data()
    item = resolve_item(tx, data)
    model = item.model if item else None
    has_number = bool(str(tx.get("license_number") or "").strip())
    return has_number or license_on_file(tx["customer"], model, _date(tx["date"]), data)


# -- data and values ----------------------------------------------------------------------------------------------


@cache
def policy_data(root: Path = DATA) -> PolicyData:
    """Read the catalog, country groups and vetted customers of the pack's data directory."""
    chips: dict[str, Chip] = {}
    with (root / "chips.csv").open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            names = {row["model"], *(alias for alias in row["aliases"].split(";") if alias.strip())}
            chip = Chip(
                model=row["model"],
                names=frozenset(name.strip().lower() for name in names),
                datacenter=row["datacenter"].strip().lower() == "true",
                us_commercial=row["us_commercial"].strip().lower() == "true",
                tpp=_fraction(row["tpp"]),
                die_area=_fraction(row["die_area_mm2"]),
                bandwidth=_fraction(row["memory_bandwidth_gbs"]),
            )
            for name in chip.names:
                chips[name] = chip
    groups = yaml.safe_load((root / "country_groups.yaml").read_text(encoding="utf-8"))
    vetted = []
    with (root / "vetted_customers.csv").open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            vetted.append(
                VettedCustomer(
                    customer_id=row["customer_id"].strip(),
                    normalised_name=normalise_name(row["name"]),
                    products=frozenset(p.strip().lower() for p in row["products"].split(";") if p.strip()),
                    valid_from=dt.date.fromisoformat(row["valid_from"].strip()),
                    valid_to=dt.date.fromisoformat(row["valid_to"].strip()),
                )
            )
    return PolicyData(
        chips=chips,
        groups={str(name): frozenset(codes) for name, codes in groups.items()},
        vetted=tuple(vetted),
    )


def _date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value).strip())


def _decimal(value: Any) -> Decimal:
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(str(value).strip().replace(",", ""))


def _fraction(value: str) -> Fraction | None:
    return Fraction(Decimal(value.strip())) if value and value.strip() else None


def _measure(value: Any, default: Fraction | None) -> Fraction | None:
    return default if value is None else Fraction(_decimal(value))


def _flag(value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("true", "yes", "1")


def _attestations(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(";") if part.strip()]
    return [str(part).strip() for part in value]
