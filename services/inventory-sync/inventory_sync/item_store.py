"""The catalog flow's SQL: variants as read, what the WMS was sent per SKU, and the findings.

Every change goes the same way, in one transaction holding the shop's catalog lock (reads,
webhooks and full syncs of one shop take turns, so a SKU on two variants written at the same
moment by two of them is still seen twice):

1. record what a read found (`record_reads`, `remove_*`), which names the SKUs it touched
   (the SKU a variant had and the one it has now);
2. `settle` those SKUs: decide each (`items.decide_sku`), record the digests sent, put the
   `wms.item.upsert` / `wms.item.discontinued` in the outbox, refresh the duplicate findings;
   when the shop's duplicate or rejected set changed, `catalog.findings.changed` goes out too.

So a message is in the outbox exactly when the digest recording it committed.
"""

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from contracts import CatalogFindings, Envelope, WmsItemDiscontinued, new_envelope
from inventory_sync import items
from inventory_sync.items import Carrier, Decisions, Sent, VariantRead
from messaging import add_to_outbox
from storage import Connection
from storage.locks import lock_until_commit

FINDINGS_LISTED = 50
"""Rows of each finding listed on /status (the totals count them all)."""


async def lock_catalog(conn: Connection, shop: str) -> None:
    await lock_until_commit(conn, [f"catalog:{shop}"])


async def record_reads(
    conn: Connection, shop: str, reads: Sequence[VariantRead], read_at: datetime
) -> set[str]:
    """Record variants as read; a read older than what is recorded for a variant, or of a
    variant already removed (Shopify never brings one back), is not applied. Returns the
    SKUs touched: those the applied variants had and have."""
    if not reads:
        return set()
    rows = await conn.fetch(
        """
        WITH incoming AS (
            SELECT * FROM unnest($3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::text[],
                                 $8::bool[], $9::jsonb[], $10::text[], $11::timestamptz[])
                   AS u(variant_id, product_id, product_title, variant_title, sku, shippable,
                        item, digest, updated_at)
        ),
        old AS (
            SELECT c.variant_id, c.sku FROM catalog_variants c
            JOIN incoming i ON i.variant_id = c.variant_id WHERE c.shop = $1
        ),
        written AS (
            INSERT INTO catalog_variants AS c
                (shop, variant_id, product_id, product_title, variant_title, sku, shippable,
                 item, digest, updated_at, read_at)
            SELECT $1, variant_id, product_id, product_title, variant_title, sku, shippable,
                   item, digest, updated_at, $2 FROM incoming
            ON CONFLICT (shop, variant_id) DO UPDATE
            SET product_id = EXCLUDED.product_id, product_title = EXCLUDED.product_title,
                variant_title = EXCLUDED.variant_title, sku = EXCLUDED.sku,
                shippable = EXCLUDED.shippable, item = EXCLUDED.item, digest = EXCLUDED.digest,
                updated_at = EXCLUDED.updated_at, read_at = EXCLUDED.read_at
            WHERE c.removed_at IS NULL AND c.updated_at <= EXCLUDED.updated_at
            RETURNING c.variant_id, c.sku
        )
        SELECT w.sku AS new_sku, o.sku AS old_sku FROM written w
        LEFT JOIN old o ON o.variant_id = w.variant_id
        """,
        shop,
        read_at,
        [r.variant_id for r in reads],
        [r.product_id for r in reads],
        [r.product_title for r in reads],
        [r.variant_title for r in reads],
        [r.sku for r in reads],
        [r.shippable for r in reads],
        [r.item.model_dump(mode="json") if r.item is not None else None for r in reads],
        [r.digest for r in reads],
        [r.updated_at for r in reads],
    )
    return {sku for r in rows for sku in (r["new_sku"], r["old_sku"]) if sku}


async def remove_product(conn: Connection, shop: str, product_id: int, at: datetime) -> set[str]:
    """The product is gone: all its variants are. Returns their SKUs."""
    rows = await conn.fetch(
        """
        UPDATE catalog_variants SET removed_at = $3, updated_at = greatest(updated_at, $3)
        WHERE shop = $1 AND product_id = $2 AND removed_at IS NULL
        RETURNING sku
        """,
        shop,
        product_id,
        at,
    )
    return {r["sku"] for r in rows if r["sku"]}


async def remove_missing_variants(
    conn: Connection, shop: str, product_id: int, present: Iterable[int], as_of: datetime
) -> set[str]:
    """The product as of `as_of` (its updatedAt) has only `present`: its other variants
    recorded from reads no newer than that were deleted."""
    rows = await conn.fetch(
        """
        UPDATE catalog_variants SET removed_at = now(), updated_at = greatest(updated_at, $4)
        WHERE shop = $1 AND product_id = $2 AND removed_at IS NULL
          AND NOT (variant_id = ANY($3::bigint[])) AND updated_at <= $4
        RETURNING sku
        """,
        shop,
        product_id,
        list(present),
        as_of,
    )
    return {r["sku"] for r in rows if r["sku"]}


async def remove_unseen(conn: Connection, shop: str, since: datetime) -> set[str]:
    """A full sync's end: variants no read has recorded since `since` (the bulk operation's
    start) are not in the shop any more."""
    rows = await conn.fetch(
        """
        UPDATE catalog_variants SET removed_at = now(), updated_at = greatest(updated_at, now())
        WHERE shop = $1 AND removed_at IS NULL AND read_at < $2
        RETURNING sku
        """,
        shop,
        since,
    )
    return {r["sku"] for r in rows if r["sku"]}


async def product_skus(conn: Connection, shop: str, product_id: int) -> set[str]:
    rows = await conn.fetch(
        "SELECT sku FROM catalog_variants WHERE shop = $1 AND product_id = $2 AND sku IS NOT NULL",
        shop,
        product_id,
    )
    return {r["sku"] for r in rows}


# --- deciding and sending ---------------------------------------------------------------------


async def settle(
    conn: Connection,
    shop: str,
    skus: Iterable[str],
    now: datetime,
    cause: Envelope | None = None,
) -> Decisions:
    """Decide the SKUs, record what is sent, queue the messages; then the findings."""
    wanted = sorted(set(skus))
    if not wanted:
        return Decisions()
    carriers: dict[str, list[Carrier]] = {}
    for r in await conn.fetch(
        "SELECT sku, variant_id, digest, item FROM catalog_variants "
        "WHERE shop = $1 AND sku = ANY($2::text[]) AND removed_at IS NULL AND shippable "
        "AND item IS NOT NULL",
        shop,
        wanted,
    ):
        carriers.setdefault(r["sku"], []).append(Carrier(r["variant_id"], r["digest"], r["item"]))
    sent = {
        r["sku"]: Sent(r["digest"], r["variant_id"], r["updated_at"])
        for r in await conn.fetch(
            "SELECT sku, digest, variant_id, updated_at FROM catalog_sent "
            "WHERE shop = $1 AND sku = ANY($2::text[])",
            shop,
            wanted,
        )
    }
    decisions = items.decide_all(wanted, carriers, sent, now)
    await _record(conn, shop, wanted, decisions)
    envelopes = [_message(shop, "wms.item.upsert", s.item, cause) for s in decisions.sends]
    for gone in decisions.discontinues:
        data = WmsItemDiscontinued(sku=gone.sku, updated_at=gone.updated_at)
        envelopes.append(_message(shop, "wms.item.discontinued", data, cause))
    await add_to_outbox(conn, envelopes)
    await publish_findings(conn, shop, now, cause)
    return decisions


def _message(shop: str, message_type: str, data: Any, cause: Envelope | None) -> Envelope:
    if cause is not None:
        return cause.caused(message_type, data, shop=shop)
    return new_envelope(message_type, data, shop=shop)


async def _record(conn: Connection, shop: str, skus: list[str], decisions: Decisions) -> None:
    sends = decisions.sends
    if sends:
        await conn.execute(
            """
            INSERT INTO catalog_sent (shop, sku, variant_id, digest, updated_at)
            SELECT $1, sku, variant_id, digest, updated_at
            FROM unnest($2::text[], $3::bigint[], $4::text[], $5::timestamptz[])
                 AS u(sku, variant_id, digest, updated_at)
            ON CONFLICT (shop, sku) DO UPDATE
            SET variant_id = EXCLUDED.variant_id, digest = EXCLUDED.digest,
                updated_at = EXCLUDED.updated_at, sent_at = now()
            """,
            shop,
            [s.sku for s in sends],
            [s.variant_id for s in sends],
            [s.digest for s in sends],
            [items.item_updated_at(s.item) for s in sends],
        )
        # A changed item is the fix being tried: the WMS says again if it still cannot take it.
        await conn.execute(
            "DELETE FROM catalog_rejections WHERE shop = $1 AND sku = ANY($2::text[])",
            shop,
            [s.sku for s in sends],
        )
    if decisions.discontinues:
        await conn.execute(
            "DELETE FROM catalog_sent WHERE shop = $1 AND sku = ANY($2::text[])",
            shop,
            [d.sku for d in decisions.discontinues],
        )
    duplicates = [d.sku for d in decisions.duplicates]
    await conn.execute(
        "DELETE FROM catalog_duplicates WHERE shop = $1 AND sku = ANY($2::text[]) "
        "AND NOT (sku = ANY($3::text[]))",
        shop,
        skus,
        duplicates,
    )
    if duplicates:
        await conn.execute(
            "INSERT INTO catalog_duplicates (shop, sku) SELECT $1, unnest($2::text[]) "
            "ON CONFLICT DO NOTHING",
            shop,
            duplicates,
        )


async def record_rejection(
    conn: Connection, shop: str, sku: str, reason: str, at: datetime
) -> None:
    await conn.execute(
        """
        INSERT INTO catalog_rejections (shop, sku, reason, rejected_at) VALUES ($1, $2, $3, $4)
        ON CONFLICT (shop, sku) DO UPDATE
        SET reason = EXCLUDED.reason, rejected_at = EXCLUDED.rejected_at
        """,
        shop,
        sku,
        reason,
        at,
    )


async def current_findings(conn: Connection, shop: str, as_of: datetime) -> CatalogFindings:
    duplicates = await conn.fetch(
        "SELECT sku FROM catalog_duplicates WHERE shop = $1 ORDER BY sku", shop
    )
    rejected = await conn.fetch(
        "SELECT sku, reason FROM catalog_rejections WHERE shop = $1 ORDER BY sku", shop
    )
    return items.findings(
        [r["sku"] for r in duplicates], {r["sku"]: r["reason"] for r in rejected}, as_of
    )


async def publish_findings(
    conn: Connection, shop: str, now: datetime, cause: Envelope | None = None
) -> bool:
    """Send `catalog.findings.changed` if the shop's findings differ from the last sent."""
    current = await current_findings(conn, shop, now)
    row = await conn.fetchrow(
        "SELECT duplicate_skus, rejected_skus, sent_at FROM catalog_findings_sent "
        "WHERE shop = $1 FOR UPDATE",
        shop,
    )
    last = (
        items.findings(row["duplicate_skus"], row["rejected_skus"], row["sent_at"]) if row else None
    )
    if items.same_findings(last, current):
        return False
    await conn.execute(
        """
        INSERT INTO catalog_findings_sent (shop, duplicate_skus, rejected_skus, sent_at)
        VALUES ($1, $2, $3, $4)
        ON CONFLICT (shop) DO UPDATE SET duplicate_skus = EXCLUDED.duplicate_skus,
            rejected_skus = EXCLUDED.rejected_skus, sent_at = EXCLUDED.sent_at
        """,
        shop,
        current.duplicate_skus,
        dict(current.rejected_skus),
        now,
    )
    await add_to_outbox(conn, _message(shop, "catalog.findings.changed", current, cause))
    return True


# --- a full sync's diff, chunk by chunk ---------------------------------------------------------


async def skus_after(conn: Connection, shop: str, after: str, limit: int) -> list[str]:
    """The next SKUs (in order) of everything a full sync decides: SKUs the variants carry,
    SKUs the WMS was sent, SKUs listed as duplicates."""
    rows = await conn.fetch(
        """
        SELECT sku FROM (
            SELECT sku FROM catalog_variants
            WHERE shop = $1 AND removed_at IS NULL AND sku > $2
            UNION SELECT sku FROM catalog_sent WHERE shop = $1 AND sku > $2
            UNION SELECT sku FROM catalog_duplicates WHERE shop = $1 AND sku > $2
        ) s ORDER BY sku LIMIT $3
        """,
        shop,
        after,
        limit,
    )
    return [r["sku"] for r in rows]


async def has_variants(conn: Connection, shop: str) -> bool:
    found = await conn.fetchval("SELECT 1 FROM catalog_variants WHERE shop = $1 LIMIT 1", shop)
    return found is not None


async def purge_removed(conn: Connection, older_than_s: float) -> None:
    await conn.execute(
        "DELETE FROM catalog_variants WHERE removed_at < now() - make_interval(secs => $1)",
        older_than_s,
    )


# --- /status -------------------------------------------------------------------------------------


async def report(conn: Connection, shop: str) -> dict[str, Any]:
    """The shop's catalog on /status: counts, and the findings with the products to fix."""
    counts = await conn.fetchrow(
        """
        SELECT count(*) FILTER (WHERE removed_at IS NULL) AS variants,
               count(*) FILTER (WHERE removed_at IS NULL AND item IS NOT NULL) AS items,
               count(*) FILTER (WHERE removed_at IS NULL AND shippable AND sku IS NULL)
                   AS missing_sku
        FROM catalog_variants WHERE shop = $1
        """,
        shop,
    )
    assert counts is not None
    sent = await conn.fetchval("SELECT count(*) FROM catalog_sent WHERE shop = $1", shop)
    duplicates = await conn.fetch(
        """
        SELECT d.sku, d.since,
               coalesce(json_agg(json_build_object(
                   'product_title', v.product_title, 'variant_title', v.variant_title,
                   'variant_id', 'gid://shopify/ProductVariant/' || v.variant_id,
                   'product_id', 'gid://shopify/Product/' || v.product_id)
                   ORDER BY v.variant_id) FILTER (WHERE v.variant_id IS NOT NULL), '[]')
                   AS variants
        FROM catalog_duplicates d
        LEFT JOIN catalog_variants v ON v.shop = d.shop AND v.sku = d.sku
             AND v.removed_at IS NULL AND v.shippable
        WHERE d.shop = $1 GROUP BY d.sku, d.since ORDER BY d.sku LIMIT $2
        """,
        shop,
        FINDINGS_LISTED,
    )
    missing = await conn.fetch(
        "SELECT variant_id, product_id, product_title, variant_title FROM catalog_variants "
        "WHERE shop = $1 AND removed_at IS NULL AND shippable AND sku IS NULL "
        "ORDER BY product_title, variant_id LIMIT $2",
        shop,
        FINDINGS_LISTED,
    )
    rejected = await conn.fetch(
        """
        SELECT r.sku, r.reason, r.rejected_at, v.variant_id, v.product_id, v.product_title,
               v.variant_title
        FROM catalog_rejections r
        LEFT JOIN catalog_sent s ON s.shop = r.shop AND s.sku = r.sku
        LEFT JOIN catalog_variants v ON v.shop = r.shop AND v.variant_id = s.variant_id
        WHERE r.shop = $1 ORDER BY r.sku LIMIT $2
        """,
        shop,
        FINDINGS_LISTED,
    )
    totals = await conn.fetchrow(
        "SELECT (SELECT count(*) FROM catalog_duplicates WHERE shop = $1) AS duplicates, "
        "(SELECT count(*) FROM catalog_rejections WHERE shop = $1) AS rejected",
        shop,
    )
    assert totals is not None
    return {
        "variants": counts["variants"],
        "items": counts["items"],
        "items_sent": sent,
        "findings": {
            "duplicate_skus": {
                "total": totals["duplicates"],
                "fix": "give each variant its own SKU; neither is sent to the WMS until then",
                "skus": [
                    {
                        "sku": r["sku"],
                        "since": r["since"].isoformat(),
                        "variants": r["variants"],
                    }
                    for r in duplicates
                ],
            },
            "missing_sku": {
                "total": counts["missing_sku"],
                "fix": "give the variant a SKU (it requires shipping, so the WMS must know it)",
                "variants": [_variant(r) for r in missing],
            },
            "rejected_by_wms": {
                "total": totals["rejected"],
                "skus": [
                    {
                        "sku": r["sku"],
                        "reason": r["reason"],
                        "rejected_at": r["rejected_at"].isoformat(),
                        **(_variant(r) if r["variant_id"] is not None else {}),
                    }
                    for r in rejected
                ],
            },
        },
    }


def _variant(row: Any) -> dict[str, Any]:
    return {
        "product_title": row["product_title"],
        "variant_title": row["variant_title"],
        "variant_id": f"gid://shopify/ProductVariant/{row['variant_id']}",
        "product_id": f"gid://shopify/Product/{row['product_id']}",
    }
