"""Generated transactions for differential tests and benchmarks: realistic mixes plus every boundary.

Deterministic for a seed. Values sit on and around each threshold of the shipped pack (TPP, PD, bandwidth,
fee bands, the dates each change took effect, license validity) and fields go missing at random.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from typing import Any

PRODUCTS = [
    "H200", "h200 sxm", "NVIDIA H200", "HGX H200", "H200 NVL", "H100", "H100 PCIe", "H800", "A100", "A800",
    "H20", "L20", "L2", "L40S", "B200", "GB200", "B300", "RTX 4090", "RTX 4090D", "MI300X", "MI325X",
    "AMD Instinct MI325X", "MI355X", "Gaudi 3", "Ascend 910C", "custom-asic",
]  # fmt: skip
TPP_EDGES = [1599, 1600, 2368, 2399, 2400, 4700, 4799, 4800, 13999, 14000, 14001, 15832, 17499, 17500, 17501,
             20799, 20800, 20801, 20918, 20999, 21000, 21001, 21099, 21100, 36000]  # fmt: skip
BANDWIDTH_EDGES = [864, 1399, 1400, 4000, 4499, 4500, 4501, 4800, 4999, 5000, 5799, 5800, 5801, 6000, 6199,
                   6200, 6499, 6500, 6501, 8000]  # fmt: skip
DIE_AREAS = [294, 609, 800, 810, 814, 826, 1000, 1480, 1600]
DATES = [
    "2023-11-16", "2023-11-17", "2023-11-18", "2025-04-08", "2025-04-09", "2025-04-10", "2025-08-10",
    "2025-08-11", "2025-08-12", "2025-12-20", "2026-01-14", "2026-01-15", "2026-01-16", "2026-01-31",
    "2026-02-01", "2026-02-09", "2026-02-10", "2026-02-28", "2026-03-01", "2026-08-31", "2026-09-01",
    "2026-12-31", "2027-01-01", "2027-01-31", "2027-02-01", "2027-02-09", "2027-02-10",
]  # fmt: skip
DESTINATIONS = ["CN", "CN", "CN", "HK", "MO", "US", "JP", "DE", "GB", "KR", "SG", "IL", "TW", "IN", "AE", "SA",
                "VN", "KZ", "MY", "RU", "IR", "VE", "BY", "KP", "MX", "BR", "TR", "EG", "PK", "AZ"]  # fmt: skip
COUNTRIES = ["CN", "HK", "MO", "US", "JP", "SG", "RU", "AE", "DE", "IR", "TW", "KR", "VN", "IN"]
CUSTOMERS = [
    ("C-ALI", "Alibaba Cloud Computing Ltd.", "CN"),
    ("C-BYT", "Beijing Volcano Engine Technology Co. Ltd.", "CN"),
    ("C-TEN", "Tencent Cloud Computing (Beijing) Co. Ltd.", "CN"),
    ("C-MAC", "Macau Data Services Ltd.", "MO"),
    ("C-H20", "Shenzhen Cloud Inference Co. Ltd.", "CN"),
    (None, "ALIBABA CLOUD COMPUTING LIMITED", "CN"),
    (None, "Tencent Cloud Computing Co., Ltd", "CN"),
    ("C-XXX", "Alibaba Cloud Computing Ltd.", "CN"),
    (None, "Sakura Internet Inc.", "JP"),
    (None, "Lion City Cloud Pte. Ltd.", "SG"),
    (None, "Moscow Compute LLC", "RU"),
    (None, "Gulf AI Holdings", "AE"),
    (None, "Hangzhou Inference Co. Ltd.", "CN"),
    (None, "Example Research GmbH", "DE"),
]
END_USES = ["commercial-ai", "commercial-ai", "cloud-services", "research", "consumer", "industrial", "military",
            "military-intelligence", "wmd", "supercomputer", "advanced-ic-fabrication", "unknown", None]  # fmt: skip
ATTESTATIONS = ["us_third_party_tested", "kyc_remote_access_controls", "us_supply_sufficient",
                "no_foundry_diversion", "china_volume_within_50pct", "iaas_remote_users_disclosed"]  # fmt: skip


def _maybe(rng: random.Random, p: float, value: Any) -> Any:
    return value if rng.random() < p else None


def _date(rng: random.Random) -> str:
    if rng.random() < 0.6:
        return rng.choice(DATES)
    day = dt.date(2023, 10, 1) + dt.timedelta(days=rng.randrange(0, 1300))
    return day.isoformat()


def _specs(rng: random.Random) -> dict[str, Any] | None:
    if rng.random() < 0.6:
        return None
    specs: dict[str, Any] = {}
    if rng.random() < 0.8:
        specs["tpp"] = rng.choice(TPP_EDGES) if rng.random() < 0.8 else rng.randrange(500, 60000)
    if rng.random() < 0.6:
        specs["die_area_mm2"] = rng.choice(DIE_AREAS)
        if "tpp" in specs and rng.random() < 0.3:  # performance density exactly on an edge
            specs["die_area_mm2"] = str(round(specs["tpp"] / rng.choice([5.92, 3.2, 1.6]), 4))
    if rng.random() < 0.7:
        specs["memory_bandwidth_gbs"] = rng.choice(BANDWIDTH_EDGES)
    if rng.random() < 0.4:
        specs["datacenter"] = rng.random() < 0.7
    return specs


def _party(rng: random.Random) -> dict[str, Any]:
    cid, name, country = rng.choice(CUSTOMERS)
    party: dict[str, Any] = {"name": name}
    if cid is not None and rng.random() < 0.85:
        party["id"] = cid
    if rng.random() < 0.85:
        party["country"] = country
    if rng.random() < 0.35:
        party["headquarters"] = rng.choice(COUNTRIES)
    return party


def transaction(rng: random.Random, index: int) -> dict[str, Any]:
    """One generated transaction (valid per SPEC.md), as a JSON-like dict."""
    tx: dict[str, Any] = {
        "id": f"G-{index}",
        "date": _date(rng),
        "quantity": rng.choice([1, 8, 10, 64, 100, 256, 1000, 4096]),
        "unit_price_usd": rng.choice(["0", "999.99", "12000", "25000", "30000.00", "31999.995", "40000"]),
        "destination": rng.choice(DESTINATIONS),
        "customer": _party(rng),
    }
    product = _maybe(rng, 0.93, rng.choice(PRODUCTS))
    if product is not None:
        tx["product"] = product
    specs = _specs(rng)
    if specs is not None:
        tx["specs"] = specs
    if rng.random() < 0.15:
        tx["ship_from"] = rng.choice(["TW", "MY", "SG", "HK", "MX"])
    if rng.random() < 0.25:
        tx["end_user"] = _party(rng)
    end_use = rng.choice(END_USES)
    if end_use is not None:
        tx["end_use"] = end_use
    if rng.random() < 0.2:
        tx["license_number"] = f"L-{rng.randrange(1000, 9999)}"
    if rng.random() < 0.6:
        tx["attestations"] = ATTESTATIONS[:5] if rng.random() < 0.5 else rng.sample(ATTESTATIONS, rng.randrange(7))
    return tx


def generate(count: int, seed: int = 20260115) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    for index in range(count):
        yield transaction(rng, index)
