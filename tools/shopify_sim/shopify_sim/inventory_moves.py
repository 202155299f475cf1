"""How orders move units between inventory states.

- orderCreate with a DECREMENT_* inventory behaviour moves units from
  `available` to `committed` at the line's location (BYPASS, Shopify's default
  for orderCreate, touches nothing);
- a fulfilment ships committed units: `committed` and `on_hand` go down;
- a cancellation with restock puts committed, unshipped units back into
  `available`. Bypassed lines never left `available`, so nothing goes back.
"""

from __future__ import annotations

from shopify_sim.state.models import LineItem
from shopify_sim.state.repository import ShopState


def commit(shop: ShopState, line: LineItem, inventory_item_id: int) -> None:
    level = shop.level(inventory_item_id, line.location_id)
    if level is None:
        return
    shop.change_quantities(level, {"available": -line.quantity, "committed": line.quantity})
    line.inventory_committed = True


def ship(shop: ShopState, line: LineItem, quantity: int) -> None:
    if not line.inventory_committed or line.variant_id is None:
        return
    variant = shop.variants[line.variant_id]
    level = shop.level(variant.inventory_item_id, line.location_id)
    if level is not None:
        shop.change_quantities(level, {"committed": -quantity, "on_hand": -quantity})


def restock(shop: ShopState, line: LineItem, quantity: int) -> None:
    if not line.inventory_committed or line.variant_id is None or quantity <= 0:
        return
    variant = shop.variants[line.variant_id]
    level = shop.level(variant.inventory_item_id, line.location_id)
    if level is not None:
        shop.change_quantities(level, {"committed": -quantity, "available": quantity})
