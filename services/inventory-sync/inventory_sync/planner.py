"""Deciding what to push for a set of SKUs of one facility: gather, decide, write.

One query gathers, per SKU, the warehouse's truth, the Shopify item(s) of the SKU, what Shopify
has (or is about to have), and the units in flight; `domain.plan` decides; the changes go to the
push queue and the SKUs that cannot be pushed to `set_aside`, each with a few array statements.
SKUs are taken in chunks ordered by SKU, so 100,000 of them never sit in memory at once.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal
from uuid import UUID

from inventory_sync import domain, push_store
from inventory_sync.feeds import Feed
from storage import Connection

ScopeKind = Literal["snapshot", "all", "skus"]

# $1 shop, $2 facility, $3 location, $4 after (sku), $5 limit, $6 in-flight max age (s),
# $7 placement hold (s), $8 the scope's own parameter. A SKU's figures are as of its last
# change, or of the facility's last snapshot if that is later.
_AS_OF = """greatest(w.as_of, (SELECT as_of FROM facility_snapshots
                            WHERE shop = $1 AND facility = $2)) AS as_of"""
_SCOPES: dict[ScopeKind, str] = {
    "all": f"""
        SELECT w.sku, w.available, {_AS_OF} FROM wms_stock w
        WHERE w.shop = $1 AND w.facility = $2 AND w.sku > $4
        ORDER BY w.sku LIMIT $5""",
    "snapshot": f"""
        SELECT w.sku, w.available, {_AS_OF} FROM snapshot_items i
        JOIN wms_stock w ON w.shop = $1 AND w.facility = $2 AND w.sku = i.sku
        WHERE i.snapshot = $8 AND i.sku > $4
        ORDER BY i.sku LIMIT $5""",
    "skus": f"""
        SELECT w.sku, w.available, {_AS_OF} FROM wms_stock w
        WHERE w.shop = $1 AND w.facility = $2 AND w.sku = ANY($8::text[]) AND w.sku > $4
        ORDER BY w.sku LIMIT $5""",
}

_GATHER = """
WITH scope AS MATERIALIZED ({scope}),
items AS (
    -- The catalog flow's duplicate findings count too (its variants' items join the SKU's):
    -- one SKU set aside for the same reason on both paths, whichever read saw it first.
    SELECT x.sku, array_agg(DISTINCT x.item ORDER BY x.item) AS item_ids,
           bool_and(x.tracked) AS tracked
    FROM (
        SELECT c.sku, c.inventory_item_id AS item, c.tracked
        FROM catalog_items c JOIN scope s ON s.sku = c.sku
        WHERE c.shop = $1
        UNION ALL
        SELECT v.sku, split_part(v.item->>'shopify_inventory_item_id', '/', 5)::bigint, NULL
        FROM catalog_duplicates d
        JOIN scope s ON s.sku = d.sku
        JOIN catalog_variants v ON v.shop = d.shop AND v.sku = d.sku
        WHERE d.shop = $1 AND v.removed_at IS NULL AND v.shippable AND v.item IS NOT NULL
    ) x
    GROUP BY x.sku
),
sent_lines AS (
    SELECT o.shopify_order_id, o.facility, o.accepted_at, o.rejected_at, o.cancelled_at,
           o.sent_at, l.sku, l.quantity
    FROM wms_orders o
    JOIN wms_order_lines l ON l.shop = o.shop AND l.wms_order_ref = o.wms_order_ref
    WHERE o.shop = $1
),
open_lines AS (
    SELECT sku, quantity, accepted_at FROM sent_lines
    WHERE facility = $2 AND rejected_at IS NULL AND cancelled_at IS NULL
      AND sent_at > now() - make_interval(secs => $6)
),
placed AS (
    SELECT p.sku, greatest(0, p.quantity - coalesce(sum(s.quantity), 0))::int AS quantity
    FROM placed_lines p
    LEFT JOIN sent_lines s ON s.shopify_order_id = p.order_gid AND s.sku = p.sku
    WHERE p.shop = $1 AND p.cancelled_at IS NULL
      AND p.placed_at > now() - make_interval(secs => $7)
    GROUP BY p.order_gid, p.sku, p.quantity
),
flight AS (
    SELECT s.sku, sum(x.quantity)::int AS units
    FROM scope s
    JOIN (SELECT sku, quantity, accepted_at FROM open_lines
          UNION ALL SELECT sku, quantity, NULL FROM placed) x ON x.sku = s.sku
    WHERE x.accepted_at IS NULL OR x.accepted_at > s.as_of
    GROUP BY s.sku
)
SELECT s.sku, s.available, i.item_ids, i.tracked,
       (l.inventory_item_id IS NOT NULL) AS stocked,
       coalesce(b.quantity, l.available) AS shopify_available,
       coalesce(f.units, 0) AS in_flight
FROM scope s
LEFT JOIN items i ON i.sku = s.sku
LEFT JOIN shopify_levels l
       ON l.shop = $1 AND l.location_id = $3 AND cardinality(i.item_ids) = 1
      AND l.inventory_item_id = i.item_ids[1]
LEFT JOIN LATERAL (
    SELECT b.quantity FROM push_batch_items b
    WHERE b.shop = $1 AND b.location_id = $3 AND b.inventory_item_id = l.inventory_item_id
    LIMIT 1
) b ON true
LEFT JOIN flight f ON f.sku = s.sku
ORDER BY s.sku
"""


async def refresh_statistics(conn: Connection, scope: "Scope") -> None:
    """Let Postgres see what a bulk write just put in the tables the gather reads.

    Autovacuum analyzes a table long after 100,000 rows arrive in it; until then the planner
    believes it nearly empty and loops over it row by row (seconds instead of milliseconds).
    """
    tables = ["wms_stock", "snapshot_items"] if scope.kind == "snapshot" else ["wms_stock"]
    for table in tables:
        await conn.execute(f"ANALYZE {table}")


@dataclass(frozen=True)
class Scope:
    """Which SKUs of the facility to decide: a snapshot's, all it has, or a list."""

    kind: ScopeKind
    snapshot: int | None = None
    skus: Sequence[str] = ()

    def parameter(self) -> list[object]:
        if self.kind == "snapshot":
            return [self.snapshot]
        if self.kind == "skus":
            return [list(self.skus)]
        return []


@dataclass
class PlanTotals:
    considered: int = 0
    unchanged: int = 0
    changes: int = 0
    set_aside: dict[str, int] = field(default_factory=dict)

    def add(self, plan: domain.Plan) -> None:
        self.considered += plan.considered
        self.unchanged += len(plan.unchanged)
        self.changes += len(plan.changes)
        self.set_aside = domain.add_counts(self.set_aside, plan.set_aside_counts())


@dataclass(frozen=True)
class Limits:
    in_flight_max_age_s: float
    placement_hold_s: float
    chunk_size: int


async def plan_chunk(
    conn: Connection,
    feed: Feed,
    scope: Scope,
    after: str,
    limits: Limits,
    *,
    origin: UUID | None,
    queued_at: datetime | None = None,
) -> tuple[domain.Plan, str | None]:
    """Decide the next chunk of SKUs after `after` and write the outcome.

    Returns the chunk's plan and the last SKU seen (None when the scope is exhausted). Runs in
    the caller's transaction.
    """
    # The gather's estimated cost crosses Postgres' JIT threshold, and compiling it took 0.7 s
    # of every 0.8 s chunk; it runs in milliseconds without.
    await conn.execute("SET LOCAL jit = off")
    rows = await conn.fetch(
        _GATHER.format(scope=_SCOPES[scope.kind]),
        feed.shop,
        feed.facility,
        feed.location_id,
        after,
        limits.chunk_size,
        limits.in_flight_max_age_s,
        limits.placement_hold_s,
        *scope.parameter(),
    )
    if not rows:
        return domain.Plan([], [], []), None
    decided = domain.plan(
        domain.LevelFacts(
            sku=row["sku"],
            wms_available=row["available"],
            item_ids=row["item_ids"] or (),
            tracked=row["tracked"],
            stocked=row["stocked"],
            shopify_available=row["shopify_available"],
            in_flight=row["in_flight"],
        )
        for row in rows
    )
    await _write(conn, feed, decided, origin, queued_at)
    last = rows[-1]["sku"] if len(rows) == limits.chunk_size else None
    return decided, last


async def _write(
    conn: Connection,
    feed: Feed,
    decided: domain.Plan,
    origin: UUID | None,
    queued_at: datetime | None,
) -> None:
    if decided.changes:
        await conn.execute(
            """
            INSERT INTO push_queue
                (shop, location_id, facility, origin, queued_at, inventory_item_id, sku, target)
            SELECT $1, $2, $3, $4, coalesce($5, now()), item, sku, target
            FROM unnest($6::bigint[], $7::text[], $8::int[]) AS u(item, sku, target)
            ON CONFLICT (shop, location_id, inventory_item_id) DO UPDATE
            SET target = EXCLUDED.target, sku = EXCLUDED.sku, origin = EXCLUDED.origin
            """,
            feed.shop,
            feed.location_id,
            feed.facility,
            origin,
            queued_at,
            [c.item_id for c in decided.changes],
            [c.sku for c in decided.changes],
            [c.target for c in decided.changes],
        )
        await push_store.PUSH_BATCHES.wake(conn)
    if decided.unchanged:
        # A target queued earlier and not sent yet is now wrong: Shopify already has the truth.
        await conn.execute(
            """
            DELETE FROM push_queue q USING unnest($3::bigint[]) AS u(item)
            WHERE q.shop = $1 AND q.location_id = $2 AND q.inventory_item_id = u.item
              AND EXISTS (SELECT 1 FROM push_queue WHERE shop = $1 AND location_id = $2)
            """,
            feed.shop,
            feed.location_id,
            [u.item_id for u in decided.unchanged],
        )
    await push_store.set_aside(conn, feed, decided.set_aside)
    pushable = [c.sku for c in decided.changes] + [u.sku for u in decided.unchanged]
    if pushable:
        await conn.execute(
            """
            DELETE FROM set_aside a USING unnest($3::text[]) AS u(sku)
            WHERE a.shop = $1 AND a.facility = $2 AND a.sku = u.sku
              AND EXISTS (SELECT 1 FROM set_aside WHERE shop = $1 AND facility = $2)
            """,
            feed.shop,
            feed.facility,
            pushable,
        )
