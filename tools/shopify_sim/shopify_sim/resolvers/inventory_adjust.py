"""inventoryAdjustQuantities: deltas with compare-and-swap, @idempotent as 2026-04+ requires.

The checks and deltas are in domain/inventory_adjust.py; the directive, the changeFromQuantity
requirement and the replay of a key are shared with inventorySetQuantities.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import GraphQLResolveInfo

from shopify_sim.domain.inventory_adjust import adjust_deltas, check_adjust_quantities
from shopify_sim.domain.inventory_rules import service_location_errors
from shopify_sim.resolvers.context import context_of
from shopify_sim.resolvers.inventory import (
    checked_level,
    record_group,
    refuse_oversized_input,
    refuses_quantities,
    required_idempotency_key,
    requires_change_from,
    run_idempotent,
)
from shopify_sim.state.repository import ShopState

Node = dict[str, Any]


def _apply(shop: ShopState, data: dict[str, Any]) -> dict[str, Any]:
    errors = check_adjust_quantities(
        data,
        item_exists=lambda item: item in shop.variants_by_item,
        location_exists=lambda location: location in shop.locations,
        level_of=shop.level,
    ) or service_location_errors(
        data["changes"], "changes", lambda location: refuses_quantities(shop, location)
    )
    if errors:
        return {"group": None, "userErrors": errors}
    name = data["name"]
    changes: list[dict[str, Any]] = []
    for change in data["changes"]:
        item, location, level = checked_level(shop, change)
        deltas = adjust_deltas(name, change["delta"])
        shop.change_quantities(level, dict(deltas))
        changes.extend(
            {
                "name": quantity_name,
                "delta": delta,
                "item": item,
                "location": location,
                # The ledger document belongs to the adjusted state, not the on_hand mirror.
                "ledger_document_uri": change.get("ledgerDocumentUri")
                if quantity_name == name
                else None,
            }
            for quantity_name, delta in deltas
        )
    if not changes:
        # As captured (inventory-adjust-zero-delta-noop): all-zero deltas change nothing and
        # return no group and no error.
        return {"group": None, "userErrors": []}
    return {"group": record_group(shop, data, changes), "userErrors": []}


def inventory_adjust_quantities(
    _root: Any, info: GraphQLResolveInfo, input: dict[str, Any]
) -> Node:
    shop = context_of(info).shop
    key = required_idempotency_key(info)
    changes = input["changes"]
    refuse_oversized_input(changes)
    requires_change_from(info, changes, "InventoryChangeInput")
    return run_idempotent(shop, f"inventoryAdjustQuantities:{key}", input, _apply)


MUTATION_FIELDS: dict[str, Callable[..., Any]] = {
    "inventoryAdjustQuantities": inventory_adjust_quantities,
}
