"""Boundary-focused transactions for the policy oracle, covering what `benchmarks.transactions` leaves thin.

Deterministic for a seed: every date on which a rule or a vetted license starts or ends (and the day either side),
every country of every country group, PD exactly on its edges, fractional and textual measures, name variants of
vetted customers (accents, full-width letters, punctuation, legal forms, place qualifiers, near misses), ids that
disagree with names, parties without headquarters, each attestation missing in turn, and prices that round on the
half cent. Party names are chosen to be far from every screening-list name.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

DATES = sorted(
    {
        day + dt.timedelta(days=shift)
        for day in (
            dt.date(2023, 11, 17),
            dt.date(2025, 4, 9),
            dt.date(2025, 8, 11),
            dt.date(2026, 1, 15),
            dt.date(2026, 2, 1),
            dt.date(2026, 2, 10),
            dt.date(2026, 3, 1),
            dt.date(2026, 8, 10),
            dt.date(2026, 8, 31),
            dt.date(2026, 12, 31),
            dt.date(2027, 1, 31),
            dt.date(2027, 2, 9),
        )
        for shift in (-1, 0, 1)
    }
)
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
COUNTRIES = ["CN", "HK", "MO", "US", "JP", "SG", "RU", "AE", "DE", "IR", "TW", "KR", "VN", "IN", "CU", "AF", "IL",
             "SA", "BY", "KZ"]  # fmt: skip
VETTED_NAMES = {
    "C-ALI": [
        "Alibaba Cloud Computing Ltd.", "ALIBABA CLOUD COMPUTING LIMITED", "alibaba cloud computing co., ltd",
        "Alibaba Cloud-Computing Ltd", "Álibaba Cloud Computing Ltd.", "Alibaba Cloud Computing (Hangzhou) Ltd.",
        "Alibaba Cloud Computing Ｌｔｄ．", "Alibaba Cloud Computing Inc.", "Alibaba  Cloud   Computing",
        "Alibaba Cloud Computing Services Ltd.", "Cloud Computing Alibaba Ltd.", "AlibabaCloud Computing Ltd.",
    ],
    "C-BYT": ["Beijing Volcano Engine Technology Co. Ltd.", "BEIJING VOLCANO ENGINE TECHNOLOGY CO LTD",
              "Beijing Volcano Engine Technology Corporation"],
    "C-TEN": ["Tencent Cloud Computing (Beijing) Co. Ltd.", "Tencent Cloud Computing Co., Ltd",
              "Tencent Cloud Computing (Shenzhen) Company Limited", "TENCENT CLOUD COMPUTING"],
    "C-MAC": ["Macau Data Services Ltd.", "Macau Data Services Limited", "Macau Data Services Company",
              "Macau Data Services Holdings Ltd."],
    "C-H20": ["Shenzhen Cloud Inference Co. Ltd.", "Shenzhen Cloud Inference Co., Ltd", "SHENZHEN CLOUD INFERENCE"],
}  # fmt: skip
OTHER_NAMES = ["Sakura Internet Inc.", "Lion City Cloud Pte. Ltd.", "Moscow Compute LLC", "Gulf AI Holdings",
               "Hangzhou Inference Co. Ltd.", "Example Research GmbH", "Nordic Render AB"]  # fmt: skip
IDS = ["C-ALI", "C-BYT", "C-TEN", "C-MAC", "C-H20", "C-XXX", "c-ali"]
END_USES = ["commercial-ai", "cloud-services", "research", "consumer", "industrial", "military",
            "military-intelligence", "wmd", "supercomputer", "advanced-ic-fabrication", "unknown", None]  # fmt: skip
ATTESTATIONS = ["us_third_party_tested", "kyc_remote_access_controls", "us_supply_sufficient",
                "no_foundry_diversion", "china_volume_within_50pct", "iaas_remote_users_disclosed"]  # fmt: skip
PRICES: list[Any] = ["0", "0.01", "0.02", "0.03", "0.1", "0.06", "1.01", "10.10", "33.33", "999.99", "12345.67",
                     "25000", "30000", 30000, "31999.995", "40000.005", 12.5]  # fmt: skip
QUANTITIES = [1, 2, 3, 7, 10, 100, 333, 4096, 10_000]


def party_names() -> list[str]:
    """Every party name the generator can use."""
    return [name for names in VETTED_NAMES.values() for name in names] + OTHER_NAMES


def _party(rng: random.Random) -> dict[str, Any]:
    party: dict[str, Any] = {"name": rng.choice(party_names())}
    roll = rng.random()
    if roll < 0.35:
        party["id"] = rng.choice(IDS)
    elif roll < 0.45:  # an id that agrees with a vetted name
        cid = rng.choice(list(VETTED_NAMES))
        party.update(id=cid, name=rng.choice(VETTED_NAMES[cid]))
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
        return ATTESTATIONS[:5]
    if roll < 0.55:
        return list(ATTESTATIONS)
    if roll < 0.8:  # one missing
        missing = rng.choice(ATTESTATIONS)
        return [a for a in ATTESTATIONS if a != missing]
    return rng.sample(ATTESTATIONS, rng.randrange(len(ATTESTATIONS)))


def transaction(rng: random.Random, index: int) -> dict[str, Any]:
    """One boundary-focused transaction (valid per SPEC.md) as a JSON-like dict."""
    day = rng.choice(DATES) if rng.random() < 0.85 else dt.date(2023, 11, 1) + dt.timedelta(rng.randrange(1300))
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
    end_use = rng.choice(END_USES)
    if end_use is not None:
        tx["end_use"] = end_use
    if rng.random() < 0.3:
        tx["license_number"] = rng.choice(["L-2026-0001", "BIS-123", "x"])
    if rng.random() < 0.8:
        tx["attestations"] = _attestations(rng)
    return tx


def near_allow(rng: random.Random, index: int) -> dict[str, Any]:
    """A transaction that a vetted license would allow, with zero to two of its facts moved to an edge."""
    cid = rng.choice(list(LICENSES))
    products, first, last = LICENSES[cid]
    day = first + dt.timedelta(days=rng.randrange((last - first).days + 1))
    if rng.random() < 0.4:
        day = rng.choice([first, last, max(first, dt.date(2026, 1, 15))])
    customer: dict[str, Any] = {"name": rng.choice(VETTED_NAMES[cid]), "country": "CN"}
    if rng.random() < 0.6:
        customer["id"] = cid
    end_use = rng.choice(["commercial-ai", "cloud-services", "research", "consumer", "industrial"])
    tx: dict[str, Any] = {
        "id": f"N-{index}",
        "date": day.isoformat(),
        "product": rng.choice(products),
        "quantity": rng.choice(QUANTITIES),
        "unit_price_usd": rng.choice(PRICES),
        "destination": rng.choice(["CN", "CN", "HK", "MO"]),
        "customer": customer,
        "end_use": end_use,
        "attestations": list(ATTESTATIONS) if end_use == "cloud-services" else ATTESTATIONS[:5],
    }
    for _ in range(rng.choice([0, 1, 1, 2])):
        rng.choice(PERTURBATIONS)(rng, tx)
    return tx


def _move_date(rng: random.Random, tx: dict[str, Any]) -> None:
    tx["date"] = rng.choice(DATES).isoformat()


def _move_specs(rng: random.Random, tx: dict[str, Any]) -> None:
    tx["specs"] = _specs(rng)


def _move_band(rng: random.Random, tx: dict[str, Any]) -> None:
    tx["specs"] = {"tpp": rng.choice(TPPS[10:]), "memory_bandwidth_gbs": rng.choice(BANDWIDTHS[5:])}


def _move_attestations(rng: random.Random, tx: dict[str, Any]) -> None:
    tx["attestations"] = _attestations(rng)


def _move_route(rng: random.Random, tx: dict[str, Any]) -> None:
    tx["ship_from"] = rng.choice(["US", "TW", "HK", "MY"])
    tx["destination"] = rng.choice([*DESTINATIONS[:12], "RU", "IR", "AE", "SA", "VN"])


def _move_parties(rng: random.Random, tx: dict[str, Any]) -> None:
    if rng.random() < 0.5:
        tx["end_user"] = _party(rng)
    else:
        tx["customer"] = _party(rng)


def _move_end_use(rng: random.Random, tx: dict[str, Any]) -> None:
    end_use = rng.choice(END_USES)
    if end_use is None:
        tx.pop("end_use", None)
    else:
        tx["end_use"] = end_use


def _add_license(rng: random.Random, tx: dict[str, Any]) -> None:
    tx["license_number"] = rng.choice(["L-2026-0001", "BIS-123"])


PERTURBATIONS = [_move_date, _move_specs, _move_band, _move_band, _move_attestations, _move_route, _move_parties,
                 _move_end_use, _add_license]  # fmt: skip
LICENSES = {
    "C-ALI": (["H200", "H200 NVL", "nvidia h200 sxm"], dt.date(2026, 2, 1), dt.date(2027, 1, 31)),
    "C-BYT": (["H200", "HGX H200"], dt.date(2026, 2, 1), dt.date(2026, 12, 31)),
    "C-TEN": (["H200", "MI325X", "AMD Instinct MI325X"], dt.date(2026, 2, 10), dt.date(2027, 2, 9)),
    "C-MAC": (["H200"], dt.date(2026, 3, 1), dt.date(2026, 8, 31)),
    "C-H20": (["H20", "NVIDIA H20"], dt.date(2025, 8, 11), dt.date(2026, 8, 10)),
}


def generate(count: int, seed: int = 20231117) -> Iterator[dict[str, Any]]:
    """`count` boundary-focused transactions, the same for the same seed; two in five start near an allow."""
    rng = random.Random(seed)
    for index in range(count):
        yield near_allow(rng, index) if rng.random() < 0.4 else transaction(rng, index)
