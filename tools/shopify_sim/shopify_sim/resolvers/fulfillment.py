"""fulfillmentCreate, fulfillmentOrderHold and fulfillmentOrderReleaseHold."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import GraphQLError, GraphQLResolveInfo

from shopify_sim import inventory_moves
from shopify_sim.domain.fulfillment_rules import plan_fulfilment, tracking_entries
from shopify_sim.domain.order_status import FINAL_FO_STATUSES, status_after_fulfilment
from shopify_sim.domain.user_errors import UserError, user_error
from shopify_sim.ids import gid_number
from shopify_sim.resolvers.context import context_of
from shopify_sim.state.models import (
    Fulfillment,
    FulfillmentHold,
    FulfillmentLineItem,
    FulfillmentOrder,
    FulfillmentOrderLineItem,
    TrackingInfo,
)
from shopify_sim.state.repository import ShopState
from shopify_sim.views.orders import fulfillment_node, fulfillment_order_node, hold_node

Node = dict[str, Any]
MAX_HOLDS_PER_FULFILLMENT_ORDER = 10


def fulfillment_create(
    _root: Any, info: GraphQLResolveInfo, fulfillment: dict[str, Any], message: str | None = None
) -> Node:
    ctx = context_of(info)
    shop = ctx.shop
    plan = plan_fulfilment(fulfillment["lineItemsByFulfillmentOrder"], shop.fulfillment_orders)
    if isinstance(plan, list):
        return {"fulfillment": None, "userErrors": plan}
    order = shop.orders[plan.order_id]
    now = shop.now()
    shipped: dict[int, int] = {}
    touched: dict[int, FulfillmentOrder] = {}
    for fo, fo_line, quantity in plan.takes:
        fo_line.remaining_quantity -= quantity
        shipped[fo_line.line_item_id] = shipped.get(fo_line.line_item_id, 0) + quantity
        touched[fo.id] = fo
        line = shop.line_item(order, fo_line.line_item_id)
        if line is not None:
            inventory_moves.ship(shop, line, quantity)
    for fo in touched.values():
        fo.status = status_after_fulfilment(fo)
        fo.updated_at = now
    record = Fulfillment(
        id=shop.new_id(),
        order_id=order.id,
        name=f"{order.name}.{len(order.fulfillment_ids) + 1}",
        location_id=plan.location_id,
        created_at=now,
        updated_at=now,
        tracking=[
            TrackingInfo(c, n, u) for c, n, u in tracking_entries(fulfillment.get("trackingInfo"))
        ],
        line_items=[
            FulfillmentLineItem(shop.new_id(), line_id, qty) for line_id, qty in shipped.items()
        ],
        fulfillment_order_ids=list(touched),
        notify_customer=bool(fulfillment.get("notifyCustomer")),
    )
    shop.add_fulfillment(record)
    shop.touch(order)
    all_done = all(fo.status in FINAL_FO_STATUSES for fo in shop.fulfillment_orders_of(order))
    ctx.emit_order(
        order, "orders/updated", "orders/fulfilled" if all_done else "orders/partially_fulfilled"
    )
    return {"fulfillment": fulfillment_node(shop, record), "userErrors": []}


def _fulfillment_order_or_raise(shop: ShopState, value: str) -> FulfillmentOrder:
    number = gid_number(value, "FulfillmentOrder")
    fo = shop.fulfillment_orders.get(number) if number is not None else None
    if fo is None:
        # Shopify answers unknown ids with a top-level error, not a userError (captures).
        raise GraphQLError(f"Invalid id: {value}", extensions={"code": "RESOURCE_NOT_FOUND"})
    return fo


def _hold_errors(fo: FulfillmentOrder, hold: dict[str, Any]) -> list[UserError]:
    if fo.status in FINAL_FO_STATUSES:
        return [
            user_error(
                ["id"], f"Fulfillment order {fo.id} has an unholdable status= {fo.status.lower()}."
            )
        ]
    if len(fo.holds) >= MAX_HOLDS_PER_FULFILLMENT_ORDER:
        return [
            user_error(
                ["id"],
                "The maximum number of fulfillment holds for this fulfillment order has "
                "been reached for this app.",
                "FULFILLMENT_ORDER_HOLD_LIMIT_REACHED",
            )
        ]
    if hold.get("handle") and any(h.handle == hold["handle"] for h in fo.holds):
        return [
            user_error(
                ["fulfillmentHold", "handle"],
                "The handle provided for the fulfillment hold is already in use by this app "
                "for another hold on this fulfillment order.",
                "DUPLICATE_FULFILLMENT_HOLD_HANDLE",
            )
        ]
    by_id = {line.id: line for line in fo.line_items}
    for index, item in enumerate(hold.get("fulfillmentOrderLineItems") or []):
        path = ["fulfillmentHold", "fulfillmentOrderLineItems", str(index)]
        number = gid_number(item["id"], "FulfillmentOrderLineItem")
        line = by_id.get(number) if number is not None else None
        if item["quantity"] <= 0:
            return [
                user_error(
                    [*path, "quantity"],
                    "You must select at least one item to place on partial hold.",
                    "GREATER_THAN_ZERO",
                )
            ]
        if line is None or item["quantity"] > line.remaining_quantity:
            return [
                user_error(
                    [*path, "quantity"],
                    "The line item quantity is invalid.",
                    "INVALID_LINE_ITEM_QUANTITY",
                )
            ]
    return []


def _split_off_unheld(
    shop: ShopState, fo: FulfillmentOrder, held: dict[int, int]
) -> FulfillmentOrder | None:
    """Move the units not named in a partial hold to a new OPEN FO (Shopify's split)."""
    moved = {line.id: line.remaining_quantity - held.get(line.id, 0) for line in fo.line_items}
    if not any(moved.values()):
        return None
    now = shop.now()
    remaining = FulfillmentOrder(
        id=shop.new_id(),
        order_id=fo.order_id,
        location_id=fo.location_id,
        status="OPEN",
        created_at=now,
        updated_at=now,
        fulfill_at=fo.fulfill_at,
        split_from_id=fo.id,
    )
    for line in fo.line_items:
        quantity = moved[line.id]
        if quantity:
            line.total_quantity -= quantity
            line.remaining_quantity -= quantity
            remaining.line_items.append(
                FulfillmentOrderLineItem(shop.new_id(), line.line_item_id, quantity, quantity)
            )
    fo.line_items = [line for line in fo.line_items if line.total_quantity]
    shop.add_fulfillment_order(remaining)
    return remaining


def fulfillment_order_hold(
    _root: Any,
    info: GraphQLResolveInfo,
    id: str,
    fulfillmentHold: dict[str, Any],
) -> Node:
    ctx = context_of(info)
    shop = ctx.shop
    fo = _fulfillment_order_or_raise(shop, id)
    errors = _hold_errors(fo, fulfillmentHold)
    if errors:
        return {
            "fulfillmentHold": None,
            "fulfillmentOrder": None,
            "remainingFulfillmentOrder": None,
            "userErrors": errors,
        }
    remaining = None
    requested = fulfillmentHold.get("fulfillmentOrderLineItems")
    if requested:
        held = {
            gid_number(item["id"], "FulfillmentOrderLineItem") or 0: item["quantity"]
            for item in requested
        }
        remaining = _split_off_unheld(shop, fo, held)
    hold = FulfillmentHold(
        id=shop.new_id(),
        reason=fulfillmentHold["reason"],
        reason_notes=fulfillmentHold.get("reasonNotes"),
        handle=fulfillmentHold.get("handle"),
        external_id=fulfillmentHold.get("externalId"),
    )
    fo.holds.append(hold)
    fo.status = "ON_HOLD"
    fo.updated_at = shop.now()
    order = shop.orders[fo.order_id]
    shop.touch(order)
    ctx.emit_order(order, "orders/updated")
    return {
        "fulfillmentHold": hold_node(hold),
        "fulfillmentOrder": fulfillment_order_node(shop, fo),
        "remainingFulfillmentOrder": fulfillment_order_node(shop, remaining) if remaining else None,
        "userErrors": [],
    }


def _merge_back_split(shop: ShopState, fo: FulfillmentOrder) -> None:
    """Releasing a partial hold folds the untouched split-off FO back in (captures)."""
    for sibling in shop.fulfillment_orders.values():
        untouched = all(
            line.remaining_quantity == line.total_quantity for line in sibling.line_items
        )
        if sibling.split_from_id != fo.id or sibling.status != "OPEN" or not untouched:
            continue
        for line in sibling.line_items:
            target = next((t for t in fo.line_items if t.line_item_id == line.line_item_id), None)
            if target is None:
                fo.line_items.append(
                    FulfillmentOrderLineItem(shop.new_id(), line.line_item_id, 0, 0)
                )
                target = fo.line_items[-1]
            target.total_quantity += line.total_quantity
            target.remaining_quantity += line.remaining_quantity
            line.total_quantity = line.remaining_quantity = 0
        sibling.status = "CLOSED"
        sibling.updated_at = shop.now()


def fulfillment_order_release_hold(
    _root: Any,
    info: GraphQLResolveInfo,
    id: str,
    holdIds: list[str] | None = None,
    externalId: str | None = None,
) -> Node:
    ctx = context_of(info)
    shop = ctx.shop
    fo = _fulfillment_order_or_raise(shop, id)
    if fo.status != "ON_HOLD":
        return {
            "fulfillmentOrder": None,
            "userErrors": [user_error(["id"], "The fulfillment order is not on hold.")],
        }
    releasing = {gid_number(value, "FulfillmentHold") for value in holdIds} if holdIds else None
    fo.holds = [h for h in fo.holds if releasing is not None and h.id not in releasing]
    if not fo.holds:
        _merge_back_split(shop, fo)
        partly_done = any(line.remaining_quantity < line.total_quantity for line in fo.line_items)
        fo.status = "IN_PROGRESS" if partly_done else "OPEN"
    fo.updated_at = shop.now()
    order = shop.orders[fo.order_id]
    shop.touch(order)
    ctx.emit_order(order, "orders/updated")
    return {"fulfillmentOrder": fulfillment_order_node(shop, fo), "userErrors": []}


MUTATION_FIELDS: dict[str, Callable[..., Any]] = {
    "fulfillmentCreate": fulfillment_create,
    "fulfillmentOrderHold": fulfillment_order_hold,
    "fulfillmentOrderReleaseHold": fulfillment_order_release_hold,
}
