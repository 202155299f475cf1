"""Assembling a snapshot from its parts: their SQL.

Each part is stored once (a repeat finds its part number taken), without locking anything the
other parts need: the parts of a 100,000-SKU snapshot are stored side by side, many at a time.
Whether a snapshot is complete is decided afterwards (`complete_assembled`, woken by each stored
part): the one UPDATE that moves it from `assembling` to `complete` happens once, however many
look at the same moment. A snapshot missing parts is never applied: after `snapshot_timeout_s`
it is reported incomplete and its items are dropped.

A SKU listed more than once (twice in one part, or in two parts) keeps its first stored row in
`snapshot_items` and the others in `snapshot_duplicates`; applying the snapshot takes all its
rows out (`take_duplicates`) and sets it aside. Parts stored side by side still find each
other's rows: the second insert of a SKU waits on the first's unique key until it commits.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from contracts import WmsInventorySnapshot
from inventory_sync.domain import PartRow, first_rows
from storage import Connection

PARTS_CHANNEL = "inventory_sync_parts"
"""NOTIFY channel: a part was stored, a snapshot may be complete."""

PartOutcome = Literal["stored", "duplicate", "closed", "ignored"]

_COLUMNS = "id, shop, facility, snapshot_id, as_of, parts, state"


class PartMismatch(ValueError):
    """A part disagrees with the parts already received about the snapshot itself."""


@dataclass(frozen=True)
class SnapshotRow:
    id: int
    shop: str
    facility: str
    snapshot_id: str
    as_of: datetime
    parts: int
    state: str


async def record_part(
    conn: Connection, shop: str, part: WmsInventorySnapshot, *, facility_known: bool
) -> PartOutcome:
    """Store one part."""
    await conn.execute(
        """
        INSERT INTO snapshots (shop, facility, snapshot_id, as_of, parts, state, note)
        VALUES ($1, $2, $3, $4, $5,
                CASE WHEN $6 THEN 'assembling' ELSE 'ignored' END,
                CASE WHEN $6 THEN NULL ELSE 'facility has no inventory feed in this shop' END)
        ON CONFLICT (shop, facility, snapshot_id) DO NOTHING
        """,
        shop,
        part.facility,
        part.snapshot_id,
        part.as_of,
        part.parts,
        facility_known,
    )
    row = await conn.fetchrow(
        "SELECT id, parts, as_of, state FROM snapshots "
        "WHERE shop = $1 AND facility = $2 AND snapshot_id = $3",
        shop,
        part.facility,
        part.snapshot_id,
    )
    assert row is not None
    if row["state"] == "ignored":
        return "ignored"
    if row["parts"] != part.parts or row["as_of"] != part.as_of:
        raise PartMismatch(
            f"snapshot {part.snapshot_id}: part {part.part} says {part.parts} parts as of "
            f"{part.as_of.isoformat()}, earlier parts said {row['parts']} as of "
            f"{row['as_of'].isoformat()}"
        )
    if row["state"] != "assembling":
        return "closed"  # complete already, or given up on as incomplete
    new_part = await conn.fetchval(
        "INSERT INTO snapshot_parts (snapshot, part, items) VALUES ($1, $2, $3) "
        "ON CONFLICT DO NOTHING RETURNING 1",
        row["id"],
        part.part,
        len(part.items),
    )
    if new_part is None:
        return "duplicate"
    firsts, repeats = first_rows(part.part, part.items)
    # In SKU order: two parts naming the same SKUs take their keys in one order, no deadlock.
    firsts.sort(key=lambda r: r.sku)
    stored = await conn.fetch(
        """
        INSERT INTO snapshot_items (snapshot, sku, available, on_hand, part, position)
        SELECT $1, sku, available, on_hand, $2, position
        FROM unnest($3::text[], $4::int[], $5::int[], $6::int[])
             AS u(sku, available, on_hand, position)
        ON CONFLICT DO NOTHING
        RETURNING sku
        """,
        row["id"],
        part.part,
        [r.sku for r in firsts],
        [r.available for r in firsts],
        [r.on_hand for r in firsts],
        [r.position for r in firsts],
    )
    kept = {r["sku"] for r in stored}
    # Rows of a SKU an earlier part listed already, and repeats within this part.
    await _store_duplicates(conn, row["id"], [r for r in firsts if r.sku not in kept] + repeats)
    await conn.execute("SELECT pg_notify($1, '')", PARTS_CHANNEL)
    return "stored"


async def _store_duplicates(conn: Connection, snapshot: int, rows: Sequence[PartRow]) -> None:
    if not rows:
        return
    await conn.execute(
        """
        INSERT INTO snapshot_duplicates (snapshot, sku, part, position, available, on_hand)
        SELECT $1, sku, part, position, available, on_hand
        FROM unnest($2::text[], $3::int[], $4::int[], $5::int[], $6::int[])
             AS u(sku, part, position, available, on_hand)
        """,
        snapshot,
        [r.sku for r in rows],
        [r.part for r in rows],
        [r.position for r in rows],
        [r.available for r in rows],
        [r.on_hand for r in rows],
    )


async def take_duplicates(conn: Connection, snapshot: int) -> dict[str, list[PartRow]]:
    """Every row of each SKU the snapshot lists more than once, by SKU; none of them stays
    among the snapshot's items, so merging and planning the snapshot never see the SKU.
    Idempotent: a job run again finds the same rows."""
    await conn.execute(
        """
        WITH moved AS (
            DELETE FROM snapshot_items i
            WHERE i.snapshot = $1
              AND i.sku IN (SELECT sku FROM snapshot_duplicates WHERE snapshot = $1)
            RETURNING i.sku, i.part, i.position, i.available, i.on_hand
        )
        INSERT INTO snapshot_duplicates (snapshot, sku, part, position, available, on_hand)
        SELECT $1, sku, part, position, available, on_hand FROM moved
        """,
        snapshot,
    )
    rows = await conn.fetch(
        "SELECT sku, part, position, available, on_hand FROM snapshot_duplicates "
        "WHERE snapshot = $1 ORDER BY sku, part, position, id",
        snapshot,
    )
    found: dict[str, list[PartRow]] = {}
    for r in rows:
        found.setdefault(r["sku"], []).append(PartRow(**dict(r)))
    return found


async def complete_assembled(conn: Connection) -> list[SnapshotRow]:
    """Snapshots whose every part is stored become complete (each exactly once)."""
    rows = await conn.fetch(
        f"""
        UPDATE snapshots s SET state = 'complete', completed_at = now()
        FROM (
            SELECT p.snapshot, count(*) AS received
            FROM snapshot_parts p JOIN snapshots a ON a.id = p.snapshot
            WHERE a.state = 'assembling'
            GROUP BY p.snapshot
        ) c
        WHERE s.id = c.snapshot AND s.state = 'assembling' AND c.received = s.parts
        RETURNING {", ".join("s." + c for c in _COLUMNS.split(", "))}
        """
    )
    return [SnapshotRow(**dict(r)) for r in rows]


async def load(conn: Connection, snapshot: int) -> SnapshotRow:
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM snapshots WHERE id = $1", snapshot)
    assert row is not None
    return SnapshotRow(**dict(row))


async def newer_applied(conn: Connection, row: SnapshotRow) -> str | None:
    """The id of a snapshot of the facility already applied with a later as_of, if any."""
    found: str | None = await conn.fetchval(
        """
        SELECT snapshot_id FROM snapshots
        WHERE shop = $1 AND facility = $2 AND state = 'applied' AND as_of > $3
        ORDER BY as_of DESC LIMIT 1
        """,
        row.shop,
        row.facility,
        row.as_of,
    )
    return found


async def close(conn: Connection, snapshot: int, state: str, note: str | None = None) -> None:
    """Done with the snapshot (applied or superseded): its items are no longer needed."""
    await conn.execute(
        "UPDATE snapshots SET state = $2, note = $3 WHERE id = $1", snapshot, state, note
    )
    await conn.execute("DELETE FROM snapshot_items WHERE snapshot = $1", snapshot)
    await conn.execute("DELETE FROM snapshot_duplicates WHERE snapshot = $1", snapshot)


async def expire_incomplete(conn: Connection, timeout_s: float) -> list[str]:
    """Give up on snapshots still missing parts after the timeout; they are never applied.
    Returns what is reported about each."""
    rows = await conn.fetch(
        """
        UPDATE snapshots s
        SET state = 'incomplete',
            note = format('%s of %s parts received within %s s',
                          (SELECT count(*) FROM snapshot_parts p WHERE p.snapshot = s.id),
                          s.parts, $1::int)
        WHERE s.state = 'assembling' AND s.first_part_at < now() - make_interval(secs => $1)
        RETURNING s.id, format('snapshot %s of %s: %s', s.snapshot_id, s.facility, s.note)
                        AS report
        """,
        timeout_s,
    )
    if rows:
        expired = [r["id"] for r in rows]
        await conn.execute("DELETE FROM snapshot_items WHERE snapshot = ANY($1::bigint[])", expired)
        await conn.execute(
            "DELETE FROM snapshot_duplicates WHERE snapshot = ANY($1::bigint[])", expired
        )
    return [r["report"] for r in rows]
