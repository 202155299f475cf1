"""Wiring of webhook-gateway: its routes, handlers, retention and healing jobs and status
section, in one place."""

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import structlog
from aiohttp import web

from contracts import INTERNAL_EVENTS
from messaging import Subscription
from service_runtime import ServiceDefinition, ServiceRuntime, ShopifyClients, Wiring
from shop_config import ShopsConfig, load_shops
from webhook_gateway import shop_records
from webhook_gateway.compliance import compliance_handlers
from webhook_gateway.healing import SubscriptionHealer
from webhook_gateway.operator_routes import operator_routes
from webhook_gateway.receiver import WebhookReceiver
from webhook_gateway.settings import GatewaySettings
from webhook_gateway.stats import GatewayStats
from webhook_gateway.store import purge_deliveries

log = structlog.get_logger(__name__)

WEBHOOK_PATH = "/webhooks/shopify"


def gateway_definition(settings: GatewaySettings | None = None) -> ServiceDefinition:
    """The service; `settings` None: read from the environment when the service starts."""

    def wire(runtime: ServiceRuntime) -> Wiring:
        gateway = settings or GatewaySettings()
        shops = load_shops(gateway.shops_config)
        _warn_about_shops_without_secret(shops)
        stats = GatewayStats()
        receiver = WebhookReceiver(runtime, shops, stats, gateway.webhook_max_bytes)
        clients = ShopifyClients(runtime, shops)
        callback_url = gateway.webhook_callback_url or None  # set but empty: not set
        healer = SubscriptionHealer(runtime.pool, shops, clients.by_shop, callback_url)

        async def purge_expired(runtime: ServiceRuntime) -> None:
            await purge_periodically(runtime, gateway)

        async def heal_subscriptions(_: ServiceRuntime) -> None:
            await healer.run(gateway.webhook_heal_interval_s)

        async def status(rt: ServiceRuntime) -> dict[str, Any]:
            return {
                "webhooks": stats.as_status(),
                "shops": list(shops.domains),
                "webhook_subscriptions": healer.status(),
                "uninstalled_shops": {
                    shop: at.isoformat()
                    for shop, at in (await shop_records.uninstalled_shops(rt.pool)).items()
                },
                "privacy": {
                    "open_data_requests": await shop_records.data_requests(rt.pool, open_only=True)
                },
            }

        return Wiring(
            handlers=compliance_handlers(),
            routes=[
                web.post(WEBHOOK_PATH, receiver.handle),
                *operator_routes(runtime.pool, healer),
            ],
            background=[purge_expired, heal_subscriptions],
            status=status,
            shutdown=[clients.close],
        )

    return ServiceDefinition(
        name="webhook-gateway",
        default_port=8080,
        # The gateway publishes every webhook; it consumes only those about shops and customers.
        subscriptions=[
            Subscription(INTERNAL_EVENTS, "shopify.webhook.app.uninstalled"),
            Subscription(INTERNAL_EVENTS, "shopify.webhook.customers.*"),
            Subscription(INTERNAL_EVENTS, "shopify.webhook.shop.redact"),
        ],
        migrations=Path(__file__).parent / "migrations",
        wire=wire,
    )


async def purge_periodically(runtime: ServiceRuntime, settings: GatewaySettings) -> None:
    """Delivery records hold shop, topic and ids only, but no longer than needed for dedup."""
    retention = timedelta(days=settings.webhook_retention_days)
    while True:
        try:
            purged = await purge_deliveries(runtime.pool, retention)
            if purged:
                log.info("webhook.deliveries_purged", count=purged)
            forgotten = await shop_records.purge_exported_requests(
                runtime.pool, settings.personal_data_retention_days
            )
            if forgotten:
                log.info("privacy.exported_requests_purged", count=forgotten)
        except Exception as error:  # the database may be away; the next round catches up
            log.warning("webhook.purge_failed", error=f"{type(error).__name__}: {error}")
        await asyncio.sleep(settings.webhook_purge_interval_s)


def _warn_about_shops_without_secret(shops: ShopsConfig) -> None:
    for shop in shops:
        if not shop.webhook_secrets:
            log.warning("webhook.shop_without_client_secret", shop=shop.domain)


DEFINITION = gateway_definition()
