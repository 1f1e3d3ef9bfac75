#!/usr/bin/env python3
"""Write examples/transactions.csv: 1,000 realistic AI-accelerator export transactions for `clearance batch`.

Standard library only and deterministic (fixed seed): running it again writes the same file.

    python examples/make_csv.py                 # writes examples/transactions.csv
    python examples/make_csv.py -o out.csv -n 5000 --seed 7

The rows mix the catalog's products (by model and by alias, in varied case), dates from 2023-11 to 2026-11
(each product only once it shipped), destinations weighted towards the real markets, vetted and unvetted
customers on the China route, license numbers where a license is plausible, the route's attestations, a few
uncatalogued products (with and without specs) and a few rows without an end use.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import random
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

HEADER = [
    "id",
    "date",
    "product",
    "quantity",
    "unit_price_usd",
    "ship_from",
    "destination",
    "customer_id",
    "customer_name",
    "customer_country",
    "customer_headquarters",
    "end_user_name",
    "end_user_country",
    "end_user_headquarters",
    "end_use",
    "license_number",
    "attestations",
    "tpp",
    "die_area_mm2",
    "memory_bandwidth_gbs",
    "datacenter",
]

START = dt.date(2023, 11, 1)
END = dt.date(2026, 11, 30)

# product: (names used in orders, weight, typical unit price USD, first ship date, kind)
PRODUCTS = {
    "H100": (["H100", "H100 SXM", "NVIDIA H100", "nvidia h100 sxm"], 14, 26000, "2023-11-01", "gpu"),
    "H100 PCIe": (["H100 PCIe", "NVIDIA H100 PCIe"], 5, 21000, "2023-11-01", "gpu"),
    "H200": (["H200", "H200 SXM", "NVIDIA H200", "nvidia h200 sxm", "HGX H200"], 16, 31000, "2024-07-01", "gpu"),
    "H200 NVL": (["H200 NVL", "NVIDIA H200 NVL", "H200 PCIe"], 5, 29000, "2024-12-01", "gpu"),
    "A100": (["A100", "A100 SXM", "NVIDIA A100"], 5, 12000, "2023-11-01", "gpu"),
    "L40S": (["L40S", "NVIDIA L40S"], 6, 8500, "2023-11-01", "gpu"),
    "L20": (["L20", "NVIDIA L20"], 3, 6500, "2023-12-15", "cn-sku"),
    "L2": (["L2", "NVIDIA L2"], 2, 2500, "2023-12-15", "cn-sku"),
    "H20": (["H20", "NVIDIA H20"], 7, 12000, "2024-02-01", "cn-sku"),
    "H800": (["H800", "NVIDIA H800"], 1, 25000, "2023-11-01", "cn-sku"),
    "A800": (["A800", "NVIDIA A800"], 1, 11000, "2023-11-01", "cn-sku"),
    "B200": (["B200", "NVIDIA B200", "HGX B200"], 8, 38000, "2025-01-15", "gpu"),
    "GB200": (["GB200", "NVIDIA GB200"], 4, 45000, "2025-03-01", "gpu"),
    "B300": (["B300", "GB300", "NVIDIA B300"], 3, 50000, "2025-10-01", "gpu"),
    "RTX 4090": (["RTX 4090", "GeForce RTX 4090", "NVIDIA RTX 4090"], 4, 1800, "2023-11-01", "consumer"),
    "RTX 4090D": (["RTX 4090D", "GeForce RTX 4090D"], 3, 1750, "2024-01-01", "consumer-cn"),
    "MI300X": (["MI300X", "AMD Instinct MI300X"], 5, 17000, "2024-01-01", "gpu"),
    "MI325X": (["MI325X", "AMD Instinct MI325X", "amd instinct mi325x"], 4, 24500, "2024-10-15", "gpu"),
    "MI355X": (["MI355X", "AMD Instinct MI355X", "MI350X"], 3, 32000, "2025-06-15", "gpu"),
}

# Uncatalogued products: (name, typical unit price USD, specs or None).
# Specs: tpp, die_area_mm2 (None: not given), memory_bandwidth_gbs, datacenter ("": not given).
UNCATALOGUED = [
    ("Gaudi 3", 15500, (14680, 1000, 3700, "true")),
    ("Example Accelerator Z9", 18000, None),
    ("Wafer-scale system node", 250000, None),
    ("Edge NPU M2", 450, (1200, 180, 200, "false")),
    ("Inference Card IX-40", 9000, (2100, 720, 3200, "")),
    ("Custom ASIC TR-7", 14000, (3000, None, 2400, "true")),
    ("Workstation GPU W7900", 3900, (4100, 529, 864, "false")),
]

# destination: weight
DESTINATIONS = {
    "US": 22,
    "JP": 6,
    "DE": 5,
    "GB": 5,
    "KR": 4,
    "TW": 4,
    "SG": 5,
    "IN": 4,
    "FR": 3,
    "NL": 3,
    "CA": 3,
    "AU": 2,
    "SE": 1,
    "IE": 2,
    "IL": 2,
    "MX": 1,
    "MY": 3,
    "TH": 1,
    "ID": 1,
    "BR": 1,
    "AE": 4,
    "SA": 3,
    "QA": 1,
    "VN": 2,
    "KZ": 1,
    "CN": 14,
    "HK": 3,
    "MO": 1,
    "RU": 1,
    "IR": 0.3,
    "VE": 0.3,
}

CUSTOMERS = {
    "US": [
        "Example Cloud Inc.",
        "Redwood AI Labs Inc.",
        "Cascade Compute LLC",
        "Lakeshore Research Corp.",
        "Prairie Data Centers LLC",
        "Atlas Model Works Inc.",
    ],
    "JP": ["Sakura Internet Inc.", "Kansai Compute KK", "Tokyo Model Foundry KK"],
    "DE": ["Frankfurt Compute GmbH", "Rhein Compute Services GmbH", "Bavaria AI Werk GmbH"],
    "GB": ["Cambridge AI Labs Ltd", "Northgate Systems Ltd", "Thames Cloud plc"],
    "KR": ["Han River AI Co., Ltd.", "Pangyo Compute Corp."],
    "TW": ["Hsinchu Server Integration Co., Ltd.", "Taipei Cloud Services Corp."],
    "SG": ["Lion City Cloud Pte. Ltd.", "Marina Bay Compute Pte. Ltd.", "Straits AI Pte. Ltd."],
    "IN": ["Bengaluru Model Labs Pvt Ltd", "Mumbai Data Centres Pvt Ltd"],
    "FR": ["Paris IA Calcul SAS", "Lyon Compute SAS"],
    "NL": ["Amsterdam GPU Hosting B.V.", "Eindhoven Vision B.V."],
    "CA": ["Toronto Learning Systems Inc.", "Montreal AI Compute Inc."],
    "AU": ["Sydney Cloud Pty Ltd"],
    "SE": ["Nordic Compute AB"],
    "IE": ["Dublin Cloud Hosting Ltd"],
    "IL": ["Tel Aviv Vision Ltd.", "Haifa Chip Labs Ltd."],
    "MX": ["Monterrey Datos S.A. de C.V."],
    "MY": ["Johor Data Centre Sdn. Bhd.", "Kuala Lumpur AI Sdn. Bhd."],
    "TH": ["Bangkok Cloud Co., Ltd."],
    "ID": ["Jakarta Compute PT"],
    "BR": ["Sao Paulo Nuvem Ltda."],
    "AE": ["Abu Dhabi AI Campus LLC", "Dubai Compute FZ-LLC", "Gulf Model Labs LLC"],
    "SA": ["Riyadh Compute Co.", "Jeddah AI Infrastructure Co."],
    "QA": ["Doha Data Centre WLL"],
    "VN": ["Hanoi AI Compute JSC", "Saigon Cloud JSC"],
    "KZ": ["Astana Compute LLP"],
    "CN": [
        "Shanghai Example AI Co. Ltd.",
        "Hangzhou Inference Co. Ltd.",
        "Shenzhen Gaming Retail Co. Ltd.",
        "Guangzhou Server Distribution Co. Ltd.",
        "Chengdu Vision Technology Co. Ltd.",
        "Nanjing Smart Manufacturing Co. Ltd.",
    ],
    "HK": ["Kowloon AI Services Ltd.", "Victoria Harbour Trading Ltd."],
    "MO": ["Cotai Compute Ltd."],
    "RU": ["Moscow Compute LLC", "Volga Data OOO"],
    "IR": ["Tehran Data Center Co."],
    "VE": ["Caracas Computo C.A."],
}

# License holders of the register (rules/us-ai-chips/data/licenses.csv): id, name, country, products licensed.
VETTED = [
    ("C-ALI", "Alibaba Cloud Computing Ltd.", "CN", ["H200", "H200 NVL"]),
    ("C-BYT", "Beijing Volcano Engine Technology Co. Ltd.", "CN", ["H200"]),
    ("C-TEN", "Tencent Cloud Computing (Beijing) Co. Ltd.", "CN", ["H200", "MI325X"]),
    ("C-MAC", "Macau Data Services Ltd.", "MO", ["H200"]),
    ("C-H20", "Shenzhen Cloud Inference Co. Ltd.", "CN", ["H20"]),
]

# Parties on the shipped screening list; they show up rarely, as they would in real order books.
LISTED = [
    "Moore Threads Technology Co Ltd",
    "Huawei Technologies Co., Ltd.",
    "Sophgo Technologies Ltd.",
    "Beijing Biren Technology Development Co., Ltd.",
]

# Subsidiaries abroad whose ultimate parent is headquartered elsewhere.
FOREIGN_PARENTS = [
    ("SG", "Harbour AI Research Pte. Ltd.", "CN"),
    ("MY", "Sino-Malay Compute Sdn. Bhd.", "CN"),
    ("DE", "Sino Compute Europe GmbH", "CN"),
    ("AE", "Gulf Volga Trading FZE", "RU"),
    ("JP", "Victoria Harbour Cloud KK", "HK"),
    ("SG", "Example Cloud Asia Pte. Ltd.", "US"),
]

ROUTE_ATTESTATIONS = [
    "us_third_party_tested",
    "kyc_remote_access_controls",
    "us_supply_sufficient",
    "no_foundry_diversion",
    "china_volume_within_50pct",
]
LICENSE_DESTINATIONS = {"AE", "SA", "QA", "VN", "KZ"}
CHINA_ROUTE = {"CN", "HK", "MO"}


def weighted(rng: random.Random, table: dict[str, float]) -> str:
    keys = list(table)
    return rng.choices(keys, weights=[table[k] for k in keys], k=1)[0]


def random_date(rng: random.Random, earliest: dt.date) -> dt.date:
    first = max(START, earliest)
    return first + dt.timedelta(days=rng.randrange((END - first).days + 1))


def price(rng: random.Random, typical: float) -> str:
    value = Decimal(str(typical * rng.uniform(0.9, 1.12)))
    if rng.random() < 0.7:
        value = value.quantize(Decimal("1"), rounding=ROUND_HALF_UP)
    return str(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def quantity(rng: random.Random, kind: str) -> int:
    if kind.startswith("consumer"):
        return rng.choice([20, 50, 100, 200, 500, 1000, 2000])
    return 8 * rng.choice([1, 1, 2, 4, 4, 8, 16, 16, 32, 64, 128])


def end_use_for(rng: random.Random, kind: str) -> str:
    if kind.startswith("consumer"):
        table = {"consumer": 80, "commercial-ai": 10, "research": 5, "": 3, "unknown": 2}
    else:
        table = {
            "commercial-ai": 48,
            "cloud-services": 30,
            "research": 12,
            "industrial": 5,
            "": 2,
            "unknown": 1.5,
            "military": 0.4,
            "supercomputer": 0.4,
            "advanced-ic-fabrication": 0.2,
            "military-intelligence": 0.1,
            "wmd": 0.05,
        }
    return weighted(rng, table)


def make_row(rng: random.Random) -> dict[str, str]:
    row = dict.fromkeys(HEADER, "")
    destination = weighted(rng, DESTINATIONS)
    row["destination"] = destination
    row["ship_from"] = "US" if rng.random() < 0.88 else rng.choice(["TW", "SG", "MX", "MY", "KR", ""])

    # the product
    if rng.random() < 0.03:
        name, typical, specs = UNCATALOGUED[rng.randrange(len(UNCATALOGUED))]
        row["product"] = name
        kind = "gpu"
        earliest = START
        if specs is not None:
            tpp, die, bandwidth, datacenter = specs
            row["tpp"] = str(tpp)
            row["die_area_mm2"] = "" if die is None else str(die)
            row["memory_bandwidth_gbs"] = str(bandwidth)
            row["datacenter"] = datacenter
    else:
        weights = {model: spec[1] for model, spec in PRODUCTS.items()}
        if destination in CHINA_ROUTE:  # China-only SKUs and the H200 route's chips sell there
            for model in ("H20", "L20", "L2", "H800", "A800", "RTX 4090D", "H200", "MI325X"):
                weights[model] *= 3
        else:
            for model in ("H20", "L20", "L2", "H800", "A800", "RTX 4090D"):
                weights[model] *= 0.1
        model = weighted(rng, weights)
        aliases, _, typical, first, kind = PRODUCTS[model]
        row["product"] = rng.choice(aliases)
        earliest = dt.date.fromisoformat(first)
    date = random_date(rng, earliest)
    row["date"] = date.isoformat()
    row["quantity"] = str(quantity(rng, kind))
    row["unit_price_usd"] = price(rng, typical)

    # the customer
    vetted = None
    draw = rng.random()
    if destination in CHINA_ROUTE and draw < 0.45:
        candidates = [v for v in VETTED if (v[2] == "MO") == (destination == "MO") or rng.random() < 0.1]
        vetted = rng.choice(candidates or VETTED)
        cid, name, country, _ = vetted
        row["customer_name"] = name
        row["customer_country"] = country
        if rng.random() < 0.8:
            row["customer_id"] = cid  # else matched by name
    elif draw < 0.01:
        row["customer_name"] = rng.choice(LISTED)
        row["customer_country"] = "CN"
    elif draw < 0.035 and destination not in CHINA_ROUTE:
        country, name, hq = rng.choice(FOREIGN_PARENTS)
        row["destination"] = destination = country
        row["customer_name"] = name
        row["customer_country"] = country
        row["customer_headquarters"] = hq
    else:
        row["customer_name"] = rng.choice(CUSTOMERS[destination])
        row["customer_country"] = destination
        if rng.random() < 0.3:
            row["customer_headquarters"] = destination

    # a distinct end user now and then (a reseller's customer, a lab behind a cloud)
    if rng.random() < 0.08:
        country = destination if rng.random() < 0.8 else rng.choice(["CN", "SG", "US"])
        row["end_user_name"] = rng.choice(CUSTOMERS.get(country, CUSTOMERS["US"]))
        row["end_user_country"] = country

    end_use = end_use_for(rng, kind)
    row["end_use"] = end_use

    # licenses
    if destination in LICENSE_DESTINATIONS and rng.random() < 0.7:
        row["license_number"] = f"D-{date.year}-{destination}-{rng.randrange(1, 999):04d}"
    elif destination in CHINA_ROUTE and "H20" in row["product"].upper() and rng.random() < 0.4:
        row["license_number"] = f"BIS-H20-{date.year}-{rng.randrange(1, 999):04d}"
    elif destination in CHINA_ROUTE and vetted is not None and rng.random() < 0.2:
        row["license_number"] = {
            "C-ALI": "L-2026-0001",
            "C-BYT": "L-2026-0002",
            "C-TEN": "L-2026-0003",
            "C-MAC": "L-2026-0004",
            "C-H20": "L-2025-0101",
        }[vetted[0]]

    # attestations: exporters on the China route attest, occasionally forgetting one
    if destination in CHINA_ROUTE and date >= dt.date(2026, 1, 15) and rng.random() < 0.85:
        attestations = list(ROUTE_ATTESTATIONS)
        if rng.random() < 0.12:
            attestations.remove(rng.choice(attestations))
        if end_use == "cloud-services" and rng.random() < 0.85:
            attestations.append("iaas_remote_users_disclosed")
        row["attestations"] = ";".join(attestations)
    elif rng.random() < 0.03:
        row["attestations"] = "us_third_party_tested"
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", type=Path, default=Path(__file__).with_name("transactions.csv"))
    parser.add_argument("-n", "--rows", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=20260115)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    rows = sorted((make_row(rng) for _ in range(args.rows)), key=lambda r: r["date"])
    for n, row in enumerate(rows, 1):
        row["id"] = f"TX-{n:06d}"
    with args.output.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=HEADER, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} rows to {args.output}")


if __name__ == "__main__":
    main()
