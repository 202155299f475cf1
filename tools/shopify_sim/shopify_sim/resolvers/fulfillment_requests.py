"""The fulfillment-service protocol on fulfillment orders: the merchant's fulfillment and
cancellation requests, and the service's answers (accept, reject, close).

The rules are in domain/fulfillment_requests.py; this applies them, records the merchant
requests and the service's answers, raises the fulfillment_orders/* webhooks and POSTs the
service's `<callbackUrl>/fulfillment_order_notification`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import GraphQLResolveInfo

from shopify_sim import fulfillment_order_webhooks as hooks
from shopify_sim.domain import fulfillment_requests as rules
from shopify_sim.domain.fulfillment_changes import line_requests
from shopify_sim.domain.order_status import display_fulfillment_status
from shopify_sim.ids import gid_number
from shopify_sim.resolvers.context import RequestContext, context_of
from shopify_sim.resolvers.fulfillment_changes import (
    carve,
    close_if_done,
    fulfillment_order_or_raise,
    new_sibling,
)
from shopify_sim.state.models import (
    FulfillmentOrder,
    FulfillmentOrderLineItem,
    MerchantRequest,
    Order,
    ServiceResponse,
)
from shopify_sim.state.repository import ShopState
from shopify_sim.views.orders import fulfillment_order_node

Node = dict[str, Any]
OrderShape = tuple[str, tuple[tuple[int, str], ...]]


def _shape(shop: ShopState, order: Order) -> OrderShape:
    """What an orders/updated reader would see change: the display status and the FOs."""
    fos = shop.fulfillment_orders_of(order)
    return display_fulfillment_status(order, fos), tuple((fo.id, fo.status) for fo in fos)


def _order_updated_if_changed(ctx: RequestContext, order: Order, before: OrderShape) -> None:
    """orders/updated when the order's fulfilment picture changed (not for a request status alone
    that leaves it as it was)."""
    if _shape(ctx.shop, order) != before:
        ctx.shop.touch(order)
        ctx.emit_order(order, "orders/updated")


# --- the merchant's requests -------------------------------------------------------------------


def _submit_refusal(errors: list[Any]) -> Node:
    return {
        "originalFulfillmentOrder": None,
        "submittedFulfillmentOrder": None,
        "unsubmittedFulfillmentOrder": None,
        "userErrors": errors,
    }


def submit_fulfillment_request(
    ctx: RequestContext,
    fo: FulfillmentOrder,
    *,
    message: str | None = None,
    notify_customer: bool | None = None,
    lines: list[dict[str, Any]] | None = None,
) -> Node:
    """fulfillmentOrderSubmitFulfillmentRequest's work, also run by the merchant's automation
    (ShopSettings.auto_request_fulfillment)."""
    shop = ctx.shop
    order = shop.orders[fo.order_id]
    service = shop.service_at(fo.location_id)
    errors = rules.submit_errors(
        fo, shop.fulfillment_orders_of(order), at_service=service is not None
    )
    if errors or service is None:
        return _submit_refusal(errors)
    plan = rules.plan_submit(fo, line_requests(lines))
    if isinstance(plan, list):
        return _submit_refusal(plan)
    before = _shape(shop, order)
    if plan.in_place:
        # Partial: "Shopify splits the original fulfillment order into two": the original id
        # keeps the submitted lines, a new FO the rest (capture: the original's line keeps its id).
        unsubmitted = carve(shop, fo, plan.rest, fo.location_id) if plan.rest else None
        submitted = fo
    else:
        # An INCOMPLETE FO (its service closed it): the request goes out on a new FO and the
        # original keeps only what was fulfilled ("The exception to this is ... fulfillment
        # request for cancelled or incomplete fulfillment orders").
        submitted = carve(shop, fo, plan.submitted, fo.location_id)
        unsubmitted = carve(shop, fo, plan.rest, fo.location_id) if plan.rest else None
        close_if_done(fo)
    now = shop.now()
    request = MerchantRequest(
        id=shop.new_id(),
        kind="FULFILLMENT_REQUEST",
        message=message,
        # capture: {"notify_customer": false} whatever else the request says
        request_options={"notify_customer": bool(notify_customer)},
        sent_at=now,
    )
    submitted.merchant_requests.append(request)
    submitted.request_status = "SUBMITTED"
    submitted.updated_at = fo.updated_at = now
    hooks.emit(
        ctx,
        "fulfillment_orders/fulfillment_request_submitted",
        hooks.fulfillment_request_submitted_body(fo, submitted, request),
    )
    hooks.notify_service(ctx, service, "FULFILLMENT_REQUEST")
    _order_updated_if_changed(ctx, order, before)
    return {
        "originalFulfillmentOrder": fulfillment_order_node(shop, fo),
        "submittedFulfillmentOrder": fulfillment_order_node(shop, submitted),
        "unsubmittedFulfillmentOrder": fulfillment_order_node(shop, unsubmitted)
        if unsubmitted is not None
        else None,
        "userErrors": [],
    }


def fulfillment_order_submit_fulfillment_request(
    _root: Any,
    info: GraphQLResolveInfo,
    id: str,
    message: str | None = None,
    notifyCustomer: bool | None = None,
    fulfillmentOrderLineItems: list[dict[str, Any]] | None = None,
) -> Node:
    ctx = context_of(info)
    fo = fulfillment_order_or_raise(ctx.shop, id)
    return submit_fulfillment_request(
        ctx, fo, message=message, notify_customer=notifyCustomer, lines=fulfillmentOrderLineItems
    )


def auto_request_fulfillment(ctx: RequestContext, order: Order) -> None:
    """The merchant's automation (a Flow "submit fulfillment request" workflow): a paid order's
    UNSUBMITTED FOs at fulfillment-service locations are submitted as they are."""
    shop = ctx.shop
    if not shop.settings.auto_request_fulfillment or order.financial_status != "PAID":
        return
    if order.cancelled_at is not None:
        return
    for fo in list(shop.fulfillment_orders_of(order)):
        waiting = fo.request_status == "UNSUBMITTED" and fo.status == "OPEN"
        if waiting and shop.service_at(fo.location_id) is not None:
            submit_fulfillment_request(ctx, fo)


def fulfillment_order_submit_cancellation_request(
    _root: Any, info: GraphQLResolveInfo, id: str, message: str | None = None
) -> Node:
    ctx = context_of(info)
    shop = ctx.shop
    fo = fulfillment_order_or_raise(shop, id)
    order = shop.orders[fo.order_id]
    service = shop.service_at(fo.location_id)
    errors = rules.cancellation_request_errors(
        fo, shop.fulfillment_orders_of(order), at_service=service is not None
    )
    if errors or service is None:
        return {"fulfillmentOrder": None, "userErrors": errors}
    now = shop.now()
    request = MerchantRequest(
        id=shop.new_id(),
        kind="CANCELLATION_REQUEST",
        message=message,
        request_options={},  # capture: a cancellation request has no options
        sent_at=now,
    )
    fo.merchant_requests.append(request)
    # Documented and in Shopify's REST example. (A live capture read ACCEPTED right after the
    # call; the accept that followed still worked, so that read lagged.)
    fo.request_status = "CANCELLATION_REQUESTED"
    fo.updated_at = now
    hooks.emit(
        ctx,
        "fulfillment_orders/cancellation_request_submitted",
        hooks.cancellation_request_submitted_body(fo, request),
    )
    hooks.notify_service(ctx, service, "CANCELLATION_REQUEST")
    return {"fulfillmentOrder": fulfillment_order_node(shop, fo), "userErrors": []}


# --- the service's answers ---------------------------------------------------------------------


def _answer(
    info: GraphQLResolveInfo,
    id: str,
    answer: rules.Answer,
    message: str | None,
    details: dict[str, Any],
    check: Callable[[FulfillmentOrder], list[Any]] | None = None,
) -> Node:
    ctx = context_of(info)
    shop = ctx.shop
    fo = fulfillment_order_or_raise(shop, id)
    service = shop.service_at(fo.location_id)
    errors = rules.answer_errors(
        fo,
        answer,
        at_service=service is not None,
        owned=service is not None and service.owner == ctx.app,
    )
    if not errors and check is not None:
        errors = check(fo)
    if errors:
        return {"fulfillmentOrder": None, "userErrors": errors}
    order = shop.orders[fo.order_id]
    before = _shape(shop, order)
    status = rules.status_after(fo, answer, shop.settings.cancellation_accepted_status)
    if answer is rules.ACCEPT_CANCELLATION:
        _hand_back_unfulfilled(shop, fo)
    fo.status = status
    fo.request_status = answer.request_status
    fo.updated_at = shop.now()
    fo.service_responses.append(
        ServiceResponse(answer.response_kind, message, fo.updated_at, details)
    )
    hooks.emit(ctx, answer.topic, hooks.service_answer_body(fo, message))
    _order_updated_if_changed(ctx, order, before)
    return {"fulfillmentOrder": fulfillment_order_node(shop, fo), "userErrors": []}


def _hand_back_unfulfilled(shop: ShopState, fo: FulfillmentOrder) -> None:
    """An accepted cancellation ends the FO; its unfulfilled units go to a new OPEN/UNSUBMITTED
    FO at the same location, from which the merchant can request fulfillment again.

    capture (fulfillment-order-request-lifecycle): the FO ends CLOSED with its line shown at
    totalQuantity 0 / remainingQuantity 0, so the line stays and the units move on."""
    if not any(line.remaining_quantity for line in fo.line_items):
        return
    replacement = new_sibling(shop, fo, fo.location_id, "OPEN")
    for line in fo.line_items:
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
    shop.add_fulfillment_order(replacement)


def fulfillment_order_accept_fulfillment_request(
    _root: Any,
    info: GraphQLResolveInfo,
    id: str,
    message: str | None = None,
    estimatedShippedAt: str | None = None,
) -> Node:
    details = {"estimated_shipped_at": estimatedShippedAt} if estimatedShippedAt else {}
    return _answer(info, id, rules.ACCEPT_FULFILLMENT, message, details)


def fulfillment_order_reject_fulfillment_request(
    _root: Any,
    info: GraphQLResolveInfo,
    id: str,
    reason: str | None = None,
    message: str | None = None,
    lineItems: list[dict[str, Any]] | None = None,
) -> Node:
    rejected = [
        (gid_number(item["fulfillmentOrderLineItemId"], "FulfillmentOrderLineItem"), item)
        for item in lineItems or []
    ]
    details: dict[str, Any] = {"reason": reason}
    if rejected:
        details["line_items"] = [
            {
                "fulfillment_order_line_item_id": item["fulfillmentOrderLineItemId"],
                "message": item.get("message"),
            }
            for _, item in rejected
        ]
    return _answer(
        info,
        id,
        rules.REJECT_FULFILLMENT,
        message,
        details,
        lambda fo: rules.rejected_line_errors(fo, [number for number, _ in rejected]),
    )


def fulfillment_order_accept_cancellation_request(
    _root: Any, info: GraphQLResolveInfo, id: str, message: str | None = None
) -> Node:
    return _answer(info, id, rules.ACCEPT_CANCELLATION, message, {})


def fulfillment_order_reject_cancellation_request(
    _root: Any, info: GraphQLResolveInfo, id: str, message: str | None = None
) -> Node:
    return _answer(info, id, rules.REJECT_CANCELLATION, message, {})


def fulfillment_order_close(
    _root: Any, info: GraphQLResolveInfo, id: str, message: str | None = None
) -> Node:
    return _answer(info, id, rules.CLOSE, message, {})


MUTATION_FIELDS: dict[str, Callable[..., Any]] = {
    "fulfillmentOrderSubmitFulfillmentRequest": fulfillment_order_submit_fulfillment_request,
    "fulfillmentOrderSubmitCancellationRequest": fulfillment_order_submit_cancellation_request,
    "fulfillmentOrderAcceptFulfillmentRequest": fulfillment_order_accept_fulfillment_request,
    "fulfillmentOrderRejectFulfillmentRequest": fulfillment_order_reject_fulfillment_request,
    "fulfillmentOrderAcceptCancellationRequest": fulfillment_order_accept_cancellation_request,
    "fulfillmentOrderRejectCancellationRequest": fulfillment_order_reject_cancellation_request,
    "fulfillmentOrderClose": fulfillment_order_close,
}
