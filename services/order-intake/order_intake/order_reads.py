"""Reading the rest of an order bigger than one read: every fulfillment order, every line.

ORDERS_BY_ID / ORDERS_UPDATED_SINCE read the first page of each order (5 fulfillment orders,
50 lines each), which holds nearly every order whole at a price that does not grow with the
batch. For an order whose `pageInfo` says there is more, `complete_order` reads the rest:

1. further fulfillment orders: ORDER_FULFILLMENT_ORDERS, 100 per page with up to 250 lines each,
   following the order's cursor;
2. further lines of fulfillment orders: when several need more, one FULFILLMENT_ORDER_LINE_ITEMS
   query re-reads up to 250 lines of each of them at once (`nodes(ids:)` costs the same for one
   or 250 ids, so re-reading their first 50 is cheaper than a query each); then, for any still
   longer (or a single one), FULFILLMENT_ORDER_LINE_ITEMS_PAGE follows its own cursor, 250 at a
   time.

Every query stays far below Shopify's 1000-point limit (255 points at most), and pages are
never larger than Shopify's 250, so there is no order size it cannot read. The pages are read
one after the other, not at one instant: a change meanwhile bumps the order's `updatedAt`,
and its webhook (or the next poll) reads the order again.
"""

from collections.abc import Mapping, Sequence
from typing import Any

from order_intake.shopify_order import has_next_page, is_partial
from shop_config import ShopConfig
from shopify_admin.errors import DeniedField
from shopify_admin.operations import (
    FULFILLMENT_ORDER_LINE_ITEMS,
    FULFILLMENT_ORDER_LINE_ITEMS_PAGE,
    MAX_PAGE_SIZE,
    ORDER_FULFILLMENT_ORDERS,
    Operation,
)
from shopify_admin.pagination import GraphQLExecutor, PaginationError, fetch_nodes

Json = dict[str, Any]


NOT_FOUND = "order not found in Shopify (deleted, or older than the app may read)"
"""The terminal reason of a read that found no order: retrying cannot bring it back."""


def order_read_variables(shop: ShopConfig) -> dict[str, Any]:
    """What the order read asks Shopify for beyond the ship-to address: only what the shop sends
    to its WMS (personal data the warehouse does not get is not read either)."""
    return {
        "withEmail": shop.wms_order.share_customer_email,
        "withBillingAddress": shop.wms_order.send_billing_address,
    }


def withheld_reason(denied: Sequence[DeniedField]) -> str:
    """The operator-readable reason an order Shopify withheld customer data of is not sent."""
    fields = "; ".join(dict.fromkeys(d.describe() for d in denied))
    return (
        "Shopify withholds the customer's data from this app (protected customer data: "
        f"{fields}); the shop's plan or the app's data access must allow it, then re-sync"
    )[:1000]


class OrderReadError(RuntimeError):
    """Shopify's answers about the rest of an order do not add up (it vanished meanwhile, or a
    page announced more without a cursor): the read is retried."""


async def complete_order(client: GraphQLExecutor, node: Mapping[str, Any]) -> Json:
    """`node` (a ShipbridgeOrder) with every fulfillment order and every line read."""
    if not is_partial(node):
        return dict(node)
    connection = node.get("fulfillmentOrders") or {}
    fulfillment_orders = [dict(fo) for fo in connection.get("nodes") or []]
    fulfillment_orders += await _more_fulfillment_orders(client, str(node["id"]), connection)
    await _complete_lines(client, fulfillment_orders)
    return {
        **node,
        "fulfillmentOrders": {
            "nodes": fulfillment_orders,
            "pageInfo": {"hasNextPage": False, "endCursor": None},
        },
    }


async def _more_fulfillment_orders(
    client: GraphQLExecutor, order_id: str, first_page: Mapping[str, Any]
) -> list[Json]:
    return await _rest_of(
        client,
        ORDER_FULFILLMENT_ORDERS,
        {"id": order_id},
        ("order", "fulfillmentOrders"),
        first_page,
        f"order {order_id} vanished while its pages were read",
    )


async def _complete_lines(client: GraphQLExecutor, fulfillment_orders: Sequence[Json]) -> None:
    """Replace each fulfillment order's partial `lineItems` with all of them, in place."""
    wanting = [fo for fo in fulfillment_orders if has_next_page(fo.get("lineItems") or {})]
    if len(wanting) > 1:
        reread = await fetch_nodes(
            client, FULFILLMENT_ORDER_LINE_ITEMS, [str(fo["id"]) for fo in wanting]
        )
        for fo in wanting:
            fresh = reread.get(str(fo["id"]))
            if fresh is None:
                raise OrderReadError(f"fulfillment order {fo['id']} vanished while read")
            fo["lineItems"] = dict(fresh.get("lineItems") or {})
    for fo in wanting:
        lines = fo.get("lineItems") or {}
        nodes = list(lines.get("nodes") or [])
        nodes += await _rest_of(
            client,
            FULFILLMENT_ORDER_LINE_ITEMS_PAGE,
            {"id": fo["id"], "first": MAX_PAGE_SIZE},
            ("fulfillmentOrder", "lineItems"),
            lines,
            f"fulfillment order {fo['id']} vanished while read",
        )
        fo["lineItems"] = {"nodes": nodes, "pageInfo": {"hasNextPage": False, "endCursor": None}}


async def _rest_of(
    client: GraphQLExecutor,
    operation: Operation,
    variables: Mapping[str, Any],
    path: tuple[str, str],
    read: Mapping[str, Any],
    vanished: str,
) -> list[Json]:
    """The nodes of the connection at `path` (parent, connection) after the page `read` has
    of it, following its cursor. Unlike `pagination.paginate`, a parent gone meanwhile is an
    error (OrderReadError): what was read so far is not the whole order."""
    parent_key, connection_key = path
    found: list[Json] = []
    seen: set[str] = set()
    cursor = _next_cursor(read, operation.name, seen)
    while cursor is not None:
        data = await client.execute(operation, {**variables, "after": cursor})
        parent = data.get(parent_key)
        if not isinstance(parent, Mapping):
            raise OrderReadError(vanished)
        page = parent.get(connection_key) or {}
        found += [dict(node) for node in page.get("nodes") or []]
        cursor = _next_cursor(page, operation.name, seen)
    return found


def _next_cursor(connection: Mapping[str, Any], what: str, seen: set[str]) -> str | None:
    if not has_next_page(connection):
        return None
    cursor = (connection.get("pageInfo") or {}).get("endCursor")
    if not isinstance(cursor, str) or cursor in seen:
        raise PaginationError(f"{what}: next page announced without a new cursor")
    seen.add(cursor)
    return cursor
