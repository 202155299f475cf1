"""POST /webhooks/shopify on a real gateway: accepted once, published once, rejected cleanly."""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import aiohttp
import pytest

from contracts import SUBSCRIBED_TOPICS, order_correlation_id, webhook_message_type
from contracts.webhook_bodies import OrderLineOnTheBus, OrderOnTheBus, trimmed_as_order
from service_runtime import ServiceRuntime
from testkit.probe import eventually
from testkit.tap import Tap
from webhook_gateway.settings import GatewaySettings
from webhook_gateway.store import purge_deliveries
from webhook_gateway.testing import (
    PREVIOUS_SECRET,
    SHOP,
    SHOP_WITHOUT_SECRET,
    post_webhook,
    sample,
    signed_headers,
)

ORDER_GID = "gid://shopify/Order/820982911946154508"


async def stored(runtime: ServiceRuntime) -> tuple[int, int]:
    """(delivery rows, outbox rows): what a rejected request must not have left behind."""
    deliveries = await runtime.pool.fetchval("SELECT count(*) FROM deliveries")
    outbox = await runtime.pool.fetchval("SELECT count(*) FROM outbox")
    return deliveries, outbox


async def status_of(runtime: ServiceRuntime) -> dict[str, Any]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{runtime.port}/status") as resp,
    ):
        body = await resp.json()
    webhooks: dict[str, Any] = body["webhooks"]
    return webhooks


async def settle() -> None:
    """Long enough for a wrongly published extra message to have reached the tap."""
    await asyncio.sleep(0.5)


@pytest.mark.parametrize("topic", SUBSCRIBED_TOPICS)
async def test_each_subscribed_sample_is_published_once_with_its_payload(
    gateway: ServiceRuntime, tap: Tap, topic: str
) -> None:
    body = sample(topic)
    headers = signed_headers(body, topic=topic)
    answer = await post_webhook(gateway, body, headers)
    assert (answer.status, answer.body) == (200, {"status": "accepted"})

    await eventually(lambda: len(tap.messages) == 1)
    await settle()
    [message] = tap.tapped
    envelope = message.body
    assert message.routing_key == webhook_message_type(topic) == envelope["type"]
    assert message.amqp_message_id == envelope["id"]
    assert envelope["shop"] == SHOP
    data = envelope["data"]
    assert data["payload"] == payload_on_the_bus(topic, body)
    assert data["topic"] == topic
    assert data["webhook_id"] == headers["X-Shopify-Webhook-Id"]
    assert data["event_id"] == headers["X-Shopify-Event-Id"]
    assert data["api_version"] == "2026-07"
    assert data["triggered_at"] == "2026-11-22T10:00:00.123000Z"
    if trimmed_as_order(topic):
        assert envelope["correlation_id"] == str(order_correlation_id(SHOP, ORDER_GID))
    assert await stored(gateway) == (1, 0)  # delivery kept, outbox drained by the relay


def payload_on_the_bus(topic: str, body: bytes) -> dict[str, Any]:
    """The body as received, or for an order topic the fields contracts.webhook_bodies names."""
    received: dict[str, Any] = json.loads(body)
    if not trimmed_as_order(topic):
        return received
    kept = {k: v for k, v in received.items() if k in OrderOnTheBus.__struct_fields__}
    kept["line_items"] = [
        {k: v for k, v in line.items() if k in OrderLineOnTheBus.__struct_fields__}
        for line in received["line_items"]
    ]
    return kept


@pytest.mark.parametrize("topic", [t for t in SUBSCRIBED_TOPICS if trimmed_as_order(t)])
async def test_order_webhooks_reach_the_bus_without_personal_data(
    gateway: ServiceRuntime, tap: Tap, topic: str
) -> None:
    body = sample(topic)
    received = json.loads(body)
    assert (await post_webhook(gateway, body, signed_headers(body, topic=topic))).status == 200
    await eventually(lambda: len(tap.messages) == 1)
    published = tap.tapped[0].raw
    payload = json.loads(published)["data"]["payload"]
    assert payload["admin_graphql_api_id"] == ORDER_GID
    assert [(line["sku"], line["quantity"]) for line in payload["line_items"]] == [
        (line["sku"], line["quantity"]) for line in received["line_items"]
    ]
    personal = [
        received["email"],
        received["customer"]["first_name"],
        received["shipping_address"]["address1"],
        received["billing_address"]["phone"],
    ]
    assert all(value and value.encode() not in published for value in personal)
    assert len(published) < len(body) / 4


async def test_an_order_body_with_lines_that_are_not_objects_still_triggers_its_order(
    gateway: ServiceRuntime, tap: Tap
) -> None:
    body = json.dumps({"id": 42, "line_items": [1, 2]}).encode()
    assert (await post_webhook(gateway, body, signed_headers(body))).status == 200
    await eventually(lambda: len(tap.messages) == 1)
    payload = tap.tapped[0].body["data"]["payload"]
    assert payload == {"id": 42, "admin_graphql_api_id": None}


async def test_deliveries_about_one_order_share_a_correlation_id(
    gateway: ServiceRuntime, tap: Tap
) -> None:
    for topic in ("orders/create", "orders/paid", "orders/updated"):
        body = sample(topic)
        assert (await post_webhook(gateway, body, signed_headers(body, topic=topic))).status == 200
    await eventually(lambda: len(tap.messages) == 3)
    assert len({t.amqp_correlation_id for t in tap.tapped}) == 1
    assert len({m.id for m in tap.messages}) == 3


async def test_a_repeated_webhook_id_is_answered_200_and_published_once(
    gateway: ServiceRuntime, tap: Tap
) -> None:
    body = sample("orders/create")
    headers = signed_headers(body)
    answers = [await post_webhook(gateway, body, headers) for _ in range(2)]
    # Shopify's retries of one delivery, all at once
    answers += await asyncio.gather(*(post_webhook(gateway, body, headers) for _ in range(10)))
    assert {a.status for a in answers} == {200}

    await eventually(lambda: len(tap.messages) == 1)
    await settle()
    assert len(tap.messages) == 1
    assert await stored(gateway) == (1, 0)
    webhooks = await status_of(gateway)
    assert webhooks["accepted"] == {"last_hour": 1, "total": 1}
    assert webhooks["duplicates"] == 11


async def test_signature_by_the_previous_secret_is_accepted_during_rotation(
    gateway: ServiceRuntime, tap: Tap
) -> None:
    body = sample("orders/paid")
    answer = await post_webhook(
        gateway, body, signed_headers(body, topic="orders/paid", secret=PREVIOUS_SECRET)
    )
    assert answer.status == 200
    await eventually(lambda: len(tap.messages) == 1)


@pytest.mark.parametrize(
    ("case", "shop", "secret", "reason"),
    [
        ("wrong secret", SHOP, "not-the-secret", "bad_hmac"),
        ("unknown shop", "stranger.myshopify.com", "current-secret", "unknown_shop"),
        ("shop without a configured secret", SHOP_WITHOUT_SECRET, "", "bad_hmac"),
    ],
)
async def test_unverifiable_deliveries_get_401_and_leave_nothing(
    gateway: ServiceRuntime, tap: Tap, case: str, shop: str, secret: str, reason: str
) -> None:
    body = sample("orders/create")
    answer = await post_webhook(gateway, body, signed_headers(body, shop=shop, secret=secret))
    assert answer.status == 401, case
    assert answer.body["reason"] == reason
    await settle()
    assert tap.messages == []
    assert await stored(gateway) == (0, 0)
    assert (await status_of(gateway))["rejected"] == {reason: 1}


async def test_a_tampered_body_fails_verification(gateway: ServiceRuntime, tap: Tap) -> None:
    body = sample("orders/create")
    headers = signed_headers(body)
    answer = await post_webhook(gateway, body.replace(b"414.95", b"0.01"), headers)
    assert (answer.status, answer.body["reason"]) == (401, "bad_hmac")
    assert await stored(gateway) == (0, 0)


UNSUBSCRIBED = "inventory_items/update"
"""A topic Shopify sends that the project does not subscribe to."""


async def test_an_unsigned_unsubscribed_topic_is_still_401(gateway: ServiceRuntime) -> None:
    body = sample(UNSUBSCRIBED)
    headers = signed_headers(body, topic=UNSUBSCRIBED, secret="wrong")
    assert (await post_webhook(gateway, body, headers)).status == 401


async def test_unsubscribed_topics_are_acknowledged_counted_and_not_stored(
    gateway: ServiceRuntime, tap: Tap
) -> None:
    body = sample(UNSUBSCRIBED)
    for _ in range(2):
        answer = await post_webhook(gateway, body, signed_headers(body, topic=UNSUBSCRIBED))
        assert (answer.status, answer.body["status"]) == (200, "ignored")
    await settle()
    assert tap.messages == []
    assert await stored(gateway) == (0, 0)
    assert (await status_of(gateway))["ignored_topics"] == {UNSUBSCRIBED: 2}


@pytest.mark.parametrize(
    "header",
    ["X-Shopify-Topic", "X-Shopify-Hmac-Sha256", "X-Shopify-Shop-Domain", "X-Shopify-Webhook-Id"],
)
async def test_a_missing_header_is_400_naming_it(gateway: ServiceRuntime, header: str) -> None:
    body = sample("orders/create")
    headers = {k: v for k, v in signed_headers(body).items() if k != header}
    answer = await post_webhook(gateway, body, headers)
    assert answer.status == 400
    assert header in answer.body["error"]
    assert await stored(gateway) == (0, 0)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"this is { not json", "body is not JSON"),
        (b"[1, 2, 3]", "body must be a JSON object"),
        (b"\xff\xfe\x00", "body is not JSON"),
    ],
)
async def test_signed_bodies_that_are_not_a_json_object_are_400(
    gateway: ServiceRuntime, body: bytes, message: str
) -> None:
    answer = await post_webhook(gateway, body, signed_headers(body))
    assert (answer.status, answer.body) == (400, {"error": message, "reason": "not_json"})
    assert await stored(gateway) == (0, 0)


async def test_oversized_bodies_are_413_declared_or_chunked(
    gateway: ServiceRuntime, gateway_settings: GatewaySettings
) -> None:
    limit = gateway_settings.webhook_max_bytes
    big = json.dumps({"note": "x" * limit}).encode()
    answer = await post_webhook(gateway, big, signed_headers(big))
    assert (answer.status, answer.body["reason"]) == (413, "too_large")

    async def chunked() -> AsyncIterator[bytes]:
        for offset in range(0, len(big), 8192):
            yield big[offset : offset + 8192]

    answer = await post_webhook(gateway, chunked(), signed_headers(big))
    assert (answer.status, answer.body["reason"]) == (413, "too_large")
    assert await stored(gateway) == (0, 0)
    assert (await status_of(gateway))["rejected"] == {"too_large": 2}


async def test_a_chunked_body_within_the_limit_is_accepted(
    gateway: ServiceRuntime, tap: Tap
) -> None:
    body = sample("orders/create")

    async def chunked() -> AsyncIterator[bytes]:
        for offset in range(0, len(body), 1000):
            yield body[offset : offset + 1000]

    assert (await post_webhook(gateway, chunked(), signed_headers(body))).status == 200
    await eventually(lambda: len(tap.messages) == 1)
    payload = tap.tapped[0].body["data"]["payload"]
    assert payload == payload_on_the_bus("orders/create", body)


async def test_status_and_metrics_report_outcomes(gateway: ServiceRuntime, tap: Tap) -> None:
    body = sample("orders/create")
    headers = signed_headers(body)
    for _ in range(2):
        await post_webhook(gateway, body, headers)
    await post_webhook(gateway, body, signed_headers(body, secret="wrong"))
    webhooks = await status_of(gateway)
    assert webhooks["accepted"] == {"last_hour": 1, "total": 1}
    assert webhooks["duplicates"] == 1
    assert webhooks["rejected"] == {"bad_hmac": 1}
    assert list(webhooks["last_delivery"]) == [SHOP]
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{gateway.port}/metrics") as resp,
    ):
        metrics = await resp.text()
    for outcome in ("accepted", "duplicate", "bad_hmac"):
        assert f'webhooks_received_total{{outcome="{outcome}"}}' in metrics


async def test_expired_deliveries_are_purged(gateway: ServiceRuntime) -> None:
    for _ in range(3):
        body = sample("orders/create")
        await post_webhook(gateway, body, signed_headers(body, webhook_id=str(uuid.uuid4())))
    await gateway.pool.execute(
        "UPDATE deliveries SET received_at = now() - interval '8 days' "
        "WHERE webhook_id = (SELECT min(webhook_id) FROM deliveries)"
    )
    assert await purge_deliveries(gateway.pool, timedelta(days=7)) == 1
    assert (await stored(gateway))[0] == 2
