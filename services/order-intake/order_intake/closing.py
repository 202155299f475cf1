"""Closing a Shopify order once all of it is fulfilled (fulfillment.close_fulfilled_orders).

A closed order tells the merchant there is no further work: merchants who archive shipped orders
by hand ask the integration to do it. order-intake reads every order a fulfillment touches
(its fulfillment webhooks and the poll), so the read that finds the last fulfillment order
closed is the one that closes the order.

`needs_closing` is the pure rule; `close_order` sends `orderClose`; `close_if_fulfilled` is both,
for an order just read (the sync worker and the polling download). Closing is idempotent: an
order already closed (by the merchant, Shopify's auto-archive, or an earlier attempt of ours
whose answer was lost) counts as done.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import structlog

from order_intake.domain import Order
from order_intake.shopify_order import OrderParseError, parse_order
from shop_config import ShopConfig
from shopify_admin.operations import ORDER_CLOSE
from shopify_admin.pagination import GraphQLExecutor
from shopify_admin.results import MutationResult

log = structlog.get_logger(__name__)

# Fulfillment order statuses with nothing left to do; CANCELLED ones were never fulfilled, so
# at least one must be CLOSED (an order cancelled whole is the cancellation service's).
_DONE_STATUSES = frozenset({"CLOSED", "CANCELLED"})


def needs_closing(order: Order, shop: ShopConfig) -> bool:
    """The shop closes fulfilled orders, and this one is fulfilled whole but still open."""
    if not shop.fulfillment.close_fulfilled_orders or order.closed:
        return False
    if order.cancelled_at is not None or order.fulfillment_status != "FULFILLED":
        return False
    statuses = {fo.status for fo in order.fulfillment_orders}
    return bool(statuses) and statuses <= _DONE_STATUSES and "CLOSED" in statuses


class OrderCloseRefused(RuntimeError):
    """Shopify answered orderClose with userErrors (and the order is not closed): retrying the
    same request will not change that, so it is reported, not retried."""


@dataclass(frozen=True)
class Closed:
    order_gid: str
    already_closed: bool


async def close_order(client: GraphQLExecutor, order_gid: str) -> Closed:
    """Close the order; an order Shopify reports closed already is fine.

    Raises OrderCloseRefused on userErrors, and the client's errors (ShopifyUnavailable, ...)
    when Shopify could not be asked: the caller retries those like any Shopify read.
    """
    result = MutationResult.from_data(
        await client.execute(ORDER_CLOSE, {"input": {"id": order_gid}})
    )
    order = result.payload.get("order") or {}
    if result.ok:
        log.info("order.closed_in_shopify", order_gid=order_gid)
        return Closed(order_gid, already_closed=False)
    if order.get("closed"):
        # Refused because there was nothing to do. Refused for another reason, the next read
        # decides again: an order closed meanwhile needs nothing (needs_closing is False).
        return Closed(order_gid, already_closed=True)
    raise OrderCloseRefused(
        "Shopify refused to close the order: "
        + "; ".join(f"{'.'.join(e.field or [])}: {e.message}" for e in result.user_errors)
    )


async def close_if_fulfilled(
    client: GraphQLExecutor, shop: ShopConfig, node: Mapping[str, Any]
) -> bool:
    """Close the order `node` (a ShipbridgeOrder read whole) when `needs_closing` says so; True
    when it was closed (or already was). A node that does not parse is left alone: applying it
    reports that. Raises what `close_order` raises."""
    try:
        order = parse_order(node)
    except OrderParseError:
        return False
    if not needs_closing(order, shop):
        return False
    await close_order(client, order.id)
    return True
