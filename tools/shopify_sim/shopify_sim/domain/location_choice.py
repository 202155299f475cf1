"""Which location ships each line of a new order.

The rule (documented for test authors):
1. a line property `_location` (a Location GID or a location name) decides;
2. else the first location, in creation order, that fulfils online orders and
   has enough `available` units of the variant;
3. else the first location where the variant is stocked at all;
4. else (custom line items without a variant) the shop's primary location.
Lines that end at the same location share one fulfillment order, as Shopify does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from shopify_sim.ids import gid_number
from shopify_sim.state.models import Location

LOCATION_PROPERTY = "_location"


def explicit_location(
    properties: Sequence[Mapping[str, str]], locations: Mapping[int, Location]
) -> Location | None:
    for prop in properties:
        if prop.get("name") != LOCATION_PROPERTY:
            continue
        wanted = prop.get("value", "")
        number = gid_number(wanted, "Location")
        if number is not None:
            return locations.get(number)
        return next((loc for loc in locations.values() if loc.name == wanted), None)
    return None


def choose_location(
    *,
    quantity: int,
    inventory_item_id: int | None,
    properties: Sequence[Mapping[str, str]],
    locations: Mapping[int, Location],
    available_at: Callable[[int, int], int | None],
) -> Location:
    """`available_at(item, location)` is None when the item is not stocked there."""
    chosen = explicit_location(properties, locations)
    if chosen is not None:
        return chosen
    ordered = list(locations.values())
    if inventory_item_id is not None:
        for location in ordered:
            available = available_at(inventory_item_id, location.id)
            if location.fulfills_online_orders and available is not None and available >= quantity:
                return location
        for location in ordered:
            if available_at(inventory_item_id, location.id) is not None:
                return location
    return ordered[0]
