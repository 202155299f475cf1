from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from shopify_sim.config import SimConfig
from shopify_sim.schema_runtime import SchemaRuntime
from shopify_sim.state.repository import ShopState
from shopify_sim.testing import (
    SimulatorHandle,
    WebhookReceiver,
    running_simulator,
    webhook_receiver,
)

SUBSCRIBE = """mutation($topic: WebhookSubscriptionTopic!, $sub: WebhookSubscriptionInput!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $sub) {
    webhookSubscription { id } userErrors { field message } } }"""


@dataclass
class World:
    """A running simulator with one seeded shop: 20 SKUs, 10 units at each of 2 locations."""

    sim: SimulatorHandle
    domain: str = "sim-test.myshopify.com"
    token: str = "shpat_test_token"
    secret: str = "test-client-secret"

    @property
    def shop(self) -> ShopState:
        return self.sim.simulator.store.shop(self.domain)

    async def gql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        return await self.sim.graphql(self.token, query, variables)

    async def subscribe(self, uri: str, *topics: str) -> None:
        """The app's webhook subscriptions to `uri`, as GraphQL enum topics ("ORDERS_CREATE")."""
        for topic in topics:
            sub = {"uri": uri, "format": "JSON"}
            body = await self.gql(SUBSCRIBE, {"topic": topic, "sub": sub})
            assert body["data"]["webhookSubscriptionCreate"]["userErrors"] == []

    def variant_gid(self, sku: str) -> str:
        return f"gid://shopify/ProductVariant/{self.shop.variants_by_sku[sku].id}"

    def item_gid(self, sku: str) -> str:
        return f"gid://shopify/InventoryItem/{self.shop.variants_by_sku[sku].inventory_item_id}"

    def location_gid(self, name: str) -> str:
        location = next(loc for loc in self.shop.locations.values() if loc.name == name)
        return f"gid://shopify/Location/{location.id}"

    def level(self, sku: str, location: str) -> dict[str, int]:
        item = self.shop.variants_by_sku[sku].inventory_item_id
        number = int(self.location_gid(location).rsplit("/", 1)[1])
        found = self.shop.level(item, number)
        assert found is not None
        return found.quantities


@pytest.fixture
async def world(schema_runtime: SchemaRuntime) -> AsyncIterator[World]:
    config = SimConfig(webhook_retry_scale=0.001, random_seed=7)
    async with running_simulator(config, schema_runtime) as handle:
        created = World(handle)
        await handle.create_shop(
            created.domain,
            created.token,
            created.secret,
            locations=("Shop location", "Warehouse East"),
        )
        await handle.seed(
            created.domain,
            products=20,
            locations=["Shop location", "Warehouse East"],
            min_quantity=10,
            max_quantity=10,
        )
        yield created


@pytest.fixture
async def receiver() -> AsyncIterator[WebhookReceiver]:
    """Where the tests' webhook subscriptions deliver (`world.subscribe(receiver.url, ...)`)."""
    async with webhook_receiver() as started:
        yield started
