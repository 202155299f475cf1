"""Webhook-triggered reads of products: the webhook says "look at this product", the read is
the truth.

`products/create` and `products/update` put the product in `product_reads` (one row per
product: duplicated and reordered webhooks collapse into one "read this product"). A worker per
shop claims due products in batches and reads them with `nodes(ids:)` (CATALOG_PRODUCTS: its
cost does not grow with the ids, the shop's bucket paces the calls); a product with more
variants than the first page is read page by page. What was read is applied in one transaction
(item_store): a read older than what is recorded for a variant is not applied, a product Shopify
no longer has is removed, variants it no longer has are removed; the SKUs touched are settled
and their messages go out through the outbox.

A product requested again while its read was in flight (`requested_at` moved) is read again;
a failed read is retried with a growing delay (`catalog_read_backoff`).
"""

import asyncio
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
import structlog

from inventory_sync import item_store, items
from inventory_sync.domain import gid_number
from inventory_sync.items import VariantRead
from inventory_sync.settings import InventorySettings
from shopify_admin.operations import CATALOG_PRODUCT_VARIANTS, CATALOG_PRODUCTS
from shopify_admin.pagination import GraphQLExecutor, fetch_nodes, paginate
from storage import Connection
from storage.signals import Signals
from work_queue import Key, WorkLoop, WorkStats, WorkTable

log = structlog.get_logger(__name__)

PRODUCT_READS = WorkTable(
    "product_reads", {"shop": "text", "product_id": "bigint"}, channel="inventory_sync_reads"
)


def product_gid(product_id: int) -> str:
    return f"gid://shopify/Product/{product_id}"


def product_id_of(payload: Mapping[str, Any]) -> int | None:
    """The product a products/* webhook body names (REST `id`, or its GraphQL id)."""
    value = payload.get("id")
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    gid = payload.get("admin_graphql_api_id")
    if isinstance(gid, str):
        return gid_number(gid, "Product")
    return None


async def request_read(conn: Connection, shop: str, product_id: int) -> None:
    """Ask for the product to be read (again, if a read of it is already in flight)."""
    await conn.execute(
        """
        INSERT INTO product_reads (shop, product_id) VALUES ($1, $2)
        ON CONFLICT (shop, product_id) DO UPDATE SET requested_at = clock_timestamp()
        """,
        shop,
        product_id,
    )
    await PRODUCT_READS.wake(conn)


class ItemReader:
    def __init__(
        self,
        pool: asyncpg.Pool,
        clients: Mapping[str, GraphQLExecutor],
        settings: InventorySettings,
        signals: Signals,
    ) -> None:
        self._pool = pool
        self._clients = clients
        self._settings = settings
        self._signals = signals
        self._backoff = settings.catalog_read_backoff
        self.stats = WorkStats("products_read", "variants_read", "items_sent", "discontinued")

    async def run(self) -> None:
        loops = [
            WorkLoop(
                f"product_reads:{shop}",
                functools.partial(self.read_due, shop),
                self._signals.subscribe(PRODUCT_READS.channel),
                idle_poll_s=self._settings.idle_poll_s,
                full_round=self._settings.catalog_read_batch,
            )
            for shop in sorted(self._clients)
        ]
        await asyncio.gather(*(loop.run() for loop in loops))

    async def read_due(self, shop: str) -> int:
        """Read one batch of the shop's due products; how many were claimed."""
        async with self._pool.acquire() as conn:
            claimed = await PRODUCT_READS.claim(
                conn,
                limit=self._settings.catalog_read_batch,
                lease_s=self._settings.catalog_read_lease_s,
                where="c.shop = $3",
                args=[shop],
                returning="w.product_id, w.requested_at, w.attempts",
            )
            read_at: datetime = await conn.fetchval("SELECT now()")
        if not claimed:
            return 0
        keys: list[Key] = [(shop, r["product_id"]) for r in claimed]
        try:
            products = await self._read(shop, [r["product_id"] for r in claimed])
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            delays = [self._backoff.after_failure(r["attempts"]) for r in claimed]
            log.warning("catalog.read_failed", shop=shop, products=len(keys), error=error)
            async with self._pool.acquire() as conn:
                await PRODUCT_READS.retry_later(conn, keys, error, delays)
            return len(claimed)
        async with self._pool.acquire() as conn, conn.transaction():
            decisions = await apply_products(conn, shop, products, read_at)
            # Done, unless a webhook asked again while the read was in flight.
            await conn.execute(
                """
                DELETE FROM product_reads p
                USING unnest($2::bigint[], $3::timestamptz[]) AS k(product_id, requested_at)
                WHERE p.shop = $1 AND p.product_id = k.product_id
                  AND p.requested_at = k.requested_at
                """,
                shop,
                [r["product_id"] for r in claimed],
                [r["requested_at"] for r in claimed],
            )
            await PRODUCT_READS.release(conn, keys)
        self.stats.add("products_read", len(products))
        self.stats.add("variants_read", sum(len(p.variants) for p in products.values() if p))
        self.stats.add("items_sent", len(decisions.sends))
        self.stats.add("discontinued", len(decisions.discontinues))
        log.info(
            "catalog.products_read",
            shop=shop,
            products=len(products),
            sent=len(decisions.sends),
            discontinued=len(decisions.discontinues),
            duplicates=len(decisions.duplicates),
        )
        return len(claimed)

    async def _read(self, shop: str, product_ids: Sequence[int]) -> "ProductReads":
        client = self._clients[shop]
        found = await fetch_nodes(
            client,
            CATALOG_PRODUCTS,
            [product_gid(p) for p in product_ids],
            self._settings.catalog_read_batch,
        )
        products: ProductReads = {}
        for product_id in product_ids:
            node = found.get(product_gid(product_id))
            if node is None or node.get("id") is None:
                products[product_id] = None  # deleted (or no longer visible to the app)
                continue
            variants = node.get("variants") or {}
            if (variants.get("pageInfo") or {}).get("hasNextPage"):
                products[product_id] = await _all_variants(client, node)
            else:
                products[product_id] = ProductRead.of(node, items.product_variants(node))
        return products


@dataclass(frozen=True)
class ProductRead:
    """A product as read: its updatedAt and every variant it has."""

    updated_at: datetime
    variants: list[VariantRead]

    @classmethod
    def of(cls, node: Mapping[str, Any], variants: Sequence[VariantRead]) -> "ProductRead":
        return cls(items.item_updated_at({"updated_at": node.get("updatedAt")}), list(variants))


ProductReads = dict[int, ProductRead | None]
"""Product id -> what was read; None: Shopify has no such product."""


async def _all_variants(client: GraphQLExecutor, product: Mapping[str, Any]) -> ProductRead:
    """Every variant of a product with more than one page of them."""
    reads: list[VariantRead] = []
    async for node in paginate(
        client, CATALOG_PRODUCT_VARIANTS, {"id": product["id"]}, ["product", "variants"]
    ):
        read = items.parse_variant(node, product)
        if read is not None:
            reads.append(read)
    return ProductRead.of(product, reads)


async def apply_products(
    conn: Connection, shop: str, products: ProductReads, read_at: datetime
) -> items.Decisions:
    """Record what the reads found and settle the SKUs they touched (one transaction)."""
    await item_store.lock_catalog(conn, shop)
    touched: set[str] = set()
    for product_id, product in products.items():
        if product is None:
            touched |= await item_store.remove_product(conn, shop, product_id, read_at)
            continue
        touched |= await item_store.record_reads(conn, shop, product.variants, read_at)
        touched |= await item_store.remove_missing_variants(
            conn, shop, product_id, [v.variant_id for v in product.variants], product.updated_at
        )
    return await item_store.settle(conn, shop, touched, read_at)
