"""fulfillmentCreate, fulfillmentCancel, fulfillmentTrackingInfoUpdate, and FO holds."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import GraphQLResolveInfo

from shopify_sim import fulfillment_order_webhooks as hooks
from shopify_sim import inventory_moves
from shopify_sim.domain import fulfillment_changes as rules
from shopify_sim.domain.fulfillment_rules import plan_fulfilment, tracking_entries
from shopify_sim.domain.order_status import FINAL_FO_STATUSES, status_after_fulfilment
from shopify_sim.domain.user_errors import UserError, user_error
from shopify_sim.events import ShopEvent
from shopify_sim.ids import gid_number
from shopify_sim.resolvers.context import RequestContext, context_of
from shopify_sim.resolvers.fulfillment_changes import (
    absorb,
    carve,
    fulfillment_order_or_raise,
    new_sibling,
    record_or_raise,
)
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
    taken: dict[int, int] = {}
    touched: dict[int, FulfillmentOrder] = {}
    for fo, fo_line, quantity in plan.takes:
        fo_line.remaining_quantity -= quantity
        shipped[fo_line.line_item_id] = shipped.get(fo_line.line_item_id, 0) + quantity
        taken[fo_line.id] = taken.get(fo_line.id, 0) + quantity
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
        fulfillment_order_line_quantities=taken,
    )
    shop.add_fulfillment(record)
    shop.touch(order)
    all_done = all(fo.status in FINAL_FO_STATUSES for fo in shop.fulfillment_orders_of(order))
    ctx.emit_order(
        order, "orders/updated", "orders/fulfilled" if all_done else "orders/partially_fulfilled"
    )
    return {"fulfillment": fulfillment_node(shop, record), "userErrors": []}


def _fulfillment_or_raise(shop: ShopState, value: str) -> Fulfillment:
    return record_or_raise(shop.fulfillments, value, "Fulfillment")


def _hold_refusal(errors: list[UserError]) -> Node:
    return {
        "fulfillmentHold": None,
        "fulfillmentOrder": None,
        "remainingFulfillmentOrder": None,
        "userErrors": errors,
    }


def fulfillment_order_hold(
    _root: Any,
    info: GraphQLResolveInfo,
    id: str,
    fulfillmentHold: dict[str, Any],
) -> Node:
    ctx = context_of(info)
    shop = ctx.shop
    fo = fulfillment_order_or_raise(shop, id)
    held = rules.hold_errors(fo, fulfillmentHold)
    if isinstance(held, list):
        return _hold_refusal(held)
    remaining = None
    if held is not None:
        # A partial hold: the held units keep the FO's id, the rest go to a new OPEN FO
        # (capture hold-multi-line/hold: `remainingFulfillmentOrder` has a new id).
        unheld = {
            line.id: line.remaining_quantity - held.get(line.id, 0)
            for line in fo.line_items
            if line.remaining_quantity - held.get(line.id, 0) > 0
        }
        if unheld:
            remaining = carve(shop, fo, unheld, fo.location_id)
            remaining.split_from_id = fo.id
    hold = FulfillmentHold(
        id=shop.new_id(),
        reason=fulfillmentHold["reason"],
        reason_notes=fulfillmentHold.get("reasonNotes"),
        handle=fulfillmentHold.get("handle"),
        external_id=fulfillmentHold.get("externalId"),
    )
    first_hold = fo.status != "ON_HOLD"
    fo.holds.append(hold)
    fo.status = "ON_HOLD"
    fo.updated_at = shop.now()
    if first_hold:
        # placed_on_hold fires once, when the FO becomes ON_HOLD; later holds add no event.
        hooks.emit(
            ctx, "fulfillment_orders/placed_on_hold", hooks.placed_on_hold_body(fo, remaining, hold)
        )
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
    """Releasing a partial hold folds the untouched split-off FO back in (capture holdRelease)."""
    for sibling in shop.fulfillment_orders_of(shop.orders[fo.order_id]):
        untouched = all(
            line.remaining_quantity == line.total_quantity for line in sibling.line_items
        )
        if sibling.split_from_id != fo.id or sibling.status != "OPEN" or not untouched:
            continue
        absorb(shop, fo, sibling, rules.all_remaining(sibling))


def fulfillment_order_release_hold(
    _root: Any,
    info: GraphQLResolveInfo,
    id: str,
    holdIds: list[str] | None = None,
    externalId: str | None = None,
) -> Node:
    ctx = context_of(info)
    shop = ctx.shop
    fo = fulfillment_order_or_raise(shop, id)
    if fo.status != "ON_HOLD":
        return {
            "fulfillmentOrder": None,
            "userErrors": [user_error(["id"], "The fulfillment order is not on hold.")],
        }
    # No holdIds releases every hold (documented, and warned against).
    releasing = {gid_number(value, "FulfillmentHold") for value in holdIds} if holdIds else None
    fo.holds = [h for h in fo.holds if releasing is not None and h.id not in releasing]
    if not fo.holds:
        if rules.RELEASE_MERGES_SPLIT_BACK:
            _merge_back_split(shop, fo)
        fo.status = rules.status_without_progress(fo)
        # hold_released fires once, when the last hold goes.
        hooks.emit(ctx, "fulfillment_orders/hold_released", hooks.hold_released_body(fo))
    fo.updated_at = shop.now()
    order = shop.orders[fo.order_id]
    shop.touch(order)
    ctx.emit_order(order, "orders/updated")
    return {"fulfillmentOrder": fulfillment_order_node(shop, fo), "userErrors": []}


# --- fulfillmentCancel / fulfillmentTrackingInfoUpdate -------------------------------------


def _give_back(shop: ShopState, fulfillment: Fulfillment) -> None:
    """The cancelled units become fulfillable again (fulfillmentCancel docs).

    A partly fulfilled FO takes them back into its remaining quantities; an FO that was
    entirely fulfilled stays closed and a new OPEN FO at the same location holds them.
    """
    for fo_id in fulfillment.fulfillment_order_ids:
        fo = shop.fulfillment_orders[fo_id]
        units = {
            line.id: fulfillment.fulfillment_order_line_quantities.get(line.id, 0)
            for line in fo.line_items
        }
        units = {line_id: quantity for line_id, quantity in units.items() if quantity}
        if not units:
            continue
        if fo.status == "CLOSED":
            reopened = new_sibling(shop, fo, fo.location_id, "OPEN")
            for line in fo.line_items:
                quantity = units.get(line.id, 0)
                if quantity:
                    line.total_quantity -= quantity
                    reopened.line_items.append(
                        FulfillmentOrderLineItem(
                            shop.new_id(), line.line_item_id, quantity, quantity
                        )
                    )
            fo.line_items = [line for line in fo.line_items if line.total_quantity]
            shop.add_fulfillment_order(reopened)
            continue
        for line in fo.line_items:
            line.remaining_quantity += units.get(line.id, 0)
        if fo.status == "IN_PROGRESS" and not fo.progress_reported:
            fo.status = rules.status_without_progress(fo)
        fo.updated_at = shop.now()


def _emit_fulfillment_update(ctx: RequestContext, fulfillment: Fulfillment) -> None:
    shop = ctx.shop
    ctx.events.append(
        ShopEvent(
            shop.domain,
            "fulfillments/update",
            hooks.fulfillment_body(shop, fulfillment),
            shop.now(),
        )
    )


def fulfillment_cancel(_root: Any, info: GraphQLResolveInfo, id: str) -> Node:
    ctx = context_of(info)
    shop = ctx.shop
    fulfillment = _fulfillment_or_raise(shop, id)
    if fulfillment.status == "CANCELLED":
        # simulator wording: Shopify documents no message for this refusal.
        return {
            "fulfillment": None,
            "userErrors": [user_error(["id"], "The fulfillment has already been cancelled.")],
        }
    order = shop.orders[fulfillment.order_id]
    _give_back(shop, fulfillment)
    for item in fulfillment.line_items:
        line = shop.line_item(order, item.line_item_id)
        if line is not None:
            inventory_moves.unship(shop, line, item.quantity)
    fulfillment.status = "CANCELLED"
    fulfillment.updated_at = shop.now()
    shop.touch(order)
    _emit_fulfillment_update(ctx, fulfillment)
    ctx.emit_order(order, "orders/updated")
    return {"fulfillment": fulfillment_node(shop, fulfillment), "userErrors": []}


def fulfillment_tracking_info_update(
    _root: Any,
    info: GraphQLResolveInfo,
    fulfillmentId: str,
    trackingInfoInput: dict[str, Any],
    notifyCustomer: bool | None = None,
) -> Node:
    ctx = context_of(info)
    shop = ctx.shop
    fulfillment = _fulfillment_or_raise(shop, fulfillmentId)
    if fulfillment.status == "CANCELLED":
        # simulator wording: a cancelled fulfillment has nothing left to track.
        return {
            "fulfillment": None,
            "userErrors": [
                user_error(["fulfillmentId"], "Cannot update tracking of a cancelled fulfillment.")
            ],
        }
    fulfillment.tracking = [
        TrackingInfo(c, n, u) for c, n, u in tracking_entries(trackingInfoInput)
    ]
    if notifyCustomer is not None:
        # "Whether the customer will be notified of this update and future updates"
        fulfillment.notify_customer = notifyCustomer
    fulfillment.updated_at = shop.now()
    shop.touch(shop.orders[fulfillment.order_id])
    _emit_fulfillment_update(ctx, fulfillment)
    return {"fulfillment": fulfillment_node(shop, fulfillment), "userErrors": []}


MUTATION_FIELDS: dict[str, Callable[..., Any]] = {
    "fulfillmentCreate": fulfillment_create,
    "fulfillmentCancel": fulfillment_cancel,
    "fulfillmentTrackingInfoUpdate": fulfillment_tracking_info_update,
    "fulfillmentOrderHold": fulfillment_order_hold,
    "fulfillmentOrderReleaseHold": fulfillment_order_release_hold,
}
