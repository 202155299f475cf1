"""Keeping each shop's webhook subscriptions in place: list them through the Admin API and
re-create any topic that went missing, on start and then on a schedule (see subscriptions.py).

A shop whose app/uninstalled webhook arrived is skipped (its token no longer opens anything)
until an operator repairs it after a reinstall; a repair that works proves the app is
installed again and clears the mark. What each shop looked like at its last check is kept for
/status and the status page.
"""

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg
import structlog

from shop_config import ShopsConfig
from shopify_admin import ShopifyClient
from shopify_admin.mutations import create_webhook_subscription
from shopify_admin.operations import WEBHOOK_SUBSCRIPTIONS
from shopify_admin.pagination import paginate
from webhook_gateway import shop_records
from webhook_gateway.subscriptions import Subscription, SubscriptionCheck, check
from work_queue import periodic

log = structlog.get_logger(__name__)

Clock = Callable[[], datetime]


class UnknownShop(LookupError):
    pass


@dataclass
class ShopSubscriptions:
    """One shop's subscriptions as last seen, for /status."""

    checked_at: datetime | None = None
    present: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    elsewhere: tuple[str, ...] = ()
    created: list[str] = field(default_factory=list)
    """Topics re-created by the last repair."""
    repaired_at: datetime | None = None
    error: str | None = None
    uninstalled_at: datetime | None = None

    @property
    def healthy(self) -> bool:
        return self.checked_at is not None and not self.missing and self.error is None

    def as_json(self) -> dict[str, Any]:
        return {
            "healthy": self.healthy,
            "checked_at": _iso(self.checked_at),
            "present": list(self.present),
            "missing": list(self.missing),
            "subscribed_elsewhere": list(self.elsewhere),
            "created_by_last_repair": self.created,
            "repaired_at": _iso(self.repaired_at),
            "error": self.error,
            "uninstalled_at": _iso(self.uninstalled_at),
        }


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


class SubscriptionHealer:
    def __init__(
        self,
        pool: asyncpg.Pool,
        shops: ShopsConfig,
        clients: Mapping[str, ShopifyClient],
        callback_url: str | None,
        clock: Clock = lambda: datetime.now(UTC),
    ) -> None:
        self._pool = pool
        self._shops = shops
        self._clients = clients
        self._callback_url = callback_url
        self._clock = clock
        self._state: dict[str, ShopSubscriptions] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    @property
    def callback_url(self) -> str | None:
        return self._callback_url

    def _client(self, domain: str) -> ShopifyClient:
        if self._shops.get(domain) is None:
            raise UnknownShop(f"shop {domain} is not configured")
        client = self._clients.get(domain)
        if client is None:
            raise UnknownShop(f"no access token for {domain}")
        return client

    async def check(self, domain: str) -> ShopSubscriptions:
        """List the shop's subscriptions now and record what is missing (changes nothing)."""
        client = self._client(domain)
        state = self._state.setdefault(domain, ShopSubscriptions())
        state.uninstalled_at = (await shop_records.uninstalled_shops(self._pool)).get(domain)
        try:
            found = await self._compare(client)
        except Exception as exc:  # Shopify unreachable, token revoked, ...
            state.error = f"{type(exc).__name__}: {exc}"
            log.warning("webhooks.check_failed", shop=domain, error=state.error)
            return state
        self._record(state, found)
        return state

    async def repair(self, domain: str) -> ShopSubscriptions:
        """Re-create every missing topic; one repair per shop at a time."""
        client = self._client(domain)
        callback_url = self._callback_url
        if callback_url is None:
            raise LookupError("WEBHOOK_CALLBACK_URL is not set: nowhere to subscribe to")
        async with self._locks.setdefault(domain, asyncio.Lock()):
            state = self._state.setdefault(domain, ShopSubscriptions())
            try:
                found = await self._compare(client)
                created = [
                    topic
                    for topic in found.missing
                    if await self._create(client, domain, topic, callback_url)
                ]
                if created:
                    found = await self._compare(client)
            except Exception as exc:
                state.error = f"{type(exc).__name__}: {exc}"
                log.warning("webhooks.repair_failed", shop=domain, error=state.error)
                return state
            self._record(state, found)
            state.created = created
            state.repaired_at = self._clock()
            # The token works: if the shop had uninstalled the app, it has installed it again.
            await shop_records.forget_uninstall(self._pool, domain)
            state.uninstalled_at = None
            if created:
                log.warning("webhooks.subscriptions_recreated", shop=domain, topics=created)
            return state

    async def heal_all(self) -> None:
        """One round over every installed shop with a token."""
        uninstalled = await shop_records.uninstalled_shops(self._pool)
        for domain in self._clients:
            state = self._state.setdefault(domain, ShopSubscriptions())
            state.uninstalled_at = uninstalled.get(domain)
            if state.uninstalled_at is None:
                await self.repair(domain)  # failures are recorded in the shop's state

    async def run(self, interval_s: float) -> None:
        """Until cancelled: heal every shop at start, then every `interval_s`."""
        if self._callback_url is None:
            log.warning("webhooks.healing_disabled", reason="WEBHOOK_CALLBACK_URL is not set")
            return
        await periodic("webhook-healing", self.heal_all, interval_s).run()

    def status(self) -> dict[str, Any]:
        return {
            "callback_url": self._callback_url,
            "healing": "on" if self._callback_url else "off (WEBHOOK_CALLBACK_URL not set)",
            "shops": {domain: state.as_json() for domain, state in sorted(self._state.items())},
        }

    async def _compare(self, client: ShopifyClient) -> SubscriptionCheck:
        nodes = [
            node
            async for node in paginate(
                client, WEBHOOK_SUBSCRIPTIONS, None, ("webhookSubscriptions",)
            )
        ]
        subscriptions = [Subscription.from_node(node) for node in nodes]
        # Without a callback URL nothing can be ours: every topic is reported missing.
        return check(subscriptions, self._callback_url or "")

    async def _create(
        self, client: ShopifyClient, domain: str, topic: str, callback_url: str
    ) -> bool:
        result = await create_webhook_subscription(client, topic, uri=callback_url)
        if not result.ok:
            log.warning(
                "webhooks.subscribe_refused",
                shop=domain,
                topic=topic,
                errors=[e.message for e in result.user_errors],
            )
        return result.ok

    def _record(self, state: ShopSubscriptions, found: SubscriptionCheck) -> None:
        state.checked_at = self._clock()
        state.present, state.missing, state.elsewhere = (
            found.present,
            found.missing,
            found.elsewhere,
        )
        state.error = None
