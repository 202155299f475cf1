"""What the gateway does for operators, on a real gateway and the Shopify simulator: webhook
subscriptions that heal themselves, uninstalled shops left alone, customers' data requests."""

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from service_runtime import ServiceRuntime
from shopify_admin.mutations import webhook_topic
from shopify_sim.config import SimConfig
from shopify_sim.schema_runtime import SchemaRuntime
from shopify_sim.testing import SimulatorHandle, running_simulator
from testkit.plugin import IsolatedDatabase
from testkit.probe import eventually
from testkit.services import running_service
from webhook_gateway.app import gateway_definition
from webhook_gateway.settings import GatewaySettings
from webhook_gateway.subscriptions import API_TOPICS
from webhook_gateway.testing import SHOP, post_webhook, sample, signed_headers

TOKEN = "shpat_gateway_test"
CALLBACK = "https://gateway.example/webhooks/shopify"
OPS_TOKEN = "ops-secret"
AUTH = {"Authorization": f"Bearer {OPS_TOKEN}"}
DELETE = """mutation($id: ID!) { webhookSubscriptionDelete(id: $id) {
  deletedWebhookSubscriptionId userErrors { message } } }"""


@dataclass
class World:
    sim: SimulatorHandle
    gateway: ServiceRuntime

    def subscriptions(self) -> list[tuple[str, str]]:
        """(topic enum, uri) of every subscription the simulated shop has now."""
        shop = self.sim.simulator.store.shop(SHOP)
        return sorted((s.topic, s.uri) for s in shop.subscriptions.values())

    async def unsubscribe(self, *topics: str) -> None:
        """What Shopify does to subscriptions whose deliveries keep failing."""
        shop = self.sim.simulator.store.shop(SHOP)
        enums = {webhook_topic(t) for t in topics}
        for sub in [s for s in shop.subscriptions.values() if s.topic in enums]:
            # Unmetered and free of injected faults: Shopify's own doing, not the app's call.
            answer = await self.sim.run_as_storefront(
                SHOP, DELETE, {"id": f"gid://shopify/WebhookSubscription/{sub.id}"}
            )
            assert answer["data"]["webhookSubscriptionDelete"]["userErrors"] == []

    async def call(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        url = f"http://127.0.0.1:{self.gateway.port}{path}"
        async with (
            aiohttp.ClientSession() as http,
            http.request(method, url, json=body, headers=headers) as resp,
        ):
            return resp.status, await resp.json()

    async def status(self) -> dict[str, Any]:
        body: dict[str, Any] = (await self.call("GET", "/status"))[1]
        return body


StartWorld = Callable[..., AbstractAsyncContextManager[World]]


@pytest.fixture
def world(
    isolated_database: IsolatedDatabase,
    isolated_vhost: str,
    schema_runtime: SchemaRuntime,
    shops_file: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> StartWorld:
    @asynccontextmanager
    async def start(heal_interval_s: float = 3600.0) -> AsyncIterator[World]:
        async with running_simulator(SimConfig(random_seed=3), schema_runtime) as sim:
            await sim.create_shop(SHOP, TOKEN)
            monkeypatch.setenv("SHOPIFY_DEMO_ACCESS_TOKEN", TOKEN)
            settings = GatewaySettings(
                shops_config=shops_file,
                webhook_callback_url=CALLBACK,
                webhook_heal_interval_s=heal_interval_s,
            )
            async with running_service(
                gateway_definition(settings),
                isolated_database,
                isolated_vhost,
                shopify_admin_url=sim.base_url,
                ops_token=OPS_TOKEN,
            ) as gateway:
                yield World(sim, gateway)

    return start


def every_topic_once() -> list[tuple[str, str]]:
    return sorted((webhook_topic(t), CALLBACK) for t in API_TOPICS)


async def test_on_start_every_topic_is_subscribed_once_and_shown_healthy(world: StartWorld) -> None:
    async with world() as w:
        await eventually(lambda: w.subscriptions() == every_topic_once())
        status, body = await w.call("GET", f"/webhooks/subscriptions/{SHOP}")
        assert status == 200
        assert (body["healthy"], body["missing"]) == (True, [])
        assert sorted(body["present"]) == sorted(API_TOPICS)
        shown = (await w.status())["webhook_subscriptions"]["shops"][SHOP]
        assert shown["healthy"] is True
        # The compliance topics are the app configuration's business, not the Admin API's.
        assert not {"customers/redact", "shop/redact"} & set(body["present"])
        # A fulfillment service's requests arrive as webhooks too (issue 15).
        assert {
            ("FULFILLMENT_ORDERS_FULFILLMENT_REQUEST_SUBMITTED", CALLBACK),
            ("FULFILLMENT_ORDERS_CANCELLATION_REQUEST_SUBMITTED", CALLBACK),
            ("FULFILLMENT_ORDERS_CANCELLED", CALLBACK),
        } <= set(w.subscriptions())
        # The catalog's changes and its bulk operations' ends arrive as webhooks too (issue 18).
        assert {
            ("PRODUCTS_CREATE", CALLBACK),
            ("PRODUCTS_UPDATE", CALLBACK),
            ("PRODUCTS_DELETE", CALLBACK),
            ("BULK_OPERATIONS_FINISH", CALLBACK),
        } <= set(w.subscriptions())


async def test_subscriptions_shopify_deleted_are_reported_then_recreated_once(
    world: StartWorld,
) -> None:
    async with world() as w:
        await eventually(lambda: w.subscriptions() == every_topic_once())
        await w.unsubscribe("orders/paid", "bulk_operations/finish", "app/uninstalled")

        status, body = await w.call("GET", f"/webhooks/subscriptions/{SHOP}")
        assert (status, body["healthy"]) == (200, False)
        missing = ["app/uninstalled", "bulk_operations/finish", "orders/paid"]
        assert sorted(body["missing"]) == missing
        assert (await w.status())["webhook_subscriptions"]["shops"][SHOP]["missing"] == [
            "orders/paid",
            "bulk_operations/finish",
            "app/uninstalled",
        ]

        assert (await w.call("POST", f"/webhooks/subscriptions/{SHOP}/repair"))[0] == 401
        status, body = await w.call("POST", f"/webhooks/subscriptions/{SHOP}/repair", None, AUTH)
        assert status == 200
        assert sorted(body["created_by_last_repair"]) == missing
        assert body["healthy"] is True
        # A second repair finds nothing to do: never two subscriptions for one topic.
        _, again = await w.call("POST", f"/webhooks/subscriptions/{SHOP}/repair", None, AUTH)
        assert again["created_by_last_repair"] == []
        assert w.subscriptions() == every_topic_once()


async def test_the_schedule_heals_through_shopify_5xx_and_throttling(world: StartWorld) -> None:
    async with world(heal_interval_s=0.3) as w:
        await eventually(lambda: w.subscriptions() == every_topic_once())
        await w.sim.admin("POST", "/faults", {"server_error_fraction": 0.4, "throttle_seconds": 1})
        await w.unsubscribe("orders/create", "orders/updated", "orders/cancelled")

        await eventually(lambda: w.subscriptions() == every_topic_once(), timeout_s=30)
        await w.sim.admin("DELETE", "/faults")
        faults = (await w.sim.stats(SHOP))["injected_faults"]
        print(f"healed through injected faults: {faults}")
        assert faults.get("throttled", 0) > 0


async def test_an_uninstalled_shop_is_no_longer_healed_until_an_operator_repairs_it(
    world: StartWorld,
) -> None:
    async with world(heal_interval_s=0.2) as w:
        await eventually(lambda: w.subscriptions() == every_topic_once())
        body = sample("app/uninstalled")
        answer = await post_webhook(w.gateway, body, signed_headers(body, topic="app/uninstalled"))
        assert answer.status == 200

        async def marked() -> bool:
            return SHOP in (await w.status())["uninstalled_shops"]

        await eventually(marked)
        await w.unsubscribe("orders/create")
        uninstalled_at = (await w.status())["uninstalled_shops"][SHOP]
        checked = (await w.status())["webhook_subscriptions"]["shops"][SHOP]["checked_at"]
        await asyncio.sleep(1.0)  # five healing rounds
        assert ("ORDERS_CREATE", CALLBACK) not in w.subscriptions()
        shown = (await w.status())["webhook_subscriptions"]["shops"][SHOP]
        assert (shown["checked_at"], shown["uninstalled_at"]) == (checked, uninstalled_at)

        # After a reinstall the operator repairs: it works, so the shop is healed again.
        _, repaired = await w.call("POST", f"/webhooks/subscriptions/{SHOP}/repair", None, AUTH)
        assert repaired["created_by_last_repair"] == ["orders/create"]
        assert SHOP not in (await w.status())["uninstalled_shops"]
        await w.unsubscribe("orders/paid")
        await eventually(lambda: w.subscriptions() == every_topic_once())


async def test_unknown_shops_get_404(world: StartWorld) -> None:
    async with world() as w:
        status, body = await w.call("GET", "/webhooks/subscriptions/stranger.myshopify.com")
        assert status == 404
        assert "not configured" in body["error"]
        status, _ = await w.call(
            "POST", "/webhooks/subscriptions/stranger.myshopify.com/repair", None, AUTH
        )
        assert status == 404


async def test_a_data_request_waits_for_its_export_and_a_redaction_forgets_it(
    world: StartWorld,
) -> None:
    async with world() as w:
        body = sample("customers/data_request")
        headers = signed_headers(body, topic="customers/data_request")
        for _ in range(2):  # Shopify's retry of the same delivery
            assert (await post_webhook(w.gateway, body, headers)).status == 200

        async def listed() -> list[dict[str, Any]]:
            _, body = await w.call("GET", "/privacy/data-requests?open=1")
            found: list[dict[str, Any]] = body["data_requests"]
            return found

        await eventually(lambda: _non_empty(listed()))
        [request] = await listed()
        assert (request["shop"], request["request_id"], request["customer_id"]) == (
            SHOP,
            "9999",
            191167,
        )
        assert request["order_ids"] == [
            "gid://shopify/Order/299938",
            "gid://shopify/Order/280263",
            "gid://shopify/Order/220458",
        ]
        assert "john@example.com" not in json.dumps(request), "contacts are not kept"
        open_requests = (await w.status())["privacy"]["open_data_requests"]
        assert [r["request_id"] for r in open_requests] == ["9999"]

        path = f"/privacy/data-requests/{SHOP}/9999/exported"
        status, exported = await w.call("POST", path, None, AUTH)
        assert (status, exported["exported_at"] is not None) == (200, True)
        assert await listed() == []
        assert (await w.call("POST", f"/privacy/data-requests/{SHOP}/1/exported", None, AUTH))[
            0
        ] == 404

        redact = sample("customers/redact")
        headers = signed_headers(redact, topic="customers/redact")
        assert (await post_webhook(w.gateway, redact, headers)).status == 200

        async def forgotten() -> bool:
            return (await w.call("GET", f"/privacy/data-requests/{SHOP}/9999"))[0] == 404

        await eventually(forgotten)


async def _non_empty(found: Any) -> bool:
    return bool(await found)
