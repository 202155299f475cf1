"""Statuses Shopify derives from an order's fulfillment orders and fulfillments."""

from __future__ import annotations

from collections.abc import Iterable

from shopify_sim.state.models import FulfillmentOrder, LineItem, Order

# FO statuses whose remaining units can still be fulfilled right now. INCOMPLETE: a service
# closed the FO; the capture (fulfillment-order-close-state) still shows CREATE_FULFILLMENT and
# the units fulfillable.
FULFILLABLE_FO_STATUSES = frozenset({"OPEN", "IN_PROGRESS", "INCOMPLETE"})
# FO statuses that are finished: nothing more happens to them.
FINAL_FO_STATUSES = frozenset({"CLOSED", "CANCELLED"})


def fulfilled_quantity(line: LineItem, fulfillment_orders: Iterable[FulfillmentOrder]) -> int:
    total = remaining = 0
    for fo in fulfillment_orders:
        # A CANCELLED FO (ShopSettings.cancellation_accepted_status) keeps only what was
        # fulfilled from it; its other units moved to a replacement, so it counts like any other.
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
    # "Some of the items in the order have been rejected for fulfillment by the fulfillment
    # service" (OrderDisplayFulfillmentStatus.REQUEST_DECLINED).
    if any(fo.request_status == "REJECTED" for fo in live):
        return "REQUEST_DECLINED"
    if live and all(fo.status == "ON_HOLD" for fo in live):
        return "ON_HOLD"
    # IN_PROGRESS: items "have had a request for fulfillment sent to the fulfillment service or
    # ... have been marked as in progress" (PENDING_FULFILLMENT is its deprecated name).
    if any(fo.status == "IN_PROGRESS" or fo.request_status == "SUBMITTED" for fo in live):
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
