"""Wiring of order-intake: its subscriptions, handlers, routes and schedules, in one place."""

from pathlib import Path
from typing import Any

from contracts import INTERNAL_EVENTS, WMS_EVENTS
from messaging import Subscription
from order_intake import installations, store
from order_intake.download_jobs import DownloadJobs
from order_intake.handlers import FULFILLMENT_ORDER_WEBHOOK_TYPES, message_handlers
from order_intake.http import operator_routes
from order_intake.polling import OrderDownloader
from order_intake.privacy import RetentionPurge, RetentionSettings, privacy_handlers, privacy_routes
from order_intake.settings import IntakeSettings
from order_intake.sync_worker import SyncWorker, utc_now
from service_runtime import ServiceDefinition, ServiceRuntime, ShopifyClients, Wiring
from shop_config import load_shops
from storage.signals import Signals


def wire(runtime: ServiceRuntime) -> Wiring:
    settings = IntakeSettings()
    shops = load_shops()
    clients = ShopifyClients(runtime, shops, max_attempts=settings.shopify_max_attempts)
    signals = Signals(runtime.pool, [store.SYNC_CHANNEL])
    worker = SyncWorker(runtime.pool, shops, clients.by_shop, settings, signals, utc_now)
    downloader = OrderDownloader(runtime.pool, shops, clients.by_shop, settings, utc_now)
    download_jobs = DownloadJobs(downloader)
    retention = RetentionPurge(runtime.pool, RetentionSettings())

    async def listen(_: ServiceRuntime) -> None:
        await signals.run()

    async def sync_orders(_: ServiceRuntime) -> None:
        await worker.run()

    async def poll_orders(_: ServiceRuntime) -> None:
        await downloader.run()

    async def purge_personal_data(_: ServiceRuntime) -> None:
        await retention.run()

    async def status(rt: ServiceRuntime) -> dict[str, Any]:
        async with rt.pool.acquire() as conn:
            summary = await store.status_summary(conn, settings.wms_answer_timeout_s)
            uninstalled = await installations.uninstalled_shops(conn)
        return {
            "orders": {**summary, "sync_worker": worker.stats.as_json()},
            "uninstalled_shops": uninstalled,
            "retention": retention.stats.as_json(),
        }

    return Wiring(
        handlers={
            **message_handlers(shops),
            "shopify.webhook.app.uninstalled": installations.on_app_uninstalled,
            **privacy_handlers(),
        },
        routes=[
            *operator_routes(runtime.pool, downloader, download_jobs),
            *privacy_routes(runtime.pool),
        ],
        background=[
            listen,
            sync_orders,
            poll_orders,
            purge_personal_data,
        ],
        status=status,
        shutdown=[download_jobs.cancel, clients.close],
    )


DEFINITION = ServiceDefinition(
    name="order-intake",
    default_port=8081,
    subscriptions=[
        Subscription(INTERNAL_EVENTS, "shopify.webhook.orders.*"),
        *(Subscription(INTERNAL_EVENTS, t) for t in FULFILLMENT_ORDER_WEBHOOK_TYPES),
        Subscription(INTERNAL_EVENTS, "shopify.webhook.app.uninstalled"),
        Subscription(INTERNAL_EVENTS, "shopify.webhook.customers.redact"),
        Subscription(INTERNAL_EVENTS, "shopify.webhook.shop.redact"),
        Subscription(INTERNAL_EVENTS, "fulfillments.shipment.synced"),
        Subscription(WMS_EVENTS, "wms.order.accepted"),
        Subscription(WMS_EVENTS, "wms.order.rejected"),
        Subscription(WMS_EVENTS, "wms.order.reduce_result"),
        Subscription(WMS_EVENTS, "wms.order.cancel_result"),
    ],
    migrations=Path(__file__).parent / "migrations",
    wire=wire,
)
