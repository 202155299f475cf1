"""order-intake's message handlers, each called as its consumer calls it: in one transaction on
the service's own migrated schema, without a broker, Shopify or the sync worker
(testkit.handlers). What a handler leaves is what the worker and /status read: reads asked
for, WMS answers recorded, the uninstall mark, messages emitted."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from contracts import (
    Envelope,
    WmsOrderCreate,
    WmsOrderReduced,
    new_envelope,
)
from contracts.internal import SubscribedTopic
from contracts.wms import Address, OrderLine, ShippingMethod
from order_intake.app import DEFINITION
from order_intake.deps import IntakeDeps
from shop_config import ShopConfig, ShopsConfig
from testkit.handlers import handle, handler_pool
from testkit.plugin import IsolatedDatabase
from testkit.webhooks import webhook_envelope

DOMAIN = "handlers.myshopify.com"
POLLING_ONLY = "polling-only.myshopify.com"
DEPS = IntakeDeps(
    ShopsConfig(
        {
            domain: ShopConfig.model_validate({"domain": domain, "order_download": {"mode": mode}})
            for domain, mode in ((DOMAIN, "webhooks"), (POLLING_ONLY, "polling"))
        }
    )
)
ORDER = "gid://shopify/Order/7001"
FO = "gid://shopify/FulfillmentOrder/71"
LINE = "gid://shopify/FulfillmentOrderLineItem/711"


@pytest.fixture
async def pool(isolated_database: IsolatedDatabase) -> AsyncIterator[asyncpg.Pool]:
    async with handler_pool(DEFINITION, isolated_database) as pool:
        yield pool


def webhook(
    topic: SubscribedTopic,
    payload: dict[str, Any],
    *,
    shop: str = DOMAIN,
    triggered_at: datetime | None = None,
) -> Envelope:
    return webhook_envelope(topic, payload, shop=shop, triggered_at=triggered_at)


def wms_event(message_type: str, data: dict[str, Any]) -> Envelope:
    return new_envelope(message_type, data, shop=DOMAIN)


async def reads_asked(pool: asyncpg.Pool) -> dict[tuple[str, str], tuple[int, str]]:
    """Each pending read: how many triggers asked for it, and the last one's reason."""
    rows = await pool.fetch("SELECT shop, order_gid, generation, reason FROM pending_syncs")
    return {(r["shop"], r["order_gid"]): (r["generation"], r["reason"]) for r in rows}


async def test_every_order_webhook_asks_for_one_read_of_its_order(pool: asyncpg.Pool) -> None:
    topics: list[SubscribedTopic] = ["orders/create", "orders/paid", "orders/updated"]
    for topic in topics:
        assert await handle(pool, DEFINITION, DEPS, webhook(topic, {"id": 7001})) == []
    # orders/edited names its order inside the edit.
    edited = webhook("orders/edited", {"order_edit": {"order_id": 7001}})
    assert await handle(pool, DEFINITION, DEPS, edited) == []

    assert await reads_asked(pool) == {(DOMAIN, ORDER): (4, "webhook orders/edited")}


async def test_a_polling_only_shop_and_a_shop_not_served_here_ask_for_nothing(
    pool: asyncpg.Pool,
) -> None:
    for envelope in (
        webhook("orders/create", {"id": 7001}, shop=POLLING_ONLY),
        webhook("fulfillment_orders/moved", {"fulfillment_order": {"id": FO}}, shop=POLLING_ONLY),
        webhook("orders/create", {"id": 7001}, shop="elsewhere.myshopify.com"),
    ):
        assert await handle(pool, DEFINITION, DEPS, envelope) == []

    assert await reads_asked(pool) == {}


async def test_a_webhook_naming_no_order_fails_so_that_it_is_kept_as_a_dead_letter(
    pool: asyncpg.Pool,
) -> None:
    with pytest.raises(ValueError, match="without an order id"):
        await handle(pool, DEFINITION, DEPS, webhook("orders/updated", {"name": "#7001"}))
    with pytest.raises(ValueError, match="names no fulfillment order"):
        await handle(pool, DEFINITION, DEPS, webhook("fulfillment_orders/hold_released", {}))
    assert await reads_asked(pool) == {}


async def test_a_fulfillment_order_webhook_asks_for_a_read_of_the_order_holding_the_fo(
    pool: asyncpg.Pool,
) -> None:
    await pool.execute(
        "INSERT INTO orders (shop, order_gid, order_name, state, shopify_updated_at, "
        "fulfillment_order_ids) VALUES ($1, $2, '#7001', 'sent', now(), $3)",
        DOMAIN,
        ORDER,
        [FO],
    )
    moved = webhook(
        "fulfillment_orders/moved",
        {"original_fulfillment_order": {"id": FO}, "moved_fulfillment_order": {"id": 72}},
    )
    assert await handle(pool, DEFINITION, DEPS, moved) == []
    assert await reads_asked(pool) == {(DOMAIN, ORDER): (1, "webhook fulfillment_orders/moved")}

    # An FO never seen belongs to an order not read yet: its own webhooks will bring it in.
    unknown = webhook("fulfillment_orders/split", {"fulfillment_order": {"id": 99}})
    assert await handle(pool, DEFINITION, DEPS, unknown) == []
    assert await reads_asked(pool) == {(DOMAIN, ORDER): (1, "webhook fulfillment_orders/moved")}


async def test_an_uninstall_drops_the_shops_reads_until_a_later_webhook_shows_it_is_back(
    pool: asyncpg.Pool,
) -> None:
    uninstalled_at = datetime.now(UTC)
    await handle(pool, DEFINITION, DEPS, webhook("orders/create", {"id": 7001}))
    uninstalled = webhook("app/uninstalled", {"id": 1}, triggered_at=uninstalled_at)
    assert await handle(pool, DEFINITION, DEPS, uninstalled) == []
    assert await reads_asked(pool) == {}

    # Raised before the uninstall, delivered after it: ignored.
    before = uninstalled_at - timedelta(seconds=1)
    await handle(
        pool, DEFINITION, DEPS, webhook("orders/updated", {"id": 7001}, triggered_at=before)
    )
    assert await reads_asked(pool) == {}
    assert await pool.fetchval("SELECT count(*) FROM uninstalled_shops") == 1

    # Raised after it: only a reinstalled app can have sent it.
    after = uninstalled_at + timedelta(seconds=1)
    await handle(
        pool, DEFINITION, DEPS, webhook("orders/updated", {"id": 7001}, triggered_at=after)
    )
    assert await reads_asked(pool) == {(DOMAIN, ORDER): (1, "webhook orders/updated")}
    assert await pool.fetchval("SELECT count(*) FROM uninstalled_shops") == 0


async def insert_sent_wms_order(
    pool: asyncpg.Pool, *, pending_kind: str | None = None, units: int = 3
) -> None:
    """A WMS order sent with `units` of one line; with a reduce of one unit (or a cancel)
    waiting for the warehouse's answer when `pending_kind` says so."""
    create = WmsOrderCreate(
        wms_order_ref="#7001",
        shopify_order_id=ORDER,
        shopify_order_name="#7001",
        fulfillment_order_id=FO,
        facility="WH1",
        placed_at=datetime.now(UTC),
        on_hold=False,
        cash_on_delivery=False,
        shipping_method=ShippingMethod(code="standard", title="Standard"),
        ship_to=Address(name="Sam", address1="1 Main St", city="Toronto", country_code="CA"),
        lines=[OrderLine(line_ref=LINE, sku="SKU-1", quantity=units, title="Mug")],
    )
    pending_lines = (
        [{"line_ref": LINE, "sku": "SKU-1", "quantity": 1}] if pending_kind == "reduce" else None
    )
    await pool.execute(
        """
        INSERT INTO wms_orders (shop, wms_order_ref, order_gid, fulfillment_order_id, facility,
                                on_hold, sent_payload, pending_kind, pending_lines,
                                pending_change, pending_since)
        VALUES ($1, '#7001', $2, $3, 'WH1', false, $4, $5, $6, $7,
                CASE WHEN $5::text IS NOT NULL THEN now() END)
        """,
        DOMAIN,
        ORDER,
        FO,
        create.model_dump(mode="json"),
        pending_kind,
        pending_lines,
        None if pending_kind is None else "a unit moved away",
    )


async def test_a_confirmed_reduce_is_announced_once_and_asks_for_the_order_again(
    pool: asyncpg.Pool,
) -> None:
    await insert_sent_wms_order(pool, pending_kind="reduce")
    answer = {"wms_order_ref": "#7001", "outcome": "reduced",
              "lines": [{"line_ref": LINE, "sku": "SKU-1", "quantity": 1}]}  # fmt: skip

    [announced] = await handle(pool, DEFINITION, DEPS, wms_event("wms.order.reduce_result", answer))

    assert announced.type == "orders.wms_order.reduced"
    reduced = announced.data_as(WmsOrderReduced)
    assert (reduced.wms_order_ref, reduced.fulfillment_order_id, reduced.cancelled) == (
        "#7001",
        FO,
        False,
    )
    assert [(x.line_ref, x.sku, x.quantity) for x in reduced.lines] == [(LINE, "SKU-1", 2)]
    assert await pool.fetchval("SELECT assigned FROM wms_orders") == {LINE: 2}
    # The units that waited for the answer can go out now.
    assert await reads_asked(pool) == {(DOMAIN, ORDER): (1, "wms reduce confirmed")}

    # The same answer again (a new message id): nothing more.
    assert await handle(pool, DEFINITION, DEPS, wms_event("wms.order.reduce_result", answer)) == []


async def test_a_refused_cancel_is_kept_for_operators_and_nothing_goes_out(
    pool: asyncpg.Pool,
) -> None:
    await insert_sent_wms_order(pool, pending_kind="cancel")
    refused = {"wms_order_ref": "#7001", "outcome": "refused", "reason": "picking started"}

    assert await handle(pool, DEFINITION, DEPS, wms_event("wms.order.cancel_result", refused)) == []

    row = await pool.fetchrow(
        "SELECT pending_kind, refused_kind, refused_reason, refused_change FROM wms_orders"
    )
    assert row is not None
    assert dict(row) == {
        "pending_kind": None,
        "refused_kind": "cancel",
        "refused_reason": "picking started",
        "refused_change": "a unit moved away",
    }
    assert await reads_asked(pool) == {}


async def test_wms_answers_to_creates_are_recorded_and_unknown_refs_are_left_alone(
    pool: asyncpg.Pool,
) -> None:
    await insert_sent_wms_order(pool)
    rejected = {"wms_order_ref": "#7001", "reason": "unknown SKU"}
    assert await handle(pool, DEFINITION, DEPS, wms_event("wms.order.rejected", rejected)) == []
    # Another integration's order on the same WMS: not ours, not an error.
    other = wms_event("wms.order.accepted", {"wms_order_ref": "#OTHER-1"})
    assert await handle(pool, DEFINITION, DEPS, other) == []

    rows = await pool.fetch("SELECT wms_order_ref, wms_state, wms_reason FROM wms_orders")
    assert [tuple(r) for r in rows] == [("#7001", "rejected", "unknown SKU")]


async def test_retention_starts_when_a_shipment_leaves_nothing_to_ship(
    pool: asyncpg.Pool,
) -> None:
    await insert_sent_wms_order(pool)

    def synced(complete: bool) -> Envelope:
        return new_envelope(
            "fulfillments.shipment.synced",
            {"shipment_id": "SHP-1", "wms_order_ref": "#7001", "shopify_order_id": ORDER,
             "fulfillment_order_id": FO, "fulfillment_id": "gid://shopify/Fulfillment/1",
             "lines": [{"line_ref": LINE, "sku": "SKU-1", "quantity": 1}],
             "fulfillment_order_complete": complete},
            shop=DOMAIN,
        )  # fmt: skip

    await handle(pool, DEFINITION, DEPS, synced(complete=False))
    assert await pool.fetchval("SELECT shipped_at FROM wms_orders") is None
    await handle(pool, DEFINITION, DEPS, synced(complete=True))
    assert await pool.fetchval("SELECT shipped_at FROM wms_orders") is not None
