"""What an order edit may change, and how a committed edit re-cuts fulfillment orders.

Shopify documents the flow (orderEditBegin -> orderEdit* -> orderEditCommit) and that "you can
only edit unfulfilled line items"; it is silent on what happens to fulfillment orders. The
simulator's rules, each one named so tests and readers can point at it:

- REMOVED_UNITS_COME_OFF_OPEN_FOS: units removed from a line come off the remaining units of
  its unfinished FOs (totalQuantity and remainingQuantity drop together; fulfilled units are
  never touched). FOs that have not started (anything but IN_PROGRESS) lose units first, newest
  first. An FO left with no remaining units is CLOSED. The FO keeps its id, as the live capture
  order-edit-commit-history-and-fulfillment-orders shows (3 -> 1 on the same FO, 1/1 after).
- ADDED_UNITS_GO_TO_A_NEW_FO: units added by a commit (new variants, or a line's quantity
  raised) go to one new OPEN FO per location, never into an FO that already exists. The same
  capture shows it: a variant added to a one-location order arrived in a second OPEN FO. A new
  FO also keeps a warehouse from seeing an order it already accepted grow under it.
- A removed line stays on the order with its `quantity` and a `currentQuantity` of 0.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from shopify_sim.domain.order_status import FINAL_FO_STATUSES, fulfilled_quantity
from shopify_sim.state.models import (
    FulfillmentOrder,
    FulfillmentOrderLineItem,
    LineItem,
    Order,
)

# Shopify refuses to edit cancelled orders and orders whose money is gone (live capture
# order-edit-lifecycle-user-errors: "The order cannot be edited.").
NOT_EDITABLE_FINANCIAL_STATUSES = frozenset({"REFUNDED", "VOIDED"})


def order_is_editable(order: Order) -> bool:
    return (
        order.cancelled_at is None and order.financial_status not in NOT_EDITABLE_FINANCIAL_STATUSES
    )


def editable_quantity(line: LineItem, fulfillment_orders: Iterable[FulfillmentOrder]) -> int:
    """Units of a line an edit may still remove: everything not yet fulfilled."""
    return max(0, line.live_quantity - fulfilled_quantity(line, fulfillment_orders))


@dataclass(frozen=True, slots=True)
class UnitsOff:
    """Take `units` off one FO line (its total and remaining both drop)."""

    fulfillment_order: FulfillmentOrder
    fo_line: FulfillmentOrderLineItem
    units: int


def _removal_order(fo: FulfillmentOrder) -> tuple[bool, int]:
    # Not-started FOs first, newest first: the units a warehouse is least likely to be picking.
    return (fo.status == "IN_PROGRESS", -fo.id)


def plan_removal(
    line_id: int, units: int, fulfillment_orders: Iterable[FulfillmentOrder]
) -> list[UnitsOff]:
    """Where `units` of a line come off (REMOVED_UNITS_COME_OFF_OPEN_FOS).

    Raises ValueError when the unfinished FOs hold fewer remaining units than asked: the caller
    checked editable_quantity, so that is a bug, not bad input.
    """
    plan: list[UnitsOff] = []
    left = units
    live = [fo for fo in fulfillment_orders if fo.status not in FINAL_FO_STATUSES]
    for fo in sorted(live, key=_removal_order):
        for fo_line in fo.line_items:
            if left == 0:
                return plan
            if fo_line.line_item_id != line_id or fo_line.remaining_quantity == 0:
                continue
            take = min(left, fo_line.remaining_quantity)
            plan.append(UnitsOff(fo, fo_line, take))
            left -= take
    if left:
        raise ValueError(f"line {line_id}: {left} units to remove are in no unfinished FO")
    return plan
