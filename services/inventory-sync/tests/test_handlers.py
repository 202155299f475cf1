"""The message handlers on their own: each message's effect on the service's tables, run in one
real transaction on the migrated schema, without a broker, a simulator or the workers.

What the effects become in Shopify (pushes, holds, restocks) is tested end to end elsewhere.
"""

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from pydantic import BaseModel

from contracts import INTERNAL_EVENTS, WMS_EVENTS, Envelope, new_envelope
from inventory_sync.app import DEFINITION
from inventory_sync.deps import InventoryDeps
from inventory_sync.feeds import Feeds
from inventory_sync.snapshots import PartMismatch
from messaging import Subscription
from shop_config import ShopConfig, ShopsConfig
from testkit.handlers import handle, handler_pool
from testkit.plugin import IsolatedDatabase

DOMAIN = "handlers-test.myshopify.com"
UNFED = "no-feeds.myshopify.com"
WH1 = "gid://shopify/Location/101"  # realtime and daily
WH2 = "gid://shopify/Location/102"  # daily only
T0 = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)


DEPS = InventoryDeps(
    Feeds(
        ShopsConfig(
            {
                DOMAIN: ShopConfig.model_validate(
                    {
                        "domain": DOMAIN,
                        "locations": {WH1: "WH1", WH2: "WH2"},
                        "inventory": {
                            "WH1": {"location": WH1, "mode": "both"},
                            "WH2": {"location": WH2, "mode": "daily"},
                        },
                    }
                ),
                UNFED: ShopConfig.model_validate({"domain": UNFED}),
            }
        )
    )
)


@pytest.fixture
async def pool(isolated_database: IsolatedDatabase) -> AsyncIterator[asyncpg.Pool]:
    async with handler_pool(DEFINITION, isolated_database) as pool:
        yield pool


Send = Callable[..., Awaitable[list[Envelope]]]
"""(message type, payload, **envelope fields) -> what the handler emitted."""


@pytest.fixture
def send(pool: asyncpg.Pool) -> Send:
    async def send(
        message_type: str, data: BaseModel | dict[str, Any], **envelope: Any
    ) -> list[Envelope]:
        message = new_envelope(message_type, data, **{"shop": DOMAIN, **envelope})
        emitted = await handle(pool, DEFINITION, DEPS, message)
        assert emitted == []  # these handlers only record: they send no message
        return emitted

    return send


def test_the_queue_bindings_are_exactly_the_types_it_handles() -> None:
    assert set(DEFINITION.routes.subscriptions) == {
        *(
            Subscription(WMS_EVENTS, t)
            for t in (
                "wms.inventory.snapshot",
                "wms.inventory.adjusted",
                "wms.order.accepted",
                "wms.order.rejected",
                "wms.order.cancelled",
                "wms.order.cancel_result",
                "wms.item.rejected",
            )
        ),
        *(
            Subscription(INTERNAL_EVENTS, t)
            for t in (
                "orders.wms_order.sent",
                "orders.order.cancelled",
                "cancellations.order.restocked",
                "shopify.webhook.orders.create",
                "orders.fulfillment_service.registered",
                "shopify.webhook.customers.redact",
                "shopify.webhook.shop.redact",
                "shopify.webhook.products.create",
                "shopify.webhook.products.update",
                "shopify.webhook.products.delete",
                "shopify.webhook.bulk_operations.finish",
            )
        ),
    }


def part(number: int, parts: int, facility: str = "WH1", **fields: Any) -> dict[str, Any]:
    return {
        "snapshot_id": f"{facility}-S1",
        "facility": facility,
        "as_of": T0,
        "part": number,
        "parts": parts,
        "items": [{"sku": f"SKU-{number}", "available": 5, "on_hand": 5}],
        **fields,
    }


async def test_a_snapshot_part_is_stored_once_and_one_of_an_unfed_facility_is_ignored(
    pool: asyncpg.Pool, send: Send
) -> None:
    await send("wms.inventory.snapshot", part(1, 2))
    await send("wms.inventory.snapshot", part(1, 2))  # the same part, another message id
    await send("wms.inventory.snapshot", part(1, 1, facility="WH9"))

    snapshots = await pool.fetch("SELECT snapshot_id, state FROM snapshots ORDER BY snapshot_id")
    assert [(r["snapshot_id"], r["state"]) for r in snapshots] == [
        ("WH1-S1", "assembling"),
        ("WH9-S1", "ignored"),
    ]
    assert await pool.fetchval("SELECT count(*) FROM snapshot_parts") == 1
    assert await pool.fetchval("SELECT count(*) FROM snapshot_items") == 1

    # A part that disagrees about the snapshot itself fails, and stores nothing.
    with pytest.raises(PartMismatch):
        await send("wms.inventory.snapshot", part(2, 3))
    assert await pool.fetchval("SELECT count(*) FROM snapshot_parts") == 1


def adjusted(sku: str, available: int, as_of: datetime, facility: str = "WH1") -> dict[str, Any]:
    return {
        "facility": facility,
        "sku": sku,
        "available": available,
        "on_hand": available,
        "as_of": as_of,
    }


async def test_an_adjustment_is_the_truth_only_when_newer_and_a_realtime_feed_marks_it_dirty(
    pool: asyncpg.Pool, send: Send
) -> None:
    await send("wms.inventory.adjusted", adjusted("A", 5, T0 + timedelta(seconds=60)))
    await send("wms.inventory.adjusted", adjusted("A", 3, T0 + timedelta(seconds=30)))  # late
    await send("wms.inventory.adjusted", adjusted("B", 7, T0, facility="WH2"))
    await send("wms.inventory.adjusted", adjusted("C", 1, T0, facility="WH9"))  # not fed

    stock = await pool.fetch("SELECT facility, sku, available FROM wms_stock ORDER BY sku")
    assert [tuple(r) for r in stock] == [("WH1", "A", 5), ("WH2", "B", 7)]
    dirty = await pool.fetch("SELECT facility, sku FROM dirty_skus")
    assert [tuple(r) for r in dirty] == [("WH1", "A")]  # WH2 is pushed at its daily run
    counters = await pool.fetchrow(
        "SELECT adjustments_applied, adjustments_late FROM feed_counters WHERE facility = 'WH1'"
    )
    assert counters is not None and tuple(counters) == (1, 1)


def sent(ref: str, lines: dict[str, int], at: datetime = T0) -> dict[str, Any]:
    return {
        "wms_order_ref": ref,
        "shopify_order_id": f"gid://shopify/Order/{ref.strip('#')}",
        "shopify_order_name": ref,
        "fulfillment_order_id": f"gid://shopify/FulfillmentOrder/{ref.strip('#')}",
        "facility": "WH1",
        "location_id": WH1,
        "placed_at": at,
        "sent_at": at,
        "lines": [
            {"line_ref": f"gid://shopify/FulfillmentOrderLineItem/{i}", "sku": s, "quantity": q}
            for i, (s, q) in enumerate(lines.items(), start=1)
        ],
    }


async def test_answers_are_kept_whatever_their_order_and_a_rejection_re_decides_its_skus(
    pool: asyncpg.Pool, send: Send
) -> None:
    accepted_at = T0 + timedelta(minutes=1)
    await send("wms.order.accepted", {"wms_order_ref": "#1"}, occurred_at=accepted_at)
    await send("orders.wms_order.sent", sent("#1", {"A": 2}))  # beaten by its answer
    await send("orders.wms_order.sent", sent("#2", {"B": 1, "C": 4}))
    await send("wms.order.rejected", {"wms_order_ref": "#2", "reason": "unknown SKU"})
    await send("orders.wms_order.sent", sent("#3", {"D": 1}))
    await send("wms.order.cancel_result", {"wms_order_ref": "#3", "outcome": "refused"})

    orders = {
        r["wms_order_ref"]: r
        for r in await pool.fetch(
            "SELECT wms_order_ref, facility, accepted_at, rejected_at, cancelled_at FROM wms_orders"
        )
    }
    assert (orders["#1"]["facility"], orders["#1"]["accepted_at"]) == ("WH1", accepted_at)
    assert orders["#2"]["rejected_at"] is not None
    assert orders["#3"]["cancelled_at"] is None  # the WMS refused to cancel: still in flight
    dirty = await pool.fetch("SELECT sku FROM dirty_skus ORDER BY sku")
    assert [r["sku"] for r in dirty] == ["B", "C"]

    await send("wms.order.cancel_result", {"wms_order_ref": "#3", "outcome": "cancelled"})
    cancelled = await pool.fetchval(
        "SELECT cancelled_at FROM wms_orders WHERE wms_order_ref = '#3'"
    )
    assert cancelled is not None


async def test_a_restock_applies_once_and_raises_what_we_track_by_what_shopify_put_back(
    pool: asyncpg.Pool, send: Send
) -> None:
    await pool.execute(
        "INSERT INTO catalog_items (shop, inventory_item_id, sku, tracked, seen_at) "
        "VALUES ($1, 11, 'A', true, now())",
        DOMAIN,
    )
    await pool.execute(
        "INSERT INTO shopify_levels (shop, location_id, inventory_item_id, available) "
        "VALUES ($1, 101, 11, 4)",
        DOMAIN,
    )
    await send("orders.wms_order.sent", sent("#7", {"A": 2}))
    restock = {
        "restock_id": "cancel-7",
        "wms_order_ref": "#7",
        "shopify_order_id": "gid://shopify/Order/7",
        "facility": "WH1",
        "location_id": WH1,
        "restocked_in_shopify": True,
        "lines": [{"sku": "A", "quantity": 2}],
    }
    for _ in range(2):  # re-sent: a new message id, the same restock
        await send("cancellations.order.restocked", restock)

    assert await pool.fetchval("SELECT available FROM shopify_levels") == 6
    assert await pool.fetchval("SELECT count(*) FROM restocks") == 1
    assert await pool.fetchval("SELECT cancelled_at IS NOT NULL FROM wms_orders") is True


def placed_webhook(order: int, lines: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "webhook_id": str(uuid.uuid4()),
        "topic": "orders/create",
        "received_at": T0,
        "payload": {"admin_graphql_api_id": f"gid://shopify/Order/{order}", "line_items": lines},
    }


async def test_an_order_placed_in_shopify_is_held_until_cancelled_only_in_a_fed_shop(
    pool: asyncpg.Pool, send: Send
) -> None:
    lines = [
        {"sku": "A", "quantity": 2, "requires_shipping": True},
        {"sku": "GIFT", "quantity": 1, "gift_card": True},
    ]
    await send("shopify.webhook.orders.create", placed_webhook(9, lines))
    await send("shopify.webhook.orders.create", placed_webhook(10, lines), shop=UNFED)

    held = await pool.fetch("SELECT shop, order_gid, sku, quantity FROM placed_lines")
    assert [tuple(r) for r in held] == [(DOMAIN, "gid://shopify/Order/9", "A", 2)]

    cancelled = {
        "shopify_order_id": "gid://shopify/Order/9",
        "shopify_order_name": "#9",
        "cancelled_at": T0 + timedelta(minutes=5),
        "reason": "CUSTOMER",
    }
    await send("orders.order.cancelled", cancelled)
    assert await pool.fetchval("SELECT cancelled_at FROM placed_lines") == cancelled["cancelled_at"]
