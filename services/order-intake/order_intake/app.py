"""Wiring of order-intake: what it receives and who handles it, what it sends, its routes and
its background work, in one place."""

from pathlib import Path
from typing import Any

from contracts import (
    CatalogFindings,
    FulfillmentOrderNotification,
    ShipmentSynced,
    ShopifyWebhook,
    WmsOrderAccepted,
    WmsOrderCancelResult,
    WmsOrderReduceResult,
    WmsOrderRejected,
)
from messaging import Routes, on
from order_intake import (
    catalog_findings,
    handlers,
    installations,
    privacy,
    request_store,
    store,
)
from order_intake.deps import IntakeDeps
from order_intake.download_jobs import DownloadJobs
from order_intake.fulfillment_services import FulfillmentServiceRegistry
from order_intake.http import fulfillment_service_routes, operator_routes
from order_intake.polling import OrderDownloader
from order_intake.privacy import RetentionPurge, RetentionSettings, privacy_routes
from order_intake.request_answers import AnswerWorker
from order_intake.request_scans import RequestScanner
from order_intake.settings import IntakeSettings
from order_intake.sync_worker import SyncWorker, utc_now
from service_runtime import ServiceDefinition, ServiceRuntime, ShopifyClients, Wiring
from shop_config import load_shops
from storage.signals import Signals
from work_queue import periodic

ROUTES = Routes(
    on(
        ShopifyWebhook,
        handlers.on_order_webhook,
        "shopify.webhook.orders.create",
        "shopify.webhook.orders.paid",
        "shopify.webhook.orders.updated",
        "shopify.webhook.orders.cancelled",
        "shopify.webhook.orders.edited",
    ),
    on(
        ShopifyWebhook,
        handlers.on_fulfillment_order_webhook,
        "shopify.webhook.fulfillment_orders.moved",
        "shopify.webhook.fulfillment_orders.split",
        "shopify.webhook.fulfillment_orders.merged",
        "shopify.webhook.fulfillment_orders.placed_on_hold",
        "shopify.webhook.fulfillment_orders.hold_released",
        "shopify.webhook.fulfillment_orders.fulfillment_request_submitted",
        "shopify.webhook.fulfillment_orders.cancellation_request_submitted",
        "shopify.webhook.fulfillment_orders.cancelled",
    ),
    on(FulfillmentOrderNotification, handlers.on_fulfillment_order_notification),
    on(ShopifyWebhook, installations.on_app_uninstalled, "shopify.webhook.app.uninstalled"),
    on(ShopifyWebhook, privacy.on_customer_redact, "shopify.webhook.customers.redact"),
    on(ShopifyWebhook, privacy.on_shop_redact, "shopify.webhook.shop.redact"),
    on(ShipmentSynced, privacy.on_shipment_synced),
    on(WmsOrderAccepted, handlers.on_wms_accepted),
    on(WmsOrderRejected, handlers.on_wms_rejected),
    on(WmsOrderReduceResult, handlers.on_reduce_result),
    on(WmsOrderCancelResult, handlers.on_cancel_result),
    on(CatalogFindings, catalog_findings.on_catalog_findings),
)


def wire(runtime: ServiceRuntime) -> Wiring[IntakeDeps]:
    settings = IntakeSettings()
    shops = load_shops()
    clients = ShopifyClients(runtime, shops, max_attempts=settings.shopify_max_attempts)
    signals = Signals(
        runtime.pool,
        [store.SYNC_CHANNEL, request_store.ANSWERS_CHANNEL, request_store.SCANS_CHANNEL],
    )
    worker = SyncWorker(runtime.pool, shops, clients.by_shop, settings, signals, utc_now)
    answers = AnswerWorker(runtime.pool, clients.by_shop, settings, signals)
    scanner = RequestScanner(runtime.pool, shops, clients.by_shop, settings, signals)
    downloader = OrderDownloader(runtime.pool, shops, clients.by_shop, settings, utc_now)
    download_jobs = DownloadJobs(downloader)
    retention = RetentionPurge(runtime.pool, RetentionSettings())
    registry = FulfillmentServiceRegistry(
        runtime.pool, shops, clients.by_shop, settings.registration_interval_s
    )

    async def listen(_: ServiceRuntime) -> None:
        await signals.run()

    async def sync_orders(_: ServiceRuntime) -> None:
        await worker.run()

    async def answer_requests(_: ServiceRuntime) -> None:
        await answers.run()

    async def scan_requests(_: ServiceRuntime) -> None:
        await scanner.run()

    async def scan_requests_on_schedule(_: ServiceRuntime) -> None:
        await periodic(
            "request-scan-schedule", scanner.scan_all, settings.request_scan_interval_s
        ).run()

    async def register_fulfillment_services(_: ServiceRuntime) -> None:
        await registry.run()

    async def poll_orders(_: ServiceRuntime) -> None:
        await downloader.run()

    async def purge_personal_data(_: ServiceRuntime) -> None:
        await retention.run()

    async def status(rt: ServiceRuntime) -> dict[str, Any]:
        async with rt.pool.acquire() as conn:
            summary = await store.status_summary(conn, settings.wms_answer_timeout_s)
            uninstalled = await installations.uninstalled_shops(conn)
            service_facilities = [
                (shop.domain, facility) for shop in shops for facility in shop.service_facilities
            ]
            requests = await request_store.requests_summary(conn, service_facilities)
        return {
            "orders": {**summary, "sync_worker": worker.status()},
            "fulfillment_requests": {
                **requests,
                "answer_worker": answers.status(),
                "scanner": scanner.status(),
            },
            "fulfillment_services": await registry.status(),
            "fulfillment_service_registration": registry.round_status(),
            "uninstalled_shops": uninstalled,
            "retention": retention.status(),
        }

    return Wiring(
        deps=IntakeDeps(shops),
        routes=[
            *operator_routes(runtime.pool, downloader, download_jobs),
            *privacy_routes(runtime.pool),
            *fulfillment_service_routes(registry),
        ],
        background=[
            listen,
            sync_orders,
            answer_requests,
            scan_requests,
            scan_requests_on_schedule,
            register_fulfillment_services,
            poll_orders,
            purge_personal_data,
        ],
        status=status,
        shutdown=[download_jobs.cancel, clients.close],
    )


DEFINITION = ServiceDefinition(
    name="order-intake",
    default_port=8081,
    routes=ROUTES,
    publishes=[
        "wms.order.create",
        "wms.order.hold",
        "wms.order.release",
        "wms.order.update",
        "wms.order.reduce",
        "wms.order.cancel",
        "orders.wms_order.sent",
        "orders.wms_order.reduced",
        "orders.order.cancelled",
        "orders.fulfillment_service.registered",
    ],
    migrations=Path(__file__).parent / "migrations",
    wire=wire,
)
