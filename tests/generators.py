"""Generated transactions for differential tests and benchmarks: realistic mixes plus every boundary.

Deterministic for a seed. Values sit on and around each threshold of the shipped pack (TPP, PD, bandwidth,
fee bands, the dates each change took effect, license validity) and fields go missing at random.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Iterator
from decimal import Decimal, localcontext
from typing import Any

import engine
from engine.contract import Party, Specs, Transaction
from engine.errors import InvalidTransaction

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
    # written in Chinese (POLICY section 8): listed parties as written, traditional, with a place; clean ones;
    # a license holder by its id under its Chinese name; a name in a script nothing reads
    (None, "华为技术有限公司", "CN"),
    (None, "華為技術有限公司", "CN"),
    (None, "摩尔线程智能科技（北京）有限公司", "CN"),
    (None, "智谱华章科技有限公司", "CN"),
    (None, "北京火山引擎科技有限公司", "CN"),
    (None, "腾讯云计算（北京）有限责任公司", "CN"),
    ("C-ALI", "阿里云计算有限公司", "CN"),
    (None, "Газпромбанк", "RU"),
    (None, "\U000f0041\U000f0042 Co.", "CN"),
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


# hostile transactions ---------------------------------------------------------------------------------
# Values that an engine comparing floats, 64-bit integers or C strings gets wrong: decimals a hair either
# side of each threshold of the shipped pack, the doubles nearest a threshold written out exactly, integers
# past 2**53 and 2**63, huge and tiny magnitudes, numbers with many digits, and strings past 64 KB.

TPP_THRESHOLDS = [1600, 2400, 4800, 14000, 17500, 20800, 21000, 21100]
BANDWIDTH_THRESHOLDS = [1400, 4500, 5000, 5800, 6200, 6500]
PD_THRESHOLDS = ["1.6", "3.2", "5.92"]
PRICE_EDGES = ["24999.9999999999999999", "25000", "30000", "31999.995"]
BIG_INTEGERS = [2**53 - 1, 2**53, 2**53 + 1, 2**63 - 1, 2**63, 2**63 + 1, 2**64 + 1, 10**20]
ROUTE: dict[str, Any] = {  # the licensed H200 route to China, where the thresholds decide
    "date": "2026-03-16",
    "product": "H200",
    "destination": "CN",
    "customer": {"id": "C-ALI", "name": "Alibaba Cloud Computing Ltd.", "country": "CN"},
    "end_use": "commercial-ai",
    "attestations": ATTESTATIONS[:5],
}


def _near(rng: random.Random, edge: Decimal) -> Decimal:
    """A non-negative number on, or a hair either side of, `edge`, in one of several hostile forms."""
    with localcontext() as context:
        context.prec = 200  # exact: the default 28 digits would round the hair away
        return _near_exactly(rng, edge)


def _near_exactly(rng: random.Random, edge: Decimal) -> Decimal:
    form = rng.randrange(8)
    sign = rng.choice([-1, 1])
    if form == 0:  # 1E-1 .. 1E-40 away: equal to the edge once rounded to a double
        return edge + sign * Decimal(1).scaleb(-rng.randrange(1, 41))
    if form == 1:  # the double nearest the edge, every digit of it
        return Decimal(float(edge))
    if form == 2:  # the neighbouring double
        return Decimal(math.nextafter(float(edge), sign * math.inf))
    if form == 3:  # the edge itself with many trailing zeros
        return edge.quantize(Decimal(1).scaleb(-rng.randrange(1, 30)))
    if form == 4:  # many digits
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randrange(20, 60)))
        return edge + sign * Decimal(f"0.{digits}").scaleb(-rng.randrange(0, 10))
    if form == 5:
        return Decimal(rng.choice(BIG_INTEGERS) + rng.randrange(-2, 3))
    if form == 6:  # huge or tiny magnitudes (the contract takes numbers up to about 1E+308)
        return Decimal(rng.randrange(1, 100)).scaleb(rng.randrange(15, 300) if sign > 0 else -rng.randrange(15, 400))
    return edge


def _written(rng: random.Random, value: Decimal) -> Any:
    """A number as a JSON document may carry it: a string (plain or with an exponent) or an integer."""
    if value == value.to_integral_value() and value < 10**30 and rng.random() < 0.3:
        return int(value)
    return str(value) if rng.random() < 0.3 or abs(value.adjusted()) > 60 else format(value, "f")


def _hostile_specs(rng: random.Random, specs: dict[str, Any]) -> None:
    if rng.random() < 0.7:
        specs["tpp"] = _written(rng, _near(rng, Decimal(rng.choice(TPP_THRESHOLDS))))
    if rng.random() < 0.5:
        specs["memory_bandwidth_gbs"] = _written(rng, _near(rng, Decimal(rng.choice(BANDWIDTH_THRESHOLDS))))
    tpp = Decimal(str(specs.get("tpp", 0)))
    if rng.random() < 0.5 and tpp > 0:  # performance density (tpp / die area) on or a hair off an edge
        with localcontext() as context:
            context.prec = 60
            area = tpp / _near(rng, Decimal(rng.choice(PD_THRESHOLDS))).max(Decimal("0.01"))
        if area > 0:
            specs["die_area_mm2"] = _written(rng, area)


def _long_text(rng: random.Random, base: str) -> str:
    """A string past durable-rules' 65,535 UTF-8 bytes, or one with characters a C string mishandles."""
    return rng.choice(
        [
            "x" * 70_000,
            "é" * 33_000,  # 66,000 bytes in 33,000 characters
            "\U0001f680" * 17_000,
            base + " " + "y" * 66_000,
            base + "\x00" + "z",
            base + "\u2028" + "\\u0000",
        ]
    )


def hostile_transaction(rng: random.Random, index: int) -> dict[str, Any]:
    """One transaction (valid per SPEC.md) with hostile numbers and, rarely, hostile strings."""
    tx = transaction(rng, index)
    tx["id"] = f"H-{index}"
    if rng.random() < 0.5:
        for name in ("ship_from", "end_user", "license_number"):
            tx.pop(name, None)
        tx.update(ROUTE, customer=dict(ROUTE["customer"]))
    if rng.random() < 0.8:
        _hostile_specs(rng, tx.setdefault("specs", {}))
    if rng.random() < 0.15:  # a line value of at most about 1E+25, so that a 25% fee fits in 28 digits
        tx["quantity"] = rng.choice(BIG_INTEGERS) + rng.randrange(0, 3)
    elif rng.random() < 0.3:
        price = _near(rng, Decimal(rng.choice(PRICE_EDGES)))
        tx["unit_price_usd"] = _written(rng, price if price < 10**15 else Decimal(rng.choice(PRICE_EDGES)))
    if rng.random() < 0.03:
        tx["customer"]["name"] = _long_text(rng, tx["customer"]["name"])
        if rng.random() < 0.5:  # the end user: the same long name, or one differing in its last character
            name = tx["customer"]["name"]
            tx["end_user"] = {**tx["customer"], "name": rng.choice([name, name[:-1] + "!"])}
    if rng.random() < 0.01:
        tx["product"] = _long_text(rng, tx.get("product", "H200"))
    if rng.random() < 0.01:
        tx["license_number"] = _long_text(rng, "L-2026-0001")
    return tx


def hostile(count: int, seed: int = 20260316) -> Iterator[dict[str, Any]]:
    """Hostile transactions for the differential between backends; deterministic for a seed."""
    rng = random.Random(seed)
    for index in range(count):
        yield hostile_transaction(rng, index)


def as_transaction(data: dict[str, Any]) -> Any:
    """The Transaction of `data`: validated when the contract accepts it; else built field by field without
    the contract's limits (over-long names, numbers past the bounds), so that tests can show the backends
    agree even on what the contract refuses, a defence that does not rely on the one in front of it."""
    try:
        return engine.parse_transaction(data)
    except InvalidTransaction:
        pass
    fields = dict(data)
    fields["date"] = dt.date.fromisoformat(str(fields["date"]))
    fields["quantity"] = int(Decimal(str(fields["quantity"])))
    fields["unit_price_usd"] = Decimal(str(fields["unit_price_usd"]).replace(",", ""))
    fields["customer"] = Party.model_construct(
        **{"id": None, "country": None, "headquarters": None, **fields["customer"]}
    )
    if fields.get("end_user") is not None:
        fields["end_user"] = Party.model_construct(
            **{"id": None, "country": None, "headquarters": None, **fields["end_user"]}
        )
    if fields.get("specs") is not None:
        specs = {k: (v if k == "datacenter" else Decimal(str(v))) for k, v in fields["specs"].items()}
        fields["specs"] = Specs.model_construct(
            **{"tpp": None, "die_area_mm2": None, "memory_bandwidth_gbs": None, "datacenter": None, **specs}
        )
    fields["attestations"] = tuple(fields.get("attestations", ()))
    return Transaction.model_construct(**fields)
