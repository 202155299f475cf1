"""Webhook deliveries: Shopify's headers and signature, retries, delivery control.

A delivery is one (event, subscription) pair with its own X-Shopify-Webhook-Id,
kept across its retries (and across deliberate duplicates) so receivers can
deduplicate on it, exactly as they must with Shopify.
"""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

import aiohttp
import structlog

from shopify_admin.webhooks import sign
from shopify_sim.clock import utc_now
from shopify_sim.config import SimConfig
from shopify_sim.events import ShopEvent
from shopify_sim.state.repository import Store

log = structlog.get_logger(__name__)

# Shopify: 8 retries over about 4 hours after the first attempt fails.
RETRY_SCHEDULE_SECONDS = (10.0, 30.0, 60.0, 120.0, 300.0, 1200.0, 3600.0, 9000.0)


def topic_enum(topic: str) -> str:
    """orders/create -> ORDERS_CREATE (WebhookSubscriptionTopic)."""
    return topic.upper().replace("/", "_")


@dataclass
class DeliveryControls:
    duplicate_fraction: float = 0.0
    drop_fraction: float = 0.0
    delay_seconds: float = 0.0
    # While set, deliveries are held; releasing sends them newest first.
    reorder: bool = False

    def update(self, changes: dict[str, Any]) -> None:
        for name in ("duplicate_fraction", "drop_fraction", "delay_seconds"):
            if name in changes:
                setattr(self, name, float(changes[name]))
        if "reorder" in changes:
            self.reorder = bool(changes["reorder"])


@dataclass(frozen=True, slots=True)
class Delivery:
    webhook_id: str
    event: ShopEvent
    uri: str
    body: bytes


@dataclass(slots=True)
class DeliveryAttempt:
    webhook_id: str
    event_id: str
    shop: str
    topic: str
    uri: str
    attempt: int
    outcome: str  # delivered | failed | dropped | held
    status: int | None = None
    error: str | None = None
    at: str = field(default_factory=lambda: utc_now().isoformat())


class WebhookDispatcher:
    def __init__(self, store: Store, config: SimConfig, rng: random.Random | None = None) -> None:
        self.store = store
        self.config = config
        self.rng = rng or random.Random()
        self.controls = DeliveryControls()
        self.log: list[DeliveryAttempt] = []
        self._held: list[Delivery] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        timeout = aiohttp.ClientTimeout(
            total=self.config.webhook_total_timeout, connect=self.config.webhook_connect_timeout
        )
        self._session = aiohttp.ClientSession(timeout=timeout)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()

    # --- producing deliveries ------------------------------------------------------------
    def publish(self, events: Iterable[ShopEvent]) -> None:
        for event in events:
            if event.notification_uri is not None:
                self._route(self._delivery(event, event.notification_uri, event.body))
                continue
            shop = self.store.shop(event.shop_domain)
            for subscription in shop.subscriptions_for(topic_enum(event.topic)):
                body = event.body
                if subscription.include_fields:
                    body = {k: v for k, v in body.items() if k in subscription.include_fields}
                self._route(self._delivery(event, subscription.uri, body))

    def publish_to(self, event: ShopEvent, uris: Iterable[str]) -> None:
        """Topics an app configures outside the API (compliance topics) go to given URIs."""
        for uri in dict.fromkeys(uris):
            self._route(self._delivery(event, uri, event.body))

    @staticmethod
    def _delivery(event: ShopEvent, uri: str, body: dict[str, Any]) -> Delivery:
        raw = json.dumps(body, separators=(",", ":")).encode()
        return Delivery(webhook_id=str(uuid.uuid4()), event=event, uri=uri, body=raw)

    def _route(self, delivery: Delivery) -> None:
        if self.rng.random() < self.controls.drop_fraction:
            self._record(delivery, 0, "dropped")
            return
        if self.controls.reorder:
            self._held.append(delivery)
            self._record(delivery, 0, "held")
            return
        copies = 2 if self.rng.random() < self.controls.duplicate_fraction else 1
        for _ in range(copies):
            self._spawn(delivery, self.controls.delay_seconds)

    def release_held(self) -> int:
        held, self._held = self._held, []
        for delivery in reversed(held):
            self._spawn(delivery, 0.0)
        return len(held)

    def _spawn(self, delivery: Delivery, delay: float) -> None:
        task = asyncio.get_running_loop().create_task(self._deliver(delivery, delay))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self, limit_seconds: float = 5.0) -> None:
        """Wait until no delivery is in flight (tests)."""
        async with asyncio.timeout(limit_seconds):
            while self._tasks:
                await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # --- sending -------------------------------------------------------------------------
    async def _deliver(self, delivery: Delivery, delay: float) -> None:
        if delay:
            await asyncio.sleep(delay)
        schedule = RETRY_SCHEDULE_SECONDS
        for attempt in range(len(schedule) + 1):
            status, error = await self._post(delivery)
            delivered = status is not None and 200 <= status < 300
            self._record(
                delivery, attempt + 1, "delivered" if delivered else "failed", status, error
            )
            if delivered:
                return
            if attempt < len(schedule):
                await asyncio.sleep(schedule[attempt] * self.config.webhook_retry_scale)
        log.warning(
            "webhook.gave_up",
            uri=delivery.uri,
            topic=delivery.event.topic,
            webhook_id=delivery.webhook_id,
        )

    async def _post(self, delivery: Delivery) -> tuple[int | None, str | None]:
        assert self._session is not None, "dispatcher not started"
        shop = self.store.shop(delivery.event.shop_domain)
        headers = {
            "Content-Type": "application/json",
            "X-Shopify-Hmac-Sha256": sign(delivery.body, shop.client_secret),
            "X-Shopify-Shop-Domain": shop.domain,
            "X-Shopify-API-Version": self.config.api_version,
            "X-Shopify-Webhook-Id": delivery.webhook_id,
        }
        if delivery.event.notification_uri is None:
            # A fulfillment-order notification is checked "exactly like a webhook" (HMAC, shop
            # domain) but names no topic or event; only webhooks carry these.
            headers["X-Shopify-Topic"] = delivery.event.topic
            headers["X-Shopify-Event-Id"] = delivery.event.event_id
            headers["X-Shopify-Triggered-At"] = delivery.event.triggered_at.isoformat().replace(
                "+00:00", "Z"
            )
        try:
            async with self._session.post(
                delivery.uri, data=delivery.body, headers=headers
            ) as response:
                await response.read()
                return response.status, None
        except (aiohttp.ClientError, TimeoutError) as exc:
            return None, f"{type(exc).__name__}: {exc}"

    def _record(
        self,
        delivery: Delivery,
        attempt: int,
        outcome: str,
        status: int | None = None,
        error: str | None = None,
    ) -> None:
        self.log.append(
            DeliveryAttempt(
                webhook_id=delivery.webhook_id,
                event_id=delivery.event.event_id,
                shop=delivery.event.shop_domain,
                topic=delivery.event.topic,
                uri=delivery.uri,
                attempt=attempt,
                outcome=outcome,
                status=status,
                error=error,
            )
        )

    def log_json(self, shop: str | None = None) -> list[dict[str, Any]]:
        return [asdict(entry) for entry in self.log if shop is None or entry.shop == shop]
