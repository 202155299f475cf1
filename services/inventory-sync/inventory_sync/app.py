"""Wiring of inventory-sync: its message table, routes and background workers, in one place.

Warehouse stock becomes Shopify inventory (`available` at the facility's Shopify location):

- Catalog: per location, SKU -> inventory item and what Shopify has, read page by page from
  the Admin API and kept in this service's schema (catalog.py). Re-read daily, before a snapshot
  when older than `catalog_max_age_h`, and by every full sync.
- Snapshot (`wms.inventory.snapshot`, in parts): assembled here; applied only once every part
  has arrived (snapshots.py, assembly.py), never partially; a snapshot still missing parts after
  `snapshot_timeout_s` is reported incomplete on /status.
- Realtime (`wms.inventory.adjusted`): an adjustment older than what was applied for its SKU is
  ignored; a burst is coalesced for `realtime_coalesce_ms` and pushed in one batch (realtime.py).
- Each SKU is checked before upload: no Shopify item, two items with the SKU, a negative
  quantity, an untracked item, an item not stocked at the location are set aside with their
  reason (on /status and in the job's report) and never fail the rest (domain.py, planner.py).
- Only changes are pushed: `inventorySetQuantities`, 250 quantities per call, each with
  `changeFromQuantity` and an idempotency key; a stale one is re-read and retried (pusher.py).

No oversell: the quantity set is `max(0, WMS available - units in flight)`, where units are in
flight from `orders.wms_order.sent` until the warehouse counts them (accepted before the figure's
`as_of`), and from the `orders/create` webhook until order-intake sends the order (at most
`placement_hold_minutes`, counted at every facility of the shop since the facility is not known
yet). A rejected or cancelled order stops counting. `domain.py` states the rule in full.

Restock (`cancellations.order.restocked`), once per `restock_id`: the order stops being in
flight and, when Shopify restocked it itself, the quantity we track goes up by as much so the
next compare-and-set is right; the warehouse's next figures are absolute, so nothing doubles.

The catalog reaches the warehouse: every variant that requires shipping and has a SKU is a
`wms.item.upsert`, a variant or product gone a `wms.item.discontinued`, only what changed is
sent (a digest per variant; items.py decides, item_store.py records and queues the messages in
one transaction). Changes come from products/* webhooks, which ask for the product to be read
(item_handlers.py, item_reads.py); a full sync by bulk operation (bulk_sync.py) runs first for a
shop never synced, daily at `catalog_daily_at`, and on `POST /catalog/sync`. Duplicate SKUs and
the WMS's rejections (`wms.item.rejected`) are findings, shown on /status and sent to
order-intake (`catalog.findings.changed`); the push path sets the same duplicates aside.

Operator: `POST /inventory/full-sync` and `GET /inventory/full-sync/{job_id}` (http.py); the
same full sync runs daily at each feed's `daily_at` (schedule.py).

A facility connected as a fulfillment service names no location in the shops file: order-intake
reports the one Shopify created (`orders.fulfillment_service.registered`, registrations.py). Its
feed pushes nothing until that is known (and while the service does not manage inventory); the
warehouse's figures are recorded meanwhile, and a full sync pushes them once it can (feeds.py).
"""

from pathlib import Path
from typing import Any

from contracts import (
    FulfillmentServiceRegistered,
    OrderRestocked,
    ShopifyOrderCancelled,
    ShopifyWebhook,
    WmsInventoryAdjusted,
    WmsInventorySnapshot,
    WmsItemRejected,
    WmsOrderAccepted,
    WmsOrderCancelled,
    WmsOrderCancelResult,
    WmsOrderRejected,
    WmsOrderSent,
)
from inventory_sync import handlers, item_handlers, registrations, snapshots, stock
from inventory_sync.assembly import Assembler
from inventory_sync.bulk_sync import (
    BULK_FINISHED_CHANNEL,
    CATALOG_SYNCS,
    CatalogScheduler,
    CatalogSyncer,
)
from inventory_sync.deps import InventoryDeps
from inventory_sync.feeds import Feeds
from inventory_sync.http import operator_routes
from inventory_sync.item_reads import PRODUCT_READS, ItemReader
from inventory_sync.job_store import JOBS
from inventory_sync.jobs import JobRunner
from inventory_sync.push_store import PUSH_BATCHES
from inventory_sync.pusher import Pusher
from inventory_sync.realtime import RealtimeFlusher
from inventory_sync.schedule import Scheduler
from inventory_sync.settings import InventorySettings
from inventory_sync.status import status_section
from messaging import Routes, on
from service_runtime import ServiceDefinition, ServiceRuntime, ShopifyClients, Wiring
from service_runtime.privacy import held_message_redaction
from shop_config import load_shops
from shopify_admin.throttle import ThrottleRegistry
from storage.signals import Signals

# held_message_redaction: its only personal data is in order webhooks it holds as dead letters.
ROUTES = (
    Routes(
        on(WmsInventorySnapshot, handlers.on_snapshot_part),
        on(WmsInventoryAdjusted, handlers.on_adjusted),
        on(WmsOrderAccepted, handlers.on_accepted),
        on(WmsOrderRejected, handlers.on_rejected),
        on(WmsOrderCancelled, handlers.on_wms_cancelled),
        on(WmsOrderCancelResult, handlers.on_cancel_result),
        on(WmsOrderSent, handlers.on_order_sent),
        on(ShopifyOrderCancelled, handlers.on_order_cancelled),
        on(OrderRestocked, handlers.on_restocked),
        on(ShopifyWebhook, handlers.on_order_placed, "shopify.webhook.orders.create"),
        on(FulfillmentServiceRegistered, handlers.on_fulfillment_service_registered),
        on(
            ShopifyWebhook,
            item_handlers.on_product_changed,
            "shopify.webhook.products.create",
            "shopify.webhook.products.update",
        ),
        on(ShopifyWebhook, item_handlers.on_product_deleted, "shopify.webhook.products.delete"),
        on(
            ShopifyWebhook,
            item_handlers.on_bulk_operation_finished,
            "shopify.webhook.bulk_operations.finish",
        ),
        on(WmsItemRejected, item_handlers.on_item_rejected),
    )
    + held_message_redaction()
)


def wire(runtime: ServiceRuntime) -> Wiring[InventoryDeps]:
    settings = InventorySettings()
    shops = load_shops()
    feeds = Feeds(shops)
    # Ours, not the process-wide default: the pusher reads the buckets it paces calls by.
    throttles = ThrottleRegistry()
    shopify = ShopifyClients(
        runtime, shops, max_attempts=settings.shopify_max_attempts, throttles=throttles
    )
    clients = shopify.by_shop
    catalog_shops = frozenset(clients)
    signals = Signals(
        runtime.pool,
        [
            JOBS.channel,
            PUSH_BATCHES.channel,
            stock.DIRTY_CHANNEL,
            snapshots.PARTS_CHANNEL,
            registrations.FEEDS_CHANNEL,
            PRODUCT_READS.channel,
            CATALOG_SYNCS.channel,
            BULK_FINISHED_CHANNEL,
        ],
    )
    refresher = registrations.FeedsRefresher(runtime.pool, feeds, settings, signals)
    assembler = Assembler(runtime.pool, settings, signals)
    pusher = Pusher(runtime.pool, feeds, clients, settings, signals, throttles)
    jobs = JobRunner(runtime.pool, feeds, clients, settings, signals)
    realtime = RealtimeFlusher(runtime.pool, feeds, settings, signals)
    scheduler = Scheduler(runtime.pool, feeds, settings)
    reader = ItemReader(runtime.pool, clients, settings, signals)
    syncer = CatalogSyncer(runtime.pool, clients, settings, signals)
    catalog_schedule = CatalogScheduler(runtime.pool, sorted(catalog_shops), settings)

    async def listen(_: ServiceRuntime) -> None:
        await signals.run()

    async def refresh_feeds(_: ServiceRuntime) -> None:
        await refresher.run()

    async def assemble(_: ServiceRuntime) -> None:
        await assembler.run()

    async def push(_: ServiceRuntime) -> None:
        await pusher.run()

    async def run_jobs(_: ServiceRuntime) -> None:
        await jobs.run()

    async def flush_realtime(_: ServiceRuntime) -> None:
        await realtime.run()

    async def schedule(_: ServiceRuntime) -> None:
        await scheduler.run()

    async def read_products(_: ServiceRuntime) -> None:
        await reader.run()

    async def sync_catalogs(_: ServiceRuntime) -> None:
        await syncer.run()

    async def schedule_catalogs(_: ServiceRuntime) -> None:
        await catalog_schedule.run()

    async def status(rt: ServiceRuntime) -> dict[str, Any]:
        async with rt.pool.acquire() as conn:
            return await status_section(
                conn, feeds, settings, pusher.status(), catalog_shops, reader.stats.as_json()
            )

    return Wiring(
        deps=InventoryDeps(feeds, catalog_shops),
        routes=operator_routes(runtime.pool, feeds, catalog_shops),
        background=[
            listen,
            refresh_feeds,
            assemble,
            push,
            run_jobs,
            flush_realtime,
            schedule,
            read_products,
            sync_catalogs,
            schedule_catalogs,
        ],
        status=status,
        shutdown=[syncer.close, shopify.close],
    )


DEFINITION = ServiceDefinition(
    name="inventory-sync",
    default_port=8083,
    routes=ROUTES,
    publishes=("wms.item.upsert", "wms.item.discontinued", "catalog.findings.changed"),
    migrations=Path(__file__).parent / "migrations",
    wire=wire,
)
