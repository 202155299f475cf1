"""The catalog reaches the WMS: a real inventory-sync against the Shopify simulator, Postgres and
RabbitMQ. Shopify changes are made with the simulator's mutations; their webhooks are published
as the webhook gateway would (duplicated and reordered where the test says so)."""

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

from testkit.probe import eventually

from .conftest import DOMAIN, TOKEN, InventoryFactory, InventoryWorld, sku

FAST = {
    "INVENTORY_SYNC_CATALOG_SYNC_POLL_S": "0.2",
    "INVENTORY_SYNC_CATALOG_SYNC_RETRY_BASE_S": "0.1",
    "INVENTORY_SYNC_CATALOG_READ_RETRY_BASE_S": "0.1",
}


def variant_input(variant_id: int, **fields: Any) -> dict[str, Any]:
    return {"id": f"gid://shopify/ProductVariant/{variant_id}", **fields}


VARIANTS_UPDATE = """
mutation($productId: ID!, $variants: [ProductVariantsBulkInput!]!) {
  productVariantsBulkUpdate(productId: $productId, variants: $variants) {
    userErrors { field message }
  }
}"""

PRODUCT_DELETE = """
mutation($id: ID!) { productDelete(input: {id: $id}) { deletedProductId userErrors { message } } }
"""


def of_type(world: InventoryWorld, message_type: str) -> list[dict[str, Any]]:
    return [m for m in world.catalog_out if m["type"] == message_type]


def data_of(world: InventoryWorld, message_type: str) -> list[dict[str, Any]]:
    return [m["data"] for m in of_type(world, message_type)]


def variant_of(world: InventoryWorld, sku_: str) -> tuple[int, int]:
    """(product id, variant id) of the simulator's variant with this SKU."""
    variant = world.shop.variants_by_sku[sku_]
    return variant.product_id, variant.id


async def graphql(world: InventoryWorld, query: str, variables: dict[str, Any]) -> Any:
    body = await world.sim.graphql(TOKEN, query, variables)
    assert "errors" not in body, body
    return body["data"]


async def webhook(world: InventoryWorld, topic: str, product_id: int, **payload: Any) -> None:
    await world.send(
        f"shopify.webhook.{topic.replace('/', '.')}",
        {
            "webhook_id": str(uuid.uuid4()),
            "topic": topic,
            "received_at": datetime.now(UTC),
            "payload": {"id": product_id, **payload},
        },
    )


async def reads_done(world: InventoryWorld) -> None:
    await world.handled(world.published)

    async def none_pending() -> bool:
        return await world.runtime.pool.fetchval("SELECT count(*) FROM product_reads") == 0

    await eventually(none_pending, timeout_s=20)
    await outbox_empty(world)


async def outbox_empty(world: InventoryWorld) -> None:
    async def empty() -> bool:
        return await world.runtime.pool.fetchval("SELECT count(*) FROM outbox") == 0

    await eventually(empty, timeout_s=20)
    await asyncio.sleep(0.2)  # published: let the tap's consumer take it


async def syncs_done(world: InventoryWorld, count: int) -> list[dict[str, Any]]:
    async def done() -> bool:
        rows = await world.runtime.pool.fetch("SELECT state FROM catalog_syncs")
        return len(rows) >= count and all(r["state"] in ("done", "failed") for r in rows)

    await eventually(done, timeout_s=30)
    await outbox_empty(world)
    ids = await world.runtime.pool.fetch("SELECT id FROM catalog_syncs ORDER BY created_at")
    found = []
    for row in ids:
        status, sync = await world.request("GET", f"/catalog/sync/{row['id']}")
        assert status == 200
        found.append(sync)
    return found


async def test_catalog_items_follow_the_shop(inventory: InventoryFactory) -> None:
    async with inventory(products=3, settings=FAST) as world:
        # The shop's first sync (nothing recorded): every shippable variant, by bulk operation.
        (first,) = await syncs_done(world, 1)
        assert first["requested_by"] == "first" and first["state"] == "done"
        assert first["progress"]["items_sent"] == 3
        upserts = data_of(world, "wms.item.upsert")
        assert sorted(u["sku"] for u in upserts) == [sku(1), sku(2), sku(3)]
        one = next(u for u in upserts if u["sku"] == sku(1))
        variant = world.shop.variants_by_sku[sku(1)]
        assert one["shopify_variant_id"] == f"gid://shopify/ProductVariant/{variant.id}"
        assert one["barcode"] == variant.barcode and one["weight"]["unit"]
        assert of_type(world, "catalog.findings.changed") == []

        # Changed: a new barcode; the webhook delivered twice is one read, one upsert.
        product_1, variant_1 = variant_of(world, sku(1))
        world.catalog_out.clear()
        await graphql(
            world,
            VARIANTS_UPDATE,
            {
                "productId": f"gid://shopify/Product/{product_1}",
                "variants": [variant_input(variant_1, barcode="4006381333931")],
            },
        )
        await webhook(world, "products/update", product_1)
        await webhook(world, "products/update", product_1)
        await reads_done(world)
        assert [(u["sku"], u["barcode"]) for u in data_of(world, "wms.item.upsert")] == [
            (sku(1), "4006381333931")
        ]

        # Unchanged: an update webhook with nothing the warehouse sees sends nothing.
        world.catalog_out.clear()
        product_2, _ = variant_of(world, sku(2))
        await webhook(world, "products/update", product_2)
        await reads_done(world)
        assert world.catalog_out == []

        # Duplicate: product 3's variant takes SKU-00002. Neither is sent; SKU-00003 is gone.
        product_3, variant_3 = variant_of(world, sku(3))
        await graphql(
            world,
            VARIANTS_UPDATE,
            {
                "productId": f"gid://shopify/Product/{product_3}",
                "variants": [variant_input(variant_3, inventoryItem={"sku": sku(2)})],
            },
        )
        await webhook(world, "products/update", product_3)
        await reads_done(world)
        assert data_of(world, "wms.item.upsert") == []
        assert [d["sku"] for d in data_of(world, "wms.item.discontinued")] == [sku(3)]
        (findings,) = data_of(world, "catalog.findings.changed")
        assert findings["duplicate_skus"] == [sku(2)] and findings["rejected_skus"] == {}
        catalog = (await world.status())["catalog"]["shops"][0]
        duplicates = catalog["findings"]["duplicate_skus"]
        assert duplicates["total"] == 1
        assert {v["variant_id"] for v in duplicates["skus"][0]["variants"]} == {
            f"gid://shopify/ProductVariant/{variant_3}",
            f"gid://shopify/ProductVariant/{variant_of(world, sku(2))[1]}",
        }

        # The WMS rejects SKU-00001: recorded with the reason, order-intake is told.
        world.catalog_out.clear()
        await world.send("wms.item.rejected", {"sku": sku(1), "reason": "barcode held by X-1"})
        await world.handled(world.published)
        await outbox_empty(world)
        (findings,) = data_of(world, "catalog.findings.changed")
        assert findings["rejected_skus"] == {sku(1): "barcode held by X-1"}
        rejected = (await world.status())["catalog"]["shops"][0]["findings"]["rejected_by_wms"]
        assert rejected["skus"][0]["sku"] == sku(1)
        assert rejected["skus"][0]["variant_id"] == f"gid://shopify/ProductVariant/{variant_1}"

        # Deleted: what the product had is discontinued; a late, reordered update of it (read
        # now: the product is gone) sends nothing more.
        world.catalog_out.clear()
        await graphql(world, PRODUCT_DELETE, {"id": f"gid://shopify/Product/{product_1}"})
        await webhook(world, "products/delete", product_1)
        await world.handled(world.published)
        await outbox_empty(world)
        assert [d["sku"] for d in data_of(world, "wms.item.discontinued")] == [sku(1)]
        await webhook(world, "products/update", product_1)
        await reads_done(world)
        assert [d["sku"] for d in data_of(world, "wms.item.discontinued")] == [sku(1)]
        assert data_of(world, "wms.item.upsert") == []

        # The duplicate is fixed: SKU-00002 is sent from the variant left with it.
        world.catalog_out.clear()
        await graphql(
            world,
            VARIANTS_UPDATE,
            {
                "productId": f"gid://shopify/Product/{product_3}",
                "variants": [variant_input(variant_3, inventoryItem={"sku": sku(3)})],
            },
        )
        await webhook(world, "products/update", product_3)
        await reads_done(world)
        assert sorted(u["sku"] for u in data_of(world, "wms.item.upsert")) == [sku(3)]
        # SKU-00002 was never discontinued nor changed: the WMS still has it as it was.
        (findings,) = data_of(world, "catalog.findings.changed")
        assert findings["duplicate_skus"] == []


async def test_bulk_sync_retries_a_failed_operation_and_sends_only_differences(
    inventory: InventoryFactory,
) -> None:
    async with inventory(products=30, settings=FAST) as world:
        await syncs_done(world, 1)
        assert len(data_of(world, "wms.item.upsert")) == 30
        world.catalog_out.clear()

        # A change Shopify made whose webhook was lost, and a failing bulk operation.
        product_5, variant_5 = variant_of(world, sku(5))
        await graphql(
            world,
            VARIANTS_UPDATE,
            {
                "productId": f"gid://shopify/Product/{product_5}",
                "variants": [variant_input(variant_5, barcode="5901234123457")],
            },
        )
        await world.sim.admin("POST", "/bulk", {"fail_next": 1})
        status, started = await world.request("POST", "/catalog/sync", {"shop": DOMAIN})
        assert status == 202 and started["requested_by"] == "operator"
        syncs = await syncs_done(world, 2)
        operator = syncs[-1]
        assert operator["state"] == "done"
        assert operator["attempts"] == 1 and "FAILED" in (operator["error"] or "FAILED")
        assert operator["progress"]["variants_read"] == 30
        assert operator["progress"]["items_sent"] == 1
        assert operator["progress"]["unchanged"] == 29
        assert [(u["sku"], u["barcode"]) for u in data_of(world, "wms.item.upsert")] == [
            (sku(5), "5901234123457")
        ]

        # A variant deleted behind our back: the next sync discontinues it; else nothing.
        world.catalog_out.clear()
        product_7, _ = variant_of(world, sku(7))
        await graphql(world, PRODUCT_DELETE, {"id": f"gid://shopify/Product/{product_7}"})
        await world.request("POST", "/catalog/sync", {"shop": DOMAIN})
        last = (await syncs_done(world, 3))[-1]
        assert last["progress"]["items_sent"] == 0 and last["progress"]["discontinued"] == 1
        assert [d["sku"] for d in data_of(world, "wms.item.discontinued")] == [sku(7)]
        assert data_of(world, "wms.item.upsert") == []
