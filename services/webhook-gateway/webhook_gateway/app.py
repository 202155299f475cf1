"""Wiring of webhook-gateway: its route, retention job and status section, in one place."""

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import structlog
from aiohttp import web

from service_runtime import ServiceDefinition, ServiceRuntime, Wiring
from shop_config import ShopsConfig, load_shops
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

        async def purge_expired(runtime: ServiceRuntime) -> None:
            await purge_periodically(runtime, gateway)

        async def status(_: ServiceRuntime) -> dict[str, Any]:
            return {"webhooks": stats.as_status(), "shops": list(shops.domains)}

        return Wiring(
            routes=[web.post(WEBHOOK_PATH, receiver.handle)],
            background=[purge_expired],
            status=status,
        )

    return ServiceDefinition(
        name="webhook-gateway",
        default_port=8080,
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
        except Exception as error:  # the database may be away; the next round catches up
            log.warning("webhook.purge_failed", error=f"{type(error).__name__}: {error}")
        await asyncio.sleep(settings.webhook_purge_interval_s)


def _warn_about_shops_without_secret(shops: ShopsConfig) -> None:
    for shop in shops:
        if not shop.webhook_secrets:
            log.warning("webhook.shop_without_client_secret", shop=shop.domain)


DEFINITION = gateway_definition()
