"""Boundary-focused transactions for the policy oracle, covering what `tests.generators` leaves thin.

Deterministic for a seed. Every date on which a rule or a registered license starts or ends (and the day either
side), dates before the pack's coverage, every country of every country group, every embargoed destination (Syria
on both sides of 2025-09-02), PD exactly on its edges, fractional and textual measures, licenses on file to the
China route and to D:1/D:4 destinations, license numbers that are in the register (covering the transaction or
not its holder, item, destination or date) or not, lines at, just under and just over a license's quantity and
value limits, customer ids with their holder's name or with another party's, parties without headquarters,
each attestation missing in turn, and prices that round on the half cent.

Party names are far from every screening-list name, and a register holder's id comes only with that holder's
name written differently (case, legal form, punctuation, accents, place qualifier, spacing: the same name once
normalised) or with a clearly different party's name (tests/test_policy_oracle.py checks both).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from functools import cache
from typing import Any

from tests.policy_oracle import ATTESTATIONS, ROUTE_ATTESTATIONS, policy_data
from tests.policy_oracle.reference import License

RULE_DATES = [dt.date(2023, 11, 17), dt.date(2025, 4, 9), dt.date(2025, 8, 11), dt.date(2025, 9, 2),
              dt.date(2026, 1, 15)]  # fmt: skip
BEFORE_COVERAGE = [dt.date(2022, 2, 24), dt.date(2023, 1, 1), dt.date(2023, 10, 17), dt.date(2023, 11, 1)]
PRODUCTS = [
    "H200", "nvidia h200 sxm", "  HGX H200 ", "H200 NVL", "h200 pcie", "H100", "NVIDIA H100 SXM", "H100 PCIe",
    "H800", "A100", "A800", "H20", "nvidia h20", "L20", "L2", "L40S", "B200", "GB200", "B300", "gb300", "RTX 4090",
    "GeForce RTX 4090D", "MI300X", "MI325X", "amd instinct mi325x", "MI355X", "MI350X", "H200X", "Gaudi 3",
]  # fmt: skip
TPPS: list[Any] = [0, 1599, "1599.99", 1600, 2000, 2368, 2399, "2399.5", 2400, 3000, 4799, 4799.5, 4800, 4801,
                   13999, 14000, 14001, 15832, 17499, 17500, 20799, 20800, 20801, 20918, 20999, "20999.99", 21000,
                   "21000.00", 21001, 21099, 21100, 21101, 36000]  # fmt: skip
BANDWIDTHS: list[Any] = [0, 1399, "1399.9", 1400, 2000, 4499, 4500, 4500.5, 4501, 4800, 4999, "4999.99", 5000, 5001,
                         5799, 5800, 5801, 6000, 6199, 6200, 6201, 6499, "6499.99", 6500, 6501, 8000]  # fmt: skip
DENSITIES = ["1.6", "3.2", "5.92"]
DIE_AREAS: list[Any] = [100, 294, 500, 609, 814, "814.0", 1000, 1500, 2000, 3000]
DESTINATIONS = [
    "CN", "HK", "MO", "US", "JP", "DE", "GB", "KR", "SG", "IL", "TW", "IN", "MY", "BR", "MX", "TR", "CY", "ZA",
    "AM", "AZ", "BY", "GE", "IQ", "IR", "KG", "KH", "KP", "KZ", "LA", "LY", "MM", "MD", "MN", "NI", "RU", "TJ",
    "TM", "UZ", "VE", "VN", "YE", "AE", "BH", "EG", "JO", "KW", "LB", "OM", "PK", "QA", "SA", "SY", "AF", "CD",
    "CF", "CU", "ER", "HT", "SD", "SO", "SS", "ZW",
]  # fmt: skip
EMBARGOED = ["CU", "IR", "KP", "SY", "SY", "RU", "BY"]
COUNTRIES = ["CN", "HK", "MO", "US", "JP", "SG", "RU", "AE", "DE", "IR", "TW", "KR", "VN", "IN", "CU", "AF", "IL",
             "SA", "BY", "KZ"]  # fmt: skip
HOLDER_NAMES = {  # each register holder's name, written as customers write it: the same name once normalised
    "C-ALI": [
        "Alibaba Cloud Computing Ltd.", "ALIBABA CLOUD COMPUTING LIMITED", "alibaba cloud computing co., ltd",
        "Alibaba Cloud-Computing Ltd", "Álibaba Cloud Computing Ltd.", "Alibaba Cloud Computing (Hangzhou) Ltd.",
        "Alibaba Cloud Computing Ｌｔｄ．", "Alibaba Cloud Computing Inc.", "Alibaba  Cloud   Computing",
    ],
    "C-BYT": ["Beijing Volcano Engine Technology Co. Ltd.", "BEIJING VOLCANO ENGINE TECHNOLOGY CO LTD",
              "Beijing Volcano Engine Technology Corporation"],
    "C-TEN": ["Tencent Cloud Computing (Beijing) Co. Ltd.", "Tencent Cloud Computing Co., Ltd",
              "Tencent Cloud Computing (Shenzhen) Company Limited", "TENCENT CLOUD COMPUTING"],
    "C-MAC": ["Macau Data Services Ltd.", "Macau Data Services Limited", "Macau Data Services Company"],
    "C-H20": ["Shenzhen Cloud Inference Co. Ltd.", "Shenzhen Cloud Inference Co., Ltd", "SHENZHEN CLOUD INFERENCE"],
    "C-GULF": ["Gulf Compute LLC", "GULF COMPUTE", "Gulf Compute, LLC"],
    "C-RYD": ["Riyadh AI Systems Co.", "Riyadh AI Systems Company", "RIYADH AI SYSTEMS"],
}  # fmt: skip
OTHER_NAMES = [  # clearly different from every holder and every listed party
    "Sakura Internet Inc.", "Lion City Cloud Pte. Ltd.", "Moscow Compute LLC", "Gulf AI Holdings",
    "Hangzhou Inference Co. Ltd.", "Example Research GmbH", "Nordic Render AB", "Totally Different Corp",
    "Dubai Example Trading LLC", "Minsk Render Farm", "Havana Data SA", "Damascus Compute", "Caracas Cloud SA",
]  # fmt: skip
OTHER_IDS = ["C-XXX", "c-ali"]  # ids of no register holder
UNKNOWN_LICENSES = ["BIS-123", "D-2026-0000", "L-2026-9999", "x"]
END_USES = ["commercial-ai", "cloud-services", "research", "consumer", "industrial", "military",
            "military-intelligence", "wmd", "supercomputer", "advanced-ic-fabrication", "unknown", None]  # fmt: skip
PERMITTED_END_USES = ["commercial-ai", "cloud-services", "research", "consumer", "industrial"]
PRICES: list[Any] = ["0", "0.01", "0.02", "0.03", "0.1", "0.06", "1.01", "10.10", "33.33", "999.99", "12345.67",
                     "25000", "30000", 30000, "31999.995", "40000.005", 12.5]  # fmt: skip
QUANTITIES = [1, 2, 3, 7, 10, 100, 333, 999, 1000, 1001, 1999, 2000, 2001, 4096, 10_000, 20_000, 20_001]
CENT = Decimal("0.01")


def party_names() -> list[str]:
    """Every party name the generator can use."""
    return [name for names in HOLDER_NAMES.values() for name in names] + OTHER_NAMES


def registered() -> tuple[License, ...]:
    return policy_data().licenses


@cache
def dates() -> list[dt.date]:
    """Every rule date and every license's first and last day, each with the day either side."""
    edges = [*RULE_DATES, *(day for row in registered() for day in (row.valid_from, row.valid_to))]
    shifted = {day + dt.timedelta(days=shift) for day in edges for shift in (-1, 0, 1)}
    return sorted(shifted | set(BEFORE_COVERAGE))


def license_numbers() -> list[str]:
    return [row.number for row in registered()] + UNKNOWN_LICENSES


@cache
def catalog_names(model: str) -> list[str]:
    """The catalog's names (model and aliases) of a model, lower case."""
    return sorted(name for name, chip in policy_data().chips.items() if chip.model.lower() == model.lower())


def _party(rng: random.Random) -> dict[str, Any]:
    roll = rng.random()
    if roll < 0.3:  # a holder's id with the holder's name
        holder = rng.choice(list(HOLDER_NAMES))
        party: dict[str, Any] = {"id": holder, "name": rng.choice(HOLDER_NAMES[holder])}
    elif roll < 0.4:  # a holder's id with another party's name: id and name disagree
        party = {"id": rng.choice(list(HOLDER_NAMES)), "name": rng.choice(OTHER_NAMES)}
    elif roll < 0.5:
        party = {"id": rng.choice(OTHER_IDS), "name": rng.choice(party_names())}
    else:
        party = {"name": rng.choice(party_names())}
    if rng.random() < 0.8:
        party["country"] = rng.choice(COUNTRIES)
    if rng.random() < 0.45:
        party["headquarters"] = rng.choice(COUNTRIES)
    return party


def _specs(rng: random.Random) -> dict[str, Any]:
    specs: dict[str, Any] = {}
    if rng.random() < 0.85:
        specs["tpp"] = rng.choice(TPPS)
    if rng.random() < 0.6:
        tpp = specs.get("tpp")
        if tpp and rng.random() < 0.5:  # performance density on an edge, or one step either side
            area = Decimal(str(tpp)) / Decimal(rng.choice(DENSITIES))
            nudge = rng.choice([Decimal(0), Decimal("0.001"), Decimal("-0.001")])
            specs["die_area_mm2"] = str((area + nudge).quantize(Decimal("0.000001")))
        else:
            specs["die_area_mm2"] = rng.choice(DIE_AREAS)
    if rng.random() < 0.75:
        specs["memory_bandwidth_gbs"] = rng.choice(BANDWIDTHS)
    if rng.random() < 0.45:
        specs["datacenter"] = rng.choice([True, False, True, "true", "no", "yes", "0"])
    return specs


def _attestations(rng: random.Random) -> list[str]:
    roll = rng.random()
    if roll < 0.35:
        return list(ROUTE_ATTESTATIONS)
    if roll < 0.55:
        return list(ATTESTATIONS)
    if roll < 0.8:  # one missing
        missing = rng.choice(ATTESTATIONS)
        return [a for a in ATTESTATIONS if a != missing]
    return rng.sample(ATTESTATIONS, rng.randrange(len(ATTESTATIONS)))


def transaction(rng: random.Random, index: int) -> dict[str, Any]:
    """One boundary-focused transaction (valid per SPEC.md) as a JSON-like dict."""
    day = rng.choice(dates()) if rng.random() < 0.85 else dt.date(2023, 11, 1) + dt.timedelta(rng.randrange(1300))
    tx: dict[str, Any] = {
        "id": f"B-{index}",
        "date": day.isoformat(),
        "quantity": rng.choice(QUANTITIES),
        "unit_price_usd": rng.choice(PRICES),
        "destination": rng.choice(DESTINATIONS),
        "customer": _party(rng),
    }
    if rng.random() < 0.95:
        tx["product"] = rng.choice(PRODUCTS)
    if rng.random() < 0.45:
        tx["specs"] = _specs(rng)
    if rng.random() < 0.25:
        tx["ship_from"] = rng.choice(["US", "US", "TW", "HK", "MY", "SG", "MX", "CN"])
    if rng.random() < 0.35:
        tx["end_user"] = _party(rng)
    _set_end_use(tx, rng.choice(END_USES))
    if rng.random() < 0.3:
        tx["license_number"] = rng.choice(license_numbers())
    if rng.random() < 0.8:
        tx["attestations"] = _attestations(rng)
    return tx


def embargoed(rng: random.Random, index: int) -> dict[str, Any]:
    """A transaction to an embargoed destination (section 4.1), around the date Syria relaxed or earlier."""
    tx = transaction(rng, index)
    tx["id"] = f"E-{index}"
    tx["destination"] = rng.choice(EMBARGOED)
    spp = dt.date(2025, 9, 2)
    tx["date"] = rng.choice([spp - dt.timedelta(days=1), spp, spp + dt.timedelta(days=1), *dates()]).isoformat()
    if rng.random() < 0.6:  # items neither 3A090 nor H20-class, H20-class and 3A090 ones, unknown ones
        tx["product"] = rng.choice(["RTX 4090D", "L2", "L20", "H20", "H200", "RTX 4090", "custom-asic"])
        tx.pop("specs", None)
        _set_end_use(tx, rng.choice(["consumer", "commercial-ai", "research", "unknown", None]))
    return tx


def near_allow(rng: random.Random, index: int) -> dict[str, Any]:
    """A transaction that a registered license would allow, with zero to two of its facts moved to an edge."""
    row = rng.choice(registered())
    day = row.valid_from + dt.timedelta(days=rng.randrange((row.valid_to - row.valid_from).days + 1))
    if rng.random() < 0.4:
        day = rng.choice([row.valid_from, row.valid_to])
    customer: dict[str, Any] = {"name": rng.choice(HOLDER_NAMES[row.holder_id]), "country": row.holder_country}
    if rng.random() < 0.6:
        customer["id"] = row.holder_id
    end_use = rng.choice(PERMITTED_END_USES)
    tx: dict[str, Any] = {
        "id": f"N-{index}",
        "date": day.isoformat(),
        "product": _licensed_product(rng, row),
        "quantity": rng.choice(QUANTITIES[:8]),
        "unit_price_usd": rng.choice(PRICES),
        "destination": rng.choice(sorted(row.destinations)),
        "customer": customer,
        "end_use": end_use,
        "attestations": list(ATTESTATIONS) if end_use == "cloud-services" else list(ROUTE_ATTESTATIONS),
    }
    if rng.random() < 0.5:
        tx["license_number"] = row.number
    if rng.random() < 0.3:
        _move_amount(rng, tx, row)
    for _ in range(rng.choice([0, 1, 1, 2])):
        rng.choice(PERTURBATIONS)(rng, tx, row)
    return tx


def _licensed_product(rng: random.Random, row: License) -> str:
    name = rng.choice(catalog_names(rng.choice(sorted(row.products))))
    return rng.choice([name, name.upper(), name.title()])


def _set_end_use(tx: dict[str, Any], end_use: str | None) -> None:
    if end_use is None:
        tx.pop("end_use", None)
    else:
        tx["end_use"] = end_use


def _move_amount(rng: random.Random, tx: dict[str, Any], row: License) -> None:
    """A line at, just under or just over the license's quantity limit, or its value limit."""
    if rng.random() < 0.5:
        tx["quantity"] = row.quantity_limit + rng.choice([-1, 0, 1])
        tx["unit_price_usd"] = rng.choice(["0.01", "1000"])
        return
    quantity = rng.choice([1, 10, 100, 1000, row.quantity_limit])
    exact = row.value_limit_usd / quantity
    price = exact.quantize(CENT, rng.choice([ROUND_FLOOR, ROUND_CEILING])) + rng.choice([-CENT, 0, 0, CENT])
    tx.update(quantity=quantity, unit_price_usd=str(price))


def _move_date(rng: random.Random, tx: dict[str, Any], row: License) -> None:
    tx["date"] = rng.choice(dates()).isoformat()


def _move_specs(rng: random.Random, tx: dict[str, Any], row: License) -> None:
    tx["specs"] = _specs(rng)


def _move_band(rng: random.Random, tx: dict[str, Any], row: License) -> None:
    tx["specs"] = {"tpp": rng.choice(TPPS[10:]), "memory_bandwidth_gbs": rng.choice(BANDWIDTHS[5:])}


def _move_product(rng: random.Random, tx: dict[str, Any], row: License) -> None:
    tx["product"] = rng.choice(PRODUCTS)


def _move_attestations(rng: random.Random, tx: dict[str, Any], row: License) -> None:
    tx["attestations"] = _attestations(rng)


def _move_route(rng: random.Random, tx: dict[str, Any], row: License) -> None:
    tx["ship_from"] = rng.choice(["US", "TW", "HK", "MY"])
    tx["destination"] = rng.choice([*DESTINATIONS[:12], "RU", "IR", "AE", "SA", "VN", "KZ", "SY", "VE"])


def _move_parties(rng: random.Random, tx: dict[str, Any], row: License) -> None:
    if rng.random() < 0.5:
        tx["end_user"] = _party(rng)
    else:
        tx["customer"] = _party(rng)


def _disagree(rng: random.Random, tx: dict[str, Any], row: License) -> None:
    """The holder's id with another party's name."""
    tx["customer"] = {**tx["customer"], "id": row.holder_id, "name": rng.choice(OTHER_NAMES)}


def _move_end_use(rng: random.Random, tx: dict[str, Any], row: License) -> None:
    _set_end_use(tx, rng.choice(END_USES))


def _move_license(rng: random.Random, tx: dict[str, Any], row: License) -> None:
    """Another license's number (not covering the holder, item, destination or date), an unknown one, or none."""
    number = rng.choice([*license_numbers(), None])
    if number is None:
        tx.pop("license_number", None)
    else:
        tx["license_number"] = number


PERTURBATIONS = [_move_date, _move_specs, _move_band, _move_product, _move_attestations, _move_route, _move_parties,
                 _disagree, _move_end_use, _move_license, _move_license, _move_amount]  # fmt: skip


def generate(count: int, seed: int = 20231117) -> Iterator[dict[str, Any]]:
    """`count` boundary-focused transactions, the same for the same seed: two in five start near an allow,
    one in ten goes to an embargoed destination."""
    rng = random.Random(seed)
    for index in range(count):
        roll = rng.random()
        if roll < 0.4:
            yield near_allow(rng, index)
        elif roll < 0.5:
            yield embargoed(rng, index)
        else:
            yield transaction(rng, index)
