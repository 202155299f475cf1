"""orderClose(input: OrderCloseInput!) and orderOpen(input: OrderOpenInput!).

Closing ("archiving") sets the order's `closedAt`, so `Order.closed` reads true; opening clears
it. As Shopify answers (live captures orderClose-parity, orderClose-noop-on-already-closed and
orderOpen-noop-on-already-open of the shopify-draft-proxy conformance suite):

- closing has no preconditions: an unpaid, unfulfilled order closes too;
- closing an order already closed, or opening one already open, is a silent success: the
  order comes back unchanged (same `closedAt`, same `updatedAt`) with no userErrors;
- an id that names no order: `order: null` and "Order does not exist" on `["id"]`, the
  message Shopify's other order mutations (orderUpdate) use.

A change bumps `updatedAt` and sends `orders/updated` (the webhook carries `closed_at`); a
no-op sends nothing. SIMULATOR RULE (not captured): opening a cancelled order is allowed and
leaves it cancelled, as the admin's "Unarchive" of a cancelled order does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import GraphQLResolveInfo

from shopify_sim.domain.user_errors import user_error
from shopify_sim.ids import gid_number
from shopify_sim.resolvers.context import context_of
from shopify_sim.state.models import Order
from shopify_sim.state.repository import ShopState
from shopify_sim.views.orders import order_node

Node = dict[str, Any]


def _order(shop: ShopState, order_gid: str) -> Order | None:
    number = gid_number(order_gid, "Order")
    return shop.orders.get(number) if number is not None else None


def _set_closed(info: GraphQLResolveInfo, order_gid: str, closed: bool) -> Node:
    ctx = context_of(info)
    shop = ctx.shop
    order = _order(shop, order_gid)
    if order is None:
        return {"order": None, "userErrors": [user_error(["id"], "Order does not exist")]}
    if (order.closed_at is not None) != closed:
        order.closed_at = shop.now() if closed else None
        shop.touch(order)
        ctx.emit_order(order, "orders/updated")
    return {"order": order_node(shop, order), "userErrors": []}


def order_close(_root: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> Node:
    return _set_closed(info, input["id"], closed=True)


def order_open(_root: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> Node:
    return _set_closed(info, input["id"], closed=False)


MUTATION_FIELDS: dict[str, Callable[..., Any]] = {
    "orderClose": order_close,
    "orderOpen": order_open,
}
