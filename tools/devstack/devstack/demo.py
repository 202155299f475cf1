"""The demo shop `make run` plays with: created in the Shopify simulator, seeded with a catalog
whose variants carry what a warehouse needs (warehouse.py: barcodes, weights, HS codes),
subscribed to the gateway's webhook URL by the app's own client, and sent a steady stream of
orders so the status page has something to show. (Its second facility, a fulfillment service:
fulfillment_service.py.)"""

from pathlib import Path
from typing import Any

import aiohttp
import structlog

from devstack.warehouse import DEMO_LOCATION_NAME, seed_plan
from shopify_admin.client import ShopifyClient
from shopify_admin.mutations import create_webhook_subscription
from webhook_gateway.subscriptions import API_TOPICS

log = structlog.get_logger(__name__)

DEMO_SHOP = "demo.myshopify.com"
# Credentials of the simulated shop only: they open nothing real. Real shops' secrets come from
# the environment or a secrets file (see shops.example.toml).
DEMO_TOKEN = "shpat_demo_simulator_only"
DEMO_CLIENT_SECRET = "demo-simulator-webhook-secret"
# The location shops.dev.toml maps: the first id a fresh simulator allocates.
DEMO_LOCATION = "gid://shopify/Location/8000000000001"


def demo_environment(shops_config: Path, simulator_url: str, webhook_url: str) -> dict[str, str]:
    """What the services need to talk to the simulated shop (the caller's env wins)."""
    return {
        "SHOPS_CONFIG": str(shops_config),
        "WEBHOOK_CALLBACK_URL": webhook_url,
        "SHOPIFY_ADMIN_URL": simulator_url,
        "SHOPIFY_DEMO_ACCESS_TOKEN": DEMO_TOKEN,
        "SHOPIFY_DEMO_CLIENT_SECRET": DEMO_CLIENT_SECRET,
    }


async def _admin(session: aiohttp.ClientSession, method: str, url: str, body: Any = None) -> Any:
    async with session.request(method, url, json=body) as resp:
        if resp.status >= 400:
            raise RuntimeError(f"simulator {method} {url}: {resp.status} {await resp.text()}")
        return await resp.json()


async def create_demo_shop(simulator_url: str, webhook_url: str) -> None:
    """Create and seed the demo shop and subscribe it to the gateway."""
    admin = f"{simulator_url}/_sim/shops"
    async with aiohttp.ClientSession() as session:
        shop = await _admin(session, "POST", admin, {
            "domain": DEMO_SHOP, "access_token": DEMO_TOKEN,
            "client_secret": DEMO_CLIENT_SECRET, "plan": "standard",
            "locations": [DEMO_LOCATION_NAME],
            # The merchant's automation submits the fulfillment request of every paid order's
            # fulfillment order at a fulfillment service's location (WH2).
            "settings": {"auto_request_fulfillment": True},
        })  # fmt: skip
        await _admin(session, "POST", f"{admin}/{DEMO_SHOP}/seed", seed_plan())
    async with ShopifyClient(DEMO_SHOP, DEMO_TOKEN, admin_url=simulator_url) as client:
        for topic in API_TOPICS:
            result = await create_webhook_subscription(client, topic, uri=webhook_url)
            if not result.ok:
                raise RuntimeError(f"subscribing {topic}: {result.user_errors}")
    if [loc["id"] for loc in shop["locations"]] != [DEMO_LOCATION]:
        raise RuntimeError(f"the demo shop's location is not {DEMO_LOCATION} (shops.dev.toml)")


async def start_order_stream(simulator_url: str, orders_per_second: float) -> None:
    if orders_per_second <= 0:
        return
    async with aiohttp.ClientSession() as session:
        await _admin(session, "POST", f"{simulator_url}/_sim/shops/{DEMO_SHOP}/order_stream",
                     {"rate": orders_per_second, "duration": 7 * 24 * 3600})  # fmt: skip
