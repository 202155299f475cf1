"""Finding the fulfillment orders that wait for a fulfillment service's answer.

Shopify's notification to a service (`POST <callback>/fulfillment_order_notification`) names no
fulfillment order, and a `fulfillment_orders/*_request_submitted` webhook can name one of an
order this service has never read: both ask for a **scan** of the facility (request_store,
collapsed per shop and facility). A scan pages through `assignedFulfillmentOrders` at the
service's location, for requested fulfillments and requested cancellations, and asks for a read
of each order found (the usual `pending_syncs`, many orders per query), unless the order's next
step is not a read (the WMS has not answered yet, or an answer is already owed). A schedule scans
every service facility now and then, so a notification Shopify never delivered is caught up.
"""

from collections.abc import Mapping

import asyncpg
import structlog

from order_intake import registry_store, request_store, store
from order_intake.request_store import ClaimedScan
from order_intake.settings import IntakeSettings
from shop_config import ShopsConfig
from shopify_admin.errors import ShopifyError
from shopify_admin.operations import ASSIGNED_FULFILLMENT_ORDERS
from shopify_admin.pagination import GraphQLExecutor, paginate
from storage.signals import Signals
from work_queue import WorkLoop, WorkStats

log = structlog.get_logger(__name__)

REQUESTED_STATUSES = ("FULFILLMENT_REQUESTED", "CANCELLATION_REQUESTED")
"""FulfillmentOrderAssignmentStatus values that wait for the service's answer."""


class RequestScanner:
    def __init__(
        self,
        pool: asyncpg.Pool,
        shops: ShopsConfig,
        clients: Mapping[str, GraphQLExecutor],
        settings: IntakeSettings,
        signals: Signals,
    ) -> None:
        self._pool = pool
        self._shops = shops
        self._clients = clients
        self._settings = settings
        self._loop = WorkLoop(
            "request-scans",
            self._round,
            signals.subscribe(request_store.SCANS_CHANNEL),
            idle_poll_s=settings.sync_idle_poll_s,
        )
        self.stats = WorkStats("scans", "requests_found", "orders_to_read", "failed_attempts")

    def status(self) -> dict[str, int]:
        return self.stats.as_json()

    async def run(self) -> None:
        await self._loop.run()

    async def scan_all(self) -> None:
        """The schedule: every service facility of every shop, in case a notification was lost."""
        async with self._pool.acquire() as conn, conn.transaction():
            for shop in self._shops:
                for facility in shop.service_facilities:
                    await request_store.request_scan(conn, shop.domain, facility, "schedule")

    async def _round(self) -> int:
        async with self._pool.acquire() as conn, conn.transaction():
            claimed = await request_store.claim_scans(conn, 10, self._settings.scan_lease_s)
        for scan in claimed:
            await self._scan(scan)
        return len(claimed)

    async def _scan(self, scan: ClaimedScan) -> None:
        client = self._clients.get(scan.shop)
        async with self._pool.acquire() as conn:
            location = await registry_store.service_location(conn, scan.shop, scan.facility)
        if client is None or location is None:
            # Nothing to read before the service is registered; registering it scans it.
            async with self._pool.acquire() as conn:
                await request_store.finish_scan(conn, scan)
            return
        requested: dict[str, str] = {}  # FO -> its order
        try:
            for status in REQUESTED_STATUSES:
                async for fo in paginate(
                    client,
                    ASSIGNED_FULFILLMENT_ORDERS,
                    {"assignmentStatus": status, "locationIds": [location]},
                    ("assignedFulfillmentOrders",),
                ):
                    requested[str(fo["id"])] = str(fo["orderId"])
        except ShopifyError as exc:
            self.stats.add("failed_attempts")
            log.warning(
                "request_scan.failed", shop=scan.shop, facility=scan.facility, error=str(exc)
            )
            delay = self._settings.answer_backoff.after_failure(scan.attempts)
            async with self._pool.acquire() as conn:
                await request_store.PENDING_SCANS.retry_later(
                    conn, [scan.key], str(exc), delay if delay is not None else 300.0
                )
            return
        async with self._pool.acquire() as conn, conn.transaction():
            waiting = await request_store.already_waiting(conn, scan.shop, list(requested))
            orders = sorted({order for fo, order in requested.items() if fo not in waiting})
            for order_gid in orders:
                await store.request_sync(
                    conn, scan.shop, order_gid, f"request at fulfillment service {scan.facility}"
                )
            await request_store.finish_scan(conn, scan)
        self.stats.add("scans")
        self.stats.add("requests_found", len(requested))
        self.stats.add("orders_to_read", len(orders))
        log.info(
            "request_scan.done",
            shop=scan.shop,
            facility=scan.facility,
            requests=len(requested),
            orders_to_read=len(orders),
        )
