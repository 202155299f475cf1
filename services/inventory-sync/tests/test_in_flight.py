"""No oversell: units the warehouse has not counted yet are not offered again; restocks once."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from contracts import order_correlation_id

from .conftest import DOMAIN, FACILITY, InventoryFactory, InventoryWorld, sku


def order_gid(number: int) -> str:
    return f"gid://shopify/Order/{number}"


async def send_order(
    world: InventoryWorld, ref: str, number: int, lines: dict[str, int], sent_at: datetime
) -> None:
    await world.send(
        "orders.wms_order.sent",
        {
            "wms_order_ref": ref,
            "shopify_order_id": order_gid(number),
            "shopify_order_name": ref,
            "fulfillment_order_id": f"gid://shopify/FulfillmentOrder/{number}",
            "facility": FACILITY,
            "location_id": world.location_gid(),
            "placed_at": sent_at,
            "sent_at": sent_at,
            "lines": [
                {
                    "line_ref": f"gid://shopify/FulfillmentOrderLineItem/{number}{i}",
                    "sku": s,
                    "quantity": q,
                }
                for i, (s, q) in enumerate(lines.items())
            ],
        },
        correlation_id=order_correlation_id(DOMAIN, order_gid(number)),
    )


async def wms_answer(world: InventoryWorld, answer: str, ref: str, at: datetime) -> None:
    data: dict[str, Any] = {"wms_order_ref": ref}
    if answer == "rejected":
        data["reason"] = "unknown SKU"
    await world.send(f"wms.order.{answer}", data, occurred_at=at)


async def test_units_sent_to_the_warehouse_are_not_offered_again_until_it_counts_them(
    inventory: InventoryFactory,
) -> None:
    async with inventory(products=5) as world:
        now = datetime.now(UTC)
        await send_order(world, "#1001", 1001, {sku(1): 3}, now - timedelta(minutes=10))
        await world.snapshot({sku(1): 10}, as_of=now - timedelta(minutes=5))
        await world.settled()
        assert world.available(sku(1)) == 7  # 3 of the warehouse's 10 are already sold

        # Accepted after the next snapshot was taken: that snapshot still does not count them.
        await wms_answer(world, "accepted", "#1001", now)
        await world.snapshot({sku(1): 10}, as_of=now - timedelta(minutes=1))
        await world.settled()
        assert world.available(sku(1)) == 7

        # Taken after the acceptance: the warehouse's own figure has them out already.
        calls = await world.mutations()
        await world.snapshot({sku(1): 7}, as_of=now + timedelta(seconds=1))
        await world.settled()
        assert world.available(sku(1)) == 7
        assert await world.mutations() == calls
        in_flight = (await world.facility_status())["in_flight"]
        assert (in_flight["wms_orders_unanswered"], in_flight["units"]) == (0, 0)


async def test_a_rejected_order_stops_holding_its_units(inventory: InventoryFactory) -> None:
    async with inventory(products=5) as world:
        now = datetime.now(UTC)
        await send_order(world, "#1002", 1002, {sku(2): 4}, now)
        await world.snapshot({sku(2): 10}, as_of=now)
        await world.settled()
        assert world.available(sku(2)) == 6
        assert (await world.facility_status())["in_flight"]["units"] == 4

        await wms_answer(world, "rejected", "#1002", now + timedelta(seconds=1))
        await world.settled()
        assert world.available(sku(2)) == 10


async def test_an_order_placed_in_shopify_but_not_yet_sent_is_held_and_not_counted_twice(
    inventory: InventoryFactory,
) -> None:
    async with inventory(products=5) as world:
        now = datetime.now(UTC)
        placed = {
            "webhook_id": str(uuid.uuid4()),
            "topic": "orders/create",
            "received_at": now,
            "payload": {
                "admin_graphql_api_id": order_gid(1003),
                "line_items": [
                    {"sku": sku(3), "quantity": 2, "fulfillable_quantity": 2,
                     "requires_shipping": True, "gift_card": False},
                    {"sku": None, "quantity": 1, "requires_shipping": True},
                    {"sku": "GIFT", "quantity": 1, "gift_card": True},
                ],
            },
        }  # fmt: skip
        await world.send("shopify.webhook.orders.create", placed)
        await world.snapshot({sku(3): 10}, as_of=now)
        await world.settled()
        assert world.available(sku(3)) == 8
        assert (await world.facility_status())["in_flight"]["orders_placed_not_sent"] == 1

        # order-intake sends it: the same 2 units, now in flight at WH1 rather than held.
        calls = await world.mutations()
        await send_order(world, "#1003", 1003, {sku(3): 2}, now)
        await world.snapshot({sku(3): 10}, as_of=now + timedelta(seconds=1))
        await world.settled()
        assert world.available(sku(3)) == 8
        assert await world.mutations() == calls


async def test_a_restock_is_applied_once_and_releases_the_units_it_held(
    inventory: InventoryFactory,
) -> None:
    async with inventory(products=5) as world:
        now = datetime.now(UTC)
        await send_order(world, "#2001", 2001, {sku(2): 2}, now)
        await world.snapshot({sku(2): 10}, as_of=now)
        await world.settled()
        assert world.available(sku(2)) == 8

        # The order is cancelled; Shopify put the 2 units back itself (orderCancel restock).
        item = world.shop.variants_by_sku[sku(2)].inventory_item_id
        level = world.shop.level(item, world.location_id())
        assert level is not None
        world.shop.change_quantities(level, {"available": 2})
        restock = {
            "restock_id": "cancel-2001",
            "wms_order_ref": "#2001",
            "shopify_order_id": order_gid(2001),
            "facility": FACILITY,
            "location_id": world.location_gid(),
            "restocked_in_shopify": True,
            "lines": [{"sku": sku(2), "quantity": 2}],
        }
        for _ in range(3):  # the same restock, re-sent
            await world.send("cancellations.order.restocked", restock)
        await world.settled()
        assert await world.runtime.pool.fetchval("SELECT count(*) FROM restocks") == 1
        tracked = await world.runtime.pool.fetchval(
            "SELECT available FROM shopify_levels WHERE inventory_item_id = $1 "
            "AND location_id = $2",
            item,
            world.location_id(),
        )
        assert tracked == 10 == world.available(sku(2))

        # The warehouse never counted the order: its next snapshot still says 10, which is
        # what Shopify has. Nothing to push, and no stale compare-and-set on the way.
        calls = await world.mutations()
        await world.snapshot({sku(2): 10}, as_of=now + timedelta(seconds=1))
        await world.settled()
        assert world.available(sku(2)) == 10
        assert await world.mutations() == calls


async def test_an_order_cancelled_in_shopify_before_it_was_sent_stops_holding_its_units(
    inventory: InventoryFactory,
) -> None:
    async with inventory(products=5) as world:
        now = datetime.now(UTC)
        line = {"sku": sku(4), "quantity": 3, "requires_shipping": True}
        placed = {
            "webhook_id": str(uuid.uuid4()),
            "topic": "orders/create",
            "received_at": now,
            "payload": {"admin_graphql_api_id": order_gid(1004), "line_items": [line]},
        }
        await world.send("shopify.webhook.orders.create", placed)
        await world.snapshot({sku(4): 10}, as_of=now)
        await world.settled()
        assert world.available(sku(4)) == 7

        cancelled = {
            "shopify_order_id": order_gid(1004),
            "shopify_order_name": "#1004",
            "cancelled_at": now,
            "reason": "CUSTOMER",
        }
        await world.send("orders.order.cancelled", cancelled)
        await world.snapshot({sku(4): 10}, as_of=now + timedelta(seconds=1))
        await world.settled()
        assert world.available(sku(4)) == 10
