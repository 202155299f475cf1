"""orderCreate and orderCancel."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from graphql import GraphQLResolveInfo

from shopify_sim import inventory_moves
from shopify_sim.domain.fulfillment_requests import order_cancel_blocked
from shopify_sim.domain.location_choice import choose_location
from shopify_sim.domain.order_status import FINAL_FO_STATUSES
from shopify_sim.domain.user_errors import UserError, user_error
from shopify_sim.ids import gid_number
from shopify_sim.resolvers import fulfillment_requests
from shopify_sim.resolvers.context import RequestContext, context_of
from shopify_sim.state.models import (
    FulfillmentOrder,
    FulfillmentOrderLineItem,
    LineItem,
    Order,
    OrderCancellation,
)
from shopify_sim.state.repository import ShopState
from shopify_sim.views.orders import order_node

Node = dict[str, Any]
# A custom attribute tests can use to create an order with a given risk level.
RISK_ATTRIBUTE = "_risk_level"


def _check_order_input(shop: ShopState, data: dict[str, Any]) -> list[UserError]:
    lines = data.get("lineItems") or []
    if not lines:
        return [user_error(["order", "lineItems"], "Line items can't be blank", "INVALID")]
    errors = []
    for index, line in enumerate(lines):
        path = ["order", "lineItems", str(index)]
        if line["quantity"] <= 0:
            errors.append(
                user_error([*path, "quantity"], "Quantity must be greater than 0", "INVALID")
            )
        variant_id = line.get("variantId")
        if variant_id is not None:
            number = gid_number(variant_id, "ProductVariant")
            if number is None or number not in shop.variants:
                errors.append(user_error([*path, "variantId"], "Variant does not exist", "INVALID"))
        elif not line.get("title"):
            errors.append(user_error([*path, "title"], "Title can't be blank", "INVALID"))
    return errors


def _financial_status(data: dict[str, Any]) -> str | None:
    """The input's status, else PAID for a successful sale, else none at all: live captures
    (orderCancel-parity, order-edit-commit-history-and-fulfillment-orders) read an order created
    without transactions back with `displayFinancialStatus: null`."""
    if data.get("financialStatus"):
        return str(data["financialStatus"])
    paid = any(
        t.get("kind") in ("SALE", "CAPTURE") and t.get("status", "SUCCESS") == "SUCCESS"
        for t in data.get("transactions") or []
    )
    return "PAID" if paid else None


def _build_line(shop: ShopState, line: dict[str, Any]) -> tuple[LineItem, int | None]:
    variant_number = gid_number(line.get("variantId"), "ProductVariant")
    variant = shop.variants.get(variant_number) if variant_number is not None else None
    item_id = variant.inventory_item_id if variant else None
    properties = [{"name": p["name"], "value": p["value"]} for p in line.get("properties") or []]

    def available_at(item: int, location: int) -> int | None:
        level = shop.level(item, location)
        return level.quantities["available"] if level else None

    location = choose_location(
        quantity=line["quantity"],
        inventory_item_id=item_id,
        properties=properties,
        locations=shop.live_locations(),
        available_at=available_at,
    )
    price_set = (line.get("priceSet") or {}).get("shopMoney") or {}
    built = LineItem(
        id=shop.new_id(),
        title=line.get("title") or (variant.product_title if variant else ""),
        quantity=line["quantity"],
        price=str(price_set.get("amount") or (variant.price if variant else "0")),
        sku=line.get("sku") or (variant.sku if variant else None),
        variant_id=variant.id if variant else None,
        product_id=variant.product_id if variant else None,
        location_id=location.id,
        # The schema defaults the input to false, which Shopify applies to custom lines only: a
        # line for a variant ships if the variant does.
        requires_shipping=variant.requires_shipping if variant else bool(line["requiresShipping"]),
        taxable=line.get("taxable", True) is not False,
        properties=properties,
        variant_title=line.get("variantTitle") or (variant.title if variant else None),
    )
    return built, item_id


def _fulfillment_orders_for(shop: ShopState, order: Order, now: datetime) -> list[FulfillmentOrder]:
    """Shopify's rule: one FO per location that ships part of the order."""
    by_location: dict[int, FulfillmentOrder] = {}
    fulfill_at = now.replace(minute=0, second=0, microsecond=0)
    for line in order.line_items:
        fo = by_location.get(line.location_id)
        if fo is None:
            fo = FulfillmentOrder(
                id=shop.new_id(),
                order_id=order.id,
                location_id=line.location_id,
                status="OPEN",
                created_at=now,
                updated_at=now,
                fulfill_at=fulfill_at,
            )
            by_location[line.location_id] = fo
        fo.line_items.append(
            FulfillmentOrderLineItem(shop.new_id(), line.id, line.quantity, line.quantity)
        )
    return list(by_location.values())


def create_order(ctx: RequestContext, data: dict[str, Any], options: dict[str, Any] | None) -> Node:
    shop = ctx.shop
    errors = _check_order_input(shop, data)
    if errors:
        return {"order": None, "userErrors": errors}
    now = shop.now()
    decrement = (options or {}).get("inventoryBehaviour") in (
        "DECREMENT_IGNORING_POLICY",
        "DECREMENT_OBEYING_POLICY",
    )
    attributes = [
        {"key": a["key"], "value": a["value"]} for a in data.get("customAttributes") or []
    ]
    risk = next((a["value"].upper() for a in attributes if a["key"] == RISK_ATTRIBUTE), "LOW")
    number = shop.allocate_order_number()
    shipping = (data.get("shippingLines") or [None])[0]
    order = Order(
        id=shop.new_id(),
        number=number,
        name=data.get("name") or f"#{number}",
        created_at=now,
        processed_at=now,
        updated_at=now,
        currency=data.get("currency") or "USD",
        financial_status=_financial_status(data),
        email=data.get("email"),
        phone=data.get("phone"),
        note=data.get("note"),
        tags=list(data.get("tags") or []),
        source_name=data.get("sourceName") or "shopify_draft_order",
        test=bool(data.get("test")),
        shipping_address=data.get("shippingAddress"),
        billing_address=data.get("billingAddress") or data.get("shippingAddress"),
        shipping_line=(
            {
                "title": shipping["title"],
                "code": shipping.get("code"),
                "source": shipping.get("source"),
                "price": shipping["priceSet"]["shopMoney"]["amount"],
            }
            if shipping
            else None
        ),
        custom_attributes=attributes,
        risk_level=risk,
        po_number=data.get("poNumber"),
    )
    for line_input in data["lineItems"]:
        line, item_id = _build_line(shop, line_input)
        order.line_items.append(line)
        if decrement and item_id is not None:
            inventory_moves.commit(shop, line, item_id)
    shop.add_order(order)
    for fo in _fulfillment_orders_for(shop, order, now):
        shop.add_fulfillment_order(fo)
    topics = (
        ["orders/create", "orders/paid"] if order.financial_status == "PAID" else ["orders/create"]
    )
    ctx.emit_order(order, *topics)
    fulfillment_requests.auto_request_fulfillment(ctx, order)
    return {"order": order_node(shop, order), "userErrors": []}


def order_create(
    _root: Any,
    info: GraphQLResolveInfo,
    order: dict[str, Any],
    options: dict[str, Any] | None = None,
) -> Node:
    return create_order(context_of(info), order, options)


# Shopify's answers, from the live capture orderCancel-error-messages (2026-04).
STAFF_NOTE_MAX_LENGTH = 255
STAFF_NOTE_TOO_LONG = "Staff note is too long. Maximum length is 255 characters."
REFUND_AND_REFUND_METHOD = "Only one of the arguments `refund` or `refund_method` is allowed."
ALREADY_CANCELLED = "Cannot cancel an order that has already been canceled"
SERVICE_HOLDS_WORK = (
    "Cannot cancel an order while a fulfillment service has accepted one of its fulfillment "
    "orders. Request cancellation of the fulfillment first."
)


def _cancel_argument_errors(
    refund: bool | None, refund_method: dict[str, Any] | None, staff_note: str | None
) -> list[UserError]:
    """Checked before the order is looked at. `refund: false` with a refundMethod is refused
    too: Shopify objects to both arguments being present, whatever their values."""
    errors = []
    if refund is not None and refund_method is not None:
        errors.append(user_error(["refund"], REFUND_AND_REFUND_METHOD, "INVALID"))
    if staff_note is not None and len(staff_note) > STAFF_NOTE_MAX_LENGTH:
        errors.append(user_error(["staffNote"], STAFF_NOTE_TOO_LONG, "INVALID"))
    return errors


def _cancel_errors(shop: ShopState, order: Order | None) -> list[UserError]:
    if order is None:
        return [user_error(["orderId"], "Order does not exist", "NOT_FOUND")]
    if order.cancelled_at is not None:
        return [user_error(["orderId"], ALREADY_CANCELLED, "INVALID")]
    if order.fulfillment_ids:
        return [
            user_error(
                ["orderId"], "Cannot cancel an order that has outstanding fulfillments", "INVALID"
            )
        ]
    fos = shop.fulfillment_orders_of(order)
    if order_cancel_blocked(fos, [shop.service_at(fo.location_id) is not None for fo in fos]):
        # INFERENCE (domain/fulfillment_requests.order_cancel_blocked); simulator wording.
        return [user_error(["orderId"], SERVICE_HOLDS_WORK, "INVALID")]
    return []


def order_cancel(
    _root: Any,
    info: GraphQLResolveInfo,
    orderId: str,
    reason: str,
    restock: bool,
    refund: bool | None = None,
    refundMethod: dict[str, Any] | None = None,
    notifyCustomer: bool | None = None,
    staffNote: str | None = None,
) -> Node:
    ctx = context_of(info)
    shop = ctx.shop
    number = gid_number(orderId, "Order")
    order = shop.orders.get(number) if number is not None else None
    errors = _cancel_argument_errors(refund, refundMethod, staffNote) or _cancel_errors(shop, order)
    if errors or order is None:
        return {
            "job": None,
            "orderCancelUserErrors": errors,
            "userErrors": [{"field": e["field"], "message": e["message"]} for e in errors],
        }
    now = shop.now()
    for fo in shop.fulfillment_orders_of(order):
        if fo.status in FINAL_FO_STATUSES:
            continue
        for fo_line in fo.line_items:
            line = shop.line_item(order, fo_line.line_item_id)
            if restock and line is not None:
                inventory_moves.restock(shop, line, fo_line.remaining_quantity)
            # As captured from Shopify: a cancelled order's open FOs end CLOSED, emptied.
            fo_line.total_quantity = fo_line.remaining_quantity = 0
        fo.status = "CLOSED"
        fo.updated_at = now
    refunds = bool(refund) or bool((refundMethod or {}).get("originalPaymentMethodsRefund"))
    if refunds and order.financial_status in ("PAID", "PARTIALLY_PAID"):
        order.financial_status = "REFUNDED"
    order.cancelled_at = now
    order.closed_at = now
    order.cancel_reason = reason
    order.cancellation = OrderCancellation(
        staff_note=staffNote,
        restock=restock,
        notify_customer=bool(notifyCustomer),
        refunded=refunds,
    )
    shop.touch(order)
    ctx.emit_order(order, "orders/cancelled", "orders/updated")
    return {
        "job": {"id": f"gid://shopify/Job/{uuid.uuid4()}", "done": False, "query": None},
        "orderCancelUserErrors": [],
        "userErrors": [],
    }


MUTATION_FIELDS: dict[str, Callable[..., Any]] = {
    "orderCreate": order_create,
    "orderCancel": order_cancel,
}
