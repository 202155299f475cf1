"""inventorySetQuantities' checks and the deltas a valid request applies."""

from __future__ import annotations

from collections.abc import Callable, Mapping
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
    if data["reason"] not in VALID_REASONS:
        errors.append(
            user_error(
                ["input", "reason"],
                f"The specified reason is invalid. Valid values are: {', '.join(VALID_REASONS)}.",
                "INVALID_REASON",
            )
        )
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
    item = gid_number(quantity["inventoryItemId"], "InventoryItem")
    location = gid_number(quantity["locationId"], "Location")
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
    value = quantity["quantity"]
    if name == "on_hand" and value < 0:
        return [
            user_error(
                [*path, "quantity"], "The quantity can't be negative.", "INVALID_QUANTITY_NEGATIVE"
            )
        ]
    if value > MAX_QUANTITY:
        return [
            user_error(
                [*path, "quantity"],
                "The quantity can't be higher than 1,000,000,000.",
                "INVALID_QUANTITY_TOO_HIGH",
            )
        ]
    if value < -MAX_QUANTITY:
        return [
            user_error(
                [*path, "quantity"],
                "The quantity can't be lower than -1,000,000,000.",
                "INVALID_QUANTITY_TOO_LOW",
            )
        ]
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
