"""Helpers for driving a gateway: signed requests as Shopify sends them (tests, benchmarks)."""

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from contracts import INTERNAL_EVENTS
from service_runtime import ServiceRuntime
from shopify_admin.reference import shopify_dir
from shopify_admin.webhooks import sign
from webhook_gateway.app import WEBHOOK_PATH
from webhook_gateway.delivery import NOTIFICATION_MESSAGE
from webhook_gateway.notifications import NOTIFICATION_PATH

SAMPLES = shopify_dir() / "webhooks"

SHOP = "demo.myshopify.com"
SECRET = "current-secret"
PREVIOUS_SECRET = "previous-secret"
SHOP_WITHOUT_SECRET = "nosecret.myshopify.com"

WEBHOOK_MESSAGES = (INTERNAL_EVENTS, "shopify.webhook.#")
"""The binding (exchange, routing key pattern) of every webhook message the gateway publishes."""
NOTIFICATION_MESSAGES = (INTERNAL_EVENTS, NOTIFICATION_MESSAGE)
"""The binding of the fulfillment-service notifications the gateway publishes."""

SERVICE_FACILITY = "WH9"
"""A facility of SHOP connected as a fulfillment service (tests/conftest.py)."""
LOCATION_FACILITY = "WH1"
"""A facility of SHOP connected as a merchant-managed location: it gets no notifications."""


def write_shops_file(path: Path) -> dict[str, str]:
    """A shops file with SHOP (and a shop lacking secrets); returns the secrets' env variables.

    For a gateway run as a process of its own (the ingest benchmark); tests write the same
    shops with testkit.shops (see tests/conftest.py)."""
    path.write_text(f'[[shops]]\ndomain = "{SHOP}"\n[[shops]]\ndomain = "{SHOP_WITHOUT_SECRET}"\n')
    return {
        "SHOPIFY_DEMO_CLIENT_SECRET": SECRET,
        "SHOPIFY_DEMO_PREVIOUS_CLIENT_SECRET": PREVIOUS_SECRET,
    }


SAMPLE_OF_ANOTHER_TOPIC = {"products/create": "products/update"}
"""Topics whose stored sample is another's: Shopify's `products/create` sample is identical to
`products/update`'s (see the samples README), and only the latter was kept."""

UNSAMPLED_BODIES: dict[str, dict[str, Any]] = {
    # Subscribed topics with no stored Shopify sample. These bodies are ours, written from the
    # fields Shopify documents for the topic, not Shopify's placeholders.
    "products/delete": {"id": 788032119674292922},
    "bulk_operations/finish": {
        "admin_graphql_api_id": "gid://shopify/BulkOperation/147595010",
        "completed_at": "2026-11-22T09:59:58-05:00",
        "created_at": "2026-11-22T09:58:01-05:00",
        "error_code": None,
        "status": "completed",
        "type": "query",
    },
}


def sample(topic: str) -> bytes:
    """Shopify's sample body for a topic (orders/create -> orders__create.json), or for the
    few subscribed topics without one, a body of the documented shape (UNSAMPLED_BODIES)."""
    if topic in UNSAMPLED_BODIES:
        return json.dumps(UNSAMPLED_BODIES[topic], indent=2).encode()
    stored = SAMPLE_OF_ANOTHER_TOPIC.get(topic, topic)
    return (SAMPLES / f"{stored.replace('/', '__')}.json").read_bytes()


def signed_headers(
    body: bytes,
    *,
    shop: str = SHOP,
    secret: str = SECRET,
    topic: str = "orders/create",
    webhook_id: str | None = None,
) -> dict[str, str]:
    return {
        "X-Shopify-Topic": topic,
        "X-Shopify-Shop-Domain": shop,
        "X-Shopify-Webhook-Id": webhook_id or str(uuid.uuid4()),
        "X-Shopify-Hmac-Sha256": sign(body, secret),
        "X-Shopify-API-Version": "2026-07",
        "X-Shopify-Event-Id": str(uuid.uuid4()),
        "X-Shopify-Triggered-At": "2026-11-22T10:00:00.123Z",
        "Content-Type": "application/json",
    }


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]


async def post_webhook(runtime: ServiceRuntime, body: Any, headers: Mapping[str, str]) -> Answer:
    """POST to the gateway; `body` may be bytes or an async generator (sent chunked)."""
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"http://127.0.0.1:{runtime.port}{WEBHOOK_PATH}", data=body, headers=headers
        ) as resp,
    ):
        return Answer(resp.status, await resp.json())


def notification_body(kind: str = "FULFILLMENT_REQUEST") -> bytes:
    """What Shopify posts to `<callbackUrl>/fulfillment_order_notification`."""
    return json.dumps({"kind": kind}).encode()


def signed_notification_headers(
    body: bytes,
    *,
    shop: str = SHOP,
    secret: str = SECRET,
    webhook_id: str | None = None,
) -> dict[str, str]:
    """Headers of a notification as Shopify signs it; `webhook_id` None: no X-Shopify-Webhook-Id
    at all (Shopify's documentation does not promise one)."""
    headers = {
        "X-Shopify-Shop-Domain": shop,
        "X-Shopify-Hmac-Sha256": sign(body, secret),
        "X-Shopify-API-Version": "2026-07",
        "Content-Type": "application/json",
    }
    if webhook_id is not None:
        headers["X-Shopify-Webhook-Id"] = webhook_id
    return headers


async def post_notification(
    runtime: ServiceRuntime, facility: str, body: bytes, headers: Mapping[str, str]
) -> Answer:
    path = NOTIFICATION_PATH.format(facility=facility)
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"http://127.0.0.1:{runtime.port}{path}", data=body, headers=headers) as resp,
    ):
        return Answer(resp.status, await resp.json())
