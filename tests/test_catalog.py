"""The shop's catalog reaches the warehouse before orders need it, end to end.

Real Shopify simulator (products, variants, their signed webhooks, bulk operations), webhook
gateway, inventory-sync and the WMS simulator in its learned-catalog mode (it knows only the
items it was sent, and rejects an item whose barcode it holds for another SKU), over RabbitMQ
and Postgres. The merchant changes the catalog through the Admin API; what the warehouse holds is
read from the WMS simulator itself, what went over the wire from a tap on wms.commands.
"""

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from contracts import WMS_COMMANDS
from inventory_sync.app import DEFINITION as INVENTORY
from service_runtime import ServiceRuntime
from shopify_admin.client import ShopifyClient
from shopify_admin.mutations import create_webhook_subscription
from shopify_sim.config import SimConfig
from shopify_sim.schema_runtime import SchemaRuntime
from shopify_sim.testing import SimulatorHandle, running_simulator
from testkit.plugin import IsolatedDatabase
from testkit.probe import eventually
from testkit.services import running_service
from testkit.shops import shop as shop_entry
from testkit.shops import shops_file
from testkit.tap import Tap, open_tap
from webhook_gateway.app import WEBHOOK_PATH, gateway_definition
from wms_sim import WmsSimulator
from wms_sim.config import Facility, LearnedCatalog
from wms_sim.testing import quiet_config

SHOP = "catalog-shop.myshopify.com"
TOKEN = "shpat_catalog_e2e"
CLIENT_SECRET = "catalog-e2e-secret"
PRODUCTS = 6
ITEMS = PRODUCTS + 2
TOPICS = ("products/create", "products/update", "products/delete", "bulk_operations/finish")

VARIANTS_UPDATE = """
mutation($productId: ID!, $variants: [ProductVariantsBulkInput!]!) {
  productVariantsBulkUpdate(productId: $productId, variants: $variants) {
    userErrors { field message }
  }
}"""
VARIANTS_DELETE = """
mutation($productId: ID!, $variantsIds: [ID!]!) {
  productVariantsBulkDelete(productId: $productId, variantsIds: $variantsIds) {
    userErrors { field message }
  }
}"""
PRODUCT_CREATE = """
mutation($product: ProductCreateInput!) {
  productCreate(product: $product) {
    product { id variants(first: 1) { nodes { id } } }
    userErrors { field message }
  }
}"""


@dataclass
class Catalog:
    sim: SimulatorHandle
    inventory: ServiceRuntime
    warehouse: WmsSimulator
    tap: Tap

    def sent(self, message_type: str) -> list[dict[str, Any]]:
        return [m.body["data"] for m in self.tap.tapped_of_type(message_type)]

    def sent_for(self, sku: str) -> list[str]:
        return [
            m.envelope.type
            for m in self.tap.tapped
            if m.envelope.type.startswith("wms.item.") and m.body["data"]["sku"] == sku
        ]

    def variant(self, sku: str) -> tuple[str, str]:
        """(product GID, variant GID) of the simulator's variant with this SKU."""
        variant = self.sim.simulator.store.shop(SHOP).variants_by_sku[sku]
        return (
            f"gid://shopify/Product/{variant.product_id}",
            f"gid://shopify/ProductVariant/{variant.id}",
        )

    async def merchant(self, document: str, variables: dict[str, Any], root: str) -> Any:
        answer = await self.sim.run_as_storefront(SHOP, document, variables)
        assert not answer.get("errors"), answer
        payload = answer["data"][root]
        assert not payload["userErrors"], payload["userErrors"]
        return payload

    async def update_variant(self, of_sku: str, **fields: Any) -> None:
        product, variant = self.variant(of_sku)
        await self.merchant(
            VARIANTS_UPDATE,
            {"productId": product, "variants": [{"id": variant, **fields}]},
            "productVariantsBulkUpdate",
        )

    async def status(self) -> dict[str, Any]:
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"http://127.0.0.1:{self.inventory.port}/status") as resp,
        ):
            body: dict[str, Any] = await resp.json()
            return body

    async def sync(self) -> dict[str, Any]:
        """The operator's full sync; waits for it to end."""
        base = f"http://127.0.0.1:{self.inventory.port}/catalog/sync"
        async with aiohttp.ClientSession() as http:
            async with http.post(base, json={"shop": SHOP}) as resp:
                assert resp.status in (200, 202), await resp.text()
                job = await resp.json()
            done: dict[str, Any] = {}

            async def finished() -> bool:
                async with http.get(f"{base}/{job['job_id']}") as resp:
                    done.update(await resp.json())
                return done["state"] in ("done", "failed")

            await eventually(finished, 30)
        return done


@asynccontextmanager
async def running_catalog(
    database: IsolatedDatabase,
    amqp_url: str,
    schema_runtime: SchemaRuntime,
    config_dir: Path,
    env: pytest.MonkeyPatch,
) -> AsyncIterator[Catalog]:
    async with AsyncExitStack() as stack:
        sim = await stack.enter_async_context(
            running_simulator(SimConfig(random_seed=11, webhook_retry_scale=0.001), schema_runtime)
        )
        await sim.create_shop(SHOP, TOKEN, CLIENT_SECRET, locations=["Shop location"])
        await sim.seed(SHOP, products=PRODUCTS, locations=["Shop location"], details=True)
        # One product with two variants (a variant of it can be removed): SKU-00007-S and -M.
        await sim.seed(
            SHOP, products=1, variants_per_product=2, locations=["Shop location"], details=True
        )
        shops_file(
            config_dir, env, shop_entry(SHOP), access_token=TOKEN, client_secret=CLIENT_SECRET
        )
        env.setenv("SHOPIFY_ADMIN_URL", sim.base_url)
        for name, value in {
            "CATALOG_SYNC_POLL_S": "0.2",
            "CATALOG_SYNC_RETRY_BASE_S": "0.1",
            "CATALOG_READ_RETRY_BASE_S": "0.1",
            "SCHEDULE_CHECK_S": "0.5",
        }.items():
            env.setenv(f"INVENTORY_SYNC_{name}", value)
        tap = await stack.enter_async_context(open_tap(amqp_url, [(WMS_COMMANDS, "wms.item.#")]))
        gateway = await stack.enter_async_context(
            running_service(gateway_definition(), database, amqp_url)
        )
        async with ShopifyClient(SHOP, TOKEN, admin_url=sim.base_url) as client:
            for topic in TOPICS:
                uri = f"http://127.0.0.1:{gateway.port}{WEBHOOK_PATH}"
                assert (await create_webhook_subscription(client, topic, uri=uri)).ok
        inventory = await stack.enter_async_context(running_service(INVENTORY, database, amqp_url))
        warehouse = WmsSimulator(
            quiet_config(facilities=(Facility(SHOP, "WH1"),), catalog=LearnedCatalog())
        )
        await warehouse.start(amqp_url)
        stack.push_async_callback(warehouse.stop)
        catalog = Catalog(sim, inventory, warehouse, tap)
        # The shop's first sync (a bulk operation) sends every item before anything else.
        await eventually(lambda: len(warehouse.items(SHOP)) == ITEMS, 30)
        yield catalog


StartCatalog = Callable[[], AbstractAsyncContextManager[Catalog]]
"""`async with catalog_flow() as catalog:`"""


@pytest.fixture
def catalog_flow(
    isolated_database: IsolatedDatabase,
    isolated_vhost: str,
    schema_runtime: SchemaRuntime,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> StartCatalog:
    return partial(
        running_catalog, isolated_database, isolated_vhost, schema_runtime, tmp_path, monkeypatch
    )


async def test_the_catalog_follows_the_shop_and_an_unchanged_update_sends_nothing(
    catalog_flow: StartCatalog,
) -> None:
    async with catalog_flow() as catalog:
        first = catalog.sent("wms.item.upsert")
        assert sorted(d["sku"] for d in first) == sorted(catalog.warehouse.items(SHOP))
        assert all(d["barcode"] and d["weight"] for d in first)

        # Changed: the warehouse gets the new barcode once.
        await catalog.update_variant("SKU-00001", barcode="4006381333931")
        await eventually(
            lambda: catalog.warehouse.items(SHOP)["SKU-00001"].barcode == "4006381333931", 15
        )
        # Unchanged (a price is nothing the warehouse keeps): nothing is sent.
        before = len(catalog.tap.tapped)
        await catalog.update_variant("SKU-00002", price="99.00")
        await catalog.sim.simulator.dispatcher.drain(limit_seconds=10)
        await catalog.sync()
        assert len(catalog.tap.tapped) == before

        # A variant removed: discontinued at the warehouse.
        removed = next(sku for sku in catalog.warehouse.items(SHOP) if sku.startswith("SKU-00007-"))
        product, variant = catalog.variant(removed)
        await catalog.merchant(
            VARIANTS_DELETE,
            {"productId": product, "variantsIds": [variant]},
            "productVariantsBulkDelete",
        )
        await eventually(lambda: removed not in catalog.warehouse.items(SHOP), 15)
        assert catalog.sent_for(removed)[-1] == "wms.item.discontinued"
        assert len(catalog.warehouse.items(SHOP)) == ITEMS - 1


async def test_duplicated_and_reordered_webhooks_send_each_change_once(
    catalog_flow: StartCatalog,
) -> None:
    async with catalog_flow() as catalog:
        await catalog.sim.admin("POST", "/webhooks/controls", {"duplicate_fraction": 1.0})
        await catalog.sim.admin("POST", "/webhooks/controls", {"reorder": True})
        await catalog.update_variant("SKU-00004", barcode="5012345678900")
        await catalog.update_variant("SKU-00004", barcode="5012345678917")
        await catalog.sim.admin("POST", "/webhooks/release")
        await eventually(
            lambda: catalog.warehouse.items(SHOP)["SKU-00004"].barcode == "5012345678917", 15
        )
        await catalog.sim.simulator.dispatcher.drain(limit_seconds=10)
        upserts = [d for d in catalog.sent("wms.item.upsert") if d["sku"] == "SKU-00004"]
        # The first sync's, then at most one per distinct state read (never the older after).
        assert upserts[-1]["barcode"] == "5012345678917"
        assert len(upserts) <= 3
        assert len({d["barcode"] for d in upserts}) == len(upserts)


async def test_a_duplicate_sku_is_set_aside_and_a_rejected_item_is_shown(
    catalog_flow: StartCatalog,
) -> None:
    async with catalog_flow() as catalog:
        # Two variants now carry SKU-00005: neither is sent, both are listed to fix.
        await catalog.update_variant("SKU-00006", inventoryItem={"sku": "SKU-00005"})
        # SKU-00002 takes SKU-00001's barcode: the warehouse refuses it.
        barcode = catalog.warehouse.items(SHOP)["SKU-00001"].barcode
        await catalog.update_variant("SKU-00002", barcode=barcode)

        async def shown() -> bool:
            [shop] = (await catalog.status())["catalog"]["shops"]
            text = str(shop)
            return "SKU-00005" in text and "SKU-00002" in text

        await eventually(shown, 20)
        # The shop still sells SKU-00005: nothing more is sent for it until it is fixed;
        # SKU-00006 has no variant left and is discontinued.
        assert catalog.sent_for("SKU-00005") == ["wms.item.upsert"]
        assert catalog.sent_for("SKU-00006")[-1] == "wms.item.discontinued"


async def test_a_lost_webhook_is_caught_by_the_daily_reconciliation(
    catalog_flow: StartCatalog,
) -> None:
    async with catalog_flow() as catalog:
        await catalog.sim.admin("POST", "/webhooks/controls", {"drop_fraction": 1.0})
        await catalog.update_variant("SKU-00001", barcode="0012345678905")
        await catalog.sim.simulator.dispatcher.drain(limit_seconds=10)
        assert catalog.warehouse.items(SHOP)["SKU-00001"].barcode != "0012345678905"
        # Yesterday's reconciliation ran; today's comes due at the next schedule check.
        await catalog.inventory.pool.execute(
            "UPDATE catalog_daily_runs SET last_run_on = current_date - 2"
        )
        await eventually(
            lambda: catalog.warehouse.items(SHOP)["SKU-00001"].barcode == "0012345678905", 30
        )


async def test_a_failed_bulk_operation_is_retried(catalog_flow: StartCatalog) -> None:
    async with catalog_flow() as catalog:
        await catalog.sim.admin("POST", "/bulk", {"fail_next": 1})
        await catalog.update_variant("SKU-00002", barcode="0099999999994")
        job = await catalog.sync()
        assert job["state"] == "done", job
        assert job["attempts"] >= 1, job  # failed attempts before it was done
        assert catalog.warehouse.items(SHOP)["SKU-00002"].barcode == "0099999999994"
