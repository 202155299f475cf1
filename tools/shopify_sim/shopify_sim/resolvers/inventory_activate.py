"""inventoryActivate: stock an inventory item at a location (a merchant stocking a fulfillment
service's location, for one), with the @idempotent key 2026-04+ requires."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from graphql import GraphQLResolveInfo

from shopify_sim.domain.inventory_activate import (
    ITEM_NOT_FOUND,
    LOCATION_NOT_FOUND,
    activate_errors,
)
from shopify_sim.domain.user_errors import user_error
from shopify_sim.ids import gid_number
from shopify_sim.resolvers.context import context_of
from shopify_sim.resolvers.inventory import required_idempotency_key
from shopify_sim.state.repository import ShopState
from shopify_sim.views.catalog import level_node

Node = dict[str, Any]


def _activate(shop: ShopState, args: dict[str, Any]) -> dict[str, Any]:
    """The outcome as stored for a replay: the level's key (or None) and the userErrors."""
    item = gid_number(args["inventoryItemId"], "InventoryItem")
    if item is None or item not in shop.variants_by_item:
        return {"level": None, "userErrors": [user_error(["inventoryItemId"], ITEM_NOT_FOUND)]}
    number = gid_number(args["locationId"], "Location")
    location = shop.live_locations().get(number) if number is not None else None
    if location is None or not location.is_active:
        return {"level": None, "userErrors": [user_error(["locationId"], LOCATION_NOT_FOUND)]}
    existing = shop.level(item, location.id)
    quantities = {"available": args.get("available"), "onHand": args.get("onHand")}
    errors = activate_errors(location.name, quantities, already_active=existing is not None)
    if existing is not None:
        # Already stocked there: a no-op that answers the level (with the refusal, if any).
        return {"level": [item, location.id], "userErrors": errors}
    if errors:
        return {"level": None, "userErrors": errors}
    # Either argument seeds both `available` and `on_hand` ("If you don't specify quantities,
    # then available and onHand default to zero"; captured for onHand).
    seed = next((value for value in quantities.values() if value is not None), 0)
    shop.stock(item, location.id, seed)
    return {"level": [item, location.id], "userErrors": []}


def inventory_activate(_root: Any, info: GraphQLResolveInfo, **args: Any) -> Node:
    shop = context_of(info).shop
    key = f"inventoryActivate:{required_idempotency_key(info)}"
    fingerprint = json.dumps(args, sort_keys=True, default=str)
    previous = shop.idempotency.get(key)
    if previous is not None and previous[0] == fingerprint:
        stored = previous[1]
    elif previous is not None:
        return {
            "inventoryLevel": None,
            "userErrors": [
                user_error(
                    None,
                    "The same idempotency key cannot be used with different operation parameters.",
                )
            ],
        }
    else:
        stored = _activate(shop, args)
        shop.idempotency[key] = (fingerprint, stored)
    found = shop.level(*stored["level"]) if stored["level"] else None
    return {
        "inventoryLevel": level_node(shop, found) if found is not None else None,
        "userErrors": stored["userErrors"],
    }


MUTATION_FIELDS: dict[str, Callable[..., Any]] = {"inventoryActivate": inventory_activate}
