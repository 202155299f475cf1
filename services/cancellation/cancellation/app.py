"""Wiring of cancellation: its subscriptions, handlers, routes and schedules, in one place."""

from pathlib import Path
from typing import Any

from cancellation import store
from cancellation.handlers import message_handlers
from cancellation.http import operator_routes
from cancellation.settings import CancellationSettings
from cancellation.shopify_worker import ShopifyCancelWorker
from contracts import INTERNAL_EVENTS, WMS_EVENTS
from messaging import Subscription
from service_runtime import ServiceDefinition, ServiceRuntime, ShopifyClients, Wiring
from service_runtime.privacy import REDACTION_TOPICS, held_message_redaction
from shop_config import load_shops
from storage.signals import Signals


def wire(runtime: ServiceRuntime) -> Wiring:
    settings = CancellationSettings()
    shops = load_shops()
    clients = ShopifyClients(runtime, shops, max_attempts=settings.shopify_max_attempts)
    signals = Signals(runtime.pool, [store.WORK_CHANNEL])
    worker = ShopifyCancelWorker(runtime.pool, shops, clients.by_shop, settings, signals)

    async def listen(_: ServiceRuntime) -> None:
        await signals.run()

    async def settle_warehouse_cancellations(_: ServiceRuntime) -> None:
        await worker.run()

    async def status(rt: ServiceRuntime) -> dict[str, Any]:
        async with rt.pool.acquire() as conn:
            summary = await store.status_summary(conn)
        return {"cancellations": {**summary, "shopify_worker": worker.stats.as_json()}}

    return Wiring(
        handlers={**message_handlers(), **held_message_redaction()},
        routes=operator_routes(runtime.pool),
        background=[listen, settle_warehouse_cancellations],
        status=status,
        shutdown=[clients.close],
    )


DEFINITION = ServiceDefinition(
    name="cancellation",
    default_port=8084,
    subscriptions=[
        Subscription(INTERNAL_EVENTS, "shopify.webhook.orders.cancelled"),
        Subscription(INTERNAL_EVENTS, "orders.order.cancelled"),
        Subscription(INTERNAL_EVENTS, "orders.wms_order.sent"),
        Subscription(INTERNAL_EVENTS, "orders.wms_order.reduced"),
        Subscription(INTERNAL_EVENTS, "fulfillments.shipment.synced"),
        Subscription(WMS_EVENTS, "wms.order.cancel_result"),
        Subscription(WMS_EVENTS, "wms.order.cancelled"),
        Subscription(WMS_EVENTS, "wms.order.rejected"),
        Subscription(WMS_EVENTS, "wms.shipment.confirmed"),
        # Its only personal data: order webhooks it holds as dead letters.
        *(Subscription(INTERNAL_EVENTS, topic) for topic in REDACTION_TOPICS),
    ],
    migrations=Path(__file__).parent / "migrations",
    wire=wire,
)
