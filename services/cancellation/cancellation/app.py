"""Wiring of cancellation: its message table, routes and worker, in one place.

Its queue bindings are derived from ROUTES. Besides what cancellation reacts to, the table holds
the redaction webhooks: its only personal data is in the order webhooks it holds as dead letters.
"""

from pathlib import Path
from typing import Any

from cancellation import handlers, store
from cancellation.http import operator_routes
from cancellation.settings import CancellationSettings
from cancellation.shopify_worker import ShopifyCancelWorker
from contracts import (
    ShipmentSynced,
    ShopifyOrderCancelled,
    ShopifyWebhook,
    WmsOrderCancelled,
    WmsOrderCancelResult,
    WmsOrderReduced,
    WmsOrderRejected,
    WmsOrderSent,
    WmsShipmentConfirmed,
)
from messaging import Routes, on
from service_runtime import ServiceDefinition, ServiceRuntime, ShopifyClients, Wiring
from service_runtime.privacy import held_message_redaction
from shop_config import load_shops
from storage.signals import Signals
from work_queue import WorkLoop

ROUTES: Routes[None] = (
    Routes(
        # Shopify -> WMS
        on(ShopifyWebhook, handlers.on_cancelled_webhook, "shopify.webhook.orders.cancelled"),
        on(ShopifyOrderCancelled, handlers.on_order_cancelled),
        on(WmsOrderSent, handlers.on_wms_order_sent),
        on(WmsOrderReduced, handlers.on_wms_order_reduced),
        on(WmsOrderCancelResult, handlers.on_cancel_result),
        # what the warehouse did
        on(WmsShipmentConfirmed, handlers.on_shipment_confirmed),
        on(ShipmentSynced, handlers.on_shipment_synced),
        on(WmsOrderRejected, handlers.on_wms_rejected),
        # WMS -> Shopify
        on(WmsOrderCancelled, handlers.on_warehouse_cancelled),
    )
    + held_message_redaction()
)


def wire(runtime: ServiceRuntime) -> Wiring[None]:
    settings = CancellationSettings()
    shops = load_shops()
    clients = ShopifyClients(runtime, shops, max_attempts=settings.shopify_max_attempts)
    signals = Signals(runtime.pool, [store.WORK.channel])
    worker = ShopifyCancelWorker(runtime.pool, shops, clients.by_shop, settings)
    loop = WorkLoop(
        "shopify_cancel",
        worker.run_once,
        signals.subscribe(store.WORK.channel),
        idle_poll_s=settings.worker_idle_poll_s,
        full_round=settings.worker_batch_size,
    )

    async def listen(_: ServiceRuntime) -> None:
        await signals.run()

    async def settle_warehouse_cancellations(_: ServiceRuntime) -> None:
        await loop.run()

    async def status(rt: ServiceRuntime) -> dict[str, Any]:
        async with rt.pool.acquire() as conn:
            summary = await store.status_summary(conn)
        return {"cancellations": {**summary, "shopify_worker": worker.stats.as_json()}}

    return Wiring(
        deps=None,
        routes=operator_routes(runtime.pool),
        background=[listen, settle_warehouse_cancellations],
        status=status,
        shutdown=[clients.close],
    )


DEFINITION = ServiceDefinition(
    name="cancellation",
    default_port=8084,
    routes=ROUTES,
    publishes=["wms.order.cancel", "cancellations.order.restocked"],
    migrations=Path(__file__).parent / "migrations",
    wire=wire,
)
