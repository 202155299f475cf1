"""How orders move units between inventory states.

- orderCreate with a DECREMENT_* inventory behaviour moves units from
  `available` to `committed` at the line's location (BYPASS, Shopify's default
  for orderCreate, touches nothing);
- a fulfilment ships committed units: `committed` and `on_hand` go down, and cancelling
  the fulfilment puts them back;
- a cancellation with restock puts committed, unshipped units back into
  `available`. Bypassed lines never left `available`, so nothing goes back;
- an order edit commits the units it adds to a committed line, and writes off (out of
  `committed` and `on_hand`) the units it removes without restock.
"""

from __future__ import annotations

from shopify_sim.state.models import LineItem
from shopify_sim.state.repository import ShopState


def _change_at_line(shop: ShopState, line: LineItem, deltas: dict[str, int]) -> None:
    """Apply `deltas` at the level the line's units are counted at: its variant's item at its
    location. A custom line (no variant) or an item not stocked there has none: nothing moves."""
    if line.variant_id is None:
        return
    variant = shop.variants[line.variant_id]
    level = shop.level(variant.inventory_item_id, line.location_id)
    if level is not None:
        shop.change_quantities(level, deltas)


def commit(shop: ShopState, line: LineItem, inventory_item_id: int) -> None:
    level = shop.level(inventory_item_id, line.location_id)
    if level is None:
        return
    shop.change_quantities(level, {"available": -line.quantity, "committed": line.quantity})
    line.inventory_committed = True


def ship(shop: ShopState, line: LineItem, quantity: int) -> None:
    if line.inventory_committed:
        _change_at_line(shop, line, {"committed": -quantity, "on_hand": -quantity})


def unship(shop: ShopState, line: LineItem, quantity: int) -> None:
    """The inverse of `ship`: cancelled units are committed and on hand again."""
    if line.inventory_committed:
        _change_at_line(shop, line, {"committed": quantity, "on_hand": quantity})


def restock(shop: ShopState, line: LineItem, quantity: int) -> None:
    if line.inventory_committed and quantity > 0:
        _change_at_line(shop, line, {"committed": -quantity, "available": quantity})


def commit_more(shop: ShopState, line: LineItem, units: int) -> None:
    """Units an edit adds to a committed line are committed like the line's first ones."""
    if line.inventory_committed:
        _change_at_line(shop, line, {"available": -units, "committed": units})


def write_off(shop: ShopState, line: LineItem, units: int) -> None:
    """Removed without restock: the order no longer holds the units (committed drops) and they
    are not offered for sale again (available stays), so they leave on_hand."""
    if line.inventory_committed:
        _change_at_line(shop, line, {"committed": -units, "on_hand": -units})
