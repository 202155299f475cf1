"""What leaves in the next shipment of an order, and the paperwork that goes with it."""

import random
from dataclasses import dataclass
from datetime import datetime

from contracts import ShipmentLine, WmsShipmentConfirmed
from wms_sim.carriers import choose_carrier
from wms_sim.state import OrderLineState, OrderStatus, WarehouseOrder

PARCEL_SPLIT_UNITS = 4
"""Above this many units a shipment sometimes needs two boxes, so two tracking numbers."""
TWO_PARCELS_PROBABILITY = 0.25


@dataclass(frozen=True)
class Pick:
    line: OrderLineState
    units: int


def next_picks(order: WarehouseOrder) -> list[Pick]:
    """The lines (and units of each) of the order's next shipment, in line order: the first
    part of a split order, otherwise everything still open."""
    first_of_two = order.status is OrderStatus.ACCEPTED and order.first_shipment_units
    budget = order.first_shipment_units if first_of_two else order.open_units
    picks: list[Pick] = []
    for line in order.lines:
        units = min(line.open_units, budget or 0)
        if units:
            picks.append(Pick(line, units))
            budget = (budget or 0) - units
    return picks


def units_by_sku(picks: list[Pick]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for pick in picks:
        totals[pick.line.sku] = totals.get(pick.line.sku, 0) + pick.units
    return totals


def shipment_paperwork(
    order: WarehouseOrder, picks: list[Pick], now: datetime, rng: random.Random
) -> WmsShipmentConfirmed:
    # Random rather than counted: ids stay unique across runs that keep no state, and the
    # project treats a repeated shipment id as the same shipment.
    shipment_id = f"SHP-{rng.randrange(10**8, 10**9)}"
    carrier = choose_carrier(order.country_code, rng)
    units = sum(pick.units for pick in picks)
    two_parcels = units > PARCEL_SPLIT_UNITS and rng.random() < TWO_PARCELS_PROBABILITY
    numbers = [carrier.new_tracking_number(rng) for _ in range(2 if two_parcels else 1)]
    return WmsShipmentConfirmed(
        shipment_id=shipment_id,
        wms_order_ref=order.ref,
        shipped_at=now,
        carrier=carrier.name,
        tracking_numbers=numbers,
        tracking_urls=[carrier.tracking_url(number) for number in numbers],
        lines=[
            ShipmentLine(line_ref=pick.line.line_ref, sku=pick.line.sku, quantity=pick.units)
            for pick in picks
        ],
    )
