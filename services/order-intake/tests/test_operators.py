"""order-intake for operators and for privacy: background downloads with progress, customer
redaction and data export, retention, and shops that uninstalled the app."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from contracts import (
    new_envelope,
    order_correlation_id,
)
from contracts.internal import SubscribedTopic
from messaging import list_dead_letters
from messaging.amqp import publish_envelope
from shopify_sim.testing import SHIPPING_ADDRESS
from testkit.probe import eventually
from testkit.webhooks import webhook_envelope

from .conftest import DOMAIN, IntakeFactory, IntakeWorld

# A second customer, whose data must survive the first one's redaction.
OTHER_ADDRESS = {**SHIPPING_ADDRESS, "firstName": "Ada", "lastName": "Other",
                 "address1": "9 Elm Rd", "phone": "+1 416 555 0199"}  # fmt: skip
CANCEL = (
    "mutation($id: ID!) { orderCancel(orderId: $id, reason: CUSTOMER, restock: true) "
    "{ orderCancelUserErrors { message } } }"
)


async def get(world: IntakeWorld, path: str) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as http, http.get(f"{world.base_url}{path}") as resp:
        return resp.status, await resp.json()


async def publish_webhook(
    world: IntakeWorld,
    topic: SubscribedTopic,
    payload: dict[str, Any],
    *,
    correlation_id: uuid.UUID | None = None,
    triggered_at: datetime | None = None,
) -> None:
    envelope = webhook_envelope(
        topic, payload, shop=DOMAIN, triggered_at=triggered_at, correlation_id=correlation_id
    )
    await world.webhook(topic, "", envelope=envelope)


async def ship_to(world: IntakeWorld, order_gid: str) -> dict[str, Any] | None:
    rows = await world.runtime.pool.fetch(
        "SELECT sent_payload FROM wms_orders WHERE shop = $1 AND order_gid = $2", DOMAIN, order_gid
    )
    assert len(rows) == 1
    ship: dict[str, Any] = rows[0]["sent_payload"]["ship_to"]
    return ship


def numeric_id(order_gid: str) -> int:
    return int(order_gid.rsplit("/", 1)[1])


async def test_a_background_download_shows_progress_and_its_result(intake: IntakeFactory) -> None:
    async with intake() as world:
        orders = [await world.create_order([("SKU-00001", 1, "Shop location")]) for _ in range(3)]
        since = (datetime.now(UTC) - timedelta(hours=1)).isoformat()

        status, job = await world.post("/orders/downloads", {"shop": DOMAIN, "since": since})
        assert status == 202
        assert job["state"] == "running"

        async def finished() -> bool:
            nonlocal job
            job = (await get(world, f"/orders/downloads/{job['job_id']}"))[1]
            return bool(job["state"] != "running")

        await eventually(finished)
        assert (job["state"], job["progress"], job["error"]) == ("done", 1.0, None)
        assert job["orders_seen"] == 3
        assert job["wms_orders_created"] == 3
        await world.wait_creates(orders[-1]["name"], 1)

        assert (await world.post("/orders/downloads", {"shop": "x.myshopify.com",
                                                      "since": since}))[0] == 404  # fmt: skip
        status, error = await world.post("/orders/downloads", {"shop": DOMAIN, "since": "soon"})
        assert (status, error["error"]) == (400, "since must be an ISO 8601 timestamp")
        assert (await get(world, "/orders/downloads/nope"))[0] == 404


async def test_redacting_a_customer_erases_their_data_and_only_theirs(
    intake: IntakeFactory,
) -> None:
    async with intake() as world:
        mine = await world.create_order([("SKU-00002", 1, "Shop location")])
        other = await world.create_order(
            [("SKU-00003", 1, "Shop location")], shippingAddress=OTHER_ADDRESS
        )
        for order in (mine, other):
            await world.webhook("orders/create", order["id"])
        await world.wait_creates(mine["name"], 1)
        await world.wait_creates(other["name"], 1)
        # A webhook about the customer's order that could not be handled: kept as a dead letter,
        # with the customer in it.
        await publish_webhook(
            world,
            "orders/updated",
            {"email": "sam@example.com", "shipping_address": {"address1": "1 Main St"}},
            correlation_id=order_correlation_id(DOMAIN, mine["id"]),
        )
        await eventually(lambda: _dead_letter_count(world, 1))

        status, export = await world.post(
            "/privacy/export", {"shop": DOMAIN, "order_ids": [mine["id"]]}
        )
        assert status == 200
        [record] = export["wms_orders"]
        assert (record["order_name"], record["personal_data_erased_at"]) == (mine["name"], None)
        assert record["personal_data"]["$.ship_to.name"] == "Sam Buyer"
        assert record["personal_data"]["$.ship_to.address1"] == "1 Main St"
        [held] = export["held_messages"]
        assert held["kept_in"] == "dead_letters"
        assert held["personal_data"]["$.payload.email"] == "sam@example.com"

        await publish_webhook(
            world,
            "customers/redact",
            {"shop_domain": DOMAIN, "customer": {"id": 1, "email": "sam@example.com"},
             "orders_to_redact": [numeric_id(mine["id"])]},
        )  # fmt: skip

        async def erased() -> bool:
            return (await ship_to(world, mine["id"]) or {}).get("name") == "[redacted]"

        await eventually(erased)
        assert await ship_to(world, mine["id"]) == {
            "name": "[redacted]", "company": None, "address1": "[redacted]", "address2": None,
            "city": "[redacted]", "province_code": "ON", "postal_code": "[redacted]",
            "country_code": "CA", "phone": None, "email": None,
        }  # fmt: skip
        assert (await ship_to(world, other["id"]) or {})["name"] == "Ada Other"
        [dead] = await world.runtime.pool.fetch("SELECT body, reason, headers FROM dead_letters")
        assert b"sam@example.com" not in dead["body"]
        assert b"1 Main St" not in dead["body"]
        _, export = await world.post("/privacy/export", {"shop": DOMAIN, "order_ids": [mine["id"]]})
        assert export["wms_orders"][0]["personal_data"] == {}
        assert export["wms_orders"][0]["personal_data_erased_at"] is not None
        assert export["held_messages"] == []

        # Later edits of the order still work against the scrubbed payload: nothing is re-sent.
        await world.webhook("orders/updated", mine["id"])
        await world.settled()
        assert len(world.creates_for(mine["name"])) == 1


async def _dead_letter_count(world: IntakeWorld, count: int) -> bool:
    return len(await list_dead_letters(world.runtime.pool)) == count


async def test_personal_data_of_orders_shipped_or_cancelled_past_retention_is_erased(
    intake: IntakeFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    retention_s = 1.5
    monkeypatch.setenv("PERSONAL_DATA_RETENTION_DAYS", str(retention_s / 86400))
    monkeypatch.setenv("RETENTION_CHECK_INTERVAL_S", "0.2")
    async with intake() as world:
        shipped, waiting, cancelled = [
            await world.create_order([("SKU-00004", 1, "Shop location")]) for _ in range(3)
        ]
        for order in (shipped, waiting, cancelled):
            await world.webhook("orders/create", order["id"])
        [create] = await world.wait_creates(shipped["name"], 1)
        await world.wait_creates(waiting["name"], 1)
        await world.wait_creates(cancelled["name"], 1)

        line = create["lines"][0]
        synced = new_envelope(
            "fulfillments.shipment.synced",
            {"shipment_id": "SHP-1", "wms_order_ref": create["wms_order_ref"],
             "shopify_order_id": shipped["id"],
             "fulfillment_order_id": create["fulfillment_order_id"],
             "fulfillment_id": "gid://shopify/Fulfillment/1",
             "lines": [{"line_ref": line["line_ref"], "sku": line["sku"], "quantity": 1}],
             "fulfillment_order_complete": True},
            shop=DOMAIN,
        )  # fmt: skip
        await publish_envelope(world.channel, synced)
        answer = await world.sim.run_as_storefront(DOMAIN, CANCEL, {"id": cancelled["id"]})
        assert answer["data"]["orderCancel"]["orderCancelUserErrors"] == []
        await world.webhook("orders/cancelled", cancelled["id"])
        await world.wait_state(cancelled["id"], "cancelled")

        async def both_erased() -> bool:
            shipped_to = await ship_to(world, shipped["id"]) or {}
            cancelled_to = await ship_to(world, cancelled["id"]) or {}
            return shipped_to.get("name") == cancelled_to.get("name") == "[redacted]"

        await eventually(both_erased, timeout_s=15)
        await asyncio.sleep(retention_s + 0.5)  # the unshipped order is past the period too
        assert (await ship_to(world, waiting["id"]) or {})["name"] == "Sam Buyer"
        retention = (await get(world, "/status"))[1]["retention"]
        assert retention["wms_orders_erased"] == 2
        assert retention["last_error"] is None


async def test_an_uninstalled_shop_is_neither_polled_nor_synced_until_it_is_back(
    intake: IntakeFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORDER_INTAKE_POLL_CHECK_INTERVAL_S", "0.1")
    async with intake(mode="both") as world:
        pool = world.runtime.pool

        async def last_poll() -> datetime | None:
            at: datetime | None = await pool.fetchval(
                "SELECT last_poll_at FROM poll_state WHERE shop = $1", DOMAIN
            )
            return at

        async def make_poll_due() -> datetime:
            """Pretend the last poll was a day ago; returns that moment."""
            day_ago = datetime.now(UTC) - timedelta(days=1)
            await pool.execute(
                "UPDATE poll_state SET last_poll_at = $2 WHERE shop = $1", DOMAIN, day_ago
            )
            return day_ago

        async def polled_since(moment: datetime) -> bool:
            at = await last_poll()
            return at is not None and at > moment

        await eventually(lambda: polled_since(datetime.now(UTC) - timedelta(hours=1)))
        due_since = await make_poll_due()
        await eventually(lambda: polled_since(due_since))  # an installed shop is polled

        uninstalled_at = datetime.now(UTC)
        await publish_webhook(world, "app/uninstalled", {"id": 1}, triggered_at=uninstalled_at)

        async def shown() -> bool:
            return DOMAIN in (await get(world, "/status"))[1]["uninstalled_shops"]

        await eventually(shown)
        due_since = await make_poll_due()
        order = await world.create_order([("SKU-00005", 1, "Shop location")])
        # Sent before the uninstall, delivered after it: ignored.
        await publish_webhook(
            world,
            "orders/create",
            {"id": numeric_id(order["id"])},
            triggered_at=uninstalled_at - timedelta(seconds=1),
        )
        await asyncio.sleep(1.0)
        assert await last_poll() == due_since
        assert world.creates_for(order["name"]) == []

        # A webhook raised after the uninstall: the app is installed again.
        await publish_webhook(
            world,
            "orders/updated",
            {"id": numeric_id(order["id"])},
            triggered_at=uninstalled_at + timedelta(seconds=1),
        )
        await world.wait_creates(order["name"], 1)
        assert not await shown()
        await eventually(lambda: polled_since(due_since))
