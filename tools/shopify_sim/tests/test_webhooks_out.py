"""Webhooks to a local receiver: signature, headers, retries, duplicate/reorder/drop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiohttp import web

from shopify_admin.webhooks import verify

SUBSCRIBE = """mutation($topic: WebhookSubscriptionTopic!, $sub: WebhookSubscriptionInput!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $sub) {
    webhookSubscription { id topic uri } userErrors { field message } } }"""


@dataclass
class Receiver:
    url: str
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    failures_left: int = 0


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    state = Receiver(url="")

    async def handle(request: web.Request) -> web.Response:
        body = await request.read()
        if state.failures_left:
            state.failures_left -= 1
            return web.Response(status=500)
        state.received.append((dict(request.headers), body))
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post("/webhooks", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    state.url = f"http://127.0.0.1:{port}/webhooks"
    yield state
    await runner.cleanup()


async def _subscribe(world, receiver, *topics):
    for topic in topics:
        body = await world.gql(
            SUBSCRIBE, {"topic": topic, "sub": {"uri": receiver.url, "format": "JSON"}}
        )
        assert body["data"]["webhookSubscriptionCreate"]["userErrors"] == []


async def test_order_create_is_delivered_signed_with_shopify_headers(world, receiver):
    await _subscribe(world, receiver, "ORDERS_CREATE", "ORDERS_PAID")
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
    import json

    payload = json.loads(body)
    assert payload["admin_graphql_api_id"] == order["id"]
    assert payload["name"] == order["name"]
    assert payload["line_items"][0]["sku"] == "SKU-00001"
    assert payload["financial_status"] == "paid"


async def test_failed_delivery_is_retried_with_the_same_webhook_id(world, receiver):
    await _subscribe(world, receiver, "ORDERS_CREATE")
    receiver.failures_left = 2
    await world.sim.create_order(world.domain, [("SKU-00001", 1)])
    await world.sim.simulator.dispatcher.drain()
    assert len(receiver.received) == 1
    log = await world.sim.state(world.domain, "webhooks")
    assert [entry["outcome"] for entry in log] == ["failed", "failed", "delivered"]
    assert len({entry["webhook_id"] for entry in log}) == 1
    assert receiver.received[0][0]["X-Shopify-Webhook-Id"] == log[0]["webhook_id"]


async def test_duplicate_reorder_and_drop_controls(world, receiver):
    await _subscribe(world, receiver, "ORDERS_CREATE")
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
    import json

    names = [json.loads(body)["name"] for _, body in receiver.received]
    assert names == [second["name"], first["name"]]

    receiver.received.clear()
    await world.sim.admin("POST", "/webhooks/controls", {"drop_fraction": 1.0})
    await world.sim.create_order(world.domain, [("SKU-00003", 1)])
    await dispatcher.drain()
    assert receiver.received == []
    assert (await world.sim.state(world.domain, "webhooks"))[-1]["outcome"] == "dropped"


async def test_compliance_topic_triggered_by_admin(world, receiver):
    await _subscribe(world, receiver, "APP_UNINSTALLED")
    await world.sim.admin(
        "POST", f"/shops/{world.domain}/trigger/customers/redact", {"uri": receiver.url}
    )
    await world.sim.admin("POST", f"/shops/{world.domain}/trigger/app/uninstalled")
    await world.sim.simulator.dispatcher.drain()
    topics = [headers["X-Shopify-Topic"] for headers, _ in receiver.received]
    assert sorted(topics) == ["app/uninstalled", "customers/redact"]
