"""cancellation's SQL: every read and write of its own tables, and nothing else.

Every function takes the caller's connection, so the caller decides the transaction. The Shopify
side of warehouse cancellations is pending work (`WORK`, a work_queue table): claiming, retrying
and waking go through it; what a state means, and moving between states, is written here.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from cancellation.domain import (
    ACTIVE_STATES,
    Reduction,
    WarehouseCancellation,
    WmsOrder,
    holding_now,
    rejection_counts,
    units_by_sku,
)
from cancellation.shopify_payloads import SeenCancellation
from contracts import RestockedLine, WmsOrderCancelled, WmsOrderReduced, WmsOrderSent
from storage import Connection
from storage.locks import lock_until_commit
from work_queue import WorkTable

WORK = WorkTable(
    "warehouse_cancellations",
    key={"shop": "text", "wms_order_ref": "text"},
    channel="cancellation_work",
    workable="{t}.state IN ('pending', 'submitted')",
    gave_up={"state": "'failed'"},
    last_error="detail",  # its own name: it explains any state the row is in, not only a failure
)
"""The Shopify worker's queue: warehouse cancellations still to be settled in Shopify."""

FOR_OPERATOR_STATES = ("needs_operator", "refused_by_shopify", "failed")
"""Warehouse cancellations the worker has given up on: an operator's, or a new trigger's."""


async def lock_order(conn: Connection, shop: str, order_gid: str) -> None:
    """Serialize work on one Shopify order until the commit: a cancellation and the mapping of a
    WMS order arriving at the same moment must not both miss each other."""
    await lock_until_commit(conn, [f"{shop}|{order_gid}"])


# --- what we know of WMS orders ----------------------------------------------------------------


Learned = Literal["new", "resent"]


async def record_wms_order(conn: Connection, shop: str, sent: WmsOrderSent) -> Learned | None:
    """Remember a WMS order's mapping.

    `new` the first time; `resent` when the ref comes again with a later `sent_at` (a rejected
    WMS order sent again after an operator's re-sync, maybe with other lines): the later send
    replaces the earlier. None for a repeat of a send already known, or an older one arriving
    late: nothing changes.
    """
    lines = [{"sku": line.sku, "quantity": line.quantity} for line in sent.lines]
    row = await conn.fetchrow(
        """
        INSERT INTO wms_orders (shop, wms_order_ref, order_gid, order_name, fulfillment_order_id,
                                facility, location_id, lines, sent_at, first_sent_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
        ON CONFLICT (shop, wms_order_ref) DO UPDATE
        SET order_gid = EXCLUDED.order_gid, order_name = EXCLUDED.order_name,
            fulfillment_order_id = EXCLUDED.fulfillment_order_id, facility = EXCLUDED.facility,
            location_id = EXCLUDED.location_id, lines = EXCLUDED.lines,
            sent_at = EXCLUDED.sent_at
        WHERE wms_orders.sent_at < EXCLUDED.sent_at
        RETURNING xmax = 0 AS inserted
        """,
        shop,
        sent.wms_order_ref,
        sent.shopify_order_id,
        sent.shopify_order_name,
        sent.fulfillment_order_id,
        sent.facility,
        sent.location_id,
        lines,
        sent.sent_at,
    )
    if row is None:
        return None
    return "new" if row["inserted"] else "resent"


async def record_rejection(
    conn: Connection, shop: str, wms_order_ref: str, reason: str, occurred_at: datetime
) -> None:
    """Keep the latest rejection of a ref (a re-sent order may be rejected again)."""
    await conn.execute(
        """
        INSERT INTO rejected_wms_orders (shop, wms_order_ref, reason, occurred_at)
        VALUES ($1, $2, $3, $4)
        ON CONFLICT (shop, wms_order_ref) DO UPDATE
        SET reason = EXCLUDED.reason, occurred_at = EXCLUDED.occurred_at,
            rejected_at = now()
        WHERE rejected_wms_orders.occurred_at IS NULL
           OR rejected_wms_orders.occurred_at < EXCLUDED.occurred_at
        """,
        shop,
        wms_order_ref,
        reason,
        occurred_at,
    )


async def record_reduction(conn: Connection, shop: str, reduced: WmsOrderReduced) -> bool:
    """Keep the latest reduction of a WMS order (its lines are what it holds now, so a later
    one replaces an earlier one whatever order they arrive in); False for a repeat or an older
    one."""
    changed = await conn.fetchval(
        """
        INSERT INTO wms_order_reductions (shop, wms_order_ref, cancelled, lines, confirmed_at)
        VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (shop, wms_order_ref) DO UPDATE
        SET cancelled = EXCLUDED.cancelled, lines = EXCLUDED.lines,
            confirmed_at = EXCLUDED.confirmed_at, recorded_at = now()
        WHERE wms_order_reductions.confirmed_at < EXCLUDED.confirmed_at
        RETURNING 1
        """,
        shop,
        reduced.wms_order_ref,
        reduced.cancelled,
        [line.model_dump(mode="json") for line in reduced.lines],
        reduced.confirmed_at,
    )
    return changed is not None


async def record_shipment(
    conn: Connection,
    shop: str,
    shipment_id: str,
    wms_order_ref: str,
    lines: Sequence[tuple[str, int]],
    *,
    completes_order: bool,
) -> None:
    """The same shipment heard from the WMS and from fulfillment-sync is one row."""
    await conn.execute(
        """
        INSERT INTO shipments (shop, shipment_id, wms_order_ref, lines, completes_order)
        VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (shop, shipment_id) DO UPDATE
        SET completes_order = shipments.completes_order OR EXCLUDED.completes_order
        """,
        shop,
        shipment_id,
        wms_order_ref,
        [{"sku": sku, "quantity": quantity} for sku, quantity in lines],
        completes_order,
    )


async def wms_orders_of(conn: Connection, shop: str, order_gid: str) -> list[WmsOrder]:
    rows = await conn.fetch(
        "SELECT * FROM wms_orders WHERE shop = $1 AND order_gid = $2 ORDER BY wms_order_ref",
        shop,
        order_gid,
    )
    return await _with_shipments(conn, shop, rows)


async def wms_order(conn: Connection, shop: str, wms_order_ref: str) -> WmsOrder | None:
    rows = await conn.fetch(
        "SELECT * FROM wms_orders WHERE shop = $1 AND wms_order_ref = $2", shop, wms_order_ref
    )
    found = await _with_shipments(conn, shop, rows)
    return found[0] if found else None


async def _with_shipments(conn: Connection, shop: str, rows: Sequence[Any]) -> list[WmsOrder]:
    refs = [r["wms_order_ref"] for r in rows]
    shipments = await conn.fetch(
        "SELECT wms_order_ref, shipment_id, lines, completes_order FROM shipments "
        "WHERE shop = $1 AND wms_order_ref = ANY($2) ORDER BY recorded_at, shipment_id",
        shop,
        refs,
    )
    rejected = {
        r["wms_order_ref"]: r["occurred_at"]
        for r in await conn.fetch(
            "SELECT wms_order_ref, occurred_at FROM rejected_wms_orders "
            "WHERE shop = $1 AND wms_order_ref = ANY($2)",
            shop,
            refs,
        )
    }
    reductions = {
        r["wms_order_ref"]: Reduction(
            cancelled=r["cancelled"],
            holds=units_by_sku((x["sku"], x["quantity"]) for x in r["lines"]),
            confirmed_at=r["confirmed_at"],
        )
        for r in await conn.fetch(
            "SELECT wms_order_ref, cancelled, lines, confirmed_at FROM wms_order_reductions "
            "WHERE shop = $1 AND wms_order_ref = ANY($2)",
            shop,
            refs,
        )
    }
    by_ref: dict[str, list[Any]] = defaultdict(list)
    for shipment in shipments:
        by_ref[shipment["wms_order_ref"]].append(shipment)
    orders = []
    for r in rows:
        ref = r["wms_order_ref"]
        ordered, withdrawn = holding_now(
            units_by_sku((x["sku"], x["quantity"]) for x in r["lines"]),
            r["sent_at"],
            reductions.get(ref),
        )
        orders.append(
            WmsOrder(
                ref=ref,
                order_gid=r["order_gid"],
                order_name=r["order_name"],
                fulfillment_order_id=r["fulfillment_order_id"],
                facility=r["facility"],
                location_id=r["location_id"],
                ordered=ordered,
                shipped=units_by_sku(
                    (x["sku"], x["quantity"]) for s in by_ref[ref] for x in s["lines"]
                ),
                shipment_ids=tuple(s["shipment_id"] for s in by_ref[ref]),
                completed_by_shipment=any(s["completes_order"] for s in by_ref[ref]),
                rejected=ref in rejected
                and rejection_counts(
                    rejected[ref], sent_at=r["sent_at"], first_sent_at=r["first_sent_at"]
                ),
                withdrawn=withdrawn,
            )
        )
    return orders


# --- Shopify -> WMS ----------------------------------------------------------------------------


async def record_order_cancellation(
    conn: Connection, shop: str, seen: SeenCancellation, seen_via: str
) -> bool:
    """One cancellation per Shopify order; False if it was already recorded."""
    inserted = await conn.fetchval(
        """
        INSERT INTO order_cancellations
            (shop, order_gid, order_name, reason, cancelled_at, seen_via)
        VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT DO NOTHING RETURNING 1
        """,
        shop,
        seen.order_gid,
        seen.order_name,
        seen.reason,
        seen.cancelled_at,
        seen_via,
    )
    return inserted is not None


@dataclass(frozen=True)
class RecordedCancellation:
    reason: str | None


async def order_cancellation(
    conn: Connection, shop: str, order_gid: str
) -> RecordedCancellation | None:
    row = await conn.fetchrow(
        "SELECT reason FROM order_cancellations WHERE shop = $1 AND order_gid = $2",
        shop,
        order_gid,
    )
    return RecordedCancellation(row["reason"]) if row else None


async def cancel_request_exists(conn: Connection, shop: str, wms_order_ref: str) -> bool:
    found = await conn.fetchval(
        "SELECT 1 FROM cancel_requests WHERE shop = $1 AND wms_order_ref = $2", shop, wms_order_ref
    )
    return found is not None


async def insert_cancel_request(
    conn: Connection, shop: str, order: WmsOrder, state: str, reason: str | None
) -> None:
    # No ON CONFLICT: the caller checked under the order's lock; a second row would mean a
    # second `wms.order.cancel`, which must fail loudly instead.
    await conn.execute(
        "INSERT INTO cancel_requests (shop, wms_order_ref, order_gid, state, reason) "
        "VALUES ($1, $2, $3, $4, $5)",
        shop,
        order.ref,
        order.order_gid,
        state,
        reason,
    )


async def answer_cancel_request(
    conn: Connection, shop: str, wms_order_ref: str, outcome: str, reason: str | None
) -> bool:
    """The WMS answered our `wms.order.cancel`; False if no request was waiting for it."""
    updated = await conn.fetchval(
        """
        UPDATE cancel_requests SET state = $3, reason = $4, answered_at = now()
        WHERE shop = $1 AND wms_order_ref = $2 AND state = 'requested'
        RETURNING 1
        """,
        shop,
        wms_order_ref,
        outcome,
        reason,
    )
    return updated is not None


# --- WMS -> Shopify ----------------------------------------------------------------------------


async def record_warehouse_cancellation(
    conn: Connection, shop: str, cancelled: WmsOrderCancelled
) -> bool:
    """Queue the Shopify side of it; the worker is woken at commit. False if already known."""
    inserted = await conn.fetchval(
        """
        INSERT INTO warehouse_cancellations (shop, wms_order_ref, reason, restock, note)
        VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT DO NOTHING RETURNING 1
        """,
        shop,
        cancelled.wms_order_ref,
        cancelled.reason,
        cancelled.restock,
        cancelled.note,
    )
    if inserted is not None:
        await WORK.wake(conn)
    return inserted is not None


async def warehouse_cancellation_exists(conn: Connection, shop: str, wms_order_ref: str) -> bool:
    found = await conn.fetchval(
        "SELECT 1 FROM warehouse_cancellations WHERE shop = $1 AND wms_order_ref = $2",
        shop,
        wms_order_ref,
    )
    return found is not None


async def wake_worker_if_pending(conn: Connection, shop: str, wms_order_ref: str) -> None:
    """A warehouse cancellation that waited for its WMS order's mapping can now be worked on."""
    pending = await conn.fetchval(
        "SELECT 1 FROM warehouse_cancellations "
        "WHERE shop = $1 AND wms_order_ref = $2 AND state = 'pending'",
        shop,
        wms_order_ref,
    )
    if pending is not None:
        await WORK.wake(conn)


_BACK_TO_PENDING = """
    state = 'pending', attempts = 0, next_attempt_at = now(), lease_until = NULL,
    acknowledged_at = NULL, updated_at = now()
"""
"""A warehouse cancellation left for an operator, tried again from scratch."""


async def requeue_warehouse_cancellations(conn: Connection, shop: str, order_gid: str) -> int:
    """Have the worker look again at the order's cancellations left for an operator (e.g. the
    merchant has cancelled it in Shopify since)."""
    refs = await conn.fetch(
        f"""
        UPDATE warehouse_cancellations w SET {_BACK_TO_PENDING}
        FROM wms_orders o
        WHERE o.shop = w.shop AND o.wms_order_ref = w.wms_order_ref
          AND w.shop = $1 AND o.order_gid = $2 AND w.state = ANY($3)
        RETURNING w.wms_order_ref
        """,
        shop,
        order_gid,
        list(FOR_OPERATOR_STATES),
    )
    if refs:
        await WORK.wake(conn)
    return len(refs)


@dataclass(frozen=True)
class DueOrder:
    shop: str
    order_gid: str


async def claim_due_orders(conn: Connection, limit: int, lease_s: float) -> list[DueOrder]:
    """Lease due warehouse cancellations; the Shopify orders they belong to are the work. Rows
    still waiting for their WMS order's mapping are not due (the join leaves them out)."""
    rows = await WORK.claim_from(
        conn,
        f"""
        SELECT c.shop, c.wms_order_ref, o.order_gid
        FROM warehouse_cancellations c
        JOIN wms_orders o ON o.shop = c.shop AND o.wms_order_ref = c.wms_order_ref
        WHERE {WORK.due("c")}
        ORDER BY c.next_attempt_at
        LIMIT $2
        FOR UPDATE OF c SKIP LOCKED
        """,
        limit,
        lease_s=lease_s,
        returning="due.shop, due.order_gid",
    )
    return list(dict.fromkeys(DueOrder(r["shop"], r["order_gid"]) for r in rows))


async def warehouse_cancellations_of(
    conn: Connection, shop: str, order_gid: str
) -> list[WarehouseCancellation]:
    """Every WMS order of this Shopify order the warehouse cancelled, in any state."""
    orders = {o.ref: o for o in await wms_orders_of(conn, shop, order_gid)}
    rows = await conn.fetch(
        "SELECT * FROM warehouse_cancellations WHERE shop = $1 AND wms_order_ref = ANY($2)",
        shop,
        list(orders),
    )
    return [
        WarehouseCancellation(
            order=orders[r["wms_order_ref"]],
            reason=r["reason"],
            restock=r["restock"],
            note=r["note"],
            state=r["state"],
            received_at=r["received_at"],
            attempts=r["attempts"],
            job_id=r["job_id"],
            shopify_restock=r["shopify_restock"],
        )
        for r in rows
    ]


async def settle_warehouse_cancellations(
    conn: Connection,
    shop: str,
    refs: Sequence[str],
    state: str,
    detail: str | None,
    *,
    action: str | None = None,
) -> list[str]:
    """Move still-active rows to `state`; returns the refs that moved (a row another path settled
    meanwhile is left alone). `action`: what was done in Shopify (orderCancel or
    fulfillmentOrderClose), kept for /status."""
    rows = await conn.fetch(
        """
        UPDATE warehouse_cancellations
        SET state = $3, detail = $4, lease_until = NULL, updated_at = now(),
            action = coalesce($6, action)
        WHERE shop = $1 AND wms_order_ref = ANY($2) AND state = ANY($5)
        RETURNING wms_order_ref
        """,
        shop,
        list(refs),
        state,
        detail,
        list(ACTIVE_STATES),
        action,
    )
    return [r["wms_order_ref"] for r in rows]


async def mark_submitted(
    conn: Connection,
    shop: str,
    refs: Sequence[str],
    *,
    job_id: str | None,
    restock: bool,
    confirm_in_s: float,
) -> None:
    """Shopify took our orderCancel; its job is checked (the order read again) after a while."""
    await conn.execute(
        """
        UPDATE warehouse_cancellations
        SET state = 'submitted', job_id = $3, shopify_restock = $4, attempts = 0,
            action = 'orderCancel',
            detail = 'orderCancel accepted by Shopify; waiting for its job to cancel the order',
            next_attempt_at = now() + make_interval(secs => $5), lease_until = NULL,
            updated_at = now()
        WHERE shop = $1 AND wms_order_ref = ANY($2) AND state = ANY($6)
        """,
        shop,
        list(refs),
        job_id,
        restock,
        confirm_in_s,
        list(ACTIVE_STATES),
    )


async def try_again_later(
    conn: Connection, shop: str, refs: Sequence[str], detail: str, delay_s: float | None
) -> None:
    """Count a failed attempt: due again after `delay_s`, or failed for good (None). Only rows
    still being worked on count it: one settled meanwhile (by a worker that took it over when
    this one's lease ran out) keeps its outcome."""
    await WORK.retry_later(
        conn,
        [(shop, ref) for ref in refs],
        detail,
        delay_s,
        also_set="updated_at = now()",
        where=WORK.workable_as("w"),
    )


# --- restocks ----------------------------------------------------------------------------------


async def record_restock(
    conn: Connection,
    restock_id: str,
    shop: str,
    wms_order_ref: str,
    restocked_in_shopify: bool,
    lines: Sequence[RestockedLine],
) -> bool:
    """False if this restock was already announced (by the other direction, or a repeat)."""
    inserted = await conn.fetchval(
        """
        INSERT INTO restocks (restock_id, shop, wms_order_ref, restocked_in_shopify, lines)
        VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT DO NOTHING RETURNING 1
        """,
        restock_id,
        shop,
        wms_order_ref,
        restocked_in_shopify,
        [line.model_dump() for line in lines],
    )
    return inserted is not None


# --- operator actions --------------------------------------------------------------------------

ALERT_STATES = ("refused", "shipped")


async def acknowledge(conn: Connection, shop: str, wms_order_ref: str) -> bool:
    """An operator has dealt with this alert: it leaves the list of what needs attention."""
    found = await conn.fetchval(
        """
        WITH requests AS (
            UPDATE cancel_requests SET acknowledged_at = now()
            WHERE shop = $1 AND wms_order_ref = $2 AND state = ANY($3)
              AND acknowledged_at IS NULL
            RETURNING 1
        ), warehouse AS (
            UPDATE warehouse_cancellations SET acknowledged_at = now(), updated_at = now()
            WHERE shop = $1 AND wms_order_ref = $2 AND state = ANY($4)
              AND acknowledged_at IS NULL
            RETURNING 1
        )
        SELECT (SELECT count(*) FROM requests) + (SELECT count(*) FROM warehouse)
        """,
        shop,
        wms_order_ref,
        list(ALERT_STATES),
        list(FOR_OPERATOR_STATES),
    )
    return bool(found)


async def retry_warehouse_cancellation(conn: Connection, shop: str, wms_order_ref: str) -> bool:
    """An operator asks for the Shopify side of a warehouse cancellation to be tried again."""
    updated = await conn.fetchval(
        f"""
        UPDATE warehouse_cancellations SET {_BACK_TO_PENDING}
        WHERE shop = $1 AND wms_order_ref = $2 AND state = ANY($3)
        RETURNING 1
        """,
        shop,
        wms_order_ref,
        list(FOR_OPERATOR_STATES),
    )
    if updated is not None:
        await WORK.wake(conn)
    return updated is not None


# --- status ------------------------------------------------------------------------------------


async def status_summary(conn: Connection, recent: int = 20) -> dict[str, Any]:
    """Open cancellations, what needs an operator, and what was sent to Shopify with its outcome."""
    requests = await conn.fetch("SELECT state, count(*) AS n FROM cancel_requests GROUP BY state")
    warehouse = await conn.fetch(
        "SELECT state, count(*) AS n FROM warehouse_cancellations GROUP BY state"
    )
    totals = await conn.fetchrow(
        """
        SELECT (SELECT count(*) FROM order_cancellations) AS shopify_cancellations,
               (SELECT count(*) FROM restocks) AS restocks,
               (SELECT count(*) FROM cancel_requests
                WHERE state = ANY($1) AND acknowledged_at IS NULL) AS shipped_alerts,
               (SELECT count(*) FROM warehouse_cancellations
                WHERE state = ANY($2) AND acknowledged_at IS NULL) AS for_operator,
               (SELECT count(*) FROM warehouse_cancellations w WHERE NOT EXISTS (
                    SELECT 1 FROM wms_orders o
                    WHERE o.shop = w.shop AND o.wms_order_ref = w.wms_order_ref))
                   AS awaiting_mapping
        """,
        list(ALERT_STATES),
        list(FOR_OPERATOR_STATES),
    )
    assert totals is not None  # scalar subqueries always return one row
    open_requests = await conn.fetch(
        """
        SELECT r.shop, o.order_name, r.wms_order_ref, r.requested_at,
               round(extract(epoch FROM now() - r.requested_at)::numeric, 1) AS age_s
        FROM cancel_requests r JOIN wms_orders o USING (shop, wms_order_ref)
        WHERE r.state = 'requested' ORDER BY r.requested_at LIMIT $1
        """,
        recent,
    )
    waiting_for_shopify = await conn.fetch(
        """
        SELECT w.shop, o.order_name, w.wms_order_ref, o.facility, w.state, w.attempts, w.detail,
               round(extract(epoch FROM now() - w.received_at)::numeric, 1) AS age_s
        FROM warehouse_cancellations w LEFT JOIN wms_orders o USING (shop, wms_order_ref)
        WHERE w.state IN ('pending', 'submitted') ORDER BY w.received_at LIMIT $1
        """,
        recent,
    )
    shipped = await conn.fetch(
        """
        SELECT r.shop, o.order_name, r.wms_order_ref, r.state, r.reason,
               coalesce(r.answered_at, r.requested_at) AS at
        FROM cancel_requests r JOIN wms_orders o USING (shop, wms_order_ref)
        WHERE r.state = ANY($2) AND r.acknowledged_at IS NULL
        ORDER BY at DESC LIMIT $1
        """,
        recent,
        list(ALERT_STATES),
    )
    for_operator = await conn.fetch(
        """
        SELECT w.shop, o.order_name, w.wms_order_ref, o.facility, w.reason, w.action, w.state,
               w.detail, w.updated_at
        FROM warehouse_cancellations w JOIN wms_orders o USING (shop, wms_order_ref)
        WHERE w.state = ANY($2) AND w.acknowledged_at IS NULL
        ORDER BY w.updated_at DESC LIMIT $1
        """,
        recent,
        list(FOR_OPERATOR_STATES),
    )
    sent = await conn.fetch(
        """
        SELECT w.shop, o.order_name, w.wms_order_ref, o.facility, w.reason, w.restock,
               w.action, w.state AS outcome, w.job_id, w.detail, w.updated_at
        FROM warehouse_cancellations w JOIN wms_orders o USING (shop, wms_order_ref)
        WHERE w.state IN ('submitted', 'cancelled', 'already_cancelled', 'closed',
                          'refused_by_shopify')
        ORDER BY w.updated_at DESC LIMIT $1
        """,
        recent,
    )
    request_counts = {r["state"]: r["n"] for r in requests}
    warehouse_counts = {r["state"]: r["n"] for r in warehouse}
    return {
        "counts": {
            "shopify_cancellations": totals["shopify_cancellations"],
            "warehouse_asked": request_counts,
            "warehouse_cancellations": warehouse_counts,
            "warehouse_cancellations_awaiting_mapping": totals["awaiting_mapping"],
            "restocks": totals["restocks"],
            "needs_attention": totals["shipped_alerts"] + totals["for_operator"],
        },
        "open": {
            "waiting_for_warehouse": [dict(r) for r in open_requests],
            # order_name is null while the WMS order's mapping has not arrived yet
            "waiting_for_shopify": [dict(r) for r in waiting_for_shopify],
        },
        "needs_attention": {
            "cancelled_in_shopify_but_shipped": [dict(r) for r in shipped],
            "warehouse_cancellations": [dict(r) for r in for_operator],
        },
        "sent_to_shopify": [dict(r) for r in sent],
    }
