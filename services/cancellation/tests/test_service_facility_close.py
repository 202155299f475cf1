"""A warehouse cancellation at a facility connected as a fulfillment service: the worker closes
the fulfillment order as incomplete (fulfillmentOrderClose), once, and cancels nothing.

First the handlers and the worker on the service's real schema, with a small stand-in for
Shopify that keeps each fulfillment order's status and request status as Shopify's protocol
moves them (and can lose an answer after applying it), so every call the worker makes is seen
and counted. Then the whole service on the Shopify simulator's fulfillment-service protocol.
"""

import asyncio
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest

from cancellation import store
from cancellation.app import DEFINITION
from cancellation.settings import CancellationSettings
from cancellation.shopify_worker import ShopifyCancelWorker
from contracts import (
    Envelope,
    FulfillmentOrderLineRef,
    WmsOrderSent,
    new_envelope,
    order_correlation_id,
)
from shop_config import ShopConfig, ShopsConfig
from shopify_admin import ShopifyGraphQLError, ShopifyUnavailable
from shopify_admin.operations import (
    FULFILLMENT_ORDER_CLOSE,
    FULFILLMENT_ORDER_REQUEST_STATE,
    ORDER_CANCEL,
    ORDER_CANCELLATION_STATE,
    Operation,
)
from shopify_admin.results import MutationResult
from testkit.handlers import handle, handler_pool
from testkit.plugin import IsolatedDatabase
from testkit.probe import eventually

from .conftest import DOMAIN, SERVICE_FACILITY, SERVICE_NAME, WorldFactory
from .test_wms_to_shopify import requests

SHOP = "service-close.myshopify.com"
ORDER = "gid://shopify/Order/2001"
WH1_LOCATION = "gid://shopify/Location/11"  # merchant-managed: WH1
WH2_LOCATION = "gid://shopify/Location/77"  # created by Shopify for WH2's fulfillment service
NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)

SHOPS = ShopsConfig(
    {
        SHOP: ShopConfig.model_validate(
            {
                "domain": SHOP,
                "locations": {WH1_LOCATION: "WH1"},
                "facilities": {
                    "WH2": {
                        "mode": "fulfillment_service",
                        "name": "Shipbridge WH2",
                        "callback_url": "https://gateway.example.com",
                    }
                },
            }
        )
    }
)


def fo_gid(n: int) -> str:
    return f"gid://shopify/FulfillmentOrder/{n}"


class FakeShopify:
    """The order's fulfillment orders, answering the worker's queries and mutations as Shopify
    does. `lose_answers`: that many mutations are applied and then answered with a timeout."""

    def __init__(self, fos: Mapping[int, tuple[str, str, str]]) -> None:
        self.fos = {
            fo_gid(n): {"status": s, "requestStatus": r, "location": loc}
            for n, (s, r, loc) in fos.items()
        }
        self.calls: list[str] = []
        self.closes: list[tuple[str, str]] = []
        """Closes Shopify applied: (fulfillment order, message)."""
        self.lose_answers = 0

    async def execute(
        self, operation: Operation, variables: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        args = dict(variables or {})
        self.calls.append(operation.name)
        if operation is FULFILLMENT_ORDER_CLOSE:
            return self._close(args["id"], args["message"])
        if operation is FULFILLMENT_ORDER_REQUEST_STATE:
            fo = self.fos.get(args["id"])
            return {
                "fulfillmentOrder": None
                if fo is None
                else {
                    "id": args["id"],
                    "status": fo["status"],
                    "requestStatus": fo["requestStatus"],
                }
            }
        if operation is ORDER_CANCELLATION_STATE:
            return {
                "order": {
                    "id": ORDER,
                    "name": "#2001",
                    "cancelledAt": None,
                    "cancellation": None,
                    "fulfillmentOrders": {
                        "nodes": [
                            {
                                "id": gid,
                                "status": fo["status"],
                                "assignedLocation": {"location": {"id": fo["location"]}},
                            }
                            for gid, fo in self.fos.items()
                        ],
                        "pageInfo": {"hasNextPage": False},
                    },
                }
            }
        raise AssertionError(f"unexpected call {operation.name}")

    async def execute_mutation(
        self, operation: Operation, variables: Mapping[str, Any] | None = None
    ) -> MutationResult:
        return MutationResult.from_data(await self.execute(operation, variables))

    def _close(self, gid: str, message: str) -> dict[str, Any]:
        fo = self.fos.get(gid)
        if fo is None:
            raise ShopifyGraphQLError(
                "FulfillmentOrderClose",
                [{"message": "Invalid id", "extensions": {"code": "RESOURCE_NOT_FOUND"}}],
            )
        if fo["requestStatus"] != "ACCEPTED" or fo["status"] != "IN_PROGRESS":
            error = {"field": ["id"], "message": "The fulfillment order cannot be closed."}
            return {"fulfillmentOrderClose": {"fulfillmentOrder": None, "userErrors": [error]}}
        fo.update(status="INCOMPLETE", requestStatus="CLOSED")
        self.closes.append((gid, message))
        if self.lose_answers:
            self.lose_answers -= 1
            raise ShopifyUnavailable(
                "FulfillmentOrderClose", 1, "network error: TimeoutError", may_have_executed=True
            )
        node = {"id": gid, "status": fo["status"], "requestStatus": fo["requestStatus"]}
        return {"fulfillmentOrderClose": {"fulfillmentOrder": node, "userErrors": []}}


@pytest.fixture
async def pool(isolated_database: IsolatedDatabase) -> AsyncIterator[asyncpg.Pool]:
    async with handler_pool(DEFINITION, isolated_database) as pool:
        yield pool


def worker(pool: asyncpg.Pool, shopify: FakeShopify) -> ShopifyCancelWorker:
    settings = CancellationSettings(retry_base_s=0.001, retry_max_s=0.001, max_attempts=3)
    return ShopifyCancelWorker(pool, SHOPS, {SHOP: shopify}, settings)


async def deliver(pool: asyncpg.Pool, envelope: Envelope) -> list[Envelope]:
    return await handle(pool, DEFINITION, None, envelope)


async def sent_to(pool: asyncpg.Pool, ref: str, fo: int, facility: str, location: str) -> None:
    sent = WmsOrderSent(
        wms_order_ref=ref,
        shopify_order_id=ORDER,
        shopify_order_name="#2001",
        fulfillment_order_id=fo_gid(fo),
        facility=facility,
        location_id=location,
        placed_at=NOW,
        sent_at=datetime.now(UTC),
        lines=[
            FulfillmentOrderLineRef(
                line_ref=f"gid://shopify/FulfillmentOrderLineItem/{fo}1", sku="MUG", quantity=2
            )
        ],
    )
    envelope = new_envelope(
        "orders.wms_order.sent",
        sent,
        shop=SHOP,
        correlation_id=order_correlation_id(SHOP, ORDER),
    )
    await deliver(pool, envelope)


def warehouse_cancelled(
    ref: str, reason: str = "out_of_stock", note: str | None = None
) -> Envelope:
    data = {"wms_order_ref": ref, "reason": reason, "restock": True, "note": note}
    return new_envelope("wms.order.cancelled", data, shop=SHOP)


async def state_of(pool: asyncpg.Pool, ref: str) -> tuple[str, str | None, str | None, int]:
    row = await pool.fetchrow(
        "SELECT state, detail, action, attempts FROM warehouse_cancellations "
        "WHERE shop = $1 AND wms_order_ref = $2",
        SHOP,
        ref,
    )
    assert row is not None
    return row["state"], row["detail"], row["action"], row["attempts"]


async def run_until_settled(pool: asyncpg.Pool, w: ShopifyCancelWorker, rounds: int = 10) -> None:
    for _ in range(rounds):
        await w.run_once()
        due = await pool.fetchval(
            "SELECT count(*) FROM warehouse_cancellations WHERE state IN ('pending', 'submitted')"
        )
        if due == 0:
            return
        await asyncio.sleep(0.01)


async def restocks(pool: asyncpg.Pool) -> int:
    n: int = await pool.fetchval(
        "SELECT count(*) FROM outbox WHERE message_type = 'cancellations.order.restocked'"
    )
    return n


async def test_the_fulfillment_order_is_closed_with_the_reason_once_and_nothing_cancelled(
    pool: asyncpg.Pool,
) -> None:
    shopify = FakeShopify({301: ("IN_PROGRESS", "ACCEPTED", WH2_LOCATION)})
    await sent_to(pool, "#2001", 301, "WH2", WH2_LOCATION)
    cancelled = warehouse_cancelled("#2001", "damaged", note="forklift")
    # Redelivered, and sent again by the WMS under a new id: one cancellation.
    await deliver(pool, cancelled)
    await deliver(pool, cancelled)
    await deliver(pool, warehouse_cancelled("#2001", "damaged", note="forklift"))

    await run_until_settled(pool, worker(pool, shopify))

    assert shopify.closes == [
        (fo_gid(301), "shipbridge: the warehouse cancelled #2001 at WH2: damaged (forklift)")
    ]
    assert "OrderCancel" not in shopify.calls and "OrderCancellationState" not in shopify.calls
    state, detail, action, _ = await state_of(pool, "#2001")
    assert (state, detail, action) == (
        "closed",
        "closed as incomplete in Shopify by shipbridge",
        "fulfillmentOrderClose",
    )
    # The merchant decides what becomes of it: nothing is restocked.
    assert await restocks(pool) == 0
    async with pool.acquire() as conn:
        summary = await store.status_summary(conn)
    assert summary["counts"]["warehouse_cancellations"] == {"closed": 1}
    [shown] = summary["sent_to_shopify"]
    assert (shown["wms_order_ref"], shown["facility"], shown["action"], shown["outcome"]) == (
        "#2001",
        "WH2",
        "fulfillmentOrderClose",
        "closed",
    )


async def test_a_lost_answer_closes_once(pool: asyncpg.Pool) -> None:
    shopify = FakeShopify({302: ("IN_PROGRESS", "ACCEPTED", WH2_LOCATION)})
    shopify.lose_answers = 1
    await sent_to(pool, "#2002", 302, "WH2", WH2_LOCATION)
    await deliver(pool, warehouse_cancelled("#2002"))
    w = worker(pool, shopify)

    await w.run_once()
    state, detail, _, attempts = await state_of(pool, "#2002")
    assert (state, attempts) == ("pending", 1)
    assert detail is not None and "TimeoutError" in detail

    await run_until_settled(pool, w)
    # The repeat was refused (the fulfillment order is closed); read back, it is done.
    assert len(shopify.closes) == 1
    assert shopify.calls.count("FulfillmentOrderClose") == 2
    assert shopify.calls.count("FulfillmentOrderRequestState") == 1
    state, detail, _, _ = await state_of(pool, "#2002")
    assert (state, detail) == (
        "closed",
        "the fulfillment order was already closed in Shopify (INCOMPLETE)",
    )
    assert await restocks(pool) == 0


async def test_a_close_waits_for_the_request_to_be_accepted(pool: asyncpg.Pool) -> None:
    shopify = FakeShopify({303: ("OPEN", "SUBMITTED", WH2_LOCATION)})
    await sent_to(pool, "#2003", 303, "WH2", WH2_LOCATION)
    await deliver(pool, warehouse_cancelled("#2003"))
    w = worker(pool, shopify)

    await w.run_once()
    state, detail, _, attempts = await state_of(pool, "#2003")
    assert (state, attempts) == ("pending", 1)
    assert (
        detail == "waiting for the fulfillment request to be accepted in Shopify before closing it"
    )

    # order-intake's accept reaches Shopify: the next round closes it.
    shopify.fos[fo_gid(303)].update(status="IN_PROGRESS", requestStatus="ACCEPTED")
    await run_until_settled(pool, w)
    assert [gid for gid, _ in shopify.closes] == [fo_gid(303)]
    assert (await state_of(pool, "#2003"))[0] == "closed"


async def test_a_request_never_accepted_is_given_up_on_and_shown(pool: asyncpg.Pool) -> None:
    shopify = FakeShopify({304: ("OPEN", "SUBMITTED", WH2_LOCATION)})
    await sent_to(pool, "#2004", 304, "WH2", WH2_LOCATION)
    await deliver(pool, warehouse_cancelled("#2004"))

    await run_until_settled(pool, worker(pool, shopify))
    state, detail, _, _ = await state_of(pool, "#2004")
    assert state == "failed" and detail is not None and "accepted" in detail
    assert shopify.closes == []
    async with pool.acquire() as conn:
        summary = await store.status_summary(conn)
    [shown] = summary["needs_attention"]["warehouse_cancellations"]
    assert (shown["wms_order_ref"], shown["state"]) == ("#2004", "failed")


async def test_a_fulfillment_order_the_merchant_cancelled_is_not_closed(pool: asyncpg.Pool) -> None:
    shopify = FakeShopify({305: ("CANCELLED", "CANCELLATION_ACCEPTED", WH2_LOCATION)})
    await sent_to(pool, "#2005", 305, "WH2", WH2_LOCATION)
    await deliver(pool, warehouse_cancelled("#2005"))

    await run_until_settled(pool, worker(pool, shopify))
    state, detail, action, _ = await state_of(pool, "#2005")
    assert (state, action) == ("already_cancelled", "fulfillmentOrderClose")
    assert detail is not None and "CANCELLED" in detail
    assert shopify.closes == []


async def test_an_unknown_fulfillment_order_fails_for_the_operator(pool: asyncpg.Pool) -> None:
    shopify = FakeShopify({})
    await sent_to(pool, "#2006", 306, "WH2", WH2_LOCATION)
    await deliver(pool, warehouse_cancelled("#2006"))

    await run_until_settled(pool, worker(pool, shopify))
    assert (await state_of(pool, "#2006"))[:2] == (
        "failed",
        "the fulfillment order was not found in Shopify",
    )


async def test_in_a_mixed_order_the_service_part_is_closed_and_the_order_not_cancelled(
    pool: asyncpg.Pool,
) -> None:
    shopify = FakeShopify(
        {
            311: ("IN_PROGRESS", "UNSUBMITTED", WH1_LOCATION),
            312: ("IN_PROGRESS", "ACCEPTED", WH2_LOCATION),
        }
    )
    await sent_to(pool, "#2011-1", 311, "WH1", WH1_LOCATION)
    await sent_to(pool, "#2011-2", 312, "WH2", WH2_LOCATION)
    await deliver(pool, warehouse_cancelled("#2011-1"))
    await deliver(pool, warehouse_cancelled("#2011-2"))

    await run_until_settled(pool, worker(pool, shopify))

    assert [gid for gid, _ in shopify.closes] == [fo_gid(312)]
    assert (await state_of(pool, "#2011-2"))[0] == "closed"
    # The location's part goes the orderCancel way, which finds WH2's fulfillment order back
    # with the merchant (INCOMPLETE): the order is not cancelled, an operator looks.
    state, detail, action, _ = await state_of(pool, "#2011-1")
    assert (state, action) == ("needs_operator", "orderCancel")
    assert detail is not None and f"{fo_gid(312)} (INCOMPLETE) at {WH2_LOCATION} (WH2)" in detail
    assert ORDER_CANCEL.name not in shopify.calls
    assert await restocks(pool) == 0


# --- end to end, on the Shopify simulator's fulfillment-service protocol -----------------------


async def test_on_the_simulator_the_service_fulfillment_order_goes_back_to_the_merchant(
    world: WorldFactory,
) -> None:
    async with world(service=True) as w:
        order = await w.create_order([("SKU-00001", 2, SERVICE_NAME)])
        [fo] = w.shop.fulfillment_orders_of(w.sim_order(order["id"]))
        assert fo.request_status == "SUBMITTED"  # the merchant's automation asked the service
        # order-intake: the WMS order goes out, the warehouse accepts, the request is accepted.
        [sent] = await w.send_to_wms(order)
        assert sent.facility == SERVICE_FACILITY
        await w.accept_request(sent.fulfillment_order_id)
        # Slow answers, then lost ones: our close runs in Shopify and we do not hear so.
        await w.sim.admin("POST", "/faults", {"lost_answer_fraction": 1.0})
        await w.wms.cancel_now(sent.wms_order_ref, "out_of_stock", DOMAIN)
        await eventually(lambda: fo.status == "INCOMPLETE")
        await w.sim.admin("DELETE", "/faults")

        detail = await w.wait_warehouse(sent.wms_order_ref, "closed")
        assert detail == "the fulfillment order was already closed in Shopify (INCOMPLETE)"
        await w.settled()
        # Closed once, with the warehouse's reason; the order is not cancelled, nothing restocked.
        closes = [r for r in fo.service_responses if r.kind == "CLOSED"]
        assert [r.message for r in closes] == [
            f"shipbridge: the warehouse cancelled {sent.wms_order_ref} at WH3: out_of_stock"
        ]
        assert (fo.status, fo.request_status) == ("INCOMPLETE", "CLOSED")
        assert w.sim_order(order["id"]).cancelled_at is None
        assert requests(w, "OrderCancel") == 0 and requests(w, "FulfillmentOrderClose") >= 2
        assert w.restocks() == []
        [shown] = (await w.status())["sent_to_shopify"]
        assert (shown["action"], shown["outcome"], shown["facility"]) == (
            "fulfillmentOrderClose",
            "closed",
            "WH3",
        )


async def test_on_the_simulator_a_location_order_of_the_same_shop_is_cancelled_as_before(
    world: WorldFactory,
) -> None:
    async with world(service=True) as w:
        order = await w.create_order([("SKU-00002", 1, "Shop location")])
        [sent] = await w.send_to_wms(order)
        await w.wms.cancel_now(sent.wms_order_ref, "damaged", DOMAIN)
        assert await w.wait_warehouse(sent.wms_order_ref, "cancelled") == (
            "cancelled in Shopify by shipbridge"
        )
        assert w.sim_order(order["id"]).cancel_reason == "INVENTORY"
        await w.settled()
        [restock] = w.restocks()
        assert restock.facility == "WH1"
        assert requests(w, "FulfillmentOrderClose") == 0
