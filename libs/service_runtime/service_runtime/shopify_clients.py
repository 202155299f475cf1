"""The Admin API clients of a service: one per configured shop with an access token."""

from collections.abc import Mapping
from typing import Any

from service_runtime.service import ServiceRuntime
from shop_config import ShopsConfig
from shopify_admin import ShopifyClient


class ShopifyClients:
    """Built when the service is wired; `close` is a shutdown step of the service's wiring."""

    def __init__(self, runtime: ServiceRuntime, shops: ShopsConfig, **options: Any) -> None:
        self.by_shop: Mapping[str, ShopifyClient] = {
            shop.domain: ShopifyClient.from_env(
                shop.domain,
                shop.access_token,
                api_version=runtime.settings.shopify_api_version,
                admin_url=runtime.settings.shopify_admin_url,
                **options,
            )
            for shop in shops
            if shop.access_token is not None
        }

    async def close(self) -> None:
        for client in self.by_shop.values():
            await client.close()
