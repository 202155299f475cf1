"""Counting units on both sides of the integration, per order line, to check the promise:
the warehouse never holds more of a line than Shopify wants fulfilled at mapped locations, and
eventually holds all of it (or an operator is shown why not).

Shopify's side is read from the simulator's state, the warehouse's from the WMS simulator's:
neither through our services, so the check cannot share their mistakes.
"""

from collections import Counter
from dataclasses import dataclass, field

from shopify_sim.state.repository import ShopState
from wms_sim import WmsSimulator
from wms_sim.state import OrderStatus

ACTIVE_FO_STATUSES = frozenset({"OPEN", "IN_PROGRESS", "ON_HOLD", "SCHEDULED", "INCOMPLETE"})


@dataclass
class LineMap:
    """FulfillmentOrderLineItem GID -> the order's LineItem id, for every FO line ever seen.

    Shopify re-cuts FOs (split, move, merge) and closed FOs may lose their lines, while the
    warehouse keeps the line refs it was sent: the map remembers them all.
    """

    line_item_of: dict[str, int] = field(default_factory=dict)

    def learn(self, shop: ShopState, order_gid: str) -> None:
        order = shop.order(order_gid)
        for fo in shop.fulfillment_orders_of(order):
            for fo_line in fo.line_items:
                gid = f"gid://shopify/FulfillmentOrderLineItem/{fo_line.id}"
                self.line_item_of[gid] = fo_line.line_item_id


def wanted_at_mapped_locations(
    shop: ShopState, order_gid: str, mapped_location_ids: frozenset[int]
) -> Counter[int]:
    """Units Shopify wants fulfilled per order LineItem id at the locations the WMS serves."""
    order = shop.order(order_gid)
    wanted: Counter[int] = Counter()
    for fo in shop.fulfillment_orders_of(order):
        if fo.status in ACTIVE_FO_STATUSES and fo.location_id in mapped_location_ids:
            for fo_line in fo.line_items:
                wanted[fo_line.line_item_id] += fo_line.remaining_quantity
    return +wanted


def held_by_warehouse(
    warehouse: WmsSimulator, shop_domain: str, order_name: str, lines: LineMap
) -> Counter[int]:
    """Units the warehouse holds to ship (not shipped, reduced or cancelled) per LineItem id."""
    held: Counter[int] = Counter()
    for order in warehouse.orders.values():
        if order.shop != shop_domain or not _belongs_to(order.ref, order_name):
            continue
        if order.status in (OrderStatus.CANCELLED, OrderStatus.REJECTED):
            continue
        for line in order.lines:
            held[lines.line_item_of[line.line_ref]] += line.open_units
    return +held


def _belongs_to(ref: str, order_name: str) -> bool:
    return ref == order_name or ref.startswith(order_name + "-")
