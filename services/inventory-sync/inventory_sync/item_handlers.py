"""The catalog flow's message handlers: record what each message says, in the consumer's
transaction; none of them calls Shopify.

- products/create, products/update: the product is to be read (item_reads.py); the webhook's
  body is not the truth (a duplicated or late one says something old), the read is.
- products/delete: what the product had is discontinued now (from what is recorded), unless
  another variant still carries the SKU.
- bulk_operations/finish: wakes the full sync waiting on that operation (bulk_sync.py).
- wms.item.rejected: recorded with its reason, shown on /status; order-intake hears of it
  through `catalog.findings.changed`.
"""

import structlog

from contracts import ShopifyWebhook, WmsItemRejected
from inventory_sync import bulk_sync, item_reads, item_store
from inventory_sync.deps import InventoryDeps
from messaging import MessageContext

log = structlog.get_logger(__name__)

Context = MessageContext[InventoryDeps]


async def on_product_changed(webhook: ShopifyWebhook, ctx: Context) -> None:
    if ctx.shop not in ctx.deps.catalog_shops:
        return
    product_id = item_reads.product_id_of(webhook.payload)
    if product_id is None:
        log.warning("catalog.webhook_without_product", topic=webhook.topic)
        return
    await item_reads.request_read(ctx.conn, ctx.shop, product_id)


async def on_product_deleted(webhook: ShopifyWebhook, ctx: Context) -> None:
    if ctx.shop not in ctx.deps.catalog_shops:
        return
    product_id = item_reads.product_id_of(webhook.payload)
    if product_id is None:
        log.warning("catalog.webhook_without_product", topic=webhook.topic)
        return
    at = webhook.triggered_at or webhook.received_at
    await item_store.lock_catalog(ctx.conn, ctx.shop)
    skus = await item_store.remove_product(ctx.conn, ctx.shop, product_id, at)
    decided = await item_store.settle(ctx.conn, ctx.shop, skus, at, ctx.envelope)
    log.info(
        "catalog.product_deleted",
        product_id=product_id,
        discontinued=[d.sku for d in decided.discontinues],
    )


async def on_bulk_operation_finished(webhook: ShopifyWebhook, ctx: Context) -> None:
    gid = webhook.payload.get("admin_graphql_api_id")
    status = webhook.payload.get("status")
    if isinstance(gid, str):
        await bulk_sync.bulk_finished(ctx.conn, gid, status if isinstance(status, str) else None)


async def on_item_rejected(rejected: WmsItemRejected, ctx: Context) -> None:
    await item_store.lock_catalog(ctx.conn, ctx.shop)
    at = ctx.envelope.occurred_at
    await item_store.record_rejection(ctx.conn, ctx.shop, rejected.sku, rejected.reason, at)
    await item_store.publish_findings(ctx.conn, ctx.shop, at, ctx.envelope)
    log.warning("catalog.item_rejected", sku=rejected.sku, reason=rejected.reason)
