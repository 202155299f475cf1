"""Webhooks to a local receiver: signature, headers, retries, duplicate/reorder/drop."""

from __future__ import annotations

import asyncio
import json

from shopify_admin.webhooks import verify


async def test_order_create_is_delivered_signed_with_shopify_headers(world, receiver):
    await world.subscribe(receiver.url, "ORDERS_CREATE", "ORDERS_PAID")
    order = await world.sim.create_order(world.domain, [("SKU-00001", 2)])
    await world.sim.simulator.dispatcher.drain()
    assert len(receiver.received) == 2
    topics = {headers["X-Shopify-Topic"] for headers, _ in receiver.received}
    assert topics == {"orders/create", "orders/paid"}
    event_ids = {headers["X-Shopify-Event-Id"] for headers, _ in receiver.received}
    assert len(event_ids) == 1  # one merchant action
    headers, body = receiver.received[0]
    assert verify(body, headers["X-Shopify-Hmac-Sha256"], [world.secret])
    assert headers["X-Shopify-Shop-Domain"] == world.domain
    assert headers["X-Shopify-API-Version"] == "2026-07"
    assert headers["X-Shopify-Webhook-Id"] and headers["X-Shopify-Triggered-At"]
    payload = json.loads(body)
    assert payload["admin_graphql_api_id"] == order["id"]
    assert payload["name"] == order["name"]
    assert payload["line_items"][0]["sku"] == "SKU-00001"
    assert payload["financial_status"] == "paid"


async def test_failed_delivery_is_retried_with_the_same_webhook_id(world, receiver):
    await world.subscribe(receiver.url, "ORDERS_CREATE")
    receiver.failures_left = 2
    await world.sim.create_order(world.domain, [("SKU-00001", 1)])
    await world.sim.simulator.dispatcher.drain()
    assert len(receiver.received) == 1
    log = await world.sim.state(world.domain, "webhooks")
    assert [entry["outcome"] for entry in log] == ["failed", "failed", "delivered"]
    assert len({entry["webhook_id"] for entry in log}) == 1
    assert receiver.received[0][0]["X-Shopify-Webhook-Id"] == log[0]["webhook_id"]


async def test_duplicate_reorder_and_drop_controls(world, receiver):
    await world.subscribe(receiver.url, "ORDERS_CREATE")
    dispatcher = world.sim.simulator.dispatcher
    await world.sim.admin("POST", "/webhooks/controls", {"duplicate_fraction": 1.0})
    await world.sim.create_order(world.domain, [("SKU-00001", 1)])
    await dispatcher.drain()
    assert len(receiver.received) == 2
    assert (
        receiver.received[0][0]["X-Shopify-Webhook-Id"]
        == receiver.received[1][0]["X-Shopify-Webhook-Id"]
    )

    receiver.received.clear()
    await world.sim.admin(
        "POST", "/webhooks/controls", {"duplicate_fraction": 0.0, "reorder": True}
    )
    first = await world.sim.create_order(world.domain, [("SKU-00001", 1)])
    second = await world.sim.create_order(world.domain, [("SKU-00002", 1)])
    await asyncio.sleep(0.05)
    assert receiver.received == []
    assert (await world.sim.admin("POST", "/webhooks/release"))["released"] == 2
    await dispatcher.drain()
    names = [json.loads(body)["name"] for _, body in receiver.received]
    assert names == [second["name"], first["name"]]

    receiver.received.clear()
    await world.sim.admin("POST", "/webhooks/controls", {"drop_fraction": 1.0})
    await world.sim.create_order(world.domain, [("SKU-00003", 1)])
    await dispatcher.drain()
    assert receiver.received == []
    assert (await world.sim.state(world.domain, "webhooks"))[-1]["outcome"] == "dropped"


async def test_compliance_topic_triggered_by_admin(world, receiver):
    await world.subscribe(receiver.url, "APP_UNINSTALLED")
    await world.sim.admin(
        "POST", f"/shops/{world.domain}/trigger/customers/redact", {"uri": receiver.url}
    )
    await world.sim.admin("POST", f"/shops/{world.domain}/trigger/app/uninstalled")
    await world.sim.simulator.dispatcher.drain()
    topics = [headers["X-Shopify-Topic"] for headers, _ in receiver.received]
    assert sorted(topics) == ["app/uninstalled", "customers/redact"]
