"""The polling download: reads recently updated orders, because webhooks are not guaranteed.

Per shop in mode `polling` or `both`, every `poll_interval_minutes`: read the orders updated
since the watermark (minus an overlap), oldest update first, and apply each through the same
`apply_order` the webhook path uses. The watermark moves in the same transaction as each
order's decision, so a crash mid-download resumes after the last order committed, never after
one that was not. Orders older than the shop's max age (at most 60 days) are never read.

The same reader serves the operator: a download for a time window, and a re-sync of one order
by its name.

Each order is read whole before it is applied (order_reads: pages past the first), closed in
Shopify when it is fulfilled and the shop asks for that (closing), and an order whose customer
data Shopify withholds is not applied but recorded as a failed sync naming the reason, like the
webhook path does (it shows on /status; a later webhook or re-sync tries again).
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import structlog

from order_intake import store
from order_intake.apply import Applied, apply_order
from order_intake.closing import OrderCloseRefused, close_if_fulfilled
from order_intake.installations import is_uninstalled
from order_intake.order_reads import complete_order, order_read_variables, withheld_reason
from order_intake.settings import IntakeSettings
from shop_config import ShopConfig, ShopsConfig
from shopify_admin.errors import DeniedField
from shopify_admin.operations import ORDERS_UPDATED_SINCE
from shopify_admin.pagination import GraphQLExecutor, paginate_with_denials
from shopify_admin.search import quote, updated_since_query
from work_queue import WorkLoop

log = structlog.get_logger(__name__)

Clock = Callable[[], datetime]


@dataclass
class DownloadResult:
    orders_seen: int = 0
    sent: int = 0
    """WMS orders created by this download."""
    stale: int = 0
    latest_update: datetime | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "orders_seen": self.orders_seen,
            "wms_orders_created": self.sent,
            "stale_skipped": self.stale,
            "latest_update": self.latest_update.isoformat() if self.latest_update else None,
        }


class UnknownShop(LookupError):
    pass


class CustomerDataWithheld(RuntimeError):
    """A re-sync found the order, but Shopify withholds its customer data from the app."""


def window_query(since: datetime, until: datetime | None) -> str:
    query = updated_since_query(since)
    if until is not None:
        query += f" updated_at:<={quote(until.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ'))}"
    return query


def poll_start(
    watermark: datetime | None, now: datetime, shop: ShopConfig, overlap: timedelta
) -> datetime:
    """Where a poll starts reading: the watermark minus the overlap, never beyond the max age."""
    oldest = now - timedelta(days=shop.order_download.max_age_days)
    return oldest if watermark is None else max(watermark - overlap, oldest)


class OrderDownloader:
    def __init__(
        self,
        pool: asyncpg.Pool,
        shops: ShopsConfig,
        clients: Mapping[str, GraphQLExecutor],
        settings: IntakeSettings,
        clock: Clock,
    ) -> None:
        self._pool = pool
        self._shops = shops
        self._clients = clients
        self._settings = settings
        self._clock = clock

    def check_shop(self, domain: str) -> None:
        """Raise UnknownShop unless the shop is configured with an access token."""
        self._shop_and_client(domain)

    def _shop_and_client(self, domain: str) -> tuple[ShopConfig, GraphQLExecutor]:
        shop = self._shops.get(domain)
        client = self._clients.get(domain)
        if shop is None or client is None:
            raise UnknownShop(
                f"shop {domain} is not configured"
                if shop is None
                else f"no access token for {domain}"
            )
        return shop, client

    async def download(
        self,
        domain: str,
        since: datetime,
        until: datetime | None = None,
        *,
        advance_watermark: bool = False,
        result: DownloadResult | None = None,
    ) -> DownloadResult:
        """Apply every order updated in [since, until]; stops at the first failure (raises).

        `result`, when given, is filled in as orders are applied (an operator's job shows it).
        """
        shop, client = self._shop_and_client(domain)
        oldest = self._clock() - timedelta(days=shop.order_download.max_age_days)
        result = result if result is not None else DownloadResult()
        query = window_query(max(since, oldest), until)
        async for node, denied in self._orders(client, shop, query):
            if denied:
                updated_at = await self._record_withheld(shop, node, denied)
                if advance_watermark:
                    async with self._pool.acquire() as conn:
                        await store.advance_watermark(conn, shop.domain, updated_at)
                result.orders_seen += 1
                continue
            node = await self._read_whole(shop, client, node)
            async with self._pool.acquire() as conn, conn.transaction():
                applied = await apply_order(conn, shop, node, self._clock())
                if advance_watermark:
                    await store.advance_watermark(conn, shop.domain, applied.updated_at)
            result.orders_seen += 1
            latest = result.latest_update
            result.latest_update = max(latest, applied.updated_at) if latest else applied.updated_at
            _count(result, applied)
        return result

    async def poll(self, domain: str) -> DownloadResult:
        """One scheduled poll of one shop, recorded for /status whatever its outcome."""
        async with self._pool.acquire() as conn:
            state = await store.poll_state(conn, domain)
        shop, _ = self._shop_and_client(domain)
        since = poll_start(
            state.watermark, self._clock(), shop, timedelta(seconds=self._settings.poll_overlap_s)
        )
        try:
            result = await self.download(domain, since, advance_watermark=True)
        except Exception as exc:
            log.warning("poll.failed", shop=domain, error=str(exc))
            async with self._pool.acquire() as conn:
                await store.record_poll(conn, domain, "failed", 0, f"{type(exc).__name__}: {exc}")
            raise
        async with self._pool.acquire() as conn:
            await store.record_poll(conn, domain, "ok", result.orders_seen, None)
        log.info("poll.done", shop=domain, **result.as_json())
        return result

    async def resync(self, domain: str, name: str) -> Applied | None:
        """Read one order by its name ("#1001") and apply it; None if Shopify has no such order."""
        shop, client = self._shop_and_client(domain)
        async for node, denied in self._orders(client, shop, f"name:{quote(name)}"):
            if node.get("name") == name:
                if denied:
                    await self._record_withheld(shop, node, denied)
                    raise CustomerDataWithheld(withheld_reason(denied))
                node = await self._read_whole(shop, client, node)
                async with self._pool.acquire() as conn, conn.transaction():
                    return await apply_order(conn, shop, node, self._clock())
        return None

    async def run(self) -> None:
        """Until cancelled: poll each polling shop when its interval has passed. Nothing wakes
        the loop but the clock: a round every `poll_check_interval_s`."""
        loop = WorkLoop(
            "order-download",
            self._poll_due_shops,
            asyncio.Event(),
            idle_poll_s=self._settings.poll_check_interval_s,
        )
        await loop.run()

    async def _poll_due_shops(self) -> int:
        polled = 0
        for shop in self._shops:
            if shop.order_download.mode in ("polling", "both") and await self._due(shop):
                # A failure is recorded by poll(); the next interval tries again, and the other
                # shops are polled meanwhile.
                with contextlib.suppress(Exception):
                    await self.poll(shop.domain)
                polled += 1
        return polled

    async def _due(self, shop: ShopConfig) -> bool:
        async with self._pool.acquire() as conn:
            if await is_uninstalled(conn, shop.domain):
                return False
            state = await store.poll_state(conn, shop.domain)
        if state.last_poll_at is None:
            return True
        interval = timedelta(minutes=shop.order_download.poll_interval_minutes)
        return self._clock() - state.last_poll_at >= interval

    @staticmethod
    async def _orders(
        client: GraphQLExecutor, shop: ShopConfig, query: str
    ) -> AsyncIterator[tuple[dict[str, Any], list[DeniedField]]]:
        variables = {"query": query, **order_read_variables(shop)}
        pages = paginate_with_denials(client, ORDERS_UPDATED_SINCE, variables, ("orders",))
        async for node, denied in pages:
            yield node, denied

    @staticmethod
    async def _read_whole(
        shop: ShopConfig, client: GraphQLExecutor, node: dict[str, Any]
    ) -> dict[str, Any]:
        """The order with every page read, closed in Shopify first if it is fulfilled and the
        shop wants that (a failure raises before the watermark moves: the next poll retries)."""
        node = await complete_order(client, node)
        try:
            await close_if_fulfilled(client, shop, node)
        except OrderCloseRefused as exc:
            log.warning("poll.close_refused", order=node.get("name"), error=str(exc))
        return node

    async def _record_withheld(
        self, shop: ShopConfig, node: dict[str, Any], denied: list[DeniedField]
    ) -> datetime:
        """Record the order as a sync failed for good, with the reason; its updatedAt."""
        order_gid = str(node.get("id"))
        reason = withheld_reason(denied)
        log.warning("poll.customer_data_withheld", order_gid=order_gid)
        async with self._pool.acquire() as conn, conn.transaction():
            await store.request_sync(conn, shop.domain, order_gid, "poll: customer data withheld")
            # Given up at once (no delay): it cannot get better until the shop's plan does.
            await store.PENDING_SYNCS.retry_later(conn, [(shop.domain, order_gid)], reason, None)
        return datetime.fromisoformat(str(node["updatedAt"]).replace("Z", "+00:00"))


def _count(result: DownloadResult, applied: Applied) -> None:
    if applied.decision is None:
        result.stale += 1
    else:
        result.sent += len(applied.decision.creates)
