"""How merchants change fulfillment orders after hand-off: move, split, merge, report
progress, reopen, cancel. The rules are in domain/fulfillment_changes.py; this applies them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import structlog
from graphql import GraphQLError, GraphQLResolveInfo

from shopify_sim import fulfillment_order_webhooks as hooks
from shopify_sim.domain import fulfillment_changes as rules
from shopify_sim.domain.user_errors import UserError
from shopify_sim.ids import gid_number
from shopify_sim.resolvers.context import RequestContext, context_of
from shopify_sim.state.models import FulfillmentOrder, FulfillmentOrderLineItem
from shopify_sim.state.repository import ShopState
from shopify_sim.views.orders import fulfillment_order_node

log = structlog.get_logger(__name__)
Node = dict[str, Any]
Record = TypeVar("Record")


def _lookup(table: Mapping[int, Record], value: Any, kind: str) -> Record | None:
    number = gid_number(value, kind)
    return table.get(number) if number is not None else None


def record_or_raise(table: Mapping[int, Record], value: str, kind: str) -> Record:
    """The record an id argument names."""
    found = _lookup(table, value, kind)
    if found is None:
        # Shopify answers an unknown id argument with a top-level error (captures *UnknownId).
        raise GraphQLError(f"Invalid id: {value}", extensions={"code": "RESOURCE_NOT_FOUND"})
    return found


def fulfillment_order_or_raise(shop: ShopState, value: str) -> FulfillmentOrder:
    return record_or_raise(shop.fulfillment_orders, value, "FulfillmentOrder")


def _find(shop: ShopState, value: Any) -> FulfillmentOrder | None:
    return _lookup(shop.fulfillment_orders, value, "FulfillmentOrder")


def new_sibling(
    shop: ShopState, fo: FulfillmentOrder, location_id: int, status: str
) -> FulfillmentOrder:
    """An empty new FO of `fo`'s order, due when `fo` is; the caller gives it lines and adds it."""
    now = shop.now()
    return FulfillmentOrder(
        id=shop.new_id(),
        order_id=fo.order_id,
        location_id=location_id,
        status=status,
        created_at=now,
        updated_at=now,
        fulfill_at=fo.fulfill_at,
    )


def carve(
    shop: ShopState, fo: FulfillmentOrder, units: rules.Units, location_id: int
) -> FulfillmentOrder:
    """A new FO of the same order holding `units` of `fo`'s unfulfilled units (new line ids)."""
    status = "SCHEDULED" if fo.status == "SCHEDULED" else "OPEN"
    carved = new_sibling(shop, fo, location_id, status)
    for line in fo.line_items:
        quantity = units.get(line.id, 0)
        if quantity:
            line.total_quantity -= quantity
            line.remaining_quantity -= quantity
            carved.line_items.append(
                FulfillmentOrderLineItem(shop.new_id(), line.line_item_id, quantity, quantity)
            )
    fo.line_items = [line for line in fo.line_items if line.total_quantity]
    fo.updated_at = carved.created_at
    shop.add_fulfillment_order(carved)
    return carved


def absorb(
    shop: ShopState, target: FulfillmentOrder, source: FulfillmentOrder, units: rules.Units
) -> None:
    """Move `units` of `source` into `target`, onto its line for the same order line."""
    for line in source.line_items:
        quantity = units.get(line.id, 0)
        if not quantity:
            continue
        into = next((t for t in target.line_items if t.line_item_id == line.line_item_id), None)
        if into is None:
            into = FulfillmentOrderLineItem(shop.new_id(), line.line_item_id, 0, 0)
            target.line_items.append(into)
        into.total_quantity += quantity
        into.remaining_quantity += quantity
        line.total_quantity -= quantity
        line.remaining_quantity -= quantity
    source.line_items = [line for line in source.line_items if line.total_quantity]
    close_if_done(source)
    target.updated_at = source.updated_at = shop.now()


def close_if_done(fo: FulfillmentOrder) -> None:
    """An FO left with no unfulfilled unit is CLOSED (Shopify keeps no empty open FO)."""
    if not any(line.remaining_quantity for line in fo.line_items):
        fo.status = "CLOSED"


def _order_updated(ctx: RequestContext, fo: FulfillmentOrder) -> None:
    order = ctx.shop.orders[fo.order_id]
    ctx.shop.touch(order)
    ctx.emit_order(order, "orders/updated")


# --- fulfillmentOrderMove -----------------------------------------------------------------


def _move_refusal(errors: list[UserError]) -> Node:
    return {
        "movedFulfillmentOrder": None,
        "originalFulfillmentOrder": None,
        "remainingFulfillmentOrder": None,
        "userErrors": errors,
    }


def _unstocked(
    shop: ShopState, fo: FulfillmentOrder, units: rules.Units, location_id: int
) -> list[UserError]:
    order = shop.orders[fo.order_id]
    for line in fo.line_items:
        if not units.get(line.id):
            continue
        order_line = shop.line_item(order, line.line_item_id)
        variant = (
            shop.variants.get(order_line.variant_id)
            if order_line is not None and order_line.variant_id is not None
            else None
        )
        # Untracked items and custom lines can ship from anywhere; tracked ones need a level.
        tracked = variant is not None and variant.tracked
        if tracked and variant and shop.level(variant.inventory_item_id, location_id) is None:
            return [rules.unstocked_error(variant.sku)]
    return []


def fulfillment_order_move(
    _root: Any,
    info: GraphQLResolveInfo,
    id: str,
    newLocationId: str,
    fulfillmentOrderLineItems: list[dict[str, Any]] | None = None,
) -> Node:
    ctx = context_of(info)
    shop = ctx.shop
    fo = fulfillment_order_or_raise(shop, id)
    location_number = record_or_raise(shop.locations, newLocationId, "Location").id
    errors = rules.move_errors(fo, location_number)
    if errors:
        return _move_refusal(errors)
    requests = rules.line_requests(fulfillmentOrderLineItems)
    units = (
        rules.requested_units(
            fo,
            requests,
            ["fulfillmentOrderLineItems"],
            # The move's error code enum has neither GREATER_THAN nor INVALID_LINE_ITEM_QUANTITY.
            non_positive_code=None,
            invalid_code=None,
        )
        if requests
        else rules.all_remaining(fo)  # blank = "all unfulfilled line items"
    )
    if isinstance(units, list):
        return _move_refusal(units)
    errors = _unstocked(shop, fo, units, location_number)
    if errors:
        return _move_refusal(errors)

    source_location = fo.location_id
    siblings = shop.fulfillment_orders_of(shop.orders[fo.order_id])
    joined = rules.destination_fo(fo, siblings, location_number)
    if joined is not None:
        absorb(shop, joined, fo, units)
        moved = joined
    elif rules.is_whole_move(fo, units):
        # "the assignedLocation of the original fulfillment order will be updated"
        fo.location_id = location_number
        fo.updated_at = shop.now()
        # At its new location nobody has been asked yet (a rejected or closed request stays
        # behind), and work a service closed (INCOMPLETE) is open again.
        fo.request_status = "UNSUBMITTED"
        if fo.status == "INCOMPLETE":
            fo.status = rules.status_without_progress(fo)
        moved = fo
    else:
        moved = carve(shop, fo, units, location_number)
        close_if_done(fo)
    remaining = fo if moved is not fo and fo.status not in ("CLOSED", "CANCELLED") else None
    log.info("fulfillment_order.moved", fo=fo.id, moved=moved.id, location=location_number)
    hooks.emit(
        ctx,
        "fulfillment_orders/moved",
        hooks.moved_body(fo, moved, source_location, units.items()),
    )
    _order_updated(ctx, fo)
    return {
        "movedFulfillmentOrder": fulfillment_order_node(shop, moved),
        "originalFulfillmentOrder": fulfillment_order_node(shop, fo),
        # Deprecated; Shopify fills it with the original while it keeps unmoved units
        # (capture move/move), null otherwise.
        "remainingFulfillmentOrder": fulfillment_order_node(shop, remaining) if remaining else None,
        "userErrors": [],
    }


# --- fulfillmentOrderSplit ------------------------------------------------------------------


def fulfillment_order_split(
    _root: Any, info: GraphQLResolveInfo, fulfillmentOrderSplits: list[dict[str, Any]]
) -> Node:
    ctx = context_of(info)
    shop = ctx.shop
    plans: list[tuple[FulfillmentOrder, rules.Units]] = []
    for index, split in enumerate(fulfillmentOrderSplits):
        fo = _find(shop, split.get("fulfillmentOrderId"))
        units = rules.split_units(fo, split, index)
        if isinstance(units, list):
            return {"fulfillmentOrderSplits": None, "userErrors": units}
        assert fo is not None
        plans.append((fo, units))
    results = []
    for fo, units in plans:
        # The new FO holds the split-off lines; the original keeps the rest (capture split).
        remaining = carve(shop, fo, units, fo.location_id)
        hooks.emit(ctx, "fulfillment_orders/split", hooks.split_body(fo, remaining, units.items()))
        results.append((fo, remaining))
    for fo, _ in plans:
        _order_updated(ctx, fo)
    return {
        "fulfillmentOrderSplits": [
            {
                "fulfillmentOrder": fulfillment_order_node(shop, fo),
                "remainingFulfillmentOrder": fulfillment_order_node(shop, remaining),
                "replacementFulfillmentOrder": None,
            }
            for fo, remaining in results
        ],
        "userErrors": [],
    }


# --- fulfillmentOrderMerge ------------------------------------------------------------------


def fulfillment_order_merge(
    _root: Any, info: GraphQLResolveInfo, fulfillmentOrderMergeInputs: list[dict[str, Any]]
) -> Node:
    ctx = context_of(info)
    shop = ctx.shop
    plans: list[tuple[rules.MergePlan, list[tuple[int, list[tuple[int, int]]]]]] = []
    for index, merge in enumerate(fulfillmentOrderMergeInputs):
        intents = merge["mergeIntents"]
        found = [_find(shop, intent.get("fulfillmentOrderId")) for intent in intents]
        plan = rules.plan_merge(intents, found, index)
        if isinstance(plan, list):
            return {"fulfillmentOrderMerges": None, "userErrors": plan}
        # The webhook names what each intent brought, before the lines move.
        announced = [
            (fo.id, list((rules.all_remaining(fo) if fo is plan.survivor else units).items()))
            for fo, units in [(plan.survivor, {}), *plan.absorbed]
        ]
        plans.append((plan, announced))
    merges = []
    for plan, announced in plans:
        for fo, units in plan.absorbed:
            absorb(shop, plan.survivor, fo, units)
        hooks.emit(ctx, "fulfillment_orders/merged", hooks.merged_body(announced, plan.survivor))
        _order_updated(ctx, plan.survivor)
        merges.append({"fulfillmentOrder": fulfillment_order_node(shop, plan.survivor)})
    return {"fulfillmentOrderMerges": merges, "userErrors": []}


# --- fulfillmentOrderReportProgress / fulfillmentOrderOpen ------------------------------------


def fulfillment_order_report_progress(
    _root: Any,
    info: GraphQLResolveInfo,
    id: str,
    progressReport: dict[str, Any] | None = None,
) -> Node:
    ctx = context_of(info)
    shop = ctx.shop
    fo = fulfillment_order_or_raise(shop, id)
    errors = rules.report_progress_errors(fo)
    if errors:
        return {"fulfillmentOrder": None, "userErrors": errors}
    initial = fo.status
    fo.status = "IN_PROGRESS"
    fo.progress_reported = True
    fo.updated_at = shop.now()
    notes = (progressReport or {}).get("reasonNotes")
    hooks.emit(
        ctx,
        "fulfillment_orders/progress_reported",
        hooks.progress_reported_body(fo, notes, initial),
    )
    _order_updated(ctx, fo)
    return {"fulfillmentOrder": fulfillment_order_node(shop, fo), "userErrors": []}


def fulfillment_order_open(_root: Any, info: GraphQLResolveInfo, id: str) -> Node:
    ctx = context_of(info)
    shop = ctx.shop
    fo = fulfillment_order_or_raise(shop, id)
    errors = rules.open_errors(fo)
    if errors:
        return {"fulfillmentOrder": None, "userErrors": errors}
    fo.progress_reported = False
    fo.status = rules.status_without_progress(fo)
    fo.updated_at = shop.now()
    _order_updated(ctx, fo)
    return {"fulfillmentOrder": fulfillment_order_node(shop, fo), "userErrors": []}


# --- fulfillmentOrderCancel -------------------------------------------------------------------


def fulfillment_order_cancel(_root: Any, info: GraphQLResolveInfo, id: str) -> Node:
    """Close the FO and hand its unfulfilled lines to a new OPEN replacement.

    The capture (reroute/cancelAfterReroute) shows Shopify doing this for a merchant-managed
    OPEN/UNSUBMITTED FO, and the replacement carrying the same FO line item ids.
    """
    ctx = context_of(info)
    shop = ctx.shop
    fo = fulfillment_order_or_raise(shop, id)
    refused: Node = {"fulfillmentOrder": None, "replacementFulfillmentOrder": None}
    if fo.progress_reported:
        # capture scheduleProgressOpenClose/cancelAfterReportProgress
        return {
            **refused,
            "userErrors": [
                {
                    "field": ["id"],
                    "message": "Cannot cancel fulfillment order that has had progress reported. "
                    "Mark as unfulfilled first.",
                }
            ],
        }
    if fo.status not in ("OPEN", "IN_PROGRESS") or fo.request_status not in (
        "UNSUBMITTED",
        "SUBMITTED",
        "CANCELLATION_REQUESTED",
    ):
        # capture reroute/cancelAgainAfterCancel
        return {
            **refused,
            "userErrors": [
                {
                    "field": None,
                    "message": "Fulfillment order is not in cancelable request state and "
                    "can't be canceled.",
                }
            ],
        }
    replacement = new_sibling(shop, fo, fo.location_id, "OPEN")
    kept = []
    for line in fo.line_items:
        if line.remaining_quantity == line.total_quantity:
            replacement.line_items.append(line)  # same FO line item id (capture)
            continue
        if line.remaining_quantity:
            replacement.line_items.append(
                FulfillmentOrderLineItem(
                    shop.new_id(),
                    line.line_item_id,
                    line.remaining_quantity,
                    line.remaining_quantity,
                )
            )
            line.total_quantity -= line.remaining_quantity
            line.remaining_quantity = 0
        kept.append(line)
    # The original keeps only what was fulfilled from it: the capture shows it with no lines.
    fo.line_items = kept
    fo.status = "CLOSED"
    fo.request_status = "UNSUBMITTED" if fo.request_status == "UNSUBMITTED" else "CLOSED"
    fo.updated_at = replacement.created_at
    shop.add_fulfillment_order(replacement)
    hooks.emit(ctx, "fulfillment_orders/cancelled", hooks.cancelled_body(fo, replacement))
    _order_updated(ctx, fo)
    return {
        "fulfillmentOrder": fulfillment_order_node(shop, fo),
        "replacementFulfillmentOrder": fulfillment_order_node(shop, replacement),
        "userErrors": [],
    }


MUTATION_FIELDS: dict[str, Callable[..., Any]] = {
    "fulfillmentOrderMove": fulfillment_order_move,
    "fulfillmentOrderSplit": fulfillment_order_split,
    "fulfillmentOrderMerge": fulfillment_order_merge,
    "fulfillmentOrderReportProgress": fulfillment_order_report_progress,
    "fulfillmentOrderOpen": fulfillment_order_open,
    "fulfillmentOrderCancel": fulfillment_order_cancel,
}
