"""POLICY sections 1, 2, 4, 4.1, 5, 6 and 7 as rulings, and their combination into a decision and a fee.

Each rule of the brief is a `Ruling`: its effect (deny, review or allow) and its truth in three-valued logic.
Section 2 combines them: any deny that holds -> `deny`; else any review that holds, or any rule that missing
data leaves unsettled -> `review` (fail closed); else any allow that holds -> `allow`; else `review` (no rule
decides). Fees (section 6) are owed only on an allow; an unsettled fee rule holds the export for review.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from tests.policy_oracle.classification import BANDWIDTH_EDGES, Profile, item_profile, resolve_item, samples
from tests.policy_oracle.reference import PolicyData, policy_data, to_date, to_decimal, to_list
from tests.policy_oracle.register import (
    ON_FILE,
    UNKNOWN_NUMBER,
    LicenseCheck,
    Line,
    check_license,
    id_name_disagreement,
)
from tests.policy_oracle.truth import Truth, all_of, any_of, negate

ALLOW, DENY, REVIEW = "allow", "deny", "review"
INVALID = "invalid"  # not a decision: what the brief calls invalid input (the engine raises InvalidTransaction)
ZERO = Decimal("0.00")
CENT = Decimal("0.01")

COVERAGE_FROM = dt.date(2023, 11, 17)  # section 1
H20_CLASS_FROM = dt.date(2025, 4, 9)
H20_FEE_FROM = dt.date(2025, 8, 11)
SYRIA_SPP_FROM = dt.date(2025, 9, 2)
CHINA_ROUTE_FROM = dt.date(2026, 1, 15)

CHINA_ROUTE = frozenset({"CN", "HK", "MO"})
EMBARGOED = {"CU": "embargo", "IR": "embargo", "KP": "embargo", "RU": "russia-belarus", "BY": "russia-belarus"}
SYRIA = "SY"
DENIED_END_USES = frozenset({"military", "military-intelligence", "wmd", "supercomputer", "advanced-ic-fabrication"})
PERMITTED_END_USES = frozenset({"commercial-ai", "cloud-services", "research", "consumer", "industrial"})
ROUTE_ATTESTATIONS = (
    "us_third_party_tested",
    "kyc_remote_access_controls",
    "us_supply_sufficient",
    "no_foundry_diversion",
    "china_volume_within_50pct",
)
CLOUD_ATTESTATION = "iaas_remote_users_disclosed"
ATTESTATIONS = (*ROUTE_ATTESTATIONS, CLOUD_ATTESTATION)  # section 5: the whole vocabulary
MAX_NAME = 500  # section 8

BANDWIDTHS = samples(BANDWIDTH_EDGES)  # one memory bandwidth in every region the thresholds cut (section 3)

FEE_232 = Decimal("0.25")
FEE_H20 = Decimal("0.15")


@dataclass(frozen=True)
class Listing:
    """What section 8 screening found for a party, given by the caller: the oracle has no name matcher.

    `effect` is `deny` (a strong match on the Entity List, MEU List, DPL or SDN) or `review` (a possible match,
    or any match on another list); `strong` is a score of at least 0.92 on any list (fails China route
    condition 5)."""

    effect: str
    strong: bool
    since: dt.date | None = None  # the entry's start date: not listed before it


# What a person reading the lists finds for the generated parties that are listed (tests/generators.py): the
# Chinese names of Huawei (Entity List from 2019-05-21), Moore Threads (from 2023-10-17) and Zhipu (from
# 2025-01-16, named without its city); Gazprombank, written
# in Cyrillic, on the Sectoral Sanctions list (another CSL list: review, and it fails route condition 5); and a
# name in characters no one can read, which must be screened by hand (review).
SCREENED = {
    "华为技术有限公司": Listing(DENY, strong=True, since=dt.date(2019, 5, 21)),
    "華為技術有限公司": Listing(DENY, strong=True, since=dt.date(2019, 5, 21)),
    "摩尔线程智能科技（北京）有限公司": Listing(DENY, strong=True, since=dt.date(2023, 10, 17)),
    "智谱华章科技有限公司": Listing(DENY, strong=True, since=dt.date(2025, 1, 16)),  # Beijing Zhipu Huazhang
    "Газпромбанк": Listing(REVIEW, strong=True),
    "\U000f0041\U000f0042 Co.": Listing(REVIEW, strong=False),
}


@dataclass(frozen=True)
class Ruling:
    """One rule of the brief applied to a transaction."""

    section: str
    ground: str
    effect: str
    truth: Truth


@dataclass(frozen=True)
class Judgement:
    """The decision, its fee, and the rulings that hold or that missing data leaves unsettled."""

    decision: str
    fee_usd: Decimal
    rulings: tuple[Ruling, ...] = ()

    @property
    def grounds(self) -> list[str]:
        """The rulings as `effect section ground`, an unsettled one marked `?`."""
        return [f"{r.effect} {r.section} {r.ground}{'' if r.truth else '?'}" for r in self.rulings]


@dataclass(frozen=True)
class Facts:
    """The item-independent facts of one transaction, defaults applied."""

    date: dt.date
    destination: str
    ship_from: str
    end_use: str | None
    customer: Mapping[str, Any]
    end_user: Mapping[str, Any]
    attestations: frozenset[str]
    license_number: str | None
    quantity: int
    value_usd: Decimal

    @classmethod
    def of(cls, tx: Mapping[str, Any]) -> Facts:
        quantity = int(tx["quantity"])
        return cls(
            date=to_date(tx["date"]),
            destination=tx["destination"],
            ship_from=tx.get("ship_from") or "US",  # section 5 condition 2: default US
            end_use=tx.get("end_use"),
            customer=tx["customer"],
            end_user=tx.get("end_user") or tx["customer"],  # the end user defaults to the customer
            attestations=frozenset(to_list(tx.get("attestations"))),
            license_number=str(tx.get("license_number") or "").strip() or None,
            quantity=quantity,
            value_usd=quantity * to_decimal(tx["unit_price_usd"]),
        )

    @property
    def parties(self) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
        return self.customer, self.end_user


def decide(
    tx: Mapping[str, Any], data: PolicyData | None = None, listings: Mapping[str, Listing] | None = None
) -> tuple[str, Decimal]:
    """Judge one transaction; returns (decision, fee in USD), or (`invalid`, 0.00) for invalid input."""
    judgement = judge(tx, data, listings)
    return judgement.decision, judgement.fee_usd


def judge(
    tx: Mapping[str, Any], data: PolicyData | None = None, listings: Mapping[str, Listing] | None = None
) -> Judgement:
    """Judge one transaction (the JSON-like dict of SPEC.md) under the brief.

    `listings` maps a party name to what screening found for it (default: `SCREENED`); every other party is
    unlisted."""
    data = data or policy_data()
    if invalid_input(tx):
        return Judgement(INVALID, ZERO)
    facts = Facts.of(tx)
    listings = {
        name: listing
        for name, listing in (SCREENED if listings is None else listings).items()
        if listing.since is None or facts.date >= listing.since
    }
    standing = list(standing_rules(facts, data, listings))
    item = resolve_item(tx, data)
    if facts.date < COVERAGE_FROM:  # section 1: only the rules in force at every date decide; else review
        return combine([*standing, Ruling("1", "before-coverage", REVIEW, True)], [], facts.value_usd)
    if item is None:  # section 3
        return combine([*standing, Ruling("3", "cannot-classify", REVIEW, True)], [], facts.value_usd)
    h20_in_force = facts.date >= H20_CLASS_FROM
    line = Line(facts.customer, item.model, facts.destination, facts.date, facts.quantity, facts.value_usd)
    check = check_license(line, facts.license_number, data)
    strong_match = any(listings[p["name"]].strong for p in facts.parties if p["name"] in listings)

    def under(profile: Profile) -> Judgement:
        rulings = [
            *standing,
            *three_a090_rules(facts, profile, check, data),
            *china_route_rules(facts, profile, check, item.us_commercial, strong_match),
            *h20_class_rules(facts, profile, check, data),
            *other_item_rules(facts, profile),
        ]
        return combine([r for r in rulings if r.truth is not False], fee_rules(facts, profile), facts.value_usd)

    profile = item_profile(item.tpp, item.die_area, item.bandwidth, item.datacenter, h20_in_force)
    if item.bandwidth is None and profile.h20_class is None:
        # Section 3: a missing figure is needed only where it can change the decision. Where every memory
        # bandwidth the item could have gives the same decision and fee, the bandwidth is not asked for.
        completions = [
            under(item_profile(item.tpp, item.die_area, bandwidth, item.datacenter, h20_in_force))
            for bandwidth in BANDWIDTHS
        ]
        if len({(j.decision, j.fee_usd) for j in completions}) == 1:
            return completions[0]
    return under(profile)


def combine(rulings: list[Ruling], fees: list[tuple[Truth, Decimal]], value_usd: Decimal) -> Judgement:
    """Section 2: deny overrides review overrides allow; the default, and anything unsettled, is review."""
    if any(r.effect == DENY and r.truth for r in rulings):
        decision = DENY
    elif any(r.effect == REVIEW or r.truth is None for r in rulings):
        decision = REVIEW
    elif any(r.effect == ALLOW for r in rulings) and all(truth is not None for truth, _ in fees):
        decision = ALLOW
    else:
        decision = REVIEW  # no rule decides, or a fee that missing data leaves unsettled
    if decision != ALLOW:
        return Judgement(decision, ZERO, tuple(rulings))
    rate = sum((rate for truth, rate in fees if truth), Decimal(0))
    return Judgement(ALLOW, (rate * value_usd).quantize(CENT, rounding=ROUND_HALF_UP), tuple(rulings))


def invalid_input(tx: Mapping[str, Any]) -> bool:
    """What the brief calls invalid input: an attestation outside the vocabulary (section 5), a party name
    longer than 500 characters or holding a control character (section 8)."""
    if any(name not in ATTESTATIONS for name in to_list(tx.get("attestations"))):
        return True
    parties = [tx["customer"], tx.get("end_user") or tx["customer"]]
    names = [str(party["name"]).strip() for party in parties]
    return any(len(name) > MAX_NAME or any(unicodedata.category(ch) == "Cc" for ch in name) for name in names)


# -- the rules in force at every date (sections 4.1, 5, 7, 8) ------------------------------------------------


def standing_rules(facts: Facts, data: PolicyData, listings: Mapping[str, Listing]) -> Iterator[Ruling]:
    """Embargoes, end use, the customer's id and name, and screening: they apply at every date and to every
    item, catalogued or not, classifiable or not."""
    dest = facts.destination
    yield Ruling("4.1", EMBARGOED.get(dest, "embargo"), DENY, dest in EMBARGOED)
    yield Ruling("4.1", "syria-before-spp", DENY, dest == SYRIA and facts.date < SYRIA_SPP_FROM)
    yield Ruling("7", "end-use-denied", DENY, facts.end_use in DENIED_END_USES)
    yield Ruling("7", "end-use-unknown", REVIEW, facts.end_use in (None, "unknown"))
    yield Ruling("5", "id-name-disagree", REVIEW, id_name_disagreement(facts.customer, data))
    for name in dict.fromkeys(party["name"] for party in facts.parties):  # the customer, then the end user
        listing = listings.get(name)
        if listing is not None:
            yield Ruling("8", f"listed-party-{listing.effect}", listing.effect, True)


# -- 3A090 items outside the China route (section 4) ---------------------------------------------------------


def three_a090_rules(facts: Facts, item: Profile, check: LicenseCheck, data: PolicyData) -> list[Ruling]:
    """Section 4: D:5, the HQ rule, the D:1/D:4 license destinations, and every other destination."""
    dest = facts.destination
    if item.is_3a090 is False or dest in CHINA_ROUTE:
        return []
    d5 = dest in data.group("D:5")
    license_destination = license_destination_of(dest, data)
    a = item.is_3a090
    return [
        Ruling("4", "d5", DENY, all_of(a, d5)),  # presumption of denial, even with a license number
        Ruling("4", "hq-rule", DENY, all_of(a, any_of(*(hq_of_concern(p, data) for p in facts.parties)))),
        license_ruling("4", all_of(a, license_destination), check),
        Ruling("4", "no-license-required", ALLOW, all_of(a, not d5, not license_destination)),
    ]


def license_destination_of(dest: str, data: PolicyData) -> bool:
    """Section 4: (D:1 or D:4) and not (A:5 or A:6) and not D:5."""
    groups = data.group("D:1") | data.group("D:4")
    return dest in groups - (data.group("A:5") | data.group("A:6") | data.group("D:5"))


def hq_of_concern(party: Mapping[str, Any], data: PolicyData) -> Truth:
    """Section 4: headquarters (else country) in D:5 or Macau, Hong Kong counting as China; None if neither."""
    hq = party.get("headquarters") or party.get("country")
    if not hq:
        return None
    return hq in data.group("D:5") or hq in ("MO", "HK")


def license_ruling(section: str, required: Truth, check: LicenseCheck) -> Ruling:
    """Section 5, where a license is required: the license on file allows; a number not in the register is
    for review in place of the deny; anything else denies ("license required", or what the number does not
    cover, or the license exhausted)."""
    effect = {ON_FILE: ALLOW, UNKNOWN_NUMBER: REVIEW}.get(check.outcome, DENY)
    return Ruling(section, f"license-{check.outcome}", effect, required)


# -- the China route (section 5) -----------------------------------------------------------------------------


def china_route_rules(
    facts: Facts, item: Profile, check: LicenseCheck, us_commercial: bool, strong_match: bool
) -> list[Ruling]:
    """Section 5: 3A090 items to CN, HK or MO: presumption of denial before 2026-01-15, then the route, whose
    every failed condition denies (a number not in the register: review in place of the deny)."""
    if item.is_3a090 is False or facts.destination not in CHINA_ROUTE:
        return []
    a = item.is_3a090
    if facts.date < CHINA_ROUTE_FROM:
        return [Ruling("5", "presumption-before-route", DENY, a)]
    required = set(ROUTE_ATTESTATIONS) | ({CLOUD_ATTESTATION} if facts.end_use == "cloud-services" else set())
    met = {
        "route-1-limits": item.within_route_limits,
        "route-2-ship-from-us": facts.ship_from == "US",
        "route-3-us-commercial": us_commercial,
        "route-5-end-use-and-screening": facts.end_use in PERMITTED_END_USES and not strong_match,
        "route-6-attestations": required <= facts.attestations,
    }
    failed = [Ruling("5", ground, DENY, all_of(a, negate(truth))) for ground, truth in met.items()]
    license = license_ruling("5", a, check)  # condition 4
    route = Ruling("5", "china-route", ALLOW, all_of(a, license.effect == ALLOW, *met.values()))
    return [*failed, license if license.effect != ALLOW else route]


# -- H20-class items (section 5) and every other item (section 4.1) ------------------------------------------


def h20_class_rules(facts: Facts, item: Profile, check: LicenseCheck, data: PolicyData) -> list[Ruling]:
    """Section 5: an H20-class item needs a license on file to CN, HK, MO and D:5, and nowhere else."""
    if item.h20_class is False:
        return []
    h = item.h20_class
    needs_license = facts.destination in CHINA_ROUTE or facts.destination in data.group("D:5")
    return [
        license_ruling("5", all_of(h, needs_license), check),
        Ruling("4", "no-license-required", ALLOW, all_of(h, not needs_license)),
    ]


def other_item_rules(facts: Facts, item: Profile) -> list[Ruling]:
    """Section 4.1: an item neither 3A090 nor H20-class needs no license except to the embargoed destinations;
    to Syria from 2025-09-02 it goes under License Exception SPP."""
    dest = facts.destination
    spp = dest == SYRIA and facts.date >= SYRIA_SPP_FROM
    return [
        Ruling("4.1", "license-exception-spp", ALLOW, all_of(item.neither, spp)),
        Ruling("4.1", "no-license-required", ALLOW, all_of(item.neither, dest not in EMBARGOED, dest != SYRIA)),
    ]


# -- fees (section 6) ----------------------------------------------------------------------------------------


def fee_rules(facts: Facts, item: Profile) -> list[tuple[Truth, Decimal]]:
    """Section 6, on an allowed line: 25% on 3A090 items in a fee band to CN/HK/MO from 2026-01-15 (only the
    China route allows them), 15% on H20-class items to CN/HK/MO from 2025-08-11 (only a license allows them)."""
    china = facts.destination in CHINA_ROUTE
    return [
        (all_of(item.is_3a090, china, facts.date >= CHINA_ROUTE_FROM, item.in_fee_band), FEE_232),
        (all_of(item.h20_class, china, facts.date >= H20_FEE_FROM), FEE_H20),
    ]
