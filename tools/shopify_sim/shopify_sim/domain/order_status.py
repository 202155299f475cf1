"""Statuses Shopify derives from an order's fulfillment orders and fulfillments."""

from __future__ import annotations

from collections.abc import Iterable

from shopify_sim.state.models import FulfillmentOrder, LineItem, Order

# FO statuses whose remaining units can still be fulfilled right now.
FULFILLABLE_FO_STATUSES = frozenset({"OPEN", "IN_PROGRESS"})
# FO statuses that are finished: nothing more happens to them.
FINAL_FO_STATUSES = frozenset({"CLOSED", "CANCELLED"})


def fulfilled_quantity(line: LineItem, fulfillment_orders: Iterable[FulfillmentOrder]) -> int:
    total = remaining = 0
    for fo in fulfillment_orders:
        if fo.status == "CANCELLED":
            continue
        for fo_line in fo.line_items:
            if fo_line.line_item_id == line.id:
                total += fo_line.total_quantity
                remaining += fo_line.remaining_quantity
    return total - remaining


def fulfillable_quantity(line: LineItem, fulfillment_orders: Iterable[FulfillmentOrder]) -> int:
    """Units of a line that can be fulfilled now (held units are not)."""
    return sum(
        fo_line.remaining_quantity
        for fo in fulfillment_orders
        if fo.status in FULFILLABLE_FO_STATUSES
        for fo_line in fo.line_items
        if fo_line.line_item_id == line.id
    )


def display_fulfillment_status(order: Order, fulfillment_orders: list[FulfillmentOrder]) -> str:
    # Units an order edit removed are no longer ordered (LineItem.current_quantity).
    ordered = sum(line.live_quantity for line in order.line_items)
    fulfilled = sum(fulfilled_quantity(line, fulfillment_orders) for line in order.line_items)
    if ordered and fulfilled >= ordered:
        return "FULFILLED"
    if fulfilled:
        return "PARTIALLY_FULFILLED"
    live = [fo for fo in fulfillment_orders if fo.status not in FINAL_FO_STATUSES]
    if live and all(fo.status == "ON_HOLD" for fo in live):
        return "ON_HOLD"
    if any(fo.status == "IN_PROGRESS" for fo in live):
        return "IN_PROGRESS"
    return "UNFULFILLED"


def rest_fulfillment_status(display_status: str) -> str | None:
    """The `fulfillment_status` of REST bodies: null, "partial" or "fulfilled"."""
    return {"FULFILLED": "fulfilled", "PARTIALLY_FULFILLED": "partial"}.get(display_status)


def status_after_fulfilment(fo: FulfillmentOrder) -> str:
    if all(line.remaining_quantity == 0 for line in fo.line_items):
        return "CLOSED"
    return "IN_PROGRESS"


def risk_recommendation(risk_level: str) -> str:
    return {"HIGH": "CANCEL", "MEDIUM": "INVESTIGATE", "LOW": "ACCEPT"}.get(risk_level, "NONE")
