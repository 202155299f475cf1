"""POST /fulfillment_services/{facility}/fulfillment_order_notification on a real gateway:
verified like a webhook, durable before 200, published once, rejected cleanly."""

import asyncio
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest

from contracts import FulfillmentOrderNotification
from service_runtime import ServiceRuntime
from shopify_sim.config import SimConfig
from shopify_sim.events import ShopEvent
from shopify_sim.fulfillment_order_webhooks import NOTIFICATION_LABEL
from shopify_sim.schema_runtime import SchemaRuntime
from shopify_sim.testing import running_simulator
from testkit.probe import eventually
from testkit.tap import Tap
from webhook_gateway.delivery import NOTIFICATION_MESSAGE
from webhook_gateway.notifications import NOTIFICATION_PATH
from webhook_gateway.testing import (
    LOCATION_FACILITY,
    PREVIOUS_SECRET,
    SECRET,
    SERVICE_FACILITY,
    SHOP,
    SHOP_WITHOUT_SECRET,
    notification_body,
    post_notification,
    post_webhook,
    sample,
    signed_headers,
    signed_notification_headers,
)


async def stored(runtime: ServiceRuntime) -> tuple[int, int]:
    """(delivery rows, outbox rows): what a rejected request must not have left behind."""
    deliveries = await runtime.pool.fetchval("SELECT count(*) FROM deliveries")
    outbox = await runtime.pool.fetchval("SELECT count(*) FROM outbox")
    return deliveries, outbox


async def gateway_status(runtime: ServiceRuntime) -> dict[str, Any]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{runtime.port}/status") as resp,
    ):
        body: dict[str, Any] = await resp.json()
    return body


async def notifications_status(runtime: ServiceRuntime) -> dict[str, Any]:
    section: dict[str, Any] = (await gateway_status(runtime))["fulfillment_order_notifications"]
    return section


async def settle() -> None:
    """Long enough for a wrongly published extra message to have reached the tap."""
    await asyncio.sleep(0.5)


def published(tap: Tap) -> list[FulfillmentOrderNotification]:
    """The notifications on the bus, each once (the relay publishes at least once)."""
    return [
        m.data_as(FulfillmentOrderNotification)
        for m in tap.unique()
        if m.type == NOTIFICATION_MESSAGE
    ]


@pytest.mark.parametrize("kind", ["FULFILLMENT_REQUEST", "CANCELLATION_REQUEST"])
async def test_a_signed_notification_is_published_once_with_its_facility_and_kind(
    gateway: ServiceRuntime, tap: Tap, kind: str
) -> None:
    body = notification_body(kind)
    headers = signed_notification_headers(body, webhook_id="notification-1")
    answer = await post_notification(gateway, SERVICE_FACILITY, body, headers)
    assert (answer.status, answer.body) == (200, {"status": "accepted"})

    await eventually(lambda: len(tap.messages) == 1)
    await settle()
    [message] = tap.tapped
    assert message.routing_key == NOTIFICATION_MESSAGE == message.envelope.type
    assert message.amqp_message_id == str(message.envelope.id)
    assert message.envelope.shop == SHOP
    [notification] = published(tap)
    assert (notification.notification_id, notification.facility, notification.kind) == (
        "notification-1",
        SERVICE_FACILITY,
        kind,
    )
    assert await stored(gateway) == (1, 0)  # delivery kept, outbox drained by the relay


async def test_a_repeated_notification_id_is_answered_200_and_published_once(
    gateway: ServiceRuntime, tap: Tap
) -> None:
    body = notification_body()
    headers = signed_notification_headers(body, webhook_id="notification-2")
    answers = [await post_notification(gateway, SERVICE_FACILITY, body, headers)]
    # Shopify's retries of one notification, all at once
    answers += await asyncio.gather(
        *(post_notification(gateway, SERVICE_FACILITY, body, headers) for _ in range(5))
    )
    assert {a.status for a in answers} == {200}
    await eventually(lambda: len(tap.messages) == 1)
    await settle()
    assert len(tap.unique()) == 1
    assert await stored(gateway) == (1, 0)
    section = await notifications_status(gateway)
    assert section["accepted"] == {"last_hour": 1, "total": 1}
    assert section["accepted_by_kind"] == {"FULFILLMENT_REQUEST": 1}
    assert section["duplicates"] == 5


async def test_a_notification_and_a_webhook_with_one_id_are_both_published(
    gateway: ServiceRuntime, tap: Tap
) -> None:
    """Keyed apart: a notification is never taken for a repeat of a webhook, nor the reverse."""
    body = notification_body()
    answer = await post_notification(
        gateway, SERVICE_FACILITY, body, signed_notification_headers(body, webhook_id="same")
    )
    assert answer.status == 200
    webhook = sample("fulfillment_orders/fulfillment_request_submitted")
    headers = signed_headers(
        webhook, topic="fulfillment_orders/fulfillment_request_submitted", webhook_id="same"
    )
    assert (await post_webhook(gateway, webhook, headers)).status == 200
    await eventually(lambda: len(tap.unique()) == 2)
    assert sorted(m.type for m in tap.unique()) == [
        NOTIFICATION_MESSAGE,
        "shopify.webhook.fulfillment_orders.fulfillment_request_submitted",
    ]


async def test_without_a_webhook_id_each_notification_is_published(
    gateway: ServiceRuntime, tap: Tap
) -> None:
    """No id, no deduplication: the consumer coalesces the scans these trigger."""
    body = notification_body()
    for _ in range(2):
        headers = signed_notification_headers(body)
        assert (await post_notification(gateway, SERVICE_FACILITY, body, headers)).status == 200
    await eventually(lambda: len(tap.unique()) == 2)
    ids = {n.notification_id for n in published(tap)}
    assert len(ids) == 2


async def test_a_notification_signed_with_the_previous_secret_is_accepted(
    gateway: ServiceRuntime, tap: Tap
) -> None:
    body = notification_body("CANCELLATION_REQUEST")
    headers = signed_notification_headers(body, secret=PREVIOUS_SECRET, webhook_id="n-rotated")
    assert (await post_notification(gateway, SERVICE_FACILITY, body, headers)).status == 200
    await eventually(lambda: len(tap.messages) == 1)
    assert published(tap)[0].kind == "CANCELLATION_REQUEST"


# (case, facility, body (None: a valid one), shop, secret (None: the shop's), status, reason)
NOT_ADMITTED: list[tuple[str, str, bytes | None, str, str | None, int, str]] = [
    ("wrong secret", SERVICE_FACILITY, None, SHOP, "not-the-secret", 401, "bad_hmac"),
    ("unknown shop", SERVICE_FACILITY, None, "stranger.myshopify.com", None, 401, "unknown_shop"),
    ("shop without a secret", SERVICE_FACILITY, None, SHOP_WITHOUT_SECRET, "", 401, "bad_hmac"),
    ("unknown facility", "WH404", None, SHOP, None, 404, "unknown_facility"),
    ("location-mode facility", LOCATION_FACILITY, None, SHOP, None, 404, "unknown_facility"),
    ("unknown kind", SERVICE_FACILITY, b'{"kind": "FULFILL_IT"}', SHOP, None, 400, "bad_kind"),
    ("no kind", SERVICE_FACILITY, b"{}", SHOP, None, 400, "bad_kind"),
    ("not JSON", SERVICE_FACILITY, b"kind=FULFILLMENT_REQUEST", SHOP, None, 400, "not_json"),
]


async def test_notifications_not_admitted_leave_nothing(gateway: ServiceRuntime, tap: Tap) -> None:
    # One gateway for every case (each costs a database and a vhost otherwise).
    for case, facility, body, shop, secret, status, reason in NOT_ADMITTED:
        sent = body or notification_body()
        signing: dict[str, Any] = {} if secret is None else {"secret": secret}
        headers = signed_notification_headers(sent, shop=shop, webhook_id="n-bad", **signing)
        answer = await post_notification(gateway, facility, sent, headers)
        assert (answer.status, answer.body["reason"]) == (status, reason), case
        assert answer.body["error"], case
    await settle()
    assert tap.messages == []
    assert await stored(gateway) == (0, 0)
    assert (await notifications_status(gateway))["rejected"] == {
        "bad_hmac": 2,
        "unknown_shop": 1,
        "unknown_facility": 2,
        "bad_kind": 2,
        "not_json": 1,
    }
    assert (await gateway_status(gateway))["webhooks"]["rejected"] == {}


async def test_a_bad_body_is_400_with_a_clear_message(gateway: ServiceRuntime) -> None:
    body = b'{"kind": "fulfillment_request"}'
    answer = await post_notification(
        gateway, SERVICE_FACILITY, body, signed_notification_headers(body)
    )
    assert answer.status == 400
    assert answer.body["error"] == (
        'body must be a JSON object with "kind": "FULFILLMENT_REQUEST" or "CANCELLATION_REQUEST"'
    )


async def test_a_missing_signature_is_400_naming_the_header(gateway: ServiceRuntime) -> None:
    body = notification_body()
    headers = signed_notification_headers(body)
    del headers["X-Shopify-Hmac-Sha256"]
    answer = await post_notification(gateway, SERVICE_FACILITY, body, headers)
    assert (answer.status, answer.body["reason"]) == (400, "missing_header")
    assert "X-Shopify-Hmac-Sha256" in answer.body["error"]


async def test_an_oversized_notification_is_413(gateway: ServiceRuntime) -> None:
    body = b'{"kind": "FULFILLMENT_REQUEST", "pad": "' + b"x" * 70_000 + b'"}'
    answer = await post_notification(
        gateway, SERVICE_FACILITY, body, signed_notification_headers(body)
    )
    assert (answer.status, answer.body["reason"]) == (413, "too_large")
    assert await stored(gateway) == (0, 0)


async def test_status_and_metrics_count_notifications_apart_from_webhooks(
    gateway: ServiceRuntime, tap: Tap
) -> None:
    body = notification_body()
    headers = signed_notification_headers(body, webhook_id="n-counted")
    for _ in range(2):
        await post_notification(gateway, SERVICE_FACILITY, body, headers)
    await post_notification(
        gateway, SERVICE_FACILITY, body, signed_notification_headers(body, secret="wrong")
    )
    status = await gateway_status(gateway)
    section = status["fulfillment_order_notifications"]
    assert section["accepted"] == {"last_hour": 1, "total": 1}
    assert (section["duplicates"], section["rejected"]) == (1, {"bad_hmac": 1})
    assert list(section["last_delivery"]) == [SHOP]
    assert section["callbacks"] == {
        SHOP: {SERVICE_FACILITY: f"https://gateway.example/fulfillment_services/{SERVICE_FACILITY}"}
    }
    assert status["webhooks"]["accepted"]["total"] == 0
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{gateway.port}/metrics") as resp,
    ):
        metrics = await resp.text()
    for outcome in ("accepted", "duplicate", "bad_hmac"):
        assert f'fulfillment_order_notifications_received_total{{outcome="{outcome}"}}' in metrics


async def test_the_simulators_notifications_are_verified_and_each_published_once(
    gateway: ServiceRuntime, tap: Tap, schema_runtime: SchemaRuntime
) -> None:
    """As the Shopify simulator sends them: its own headers and signature, every one twice."""
    async with running_simulator(SimConfig(random_seed=3), schema_runtime) as sim:
        await sim.create_shop(SHOP, "shpat_gateway_test", client_secret=SECRET)
        dispatcher = sim.simulator.dispatcher
        dispatcher.controls.duplicate_fraction = 1.0
        path = NOTIFICATION_PATH.format(facility=SERVICE_FACILITY)
        dispatcher.publish(
            ShopEvent(
                SHOP,
                NOTIFICATION_LABEL,
                {"kind": kind},
                datetime.now(UTC),
                notification_uri=f"http://127.0.0.1:{gateway.port}{path}",
            )
            for kind in ("FULFILLMENT_REQUEST", "CANCELLATION_REQUEST")
        )
        await dispatcher.drain()
        assert {entry["status"] for entry in dispatcher.log_json(SHOP)} == {200}
    await eventually(lambda: len(tap.unique()) == 2)
    await settle()
    assert len(tap.unique()) == 2
    assert sorted(n.kind for n in published(tap)) == ["CANCELLATION_REQUEST", "FULFILLMENT_REQUEST"]
    section = await notifications_status(gateway)
    assert (section["accepted"]["total"], section["duplicates"]) == (2, 2)
