"""Stock arithmetic of one facility and the shape of its feeds (snapshot parts, adjustments).

Accepting an order allocates (available goes down), shipping takes units off the shelf (on hand
goes down), cancelling gives the allocation back. That is how a WMS's `available` tracks
Shopify's, which also drops when the order is placed rather than when it ships.
"""

import math
import random
from collections.abc import Mapping, Sequence
from datetime import datetime

from contracts import SnapshotItem, WmsInventoryAdjusted, WmsInventorySnapshot
from wms_sim.state import StockLevel

FacilityStock = dict[str, StockLevel]


def allocate(stock: FacilityStock, sku: str, units: int) -> None:
    stock[sku].available -= units


def release(stock: FacilityStock, sku: str, units: int) -> None:
    stock[sku].available += units


def can_pick(stock: Mapping[str, StockLevel], units_by_sku: Mapping[str, int]) -> list[str]:
    """The SKUs whose shelf holds fewer units than the pick needs (empty: the pick can go)."""
    return [sku for sku, units in units_by_sku.items() if stock[sku].on_hand < units]


def pick(stock: FacilityStock, sku: str, units: int) -> None:
    """Units allocated earlier leave the building: only on hand changes."""
    level = stock[sku]
    if level.on_hand < units:
        raise ValueError(f"cannot pick {units} of {sku}: {level.on_hand} on hand")
    level.on_hand -= units


def cycle_count(stock: FacilityStock, sku: str, rng: random.Random) -> None:
    """A recount finds a few units more or fewer than the books said."""
    level = stock[sku]
    delta = max(-level.on_hand, rng.choice((-3, -2, -1, 1, 2, 3, 5)))
    level.on_hand += delta
    level.available += delta


def adjusted(
    facility_code: str, sku: str, level: StockLevel, as_of: datetime
) -> WmsInventoryAdjusted:
    return WmsInventoryAdjusted(
        facility=facility_code,
        sku=sku,
        available=level.available,
        on_hand=level.on_hand,
        as_of=as_of,
    )


def snapshot_parts(
    facility_code: str,
    stock: Mapping[str, StockLevel],
    as_of: datetime,
    items_per_part: int,
) -> list[WmsInventorySnapshot]:
    """The whole facility, SKUs in order, cut into parts sharing one snapshot id."""
    items = [
        SnapshotItem(sku=sku, available=level.available, on_hand=level.on_hand)
        for sku, level in sorted(stock.items())
    ]
    chunks: Sequence[list[SnapshotItem]] = [
        items[start : start + items_per_part] for start in range(0, len(items), items_per_part)
    ] or [[]]  # an empty facility still reports, as one empty part
    snapshot_id = f"{facility_code}-{as_of:%Y%m%dT%H%M%S%fZ}"
    parts = math.ceil(len(items) / items_per_part) or 1
    return [
        WmsInventorySnapshot(
            snapshot_id=snapshot_id,
            facility=facility_code,
            as_of=as_of,
            part=number,
            parts=parts,
            items=chunk,
        )
        for number, chunk in enumerate(chunks, start=1)
    ]
