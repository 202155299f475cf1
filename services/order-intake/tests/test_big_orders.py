"""Orders of any size: every fulfillment order and every line is read, past the first page.

Unit tests drive `complete_order` with GraphQL answers built here (Shopify's shapes, cursors
and pageInfo); the last test reads a 300-line order from the simulator end to end.
"""

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pytest

from order_intake.domain import decide
from order_intake.order_reads import complete_order
from order_intake.shopify_order import OrderParseError, parse_order
from shop_config import ShopConfig
from shopify_admin.operations import (
    FULFILLMENT_ORDER_LINE_ITEMS,
    FULFILLMENT_ORDER_LINE_ITEMS_PAGE,
    ORDER_FULFILLMENT_ORDERS,
    ORDERS_BY_ID,
    Operation,
)
from testkit.probe import eventually

from .conftest import MAPPED, UNMAPPED, IntakeFactory

ORDER_GID = "gid://shopify/Order/1"
LOCATIONS = ["gid://shopify/Location/11", "gid://shopify/Location/12", "gid://shopify/Location/13"]
SHOP = ShopConfig.model_validate(
    {
        "domain": "big.myshopify.com",
        "locations": dict(zip(LOCATIONS, ["WH1", "WH2", "WH3"], strict=True)),
    }
)


def line(fo: int, n: int) -> dict[str, Any]:
    return {
        "id": f"gid://shopify/FulfillmentOrderLineItem/{fo * 10_000 + n}",
        "totalQuantity": 1,
        "remainingQuantity": 1,
        "lineItem": {
            "id": f"gid://shopify/LineItem/{fo * 10_000 + n}",
            "sku": f"SKU-{fo}-{n:04d}",
            "name": f"Item {n}",
            "requiresShipping": True,
        },
    }


class FakeShop:
    """Answers the order queries from fulfillment orders held here, paging like Shopify."""

    def __init__(self, lines_per_fo: list[int]) -> None:
        self.fos = {
            f"gid://shopify/FulfillmentOrder/{i + 1}": (
                LOCATIONS[i % len(LOCATIONS)],
                [line(i + 1, n) for n in range(count)],
            )
            for i, count in enumerate(lines_per_fo)
        }
        self.calls: list[tuple[str, dict[str, Any]]] = []

    async def execute(
        self, operation: Operation, variables: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        sent = operation.variables(variables)
        self.calls.append((operation.name, sent))
        if operation is ORDERS_BY_ID:
            return {"nodes": [self.order(sent) for _ in sent["ids"]]}
        if operation is ORDER_FULFILLMENT_ORDERS:
            fos = self.page(list(self.fos), sent["first"], sent.get("after"))
            return {"order": {"id": ORDER_GID, "fulfillmentOrders": self.fo_page(fos, sent)}}
        if operation is FULFILLMENT_ORDER_LINE_ITEMS:
            return {"nodes": [self.fo(fo_id, sent["first"], None) for fo_id in sent["ids"]]}
        if operation is FULFILLMENT_ORDER_LINE_ITEMS_PAGE:
            fo = self.fo(sent["id"], sent["first"], sent.get("after"))
            return {"fulfillmentOrder": {"id": sent["id"], "lineItems": fo["lineItems"]}}
        raise AssertionError(f"unexpected {operation.name}")

    def order(self, sent: dict[str, Any]) -> dict[str, Any]:
        fos = self.page(list(self.fos), sent["fulfillmentOrdersFirst"], None)
        return {
            "id": ORDER_GID,
            "name": "#1001",
            "createdAt": "2026-11-22T10:00:00Z",
            "updatedAt": "2026-11-22T10:00:00Z",
            "processedAt": "2026-11-22T10:00:00Z",
            "closed": False,
            "displayFinancialStatus": "PAID",
            "displayFulfillmentStatus": "UNFULFILLED",
            "shippingAddress": {
                "name": "Sam",
                "address1": "1 Main St",
                "city": "Toronto",
                "zip": "M5H 2M9",
                "countryCodeV2": "CA",
            },
            "fulfillmentOrders": self.fo_page(fos, sent),
        }

    def fo_page(self, page: tuple[list[str], str | None], sent: dict[str, Any]) -> dict[str, Any]:
        ids, cursor = page
        return {
            "nodes": [self.fo(fo_id, sent["lineItemsFirst"], None) for fo_id in ids],
            "pageInfo": {"hasNextPage": cursor is not None, "endCursor": cursor},
        }

    def fo(self, fo_id: str, first: int, after: str | None) -> dict[str, Any]:
        location, lines = self.fos[fo_id]
        nodes, cursor = self.page(lines, first, after)
        return {
            "id": fo_id,
            "status": "OPEN",
            "assignedLocation": {"location": {"id": location}},
            "fulfillmentHolds": [],
            "lineItems": {
                "nodes": nodes,
                "pageInfo": {"hasNextPage": cursor is not None, "endCursor": cursor},
            },
        }

    @staticmethod
    def page(items: list[Any], first: int, after: str | None) -> tuple[list[Any], str | None]:
        assert first <= 250, "Shopify serves at most 250 per page"
        start = int(after) if after else 0
        end = start + first
        return items[start:end], (str(end) if end < len(items) else None)


async def read(shop: FakeShop) -> dict[str, Any]:
    [node] = (await shop.execute(ORDERS_BY_ID, {"ids": [ORDER_GID]}))["nodes"]
    return await complete_order(shop, node)


async def test_an_order_that_fits_the_first_page_costs_no_further_call() -> None:
    shop = FakeShop([3, 50])
    order = parse_order(await read(shop))
    assert [name for name, _ in shop.calls] == ["OrdersById"]
    assert [len(fo.lines) for fo in order.fulfillment_orders] == [3, 50]


async def test_300_lines_on_three_locations_are_read_whole_with_one_batched_query() -> None:
    shop = FakeShop([100, 100, 100])
    order = parse_order(await read(shop))
    # The three fulfillment orders' remaining lines come in one nodes(ids:) query.
    assert [name for name, _ in shop.calls] == ["OrdersById", "FulfillmentOrderLineItems"]
    assert [len(fo.lines) for fo in order.fulfillment_orders] == [100, 100, 100]
    decision = decide(order, SHOP, {}, datetime(2026, 11, 22, 11, tzinfo=UTC))
    assert [(c.wms_order_ref, c.facility, len(c.lines)) for c in decision.creates] == [
        ("#1001-1", "WH1", 100),
        ("#1001-2", "WH2", 100),
        ("#1001-3", "WH3", 100),
    ]
    sent = [line.line_ref for c in decision.creates for line in c.lines]
    assert len(set(sent)) == 300


async def test_one_long_fulfillment_order_follows_its_own_cursor() -> None:
    shop = FakeShop([600])
    order = parse_order(await read(shop))
    assert [name for name, _ in shop.calls] == [
        "OrdersById",
        "FulfillmentOrderLineItemsPage",
        "FulfillmentOrderLineItemsPage",
        "FulfillmentOrderLineItemsPage",
    ]
    [fo] = order.fulfillment_orders
    assert [ln.sku for ln in fo.lines] == [f"SKU-1-{n:04d}" for n in range(600)]


async def test_more_fulfillment_orders_than_the_first_page_are_read_by_the_orders_cursor() -> None:
    shop = FakeShop([2] * 7 + [260])
    order = parse_order(await read(shop))
    names = [name for name, _ in shop.calls]
    assert names[:2] == ["OrdersById", "OrderFulfillmentOrders"]
    assert len(order.fulfillment_orders) == 8
    assert [len(fo.lines) for fo in order.fulfillment_orders] == [2] * 7 + [260]
    # The eighth FO came with 250 of its lines; the last 10 follow its cursor.
    assert names[2:] == ["FulfillmentOrderLineItemsPage"]


async def test_part_of_an_order_is_never_parsed() -> None:
    shop = FakeShop([51])
    [node] = (await shop.execute(ORDERS_BY_ID, {"ids": [ORDER_GID]}))["nodes"]
    with pytest.raises(OrderParseError, match="only in part"):
        parse_order(node)


async def test_a_300_line_order_from_shopify_becomes_whole_wms_orders_and_its_cost_is_shown(
    intake: IntakeFactory,
) -> None:
    async with intake() as world:
        skus = sorted(world.shop.variants_by_sku)
        locations = [*MAPPED, UNMAPPED]
        lines = [(skus[n % len(skus)], 1, locations[n % 3]) for n in range(300)]
        created = await world.create_order(lines)
        await world.webhook("orders/create", created["id"])
        creates = await world.wait_creates(created["name"], 2)
        assert sorted((c["facility"], len(c["lines"])) for c in creates) == [
            ("WH1", 100),
            ("WH2", 100),
        ]

        async def shown() -> bool:
            return bool((await world.status())["sync_worker"]["recent_big_orders"])

        await eventually(shown)
        [big] = (await world.status())["sync_worker"]["recent_big_orders"]
        assert (big["order"], big["fulfillment_orders"], big["lines"]) == (created["name"], 3, 300)
        assert big["calls"] >= 2 and big["points"] > 0
