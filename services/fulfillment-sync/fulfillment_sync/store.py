"""fulfillment-sync's SQL: every read and write of its own tables, and nothing else.

Every function takes the caller's connection, so the caller decides the transaction.
"""

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from uuid import UUID

from contracts import FulfillmentOrderLineRef, WmsOrderReduced, WmsOrderSent, WmsShipmentConfirmed
from fulfillment_sync.domain import FailureCode, Holding, Reduction, holding_of
from storage import Connection
from storage.locks import lock_until_commit
from work_queue import Key, WorkTable

SHIPMENTS = WorkTable(
    "shipments",
    # The claim number is part of a lease's key: a worker whose lease ran out and whose shipment
    # was claimed again (claim + 1) can neither extend that lease nor record its outcome.
    key={"shop": "text", "shipment_id": "text", "claim": "int"},
    channel="fulfillment_sync_work",
    workable="{t}.state IN ('pending', 'creating', 'on_hold', 'awaiting_acceptance')",
    # Shopify being unavailable is retried for ever: no `gave_up`.
    attempts="failures",
    last_error="reason",
)
"""The shipments still to become fulfillments; NOTIFY on its channel wakes the worker."""
IN_HAND = "w.state = 'creating'"
"""The leases a live worker extends (SHIPMENTS.extend's `where`): shipments it is making."""

# Claims are serialised (one claimer at a time, across processes): what makes "one shipment per
# fulfillment order in flight" hold when two workers claim at the same moment.
_CLAIM_LOCK = "SELECT pg_advisory_xact_lock(hashtext('fulfillment_sync.claim'))"
_UNSYNCED_STATES = ("awaiting_order", "pending", "creating", "on_hold", "awaiting_acceptance")

ShipmentKey = tuple[str, str]
"""(shop, shipment_id)"""
WmsOrderKey = tuple[str, str]
"""(shop, wms_order_ref)"""


# --- what order-intake sent to the WMS ----------------------------------------------------------


async def lock_wms_order(conn: Connection, shop: str, wms_order_ref: str) -> None:
    """Serialise the handlers of one WMS order until the commit: a shipment and the news that
    its order was sent, handled at the same moment in two transactions, would otherwise each
    miss the other (the shipment would wait for an announcement already made)."""
    await lock_wms_orders(conn, [(shop, wms_order_ref)])


async def lock_wms_orders(conn: Connection, keys: Collection[WmsOrderKey]) -> None:
    """`lock_wms_order` for several at once, of any shops (in one order: no deadlock)."""
    if not keys:
        return
    await lock_until_commit(conn, [f"{shop}|{ref}" for shop, ref in keys])


Learned = Literal["new", "resent"]


async def record_wms_order(conn: Connection, shop: str, sent: WmsOrderSent) -> Learned | None:
    """Remember where a WMS order leads in Shopify.

    `new` the first time; `resent` when the ref comes again with a later `sent_at` (a rejected
    WMS order sent again after an operator's re-sync, maybe with other lines): the later send
    replaces the earlier. None for a repeat of a send already known, or an older one arriving
    late: nothing changes.
    """
    inserted: bool | None = await conn.fetchval(
        """
        INSERT INTO wms_orders (shop, wms_order_ref, fulfillment_order_id, sent)
        VALUES ($1, $2, $3, $4)
        ON CONFLICT (shop, wms_order_ref) DO UPDATE
        SET fulfillment_order_id = EXCLUDED.fulfillment_order_id, sent = EXCLUDED.sent,
            learned_at = now(), completed_at = NULL
        WHERE (wms_orders.sent->>'sent_at')::timestamptz < $5
        RETURNING xmax = 0
        """,
        shop,
        sent.wms_order_ref,
        sent.fulfillment_order_id,
        sent.model_dump(mode="json"),
        sent.sent_at,
    )
    if inserted is None:
        return None
    return "new" if inserted else "resent"


async def record_reduction(conn: Connection, shop: str, reduced: WmsOrderReduced) -> bool:
    """Keep the latest reduction of a WMS order (its lines are what it holds now, so a later
    one replaces an earlier one whatever order they arrive in); False for a repeat or an older
    one."""
    changed = await conn.fetchval(
        """
        INSERT INTO wms_order_reductions
            (shop, wms_order_ref, fulfillment_order_id, cancelled, lines, confirmed_at)
        VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT (shop, wms_order_ref) DO UPDATE
        SET fulfillment_order_id = EXCLUDED.fulfillment_order_id,
            cancelled = EXCLUDED.cancelled, lines = EXCLUDED.lines,
            confirmed_at = EXCLUDED.confirmed_at, recorded_at = now()
        WHERE wms_order_reductions.confirmed_at < EXCLUDED.confirmed_at
        RETURNING 1
        """,
        shop,
        reduced.wms_order_ref,
        reduced.fulfillment_order_id,
        reduced.cancelled,
        [line.model_dump(mode="json") for line in reduced.lines],
        reduced.confirmed_at,
    )
    return changed is not None


def _reduction(row: Any) -> Reduction | None:
    """The reduction columns of a row joined (LEFT) with wms_order_reductions."""
    if row["r_confirmed_at"] is None:
        return None
    units: dict[str, int] = {}
    for line in row["r_lines"]:
        units[line["line_ref"]] = units.get(line["line_ref"], 0) + int(line["quantity"])
    return Reduction(row["r_cancelled"], units, row["r_confirmed_at"])


_REDUCTION_COLUMNS = (
    "r.cancelled AS r_cancelled, r.lines AS r_lines, r.confirmed_at AS r_confirmed_at"
)


async def fulfillment_order_of(conn: Connection, shop: str, wms_order_ref: str) -> str | None:
    """The Shopify fulfillment order behind a WMS order, if order-intake announced it."""
    found: str | None = await conn.fetchval(
        "SELECT fulfillment_order_id FROM wms_orders WHERE shop = $1 AND wms_order_ref = $2",
        shop,
        wms_order_ref,
    )
    return found


async def release_awaiting(conn: Connection, shop: str, sent: WmsOrderSent, *, resent: bool) -> int:
    """Shipments that were waiting for this WMS order (or gave up waiting) become due; after a
    re-send, also those refused against the earlier send's lines (the warehouse shipped what it
    was sent again). A refusal may have come with a fulfillment made: they are read back first."""
    released = await conn.fetch(
        """
        UPDATE shipments
        SET state = 'pending', fulfillment_order_id = $3, wait_until = NULL,
            next_attempt_at = now(), reason_code = NULL, reason = NULL, failed_at = NULL,
            updated_at = now()
        WHERE shop = $1 AND wms_order_ref = $2
          AND (state = 'awaiting_order'
               OR (state = 'failed' AND reason_code = 'unknown_order')
               OR ($4 AND state = 'failed' AND reason_code IN ('unknown_line', 'over_fulfilment')))
        RETURNING 1
        """,
        shop,
        sent.wms_order_ref,
        sent.fulfillment_order_id,
        resent,
    )
    return len(released)


# --- shipments arriving -------------------------------------------------------------------------


@dataclass(frozen=True)
class NewShipment:
    shop: str
    shipment: WmsShipmentConfirmed
    message_id: UUID
    state: str
    """awaiting_order, pending or failed."""
    fulfillment_order_id: str | None = None
    wait_s: float | None = None
    reason_code: FailureCode | None = None
    reason: str | None = None


async def record_shipment(conn: Connection, new: NewShipment) -> bool:
    """Record a shipment once, waking the worker at commit if it is due now; False if its
    shipment_id was already known (a repeat)."""
    inserted = await conn.fetchval(
        """
        INSERT INTO shipments (shop, shipment_id, wms_order_ref, state, shipment, message_id,
                               fulfillment_order_id, wait_until, reason_code, reason, failed_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, now() + make_interval(secs => $8::float8), $9, $10,
                CASE WHEN $4 = 'failed' THEN now() END)
        ON CONFLICT (shop, shipment_id) DO NOTHING
        RETURNING CASE WHEN state = 'pending' THEN pg_notify($11, '') END IS NULL
        """,
        new.shop,
        new.shipment.shipment_id,
        new.shipment.wms_order_ref,
        new.state,
        new.shipment.model_dump(mode="json"),
        new.message_id,
        new.fulfillment_order_id,
        new.wait_s,
        new.reason_code,
        new.reason,
        SHIPMENTS.channel,
    )
    return inserted is not None


async def expire_waits(conn: Connection) -> list[ShipmentKey]:
    """Shipments that waited too long for their WMS order fail (an unknown order)."""
    rows = await conn.fetch(
        """
        UPDATE shipments
        SET state = 'failed', reason_code = 'unknown_order', failed_at = now(), updated_at = now(),
            reason = 'no WMS order ' || wms_order_ref || ' known: order-intake never announced '
                     || 'it (not an order of this integration, or still unsent)'
        WHERE state = 'awaiting_order' AND wait_until < now()
        RETURNING shop, shipment_id
        """
    )
    return [(r["shop"], r["shipment_id"]) for r in rows]


# --- the worker's claims ------------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimedShipment:
    shop: str
    shipment_id: str
    claim: int
    failures: int
    verify_first: bool
    """An earlier attempt may have created the fulfillment, or was refused: read back first."""
    shipment: WmsShipmentConfirmed
    order: WmsOrderSent
    holding: Holding
    """What the WMS order holds at the claim."""
    message_id: UUID

    @property
    def key(self) -> ShipmentKey:
        return self.shop, self.shipment_id

    @property
    def lease(self) -> Key:
        """Its key in SHIPMENTS: this claim of it."""
        return self.shop, self.shipment_id, self.claim

    @property
    def wms_order_key(self) -> "WmsOrderKey":
        return self.shop, self.order.wms_order_ref


async def claim_due(
    conn: Connection, free_slots: Mapping[str, int], lease_s: float, limit: int
) -> list[ClaimedShipment]:
    """Lease due shipments (call inside a transaction): up to `free_slots[shop]` per shop, at
    most one per fulfillment order, and none of a fulfillment order already in flight.

    The lease is the intent: committed before Shopify is called. A shipment found `creating`
    with its lease run out is claimed with `verify_first`.
    """
    shops = [shop for shop, slots in free_slots.items() if slots > 0]
    if not shops:
        return []
    await conn.execute(_CLAIM_LOCK)
    rows = await SHIPMENTS.claim_from(
        conn,
        f"""
        WITH free(shop, slots) AS (SELECT * FROM unnest($2::text[], $3::int[])),
        eligible AS (
            SELECT DISTINCT ON (s.shop, s.fulfillment_order_id)
                   s.shop, s.shipment_id, s.next_attempt_at, s.received_at
            FROM shipments s
            WHERE {SHIPMENTS.due("s")} AND s.shop = ANY($2::text[])
              AND NOT EXISTS (
                  SELECT 1 FROM shipments busy
                  WHERE busy.shop = s.shop AND busy.fulfillment_order_id = s.fulfillment_order_id
                    AND busy.state = 'creating' AND busy.lease_until >= now())
            ORDER BY s.shop, s.fulfillment_order_id, s.received_at
        ),
        ranked AS (
            SELECT e.shop, e.shipment_id,
                   row_number() OVER (PARTITION BY e.shop
                                      ORDER BY e.next_attempt_at, e.received_at) AS n
            FROM eligible e
        ),
        chosen AS (
            SELECT r.shop, r.shipment_id FROM ranked r JOIN free f ON f.shop = r.shop
            WHERE r.n <= f.slots
            ORDER BY r.n
            LIMIT $4
        )
        SELECT s.shop, s.shipment_id, s.claim, o.sent, {_REDUCTION_COLUMNS}
        FROM chosen c
        JOIN shipments s ON s.shop = c.shop AND s.shipment_id = c.shipment_id
        JOIN wms_orders o ON o.shop = s.shop AND o.wms_order_ref = s.wms_order_ref
        LEFT JOIN wms_order_reductions r
               ON r.shop = o.shop AND r.wms_order_ref = o.wms_order_ref
        """,
        shops,
        [free_slots[shop] for shop in shops],
        limit,
        lease_s=lease_s,
        # Claims are serialised by _CLAIM_LOCK; the update looks again at each row as it is now:
        # a late worker may just have recorded its outcome.
        recheck=True,
        also_set="state = 'creating', claim = w.claim + 1, "
        "verify_first = w.verify_first OR w.state = 'creating', updated_at = now()",
        returning="w.shop, w.shipment_id, w.claim, w.failures, w.verify_first, w.shipment, "
        "w.message_id, due.sent, due.r_cancelled, due.r_lines, due.r_confirmed_at",
    )
    claimed = []
    for r in rows:
        order = WmsOrderSent.model_validate(r["sent"])
        claimed.append(
            ClaimedShipment(
                shop=r["shop"],
                shipment_id=r["shipment_id"],
                claim=r["claim"],
                failures=r["failures"],
                verify_first=r["verify_first"],
                shipment=WmsShipmentConfirmed.model_validate(r["shipment"]),
                order=order,
                holding=holding_of(order, _reduction(r)),
                message_id=r["message_id"],
            )
        )
    return claimed


@dataclass
class FulfilledBefore:
    """What earlier shipments already made, for one claimed shipment."""

    units: dict[str, int] = field(default_factory=dict)
    """Units per line_ref fulfilled by its own WMS order's synced shipments: an FO with several
    WMS orders (extra units sent later) may have the same line in each."""
    fulfillment_ids: set[str] = field(default_factory=set)
    """Fulfillments of every synced shipment of its fulfillment order, whichever WMS order: none
    of them is this shipment's."""


async def fulfilled_before(
    conn: Connection, claimed: Collection[ClaimedShipment]
) -> dict[WmsOrderKey, FulfilledBefore]:
    """Per claimed shipment's WMS order: the units and fulfillments made before it."""
    found = {c.wms_order_key: FulfilledBefore() for c in claimed}
    if not claimed:
        return found
    keys = {(c.shop, c.order.fulfillment_order_id) for c in claimed}
    rows = await conn.fetch(
        """
        SELECT s.shop, s.fulfillment_order_id, s.wms_order_ref, s.fulfillment_id,
               s.fulfilled_lines
        FROM shipments s
        JOIN unnest($1::text[], $2::text[]) AS k(shop, fulfillment_order_id)
          ON s.shop = k.shop AND s.fulfillment_order_id = k.fulfillment_order_id
        WHERE s.state = 'synced'
        """,
        [shop for shop, _ in keys],
        [fo for _, fo in keys],
    )
    by_fo: dict[tuple[str, str], set[str]] = {}
    for row in rows:
        by_fo.setdefault((row["shop"], row["fulfillment_order_id"]), set()).add(
            row["fulfillment_id"]
        )
        before = found.get((row["shop"], row["wms_order_ref"]))
        if before is None:
            continue  # another WMS order of the same FO
        for line in row["fulfilled_lines"]:
            ref = line["line_ref"]
            before.units[ref] = before.units.get(ref, 0) + int(line["quantity"])
    for c in claimed:
        found[c.wms_order_key].fulfillment_ids |= by_fo.get(
            (c.shop, c.order.fulfillment_order_id), set()
        )
    return found


# --- whether a WMS order has shipped all it holds -------------------------------------------


@dataclass(frozen=True)
class SyncedShipment:
    shipment_id: str
    fulfillment_id: str
    lines: list[FulfillmentOrderLineRef]
    order: WmsOrderSent


@dataclass(frozen=True)
class Completion:
    """A WMS order with nothing left to ship, as of the caller's transaction."""

    complete: bool
    newly: bool
    """Not said before (`fulfillments.shipment.synced` with `fulfillment_order_complete`)."""
    unsynced_shipments: int
    """Shipments of it not synced (waiting, due, in flight, held): each says so when synced."""
    last_synced: SyncedShipment | None


async def completion(conn: Connection, shop: str, wms_order_ref: str) -> Completion | None:
    """Whether the WMS order has shipped all it holds now (None while its send is unknown).
    Call under `lock_wms_order`: the worker records synced shipments under the same lock."""
    return (await completions(conn, [(shop, wms_order_ref)])).get((shop, wms_order_ref))


async def completions(
    conn: Connection, keys: Collection[WmsOrderKey]
) -> dict[WmsOrderKey, Completion]:
    """`completion` of several WMS orders in two queries; those whose send is unknown are left
    out. Call under `lock_wms_orders`."""
    if not keys:
        return {}
    shops, refs = [shop for shop, _ in keys], [ref for _, ref in keys]
    order_rows = await conn.fetch(
        f"""
        SELECT w.shop, w.wms_order_ref, w.sent, w.completed_at, {_REDUCTION_COLUMNS}
        FROM unnest($1::text[], $2::text[]) AS k(shop, wms_order_ref)
        JOIN wms_orders w ON w.shop = k.shop AND w.wms_order_ref = k.wms_order_ref
        LEFT JOIN wms_order_reductions r
               ON r.shop = w.shop AND r.wms_order_ref = w.wms_order_ref
        """,
        shops,
        refs,
    )
    if not order_rows:
        return {}
    shipments: dict[WmsOrderKey, list[Any]] = {}
    for row in await conn.fetch(
        """
        SELECT s.shop, s.wms_order_ref, s.shipment_id, s.state, s.fulfillment_id,
               s.fulfilled_lines
        FROM unnest($1::text[], $2::text[]) AS k(shop, wms_order_ref)
        JOIN shipments s ON s.shop = k.shop AND s.wms_order_ref = k.wms_order_ref
        ORDER BY s.synced_at NULLS FIRST, s.shipment_id
        """,
        [r["shop"] for r in order_rows],
        [r["wms_order_ref"] for r in order_rows],
    ):
        shipments.setdefault((row["shop"], row["wms_order_ref"]), []).append(row)
    found: dict[WmsOrderKey, Completion] = {}
    for order_row in order_rows:
        key = (order_row["shop"], order_row["wms_order_ref"])
        order = WmsOrderSent.model_validate(order_row["sent"])
        its_shipments = shipments.get(key, [])
        shipped: dict[str, int] = {}
        last: SyncedShipment | None = None
        for row in its_shipments:
            if row["state"] != "synced":
                continue
            lines = [FulfillmentOrderLineRef.model_validate(x) for x in row["fulfilled_lines"]]
            for line in lines:
                shipped[line.line_ref] = shipped.get(line.line_ref, 0) + line.quantity
            last = SyncedShipment(row["shipment_id"], row["fulfillment_id"], lines, order)
        complete = holding_of(order, _reduction(order_row)).complete_with(shipped)
        found[key] = Completion(
            complete=complete,
            newly=complete and order_row["completed_at"] is None,
            unsynced_shipments=sum(r["state"] in _UNSYNCED_STATES for r in its_shipments),
            last_synced=last,
        )
    return found


async def mark_completed(conn: Connection, keys: Collection[WmsOrderKey]) -> None:
    if not keys:
        return
    await conn.execute(
        """
        UPDATE wms_orders w SET completed_at = coalesce(w.completed_at, now())
        FROM unnest($1::text[], $2::text[]) AS k(shop, wms_order_ref)
        WHERE w.shop = k.shop AND w.wms_order_ref = k.wms_order_ref
        """,
        [shop for shop, _ in keys],
        [ref for _, ref in keys],
    )


# --- outcomes of a claim ------------------------------------------------------------------------


@dataclass(frozen=True)
class SyncedRow:
    claimed: ClaimedShipment
    fulfillment_id: str
    lines: Sequence[FulfillmentOrderLineRef]


async def mark_synced(conn: Connection, synced: Sequence[SyncedRow]) -> set[ShipmentKey]:
    """Record fulfillments made; returns the shipments this worker still held (a worker whose
    lease was taken over records nothing: the one that took it over does)."""
    if not synced:
        return set()
    rows = await conn.fetch(
        """
        UPDATE shipments s
        SET state = 'synced', fulfillment_id = u.fulfillment_id, fulfilled_lines = u.lines::jsonb,
            synced_at = now(), updated_at = now(), lease_until = NULL, verify_first = false,
            reason_code = NULL, reason = NULL
        FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[])
             AS u(shop, shipment_id, claim, fulfillment_id, lines)
        WHERE s.shop = u.shop AND s.shipment_id = u.shipment_id AND s.claim = u.claim
          AND s.state = 'creating'
        RETURNING s.shop, s.shipment_id
        """,
        [row.claimed.shop for row in synced],
        [row.claimed.shipment_id for row in synced],
        [row.claimed.claim for row in synced],
        [row.fulfillment_id for row in synced],
        # As JSON text: a list of lists would be taken for a two-dimensional array.
        [json.dumps([line.model_dump(mode="json") for line in row.lines]) for row in synced],
    )
    return {(r["shop"], r["shipment_id"]) for r in rows}


@dataclass(frozen=True)
class RetryRow:
    claimed: ClaimedShipment
    error: str
    verify_first: bool
    delay_s: float | None


@dataclass(frozen=True)
class HoldRow:
    claimed: ClaimedShipment
    reason: str


@dataclass(frozen=True)
class AwaitingAcceptanceRow:
    claimed: ClaimedShipment
    reason: str
    delay_s: float


@dataclass(frozen=True)
class FailedRow:
    claimed: ClaimedShipment
    code: FailureCode
    reason: str


# One statement per kind of outcome, however many shipments: during a Shopify outage nearly
# every outcome of a batch is a retry, recorded while the batch's transaction is open.


async def mark_retry(conn: Connection, rows: Sequence[RetryRow]) -> None:
    """Shopify could not be asked (or its answer was lost): due again after `delay_s`."""
    for verify_first in (False, True):
        group = [row for row in rows if row.verify_first == verify_first]
        # A lease's key holds its claim number, so the row is still `creating`: only the worker
        # holding this claim changes it.
        await SHIPMENTS.retry_later(
            conn,
            [row.claimed.lease for row in group],
            [row.error for row in group],
            [row.delay_s for row in group],
            also_set=f"state = 'pending', verify_first = {str(verify_first).lower()}, "
            "updated_at = now()",
        )


async def mark_on_hold(conn: Connection, rows: Sequence[HoldRow], recheck_s: float) -> None:
    if not rows:
        return
    await conn.executemany(
        """
        UPDATE shipments
        SET state = 'on_hold', verify_first = true, reason = $4, failures = 0,
            next_attempt_at = now() + make_interval(secs => $5::float8), lease_until = NULL,
            updated_at = now()
        WHERE shop = $1 AND shipment_id = $2 AND claim = $3 AND state = 'creating'
        """,
        [(*_claim_key(r.claimed), r.reason[:1000], recheck_s) for r in rows],
    )


async def mark_awaiting_acceptance(conn: Connection, rows: Sequence[AwaitingAcceptanceRow]) -> None:
    """At a fulfillment service, the request is not accepted in Shopify yet: due again after
    `delay_s` (growing with each look, capped). Nothing of ours was created (the read-back
    said so, and nothing was sent since), so the next attempt creates without reading first."""
    await SHIPMENTS.retry_later(
        conn,
        [row.claimed.lease for row in rows],
        [row.reason for row in rows],
        [row.delay_s for row in rows],
        also_set="state = 'awaiting_acceptance', verify_first = false, updated_at = now()",
    )


async def mark_failed(conn: Connection, rows: Sequence[FailedRow]) -> None:
    # verify_first: a refusal can come with the fulfillment made after all (a GraphQL error
    # beside data); an operator's retry must look before it creates.
    if not rows:
        return
    await conn.executemany(
        """
        UPDATE shipments
        SET state = 'failed', reason_code = $4, reason = $5, failed_at = now(), verify_first = true,
            lease_until = NULL, updated_at = now()
        WHERE shop = $1 AND shipment_id = $2 AND claim = $3 AND state = 'creating'
        """,
        [(*_claim_key(r.claimed), r.code, r.reason[:1000]) for r in rows],
    )


def _claim_key(claimed: ClaimedShipment) -> tuple[str, str, int]:
    return claimed.shop, claimed.shipment_id, claimed.claim


# --- operator -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShipmentState:
    shop: str
    state: str
    fulfillment_id: str | None


async def shipment_states(
    conn: Connection, shipment_id: str, shop: str | None
) -> list[ShipmentState]:
    rows = await conn.fetch(
        "SELECT shop, state, fulfillment_id FROM shipments "
        "WHERE shipment_id = $1 AND ($2::text IS NULL OR shop = $2) ORDER BY shop",
        shipment_id,
        shop,
    )
    return [ShipmentState(r["shop"], r["state"], r["fulfillment_id"]) for r in rows]


async def retry_now(conn: Connection, shop: str, shipment_id: str, wait_s: float) -> str | None:
    """An operator's retry: due now, Shopify read back first; waiting again for its WMS order if
    that is still unknown. Returns the new state, or None if the shipment is not retryable."""
    state: str | None = await conn.fetchval(
        """
        WITH known AS (
            SELECT w.fulfillment_order_id FROM wms_orders w, shipments s
            WHERE s.shop = $1 AND s.shipment_id = $2
              AND w.shop = s.shop AND w.wms_order_ref = s.wms_order_ref
        )
        UPDATE shipments
        SET state = CASE WHEN EXISTS (SELECT 1 FROM known) THEN 'pending' ELSE 'awaiting_order' END,
            fulfillment_order_id = (SELECT fulfillment_order_id FROM known),
            wait_until = CASE WHEN EXISTS (SELECT 1 FROM known) THEN NULL
                              ELSE now() + make_interval(secs => $3::float8) END,
            next_attempt_at = now(), failures = 0, verify_first = true, reason_code = NULL,
            reason = NULL, failed_at = NULL, lease_until = NULL, updated_at = now()
        WHERE shop = $1 AND shipment_id = $2
          AND state IN ('failed', 'on_hold', 'pending', 'awaiting_order', 'awaiting_acceptance')
        RETURNING state
        """,
        shop,
        shipment_id,
        wait_s,
    )
    return state


# --- status -------------------------------------------------------------------------------------


async def status_summary(conn: Connection, recent: int = 20) -> dict[str, Any]:
    """Counts by state, ages, and the shipments an operator may need to look at."""
    states = await conn.fetch("SELECT state, count(*) AS n FROM shipments GROUP BY state")
    ages = await conn.fetchrow(
        """
        SELECT
          extract(epoch FROM now() - min(received_at)
                  FILTER (WHERE state IN ('pending', 'creating'))) AS oldest_pending_s,
          extract(epoch FROM now() - min(received_at)
                  FILTER (WHERE state = 'awaiting_order')) AS oldest_awaiting_s,
          extract(epoch FROM now() - min(received_at)
                  FILTER (WHERE state = 'on_hold')) AS oldest_on_hold_s,
          extract(epoch FROM now() - min(received_at)
                  FILTER (WHERE state = 'awaiting_acceptance')) AS oldest_not_accepted_s,
          count(*) FILTER (WHERE state = 'pending' AND failures > 0) AS retrying,
          max(synced_at) AS last_synced_at
        FROM shipments
        WHERE state <> 'synced' OR synced_at > now() - interval '1 day'
        """
    )
    assert ages is not None  # an aggregate always returns one row
    failed = await conn.fetch(
        "SELECT shop, shipment_id, wms_order_ref, reason_code, reason, failed_at FROM shipments "
        "WHERE state = 'failed' ORDER BY failed_at DESC LIMIT $1",
        recent,
    )
    failed_by_code = await conn.fetch(
        "SELECT reason_code, count(*) AS n FROM shipments WHERE state = 'failed' "
        "GROUP BY reason_code"
    )
    waiting = await conn.fetch(
        "SELECT shop, shipment_id, wms_order_ref, state, reason, next_attempt_at, wait_until "
        "FROM shipments WHERE state IN ('on_hold', 'awaiting_order', 'awaiting_acceptance') "
        "   OR (state = 'pending' AND failures > 0) "
        "ORDER BY received_at LIMIT $1",
        recent,
    )
    counts: dict[str, int] = {r["state"]: r["n"] for r in states}
    return {
        "counts": {
            "pending": counts.get("pending", 0) + counts.get("creating", 0),
            "in_flight": counts.get("creating", 0),
            "retrying": ages["retrying"],
            "awaiting_order": counts.get("awaiting_order", 0),
            "on_hold": counts.get("on_hold", 0),
            "awaiting_acceptance": counts.get("awaiting_acceptance", 0),
            "synced": counts.get("synced", 0),
            "failed": counts.get("failed", 0),
        },
        "oldest_pending_age_s": _rounded(ages["oldest_pending_s"]),
        "oldest_awaiting_order_age_s": _rounded(ages["oldest_awaiting_s"]),
        "oldest_on_hold_age_s": _rounded(ages["oldest_on_hold_s"]),
        "oldest_awaiting_acceptance_age_s": _rounded(ages["oldest_not_accepted_s"]),
        "last_synced_at": ages["last_synced_at"],
        "failed_by_reason": {r["reason_code"]: r["n"] for r in failed_by_code},
        "failed": [dict(r) for r in failed],
        "waiting": [dict(r) for r in waiting],
    }


def _rounded(seconds: Any) -> float | None:
    return round(float(seconds), 1) if seconds is not None else None
