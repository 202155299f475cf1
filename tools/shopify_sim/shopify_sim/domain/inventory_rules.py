"""inventorySetQuantities' checks and the deltas a valid request applies."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from shopify_sim.domain.user_errors import UserError, user_error
from shopify_sim.ids import gid_number
from shopify_sim.state.models import InventoryLevel

SETTABLE_NAMES = ("available", "on_hand")
MAX_QUANTITY = 1_000_000_000
MAX_QUANTITIES_PER_CALL = 250
VALID_REASONS = (
    "correction",
    "cycle_count_available",
    "damaged",
    "movement_canceled",
    "movement_created",
    "movement_received",
    "movement_updated",
    "other",
    "promotion",
    "quality_control",
    "received",
    "reservation_created",
    "reservation_deleted",
    "reservation_updated",
    "restock",
    "safety_stock",
    "shrinkage",
)

LevelLookup = Callable[[int, int], InventoryLevel | None]

# SIMULATOR RULE: Shopify's docs say a fulfillment service with inventoryManagement "manages
# product inventory and provides updates to Shopify" through the API (or its fetch_stock
# callback) and are silent on writes to the location of a service that does not; the simulator
# accepts quantity writes at a service's location only when its inventoryManagement is true.
SERVICE_LOCATION_NOT_MANAGED = (
    "The specified location belongs to a fulfillment service that does not manage inventory."
)


def reason_errors(reason: str) -> list[UserError]:
    """The `reason` check every inventory mutation makes, with the same message and code."""
    if reason in VALID_REASONS:
        return []
    return [
        user_error(
            ["input", "reason"],
            f"The specified reason is invalid. Valid values are: {', '.join(VALID_REASONS)}.",
            "INVALID_REASON",
        )
    ]


def bound_errors(field: list[str], value: int, limit: int) -> list[UserError]:
    """A quantity beyond ±limit is refused; Shopify's message spells the limit out (the set and
    adjust mutations have different limits, the same codes)."""
    if value > limit:
        return [
            user_error(
                field, f"The quantity can't be higher than {limit:,}.", "INVALID_QUANTITY_TOO_HIGH"
            )
        ]
    if value < -limit:
        return [
            user_error(
                field, f"The quantity can't be lower than {-limit:,}.", "INVALID_QUANTITY_TOO_LOW"
            )
        ]
    return []


def find_item_and_location(
    path: list[str],
    entry: Mapping[str, Any],
    item_exists: Callable[[int], bool],
    location_exists: Callable[[int], bool],
) -> tuple[int, int] | list[UserError]:
    """The item and location numbers one entry names, or the error for the first one unknown.

    Shared by the set and adjust mutations: both refuse an unknown item before an unknown
    location, at the entry's `inventoryItemId` / `locationId`, with the same messages.
    """
    item = gid_number(entry["inventoryItemId"], "InventoryItem")
    location = gid_number(entry["locationId"], "Location")
    if item is None or not item_exists(item):
        return [
            user_error(
                [*path, "inventoryItemId"],
                "The specified inventory item could not be found.",
                "INVALID_INVENTORY_ITEM",
            )
        ]
    if location is None or not location_exists(location):
        return [
            user_error(
                [*path, "locationId"],
                "The specified location could not be found.",
                "INVALID_LOCATION",
            )
        ]
    return item, location


def service_location_errors(
    entries: Sequence[Mapping[str, Any]], list_name: str, refused: Callable[[int], bool]
) -> list[UserError]:
    """Entries at a fulfillment-service location whose service does not manage inventory."""
    errors = []
    for index, entry in enumerate(entries):
        location = gid_number(entry["locationId"], "Location")
        if location is not None and refused(location):
            errors.append(
                user_error(
                    ["input", list_name, str(index), "locationId"],
                    SERVICE_LOCATION_NOT_MANAGED,
                    "INVALID_LOCATION",
                )
            )
    return errors


def check_set_quantities(
    data: Mapping[str, Any],
    *,
    item_exists: Callable[[int], bool],
    location_exists: Callable[[int], bool],
    level_of: LevelLookup,
) -> list[UserError]:
    errors: list[UserError] = []
    name = data["name"]
    if name not in SETTABLE_NAMES:
        errors.append(
            user_error(
                ["input", "name"],
                "The quantity name must be either 'available' or 'on_hand'.",
                "INVALID_NAME",
            )
        )
    errors.extend(reason_errors(data["reason"]))
    for index, quantity in enumerate(data["quantities"]):
        errors.extend(_check_one(index, quantity, name, item_exists, location_exists, level_of))
    return errors


def _check_one(
    index: int,
    quantity: Mapping[str, Any],
    name: str,
    item_exists: Callable[[int], bool],
    location_exists: Callable[[int], bool],
    level_of: LevelLookup,
) -> list[UserError]:
    path = ["input", "quantities", str(index)]
    found = find_item_and_location(path, quantity, item_exists, location_exists)
    if isinstance(found, list):
        return found
    item, location = found
    value = quantity["quantity"]
    if name == "on_hand" and value < 0:
        return [
            user_error(
                [*path, "quantity"], "The quantity can't be negative.", "INVALID_QUANTITY_NEGATIVE"
            )
        ]
    bounds = bound_errors([*path, "quantity"], value, MAX_QUANTITY)
    if bounds:
        return bounds
    level = level_of(item, location)
    if level is None:
        return [
            user_error(
                [*path, "locationId"],
                "The specified inventory item is not stocked at the location.",
                "ITEM_NOT_STOCKED_AT_LOCATION",
            )
        ]
    expected = quantity.get("changeFromQuantity")
    if expected is not None and level.quantities.get(name, 0) != expected:
        return [
            user_error(
                [*path, "changeFromQuantity"],
                "The changeFromQuantity value does not match persisted value.",
                "CHANGE_FROM_QUANTITY_STALE",
            )
        ]
    return []


def set_deltas(name: str, current: int, target: int) -> list[tuple[str, int]]:
    """Setting `available` moves `on_hand` with it and vice versa (the other states stay)."""
    delta = target - current
    if name == "available":
        return [("available", delta), ("on_hand", delta)]
    return [("on_hand", delta), ("available", delta)]
