"""Wiring of webhook-gateway: what it receives and publishes, its HTTP routes, retention and
healing jobs and status section, in one place.

The gateway publishes every webhook, and every notification Shopify sends a facility connected
as a fulfillment service (notifications.py); it consumes only the webhooks about shops and
customers, for its own tables (compliance.py). Its handlers need nothing besides the message and
its transaction, so its dependencies are None.
"""

from datetime import timedelta
from pathlib import Path
from typing import Any

import structlog
from aiohttp import web

from contracts import SUBSCRIBED_TOPICS, ShopifyWebhook, webhook_message_type
from messaging import Routes, on
from service_runtime import ServiceDefinition, ServiceRuntime, ShopifyClients, Wiring
from shop_config import ShopsConfig, load_shops
from webhook_gateway import compliance, shop_records
from webhook_gateway.delivery import NOTIFICATION_MESSAGE
from webhook_gateway.healing import SubscriptionHealer
from webhook_gateway.notifications import NOTIFICATION_PATH
from webhook_gateway.operator_routes import operator_routes
from webhook_gateway.receiver import WebhookReceiver
from webhook_gateway.settings import GatewaySettings
from webhook_gateway.stats import GatewayStats, NotificationStats
from webhook_gateway.store import purge_deliveries
from work_queue import periodic

log = structlog.get_logger(__name__)

WEBHOOK_PATH = "/webhooks/shopify"

ROUTES: Routes[None] = Routes(
    on(ShopifyWebhook, compliance.on_app_uninstalled, "shopify.webhook.app.uninstalled"),
    on(ShopifyWebhook, compliance.on_data_request, "shopify.webhook.customers.data_request"),
    on(ShopifyWebhook, compliance.on_customer_redact, "shopify.webhook.customers.redact"),
    on(ShopifyWebhook, compliance.on_shop_redact, "shopify.webhook.shop.redact"),
)

PUBLISHES = [*(webhook_message_type(topic) for topic in SUBSCRIBED_TOPICS), NOTIFICATION_MESSAGE]
"""One message type per subscribed topic, and the fulfillment-service notification, written by
the receiver straight into the outbox."""


def gateway_definition(settings: GatewaySettings | None = None) -> ServiceDefinition[None]:
    """The service; `settings` None: read from the environment when the service starts."""

    def wire(runtime: ServiceRuntime) -> Wiring[None]:
        gateway = settings or GatewaySettings()
        shops = load_shops(gateway.shops_config)
        _warn_about_shops_without_secret(shops)
        stats, notification_stats = GatewayStats(), NotificationStats()
        receiver = WebhookReceiver(
            runtime, shops, stats, gateway.webhook_max_bytes, notification_stats
        )
        clients = ShopifyClients(runtime, shops)
        callback_url = gateway.webhook_callback_url or None  # set but empty: not set
        healer = SubscriptionHealer(runtime.pool, shops, clients.by_shop, callback_url)

        async def purge_expired(runtime: ServiceRuntime) -> None:
            purge = periodic(
                "webhook-purge",
                lambda: purge_once(runtime, gateway),
                gateway.webhook_purge_interval_s,
            )
            await purge.run()

        async def heal_subscriptions(_: ServiceRuntime) -> None:
            await healer.run(gateway.webhook_heal_interval_s)

        async def status(rt: ServiceRuntime) -> dict[str, Any]:
            return {
                "webhooks": stats.as_status(),
                "fulfillment_order_notifications": {
                    **notification_stats.as_status(),
                    "callbacks": _service_callbacks(shops),
                },
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
            deps=None,
            routes=[
                web.post(WEBHOOK_PATH, receiver.handle),
                web.post(NOTIFICATION_PATH, receiver.handle_notification),
                *operator_routes(runtime.pool, healer),
            ],
            background=[purge_expired, heal_subscriptions],
            status=status,
            shutdown=[clients.close],
        )

    return ServiceDefinition(
        name="webhook-gateway",
        default_port=8080,
        routes=ROUTES,
        publishes=PUBLISHES,
        migrations=Path(__file__).parent / "migrations",
        wire=wire,
    )


async def purge_once(runtime: ServiceRuntime, settings: GatewaySettings) -> None:
    """Delivery records hold shop, topic and ids only, but no longer than needed for dedup;
    exported data requests no longer than the personal data retention."""
    retention = timedelta(days=settings.webhook_retention_days)
    purged = await purge_deliveries(runtime.pool, retention)
    if purged:
        log.info("webhook.deliveries_purged", count=purged)
    forgotten = await shop_records.purge_exported_requests(
        runtime.pool, settings.personal_data_retention_days
    )
    if forgotten:
        log.info("privacy.exported_requests_purged", count=forgotten)


def _service_callbacks(shops: ShopsConfig) -> dict[str, dict[str, str]]:
    """Per shop, the callback URL each fulfillment service facility registers with Shopify: an
    operator can compare it with this gateway's public address."""
    return {
        shop.domain: {code: f.callback_for(code) for code, f in shop.service_facilities.items()}
        for shop in shops
        if shop.service_facilities
    }


def _warn_about_shops_without_secret(shops: ShopsConfig) -> None:
    for shop in shops:
        if not shop.webhook_secrets:
            log.warning("webhook.shop_without_client_secret", shop=shop.domain)


DEFINITION = gateway_definition()
