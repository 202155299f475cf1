"""inventoryAdjustQuantities' checks and deltas, and the unique-pair rule of the set mutations.

Codes and messages are Shopify's: the InventoryAdjustQuantitiesUserErrorCode descriptions of
the 2026-07 schema, and the live captures inventory-adjust-ledger-document-validation,
inventory-adjust-name-allowlist, inventory-adjust-on-hand-name-mirrors,
inventory-adjust-zero-delta-noop and inventorySetQuantities-name-validation (2026-04, from the
shopify-draft-proxy conformance suite).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from shopify_sim.domain.inventory_rules import (
    LevelLookup,
    bound_errors,
    find_item_and_location,
    reason_errors,
)
from shopify_sim.domain.user_errors import UserError, user_error

ADJUSTABLE_NAMES = (
    "available",
    "damaged",
    "incoming",
    "quality_control",
    "reserved",
    "safety_stock",
)
# States that are physically in the building: adjusting them moves `on_hand` too (captured);
# `incoming` is not on hand yet.
ON_HAND_NAMES = frozenset(ADJUSTABLE_NAMES) - {"incoming"}
MAX_ADJUSTED_QUANTITY = 2_000_000_000


def duplicate_pair_errors(entries: Sequence[Mapping[str, Any]], list_name: str) -> list[UserError]:
    """Every entry of an item+location pair that appears twice is refused, each at its index."""
    seen: dict[tuple[str, str], list[int]] = {}
    for index, entry in enumerate(entries):
        seen.setdefault((entry["inventoryItemId"], entry["locationId"]), []).append(index)
    duplicated = sorted(i for indexes in seen.values() if len(indexes) > 1 for i in indexes)
    return [
        user_error(
            ["input", list_name, str(index), "locationId"],
            "The combination of inventoryItemId and locationId must be unique.",
            "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR",
        )
        for index in duplicated
    ]


def _ledger_errors(name: str, changes: Sequence[Mapping[str, Any]]) -> list[UserError]:
    errors = []
    for index, change in enumerate(changes):
        path = ["input", "changes", str(index), "ledgerDocumentUri"]
        ledger = change.get("ledgerDocumentUri")
        if name == "available" and ledger is not None:
            errors.append(
                user_error(
                    path,
                    "A ledger document URI is not allowed when adjusting available.",
                    "INVALID_AVAILABLE_DOCUMENT",
                )
            )
        elif name != "available" and ledger is None:
            errors.append(
                user_error(
                    path,
                    "A ledger document URI is required except when adjusting available.",
                    "INVALID_QUANTITY_DOCUMENT",
                )
            )
        elif ledger is not None and ledger.startswith("gid://shopify/"):
            errors.append(
                user_error(
                    path,
                    "Internal (gid://shopify/) ledger documents are not allowed to be adjusted "
                    "via API.",
                    "INTERNAL_LEDGER_DOCUMENT",
                )
            )
    if not errors and len({c.get("ledgerDocumentUri") for c in changes}) > 1:
        errors.append(
            user_error(
                ["input", "changes"],
                "All changes must have the same ledger document URI or, in the case of adjusting "
                "available, no ledger document URI.",
                "MAX_ONE_LEDGER_DOCUMENT",
            )
        )
    return errors


def _change_errors(
    index: int,
    change: Mapping[str, Any],
    name: str,
    item_exists: Callable[[int], bool],
    location_exists: Callable[[int], bool],
    level_of: LevelLookup,
) -> list[UserError]:
    path = ["input", "changes", str(index)]
    found = find_item_and_location(path, change, item_exists, location_exists)
    if isinstance(found, list):
        return found
    level = level_of(*found)
    if level is None:
        return [
            user_error(
                [*path, "locationId"],
                "The inventory item is not stocked at the location.",
                "ITEM_NOT_STOCKED_AT_LOCATION",
            )
        ]
    current = level.quantities.get(name, 0)
    expected = change.get("changeFromQuantity")
    if expected is not None and current != expected:
        return [
            user_error(
                [*path, "changeFromQuantity"],
                "The changeFromQuantity argument no longer matches the persisted quantity.",
                "CHANGE_FROM_QUANTITY_STALE",
            )
        ]
    return bound_errors([*path, "delta"], current + change["delta"], MAX_ADJUSTED_QUANTITY)


def check_adjust_quantities(
    data: Mapping[str, Any],
    *,
    item_exists: Callable[[int], bool],
    location_exists: Callable[[int], bool],
    level_of: LevelLookup,
) -> list[UserError]:
    name = data["name"]
    if name not in ADJUSTABLE_NAMES:
        return [
            user_error(
                ["input", "name"],
                "The specified quantity name is invalid. Valid values are: "
                f"{', '.join(ADJUSTABLE_NAMES)}.",
                "INVALID_QUANTITY_NAME",
            )
        ]
    errors = reason_errors(data["reason"])
    changes = data["changes"]
    errors.extend(_ledger_errors(name, changes))
    for index, change in enumerate(changes):
        errors.extend(_change_errors(index, change, name, item_exists, location_exists, level_of))
    return errors


def adjust_deltas(name: str, delta: int) -> list[tuple[str, int]]:
    """The state adjusted, and `on_hand` with it when the state is in the building."""
    if delta == 0:
        return []
    if name in ON_HAND_NAMES:
        return [(name, delta), ("on_hand", delta)]
    return [(name, delta)]
