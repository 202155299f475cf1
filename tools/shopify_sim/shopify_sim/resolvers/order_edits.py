"""orderEditBegin, orderEditAddVariant, orderEditSetQuantity and orderEditCommit.

User error fields and messages are Shopify's, from live captures (2026-04) of the
shopify-draft-proxy conformance suite: order-edit-lifecycle-user-errors,
orderEdit-quantity-validation and order-edit-existing-order-validation. Two messages were not
captured and are the simulator's own, marked SIMULATOR_MESSAGE below. The FO rules on commit
are in domain/order_edits.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from graphql import GraphQLResolveInfo

from shopify_sim import inventory_moves
from shopify_sim.clock import rest_time
from shopify_sim.domain import order_edits as rules
from shopify_sim.domain.location_choice import choose_location
from shopify_sim.domain.user_errors import UserError, user_error
from shopify_sim.events import ShopEvent
from shopify_sim.ids import gid_number
from shopify_sim.resolvers.context import RequestContext, context_of
from shopify_sim.resolvers.fulfillment_changes import close_if_done
from shopify_sim.state.models import (
    FulfillmentOrder,
    FulfillmentOrderLineItem,
    LineItem,
    Location,
    Order,
)
from shopify_sim.state.order_edits import AddedLine, CalculatedOrder, StagedQuantity
from shopify_sim.state.repository import ShopState
from shopify_sim.views import order_edits as views
from shopify_sim.views.orders import order_node
from shopify_sim.webhook_payloads import order_body

Node = dict[str, Any]

NO_ORDER = "The order does not exist."
NOT_EDITABLE = "The order cannot be edited."
NO_CALCULATED_ORDER = "The calculated order does not exist."
NO_LINE = "The line item does not exist on the order."
NO_VARIANT = "The variant does not exist in the shop."
NOT_NEGATIVE = "must be greater than or equal to 0"
POSITIVE = "must be greater than 0"
# SIMULATOR_MESSAGE: Shopify's wording for these two was not captured.
NO_LOCATION = "The location does not exist."
BELOW_FULFILLED = "The quantity can't be lower than the fulfilled quantity of {fulfilled}."


def _failure(errors: list[UserError], **nulls: None) -> Node:
    return {**nulls, "userErrors": errors}


def _line_edit_failure(errors: list[UserError]) -> Node:
    """A refused orderEditAddVariant or orderEditSetQuantity: both payloads have these fields."""
    return _failure(errors, calculatedOrder=None, calculatedLineItem=None, orderEditSession=None)


def _open_calculated_order(shop: ShopState, calculated_id: str) -> CalculatedOrder | None:
    number = gid_number(calculated_id, "CalculatedOrder")
    calculated = shop.calculated_orders.get(number) if number is not None else None
    if calculated is None or calculated.committed:
        return None
    return calculated


def _edit_payload(shop: ShopState, calculated: CalculatedOrder, line: Node | None) -> Node:
    return {
        "calculatedOrder": views.calculated_order_node(shop, calculated),
        "calculatedLineItem": line,
        "orderEditSession": views.session_node(calculated),
        "userErrors": [],
    }


# --- orderEditBegin ------------------------------------------------------------------------


def order_edit_begin(_root: Any, info: GraphQLResolveInfo, id: str) -> Node:
    shop = context_of(info).shop
    number = gid_number(id, "Order")
    order = shop.orders.get(number) if number is not None else None
    nulls: dict[str, None] = {"calculatedOrder": None, "orderEditSession": None}
    if order is None:
        return _failure([user_error(["id"], NO_ORDER)], **nulls)
    if not rules.order_is_editable(order):
        return _failure([user_error(None, NOT_EDITABLE)], **nulls)
    calculated = CalculatedOrder(id=shop.new_id(), order_id=order.id, created_at=shop.now())
    shop.calculated_orders[calculated.id] = calculated
    return {
        "calculatedOrder": views.calculated_order_node(shop, calculated),
        "orderEditSession": views.session_node(calculated),
        "userErrors": [],
    }


# --- orderEditAddVariant --------------------------------------------------------------------


def _quantity_errors_for_add(quantity: int) -> list[UserError]:
    # As captured: 0 gives one error, a negative number both.
    errors = []
    if quantity <= 0:
        errors.append(user_error(["quantity"], POSITIVE))
    if quantity < 0:
        errors.append(user_error(["quantity"], NOT_NEGATIVE))
    return errors


def _location_for_added(
    shop: ShopState, variant_item: int, quantity: int, location_id: str | None
) -> Location | None:
    """The location asked for, else the simulator's orderCreate rule (domain/location_choice)."""
    if location_id is not None:
        number = gid_number(location_id, "Location")
        return shop.locations.get(number) if number is not None else None

    def available_at(item: int, location: int) -> int | None:
        level = shop.level(item, location)
        return level.quantities["available"] if level else None

    return choose_location(
        quantity=quantity,
        inventory_item_id=variant_item,
        properties=[],
        locations=shop.locations,
        available_at=available_at,
    )


def order_edit_add_variant(
    _root: Any,
    info: GraphQLResolveInfo,
    id: str,
    variantId: str,
    quantity: int,
    locationId: str | None = None,
    allowDuplicates: bool = False,
) -> Node:
    shop = context_of(info).shop
    calculated = _open_calculated_order(shop, id)
    if calculated is None:
        return _line_edit_failure([user_error(["id"], NO_CALCULATED_ORDER)])
    errors = _quantity_errors_for_add(quantity)
    if errors:
        return _line_edit_failure(errors)
    variant_number = gid_number(variantId, "ProductVariant")
    variant = shop.variants.get(variant_number) if variant_number is not None else None
    if variant is None:
        return _line_edit_failure([user_error(["variantId"], NO_VARIANT)])
    order = shop.orders[calculated.order_id]
    on_order = any(
        line.variant_id == variant.id and line.live_quantity > 0 for line in order.line_items
    ) or any(added.variant_id == variant.id for added in calculated.added)
    if on_order and not allowDuplicates:
        message = f"The {variant.product_title} was not added because it's already on the order."
        return _line_edit_failure([user_error(["id"], message)])
    location = _location_for_added(shop, variant.inventory_item_id, quantity, locationId)
    if location is None:
        return _line_edit_failure([user_error(["locationId"], NO_LOCATION)])
    added = AddedLine(
        key=str(uuid.uuid4()), variant_id=variant.id, location_id=location.id, quantity=quantity
    )
    calculated.added.append(added)
    return _edit_payload(shop, calculated, views.added_line_node(shop, calculated, added))


# --- orderEditSetQuantity -------------------------------------------------------------------


def _added_line(calculated: CalculatedOrder, line_gid: str) -> AddedLine | None:
    prefix = f"gid://shopify/{views.CALCULATED_LINE}/"
    key = line_gid[len(prefix) :] if line_gid.startswith(prefix) else None
    return next((added for added in calculated.added if added.key == key), None)


def order_edit_set_quantity(
    _root: Any,
    info: GraphQLResolveInfo,
    id: str,
    lineItemId: str,
    quantity: int,
    restock: bool | None = None,
    locationId: str | None = None,
) -> Node:
    shop = context_of(info).shop
    calculated = _open_calculated_order(shop, id)
    if calculated is None:
        return _line_edit_failure([user_error(["id"], NO_CALCULATED_ORDER)])
    if quantity < 0:
        return _line_edit_failure([user_error(["quantity"], NOT_NEGATIVE)])
    added = _added_line(calculated, lineItemId)
    if added is not None:
        if quantity == 0:
            calculated.added.remove(added)
            return _edit_payload(shop, calculated, None)
        added.quantity = quantity
        return _edit_payload(shop, calculated, views.added_line_node(shop, calculated, added))
    order = shop.orders[calculated.order_id]
    number = gid_number(lineItemId, views.CALCULATED_LINE)
    line = shop.line_item(order, number) if number is not None else None
    if line is None:
        return _line_edit_failure([user_error(["lineItemId"], NO_LINE)])
    fulfilled = line.live_quantity - rules.editable_quantity(
        line, shop.fulfillment_orders_of(order)
    )
    if quantity < fulfilled:
        message = BELOW_FULFILLED.format(fulfilled=fulfilled)
        return _line_edit_failure([user_error(["quantity"], message)])
    calculated.staged[line.id] = StagedQuantity(quantity=quantity, restock=bool(restock))
    return _edit_payload(shop, calculated, views.existing_line_node(shop, calculated, line))


# --- orderEditCommit ------------------------------------------------------------------------


def _remove_units(shop: ShopState, order: Order, line: LineItem, units: int, restock: bool) -> None:
    now = shop.now()
    for step in rules.plan_removal(line.id, units, shop.fulfillment_orders_of(order)):
        step.fo_line.total_quantity -= step.units
        step.fo_line.remaining_quantity -= step.units
        close_if_done(step.fulfillment_order)
        step.fulfillment_order.updated_at = now
    if restock:
        inventory_moves.restock(shop, line, units)
    else:
        inventory_moves.write_off(shop, line, units)


def _new_fulfillment_orders(
    shop: ShopState, order: Order, units_by_location: dict[int, list[tuple[int, int]]]
) -> None:
    """ADDED_UNITS_GO_TO_A_NEW_FO: one new OPEN FO per location that gets units."""
    now = shop.now()
    for location_id, lines in units_by_location.items():
        fo = FulfillmentOrder(
            id=shop.new_id(),
            order_id=order.id,
            location_id=location_id,
            status="OPEN",
            created_at=now,
            updated_at=now,
            fulfill_at=now.replace(minute=0, second=0, microsecond=0),
        )
        fo.line_items = [
            FulfillmentOrderLineItem(shop.new_id(), line_id, units, units)
            for line_id, units in lines
        ]
        shop.add_fulfillment_order(fo)


def _apply_commit(shop: ShopState, calculated: CalculatedOrder) -> dict[str, list[Node]]:
    order = shop.orders[calculated.order_id]
    additions: list[Node] = []
    removals: list[Node] = []
    new_units: dict[int, list[tuple[int, int]]] = {}
    for line in order.line_items:
        staged = calculated.staged.get(line.id)
        if staged is None or staged.quantity == line.live_quantity:
            continue
        delta = staged.quantity - line.live_quantity
        if delta < 0:
            _remove_units(shop, order, line, -delta, staged.restock)
            removals.append({"id": line.id, "delta": -delta})
        else:
            line.quantity += delta
            inventory_moves.commit_more(shop, line, delta)
            new_units.setdefault(line.location_id, []).append((line.id, delta))
            additions.append({"id": line.id, "delta": delta})
        line.current_quantity = staged.quantity
    for added in calculated.added:
        variant = shop.variants[added.variant_id]
        line = LineItem(
            id=shop.new_id(),
            title=variant.product_title,
            quantity=added.quantity,
            price=variant.price,
            sku=variant.sku,
            variant_id=variant.id,
            product_id=variant.product_id,
            location_id=added.location_id,
            requires_shipping=variant.requires_shipping,
            variant_title=variant.title,
            current_quantity=added.quantity,
        )
        order.line_items.append(line)
        # Edits reserve what they add, whatever orderCreate's inventory behaviour was.
        inventory_moves.commit(shop, line, variant.inventory_item_id)
        new_units.setdefault(line.location_id, []).append((line.id, added.quantity))
        additions.append({"id": line.id, "delta": added.quantity})
    _new_fulfillment_orders(shop, order, new_units)
    return {"additions": additions, "removals": removals}


def _emit_edited(
    ctx: RequestContext,
    order: Order,
    calculated: CalculatedOrder,
    changes: dict[str, list[Node]],
    notify_customer: bool,
    staff_note: str | None,
) -> None:
    """orders/edited carries the delta, not the order (shared/shopify/webhooks/orders__edited)."""
    shop = ctx.shop
    now = shop.now()
    body: dict[str, Any] = {
        "order_edit": {
            "id": calculated.id,
            "app_id": None,
            "created_at": rest_time(calculated.created_at),
            "committed_at": rest_time(now),
            "notify_customer": notify_customer,
            "order_id": order.id,
            "staff_note": staff_note or "",
            "user_id": None,
            "line_items": changes,
            "discounts": {"line_item": {"additions": [], "removals": []}},
            "shipping_lines": {"additions": [], "removals": []},
        }
    }
    edited = ShopEvent(shop.domain, "orders/edited", body, now)
    ctx.events.append(edited)
    ctx.events.append(
        ShopEvent(shop.domain, "orders/updated", order_body(shop, order), now, edited.event_id)
    )


def _fulfilled_since_staged(
    shop: ShopState, order: Order, calculated: CalculatedOrder
) -> list[UserError]:
    """Units fulfilled after orderEditSetQuantity can no longer be removed by the commit."""
    fos = shop.fulfillment_orders_of(order)
    errors = []
    for line in order.line_items:
        staged = calculated.staged.get(line.id)
        fulfilled = line.live_quantity - rules.editable_quantity(line, fos)
        if staged is not None and staged.quantity < fulfilled:
            errors.append(user_error(["id"], BELOW_FULFILLED.format(fulfilled=fulfilled)))
    return errors


def order_edit_commit(
    _root: Any,
    info: GraphQLResolveInfo,
    id: str,
    notifyCustomer: bool | None = None,
    staffNote: str | None = None,
) -> Node:
    ctx = context_of(info)
    shop = ctx.shop
    calculated = _open_calculated_order(shop, id)
    if calculated is None:
        return {
            "order": None,
            "successMessages": None,
            "userErrors": [user_error(["id"], NO_CALCULATED_ORDER)],
        }
    order = shop.orders[calculated.order_id]
    if not rules.order_is_editable(order):
        return {
            "order": None,
            "successMessages": None,
            "userErrors": [user_error(None, NOT_EDITABLE)],
        }
    stale = _fulfilled_since_staged(shop, order, calculated)
    if stale:
        return {"order": None, "successMessages": None, "userErrors": stale}
    changes = _apply_commit(shop, calculated)
    calculated.committed = True
    order.edited = True
    shop.touch(order)
    _emit_edited(ctx, order, calculated, changes, bool(notifyCustomer), staffNote)
    return {
        "order": order_node(shop, order),
        # As captured (order-edit-commit-history-and-fulfillment-orders).
        "successMessages": ["Order updated"],
        "userErrors": [],
    }


MUTATION_FIELDS: dict[str, Callable[..., Any]] = {
    "orderEditBegin": order_edit_begin,
    "orderEditAddVariant": order_edit_add_variant,
    "orderEditSetQuantity": order_edit_set_quantity,
    "orderEditCommit": order_edit_commit,
}
