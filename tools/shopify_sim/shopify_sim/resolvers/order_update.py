"""orderUpdate(input: OrderInput): overwrite an order's contact, address, notes and tags.

Messages are Shopify's, from the live capture orderUpdate-input-validation (2026-04) of the
shopify-draft-proxy conformance suite. Metafields, localizedFields and localizationExtensions
are accepted and ignored: the simulator keeps no metafields.

DESTINATION_FOLLOWS_UNSTARTED_FOS: Shopify does not document whether a new shipping address
reaches `FulfillmentOrder.destination`. The simulator's rule: FOs that are OPEN, ON_HOLD or
SCHEDULED follow the order's new address; the others (IN_PROGRESS, CLOSED, ...) keep the
address they had, because a warehouse may already be shipping to it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from graphql import GraphQLResolveInfo

from shopify_sim.domain.user_errors import UserError, user_error
from shopify_sim.ids import gid_number
from shopify_sim.resolvers.context import context_of
from shopify_sim.state.models import Order
from shopify_sim.state.repository import ShopState
from shopify_sim.views.orders import order_node

Node = dict[str, Any]
UPDATABLE_FIELDS = (
    "email",
    "phone",
    "note",
    "tags",
    "shippingAddress",
    "customAttributes",
    "poNumber",
)
DESTINATION_FOLLOWING_STATUSES = frozenset({"OPEN", "ON_HOLD", "SCHEDULED"})
_PHONE = re.compile(r"^\+?[0-9][0-9 ().\-]{5,18}[0-9]$")


def _address_errors(address: dict[str, Any]) -> list[UserError]:
    errors = []
    if not (address.get("lastName") or "").strip():
        errors.append(user_error(["shippingAddress", "lastName"], "Enter a last name"))
    if not (address.get("zip") or "").strip():
        # Captured for a US address; other countries' wording was not captured.
        errors.append(user_error(["shippingAddress", "zip"], "Enter a ZIP code"))
    return errors


def check_order_update(data: dict[str, Any]) -> list[UserError]:
    errors = []
    if not any(name in data for name in UPDATABLE_FIELDS):
        errors.append(user_error(None, "No valid update parameters have been provided"))
    phone = data.get("phone")
    if phone is not None and not _PHONE.match(phone):
        errors.append(user_error(["phone"], "Phone is invalid"))
    if data.get("shippingAddress") is not None:
        errors.extend(_address_errors(data["shippingAddress"]))
    return errors


def _freeze_started_destinations(shop: ShopState, order: Order) -> None:
    for fo in shop.fulfillment_orders_of(order):
        if fo.status not in DESTINATION_FOLLOWING_STATUSES and fo.destination_snapshot is None:
            fo.destination_snapshot = order.shipping_address


def apply_order_update(shop: ShopState, order: Order, data: dict[str, Any]) -> None:
    """Overwrite semantics: every field given replaces the order's value (null clears it)."""
    if "email" in data:
        order.email = data["email"]
    if "phone" in data:
        order.phone = data["phone"]
    if "note" in data:
        order.note = data["note"]
    if "poNumber" in data:
        order.po_number = data["poNumber"]
    if "tags" in data:
        order.tags = list(data["tags"] or [])
    if "customAttributes" in data:
        order.custom_attributes = [
            {"key": a["key"], "value": a["value"]} for a in data["customAttributes"] or []
        ]
    if "shippingAddress" in data:
        _freeze_started_destinations(shop, order)
        order.shipping_address = data["shippingAddress"]
    shop.touch(order)


def order_update(_root: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> Node:
    ctx = context_of(info)
    shop = ctx.shop
    number = gid_number(input["id"], "Order")
    order = shop.orders.get(number) if number is not None else None
    if order is None:
        return {"order": None, "userErrors": [user_error(["id"], "Order does not exist")]}
    errors = check_order_update(input)
    if errors:
        return {"order": None, "userErrors": errors}
    apply_order_update(shop, order, input)
    ctx.emit_order(order, "orders/updated")
    return {"order": order_node(shop, order), "userErrors": []}


MUTATION_FIELDS: dict[str, Callable[..., Any]] = {"orderUpdate": order_update}
