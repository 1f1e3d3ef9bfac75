"""POLICY section 3 (classification of the item), with section 5 condition 1 and the section 6 fee bands, which
read the same figures.

A missing die area or memory bandwidth is an unknown: each fact is settled when every value the unknown could
take gives it the same truth, and is None (unsettled) otherwise.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from fractions import Fraction
from functools import cache
from typing import Any

from tests.policy_oracle.reference import PolicyData, to_flag, to_measure
from tests.policy_oracle.truth import Truth, settled

# Thresholds of sections 3, 5 and 6 on the figures that can be missing.
PD_EDGES = (Fraction("1.6"), Fraction("3.2"), Fraction("5.92"))
BANDWIDTH_EDGES = (1400, 4500, 5000, 5800, 6200, 6500)


@dataclass(frozen=True)
class Item:
    """What is known about the item after resolving the product and applying `specs` (section 3)."""

    model: str | None  # the catalog identity, kept when `specs` override figures; None outside the catalog
    us_commercial: bool
    datacenter: bool
    tpp: Fraction
    die_area: Fraction | None
    bandwidth: Fraction | None


@dataclass(frozen=True)
class Profile:
    """What sections 3, 5 and 6 say about the item, each fact possibly unsettled by missing data."""

    is_3a090: Truth
    h20_class: Truth
    within_route_limits: Truth  # section 5, condition 1
    in_fee_band: Truth  # section 6, the 25% bands

    @property
    def neither(self) -> Truth:
        """Neither 3A090 nor H20-class (section 4.1: NLR, or License Exception SPP to Syria)."""
        return None if self.is_3a090 is None or self.h20_class is None else not (self.is_3a090 or self.h20_class)

    @property
    def classified(self) -> bool:
        """Whether the classification (3A090 or not, H20-class or not) is settled."""
        return self.is_3a090 is not None and self.h20_class is not None


def resolve_item(tx: Mapping[str, Any], data: PolicyData) -> Item | None:
    """The catalog row with `specs` applied field by field; None when the item cannot be classified at all
    (section 3: neither in the catalog nor given a TPP in `specs`)."""
    product = tx.get("product")
    chip = data.chips.get(product.strip().lower()) if isinstance(product, str) else None
    specs = tx.get("specs") or {}
    tpp = to_measure(specs.get("tpp"), chip.tpp if chip else None)
    if tpp is None:
        return None
    datacenter = to_flag(specs.get("datacenter"))
    return Item(
        model=chip.model if chip else None,
        us_commercial=chip.us_commercial if chip else False,
        datacenter=datacenter if datacenter is not None else (chip.datacenter if chip else True),
        tpp=tpp,
        die_area=to_measure(specs.get("die_area_mm2"), chip.die_area if chip else None),
        bandwidth=to_measure(specs.get("memory_bandwidth_gbs"), chip.bandwidth if chip else None),
    )


@cache
def item_profile(
    tpp: Fraction, die_area: Fraction | None, bandwidth: Fraction | None, datacenter: bool, h20_in_force: bool
) -> Profile:
    """Classify the item over every completion of its unknown die area and bandwidth."""
    densities = [tpp / die_area] if die_area is not None else samples(PD_EDGES)
    bandwidths = [bandwidth] if bandwidth is not None else samples(BANDWIDTH_EDGES)
    seen = [classify(tpp, pd, bw, datacenter, h20_in_force) for pd, bw in itertools.product(densities, bandwidths)]
    return Profile(*(settled({getattr(p, field.name) for p in seen}) for field in fields(Profile)))


def classify(tpp: Fraction, pd: Fraction, bandwidth: Fraction, datacenter: bool, h20_in_force: bool) -> Profile:
    """Section 3 (3A090.a/.b, Note 2, H20-class), section 5 condition 1 and the section 6 fee bands."""
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


def samples(edges: Iterable[Fraction | int]) -> list[Fraction]:
    """One value in every region the edges cut the non-negative line into, the edges included."""
    points = sorted({Fraction(edge) for edge in edges})
    found = [Fraction(0), points[0] / 2, *points, points[-1] + 1]
    return found + [(a + b) / 2 for a, b in itertools.pairwise(points)]
