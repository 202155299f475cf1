"""order-intake's SQL: every read and write of its own tables, and nothing else.

Every function takes the caller's connection, so the caller decides the transaction.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from contracts.wms import ReduceLine, WmsOrderCreate
from order_intake import request_store
from order_intake.domain import Decision, Order, SentFulfillmentOrder, UnsentEdit
from order_intake.reconcile import PendingChange, RefusedChange
from storage import Connection
from storage.locks import lock_until_commit
from work_queue import Key, WorkTable

SYNC_CHANNEL = "order_intake_sync"
"""NOTIFY channel that wakes the sync worker when a trigger adds work (sent by a database
trigger on pending_syncs, migration 0003)."""


# --- pending syncs ----------------------------------------------------------------------------

PENDING_SYNCS = WorkTable(
    "pending_syncs",
    key={"shop": "text", "order_gid": "text"},
    channel=SYNC_CHANNEL,
    workable="{t}.failed_at IS NULL",
    gave_up={"failed_at": "now()"},
)
"""Orders to read from Shopify again. Leased, retried and given up as all pending work is
(work_queue); what is this table's own: a read is done only if no newer trigger came in
meanwhile (`finish_syncs`), and a new trigger revives a read that failed for good
(`request_sync`)."""


@dataclass(frozen=True)
class ClaimedSync:
    shop: str
    order_gid: str
    generation: int
    attempts: int

    @property
    def key(self) -> Key:
        return (self.shop, self.order_gid)


async def request_sync(conn: Connection, shop: str, order_gid: str, reason: str) -> bool:
    """Ask for the order to be read again, unless the shop is marked uninstalled (then False).

    The worker is woken when the transaction commits. A new trigger also revives a sync that had
    failed for good: the order changed, so the reason it failed may be gone. The uninstall mark
    is checked in the same statement: one round trip per order webhook, not two.
    """
    requested = await conn.fetchval(
        """
        INSERT INTO pending_syncs (shop, order_gid, reason)
        SELECT $1, $2, $3 WHERE NOT EXISTS (SELECT FROM uninstalled_shops WHERE shop = $1)
        ON CONFLICT (shop, order_gid) DO UPDATE
        SET reason = EXCLUDED.reason,
            generation = pending_syncs.generation + 1,
            attempts = CASE WHEN pending_syncs.failed_at IS NULL
                            THEN pending_syncs.attempts ELSE 0 END,
            next_attempt_at = CASE WHEN pending_syncs.failed_at IS NULL
                                   THEN pending_syncs.next_attempt_at ELSE now() END,
            failed_at = NULL
        RETURNING true
        """,
        shop,
        order_gid,
        reason,
    )
    return requested is not None


async def claim_due_syncs(conn: Connection, limit: int, lease_s: float) -> list[ClaimedSync]:
    """Lease up to `limit` due rows, oldest request first."""
    rows = await PENDING_SYNCS.claim(
        conn,
        limit=limit,
        lease_s=lease_s,
        order_by="c.requested_at",
        returning="w.shop, w.order_gid, w.generation, w.attempts",
    )
    return [ClaimedSync(r["shop"], r["order_gid"], r["generation"], r["attempts"]) for r in rows]


async def finish_syncs(conn: Connection, claimed: Sequence[ClaimedSync]) -> None:
    """Done with these reads. A row whose generation moved on (a newer trigger arrived while
    reading) stays due, its lease released."""
    if not claimed:
        return
    deleted = await conn.fetch(
        """
        DELETE FROM pending_syncs p
        USING unnest($1::text[], $2::text[], $3::int[]) AS done(shop, order_gid, generation)
        WHERE p.shop = done.shop AND p.order_gid = done.order_gid
          AND p.generation = done.generation
        RETURNING p.shop, p.order_gid
        """,
        [c.shop for c in claimed],
        [c.order_gid for c in claimed],
        [c.generation for c in claimed],
    )
    # A separate statement on purpose: it takes a new snapshot, so it sees a generation bumped
    # by a trigger that committed while the DELETE waited for that row (in one statement, such
    # a row would match neither and keep our lease).
    finished = {(r["shop"], r["order_gid"]) for r in deleted}
    kept = [c for c in claimed if c.key not in finished]
    if kept:
        await conn.execute(
            """
            UPDATE pending_syncs p SET lease_until = NULL, attempts = 0
            FROM unnest($1::text[], $2::text[]) AS k(shop, order_gid)
            WHERE p.shop = k.shop AND p.order_gid = k.order_gid
            """,
            [c.shop for c in kept],
            [c.order_gid for c in kept],
        )


# --- orders and their WMS orders ---------------------------------------------------------------


async def lock_orders(conn: Connection, shop: str, order_gids: Sequence[str]) -> None:
    """Serialize work on these orders (sync worker, polling, operator) until the commit.

    Taken in key order, so two transactions locking overlapping batches cannot deadlock.
    """
    await lock_until_commit(conn, [f"{shop}|{gid}" for gid in order_gids])


@dataclass(frozen=True)
class LastDecision:
    state: str
    shopify_updated_at: datetime
    """The Shopify `updatedAt` of the order version the decision was made from."""


async def last_decisions(
    conn: Connection, shop: str, order_gids: Sequence[str]
) -> dict[str, LastDecision]:
    rows = await conn.fetch(
        "SELECT order_gid, state, shopify_updated_at FROM orders "
        "WHERE shop = $1 AND order_gid = ANY($2::text[])",
        shop,
        list(order_gids),
    )
    return {r["order_gid"]: LastDecision(r["state"], r["shopify_updated_at"]) for r in rows}


_WMS_ORDER_COLUMNS = """
    order_gid, wms_order_ref, fulfillment_order_id, on_hold, ship_by, sent_payload, wms_state,
    wms_reason, request_answered, request_answered_at, assigned, line_items, pending_kind,
    pending_lines, pending_change, pending_since, refused_kind, refused_change, refused_reason,
    refused_at, cancelled_at, resend_requested_at
"""


async def sent_fulfillment_orders(
    conn: Connection, shop: str, order_gids: Sequence[str]
) -> dict[str, list[SentFulfillmentOrder]]:
    """Per order, every WMS order already sent for it (several may share an FO)."""
    rows = await conn.fetch(
        f"SELECT {_WMS_ORDER_COLUMNS} FROM wms_orders "
        "WHERE shop = $1 AND order_gid = ANY($2::text[]) ORDER BY sent_at, wms_order_ref",
        shop,
        list(order_gids),
    )
    sent: dict[str, list[SentFulfillmentOrder]] = {}
    for r in rows:
        sent.setdefault(r["order_gid"], []).append(_sent_from_row(r))
    return sent


def _sent_from_row(r: Any) -> SentFulfillmentOrder:
    pending = None
    if r["pending_kind"] is not None:
        pending = PendingChange(
            kind=r["pending_kind"],
            lines=tuple(ReduceLine.model_validate(line) for line in r["pending_lines"] or ()),
            change=r["pending_change"] or "",
            since=r["pending_since"],
        )
    refused = None
    if r["refused_kind"] is not None:
        refused = RefusedChange(
            kind=r["refused_kind"],
            change=r["refused_change"] or "",
            reason=r["refused_reason"],
            at=r["refused_at"],
        )
    return SentFulfillmentOrder(
        wms_order_ref=r["wms_order_ref"],
        fulfillment_order_id=r["fulfillment_order_id"],
        on_hold=r["on_hold"],
        ship_by=r["ship_by"],
        sent=WmsOrderCreate.model_validate(r["sent_payload"]),
        assigned=r["assigned"],
        line_items=r["line_items"] or {},
        wms_state=r["wms_state"],
        wms_reason=r["wms_reason"],
        request_answered=r["request_answered"],
        request_answered_at=r["request_answered_at"],
        pending=pending,
        refused=refused,
        cancelled=r["cancelled_at"] is not None,
        resend_requested=r["resend_requested_at"] is not None,
    )


async def save_decisions(
    conn: Connection, shop: str, decided: Sequence[tuple[Order, Decision]]
) -> None:
    if not decided:
        return
    await conn.execute(
        """
        INSERT INTO orders (shop, order_gid, order_name, state, reason, shopify_updated_at,
                            fulfillment_order_ids)
        SELECT $1, o.gid, o.name, o.state, o.reason, o.updated_at,
               coalesce(string_to_array(o.fo_ids, ' '), '{}')
        FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[],
                    $7::text[]) AS o(gid, name, state, reason, updated_at, fo_ids)
        ON CONFLICT (shop, order_gid) DO UPDATE
        SET order_name = EXCLUDED.order_name, state = EXCLUDED.state, reason = EXCLUDED.reason,
            shopify_updated_at = EXCLUDED.shopify_updated_at, decided_at = now(),
            fulfillment_order_ids = EXCLUDED.fulfillment_order_ids
        """,
        shop,
        [order.id for order, _ in decided],
        [order.name for order, _ in decided],
        [decision.state for _, decision in decided],
        [decision.reason for _, decision in decided],
        [order.updated_at for order, _ in decided],
        # One text per order (a 2-D array would need equal lengths): GIDs have no spaces.
        [" ".join(fo.id for fo in order.fulfillment_orders) or None for order, _ in decided],
    )
    decisions = [decision for _, decision in decided]
    creates = [(c, d) for d in decisions for c in d.creates if c.wms_order_ref not in d.resent]
    if creates:
        await _insert_wms_orders(conn, shop, creates)
    resends = [(c, d) for d in decisions for c in d.creates if c.wms_order_ref in d.resent]
    if resends:
        await _resend_wms_orders(conn, shop, resends)
    await _set_hold(conn, shop, [h.wms_order_ref for d in decisions for h in d.holds], on_hold=True)
    await _set_hold(
        conn, shop, [r.wms_order_ref for d in decisions for r in d.releases], on_hold=False
    )
    updates = [u for d in decisions for u in d.updates]
    if updates:
        await conn.executemany(
            "UPDATE wms_orders SET ship_by = $3 WHERE shop = $1 AND wms_order_ref = $2",
            [(shop, u.wms_order_ref, u.ship_by) for u in updates],
        )
    await _record_pending_changes(conn, shop, decisions)
    await _record_unsent_edits(conn, shop, [e for d in decisions for e in d.unsent_edits])
    await request_store.set_owed_answers(conn, shop, decided)


def _line_items(create: WmsOrderCreate, decision: Decision) -> dict[str, str]:
    return {
        line.line_ref: decision.line_items[line.line_ref]
        for line in create.lines
        if line.line_ref in decision.line_items
    }


async def _insert_wms_orders(
    conn: Connection, shop: str, creates: Sequence[tuple[WmsOrderCreate, Decision]]
) -> None:
    # No ON CONFLICT: a second create for the same ref is a bug that must fail loudly, which
    # rolls the whole decision (and its messages) back.
    await conn.executemany(
        """
        INSERT INTO wms_orders (shop, wms_order_ref, order_gid, fulfillment_order_id, facility,
                                on_hold, ship_by, sent_payload, line_items)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
        """,
        [
            (
                shop,
                c.wms_order_ref,
                c.shopify_order_id,
                c.fulfillment_order_id,
                c.facility,
                c.on_hold,
                c.ship_by,
                c.model_dump(mode="json"),
                _line_items(c, d),
            )
            for c, d in creates
        ],
    )


async def _resend_wms_orders(
    conn: Connection, shop: str, resends: Sequence[tuple[WmsOrderCreate, Decision]]
) -> None:
    """A rejected WMS order sent again under its ref: it starts over as just sent."""
    await conn.executemany(
        """
        UPDATE wms_orders
        SET on_hold = $3, ship_by = $4, sent_payload = $5, line_items = $6, assigned = NULL,
            wms_state = 'sent', wms_reason = NULL, answered_at = NULL, sent_at = now(),
            resend_requested_at = NULL, request_answered = NULL, request_answered_at = NULL
        WHERE shop = $1 AND wms_order_ref = $2 AND wms_state = 'rejected'
        """,
        [
            (
                shop,
                c.wms_order_ref,
                c.on_hold,
                c.ship_by,
                c.model_dump(mode="json"),
                _line_items(c, d),
            )
            for c, d in resends
        ],
    )


async def _set_hold(conn: Connection, shop: str, refs: Sequence[str], *, on_hold: bool) -> None:
    if refs:
        await conn.execute(
            "UPDATE wms_orders SET on_hold = $3 WHERE shop = $1 AND wms_order_ref = ANY($2)",
            shop,
            list(refs),
            on_hold,
        )


async def _record_pending_changes(
    conn: Connection, shop: str, decisions: Sequence[Decision]
) -> None:
    """The reduces and cancels just decided: each WMS order's one unanswered change."""
    rows = [
        (shop, r.wms_order_ref, "reduce", [line.model_dump() for line in r.lines], r.reason,
         r.requested_at)
        for d in decisions
        for r in d.reduces
    ] + [
        (shop, c.wms_order_ref, "cancel", None, c.reason, c.requested_at)
        for d in decisions
        for c in d.cancels
    ]  # fmt: skip
    if rows:
        # A cancel's lines are what the WMS order holds at the time it is asked.
        await conn.executemany(
            """
            UPDATE wms_orders
            SET pending_kind = $3,
                pending_lines = coalesce($4::jsonb, (
                    SELECT coalesce(jsonb_agg(jsonb_build_object(
                               'line_ref', l->>'line_ref', 'sku', l->>'sku',
                               'quantity', coalesce((assigned->>(l->>'line_ref'))::int,
                                                    (l->>'quantity')::int))), '[]')
                    FROM jsonb_array_elements(sent_payload->'lines') AS l
                    -- a line it no longer holds (reduced to nothing before) is not cancelled
                    WHERE coalesce((assigned->>(l->>'line_ref'))::int,
                                   (l->>'quantity')::int) > 0)),
                pending_change = $5, pending_since = $6
            WHERE shop = $1 AND wms_order_ref = $2 AND pending_kind IS NULL
            """,
            rows,
        )


async def _record_unsent_edits(conn: Connection, shop: str, edits: Sequence[UnsentEdit]) -> None:
    if edits:
        await conn.executemany(
            """
            INSERT INTO ignored_edits (shop, wms_order_ref, description, fingerprint)
            VALUES ($1, $2, $3, $4)
            ON CONFLICT (shop, wms_order_ref, description) DO UPDATE
            SET last_seen_at = now(), fingerprint = EXCLUDED.fingerprint,
                acknowledged_at = CASE
                    WHEN ignored_edits.fingerprint IS NOT DISTINCT FROM EXCLUDED.fingerprint
                    THEN ignored_edits.acknowledged_at END
            """,
            [(shop, e.wms_order_ref, e.field, e.fingerprint) for e in edits],
        )


@dataclass(frozen=True)
class AnsweredCreate:
    """A WMS order the WMS just accepted or rejected."""

    order_gid: str
    order_name: str
    fulfillment_order_id: str
    facility: str
    first_answer: bool
    """Not a repeat of the answer already recorded."""


async def record_wms_answer(
    conn: Connection, shop: str, wms_order_ref: str, state: str, reason: str | None
) -> AnsweredCreate | None:
    """The WMS accepted or rejected one of our orders; None if we never sent that ref."""
    row = await conn.fetchrow(
        """
        UPDATE wms_orders w SET wms_state = $3, wms_reason = $4, answered_at = now()
        FROM (SELECT wms_state AS before FROM wms_orders
              WHERE shop = $1 AND wms_order_ref = $2 FOR UPDATE) b
        WHERE w.shop = $1 AND w.wms_order_ref = $2
        RETURNING w.order_gid, w.sent_payload->>'shopify_order_name' AS order_name,
                  w.fulfillment_order_id, w.facility, b.before IS DISTINCT FROM $3 AS first
        """,
        shop,
        wms_order_ref,
        state,
        reason,
    )
    if row is None:
        return None
    return AnsweredCreate(
        row["order_gid"], row["order_name"], row["fulfillment_order_id"], row["facility"],
        row["first"],
    )  # fmt: skip


@dataclass(frozen=True)
class AnsweredChange:
    order_gid: str
    fulfillment_order_id: str
    facility: str
    lines: list[dict[str, Any]]
    """What the WMS order holds after the answer: [{line_ref, sku, quantity}] (zero lines
    left out)."""


async def answer_change(
    conn: Connection,
    shop: str,
    wms_order_ref: str,
    kind: str,
    outcome: str,
    reason: str | None,
) -> AnsweredChange | None:
    """The WMS answered the reduce or cancel we asked of this WMS order.

    `outcome` is `done` (reduced / cancelled: what it holds drops by the units asked) or
    `refused` (it holds them still; shown to operators). None when no such change of ours is
    waiting: an answer repeated, to a change we never sent (the cancellation service's own
    cancels travel on the same topic), or already answered; nothing changes then.
    """
    row = await conn.fetchrow(
        """
        SELECT order_gid, fulfillment_order_id, facility, sent_payload, assigned, pending_lines,
               pending_change
        FROM wms_orders
        WHERE shop = $1 AND wms_order_ref = $2 AND pending_kind = $3
        FOR UPDATE
        """,
        shop,
        wms_order_ref,
        kind,
    )
    if row is None:
        return None
    payload = WmsOrderCreate.model_validate(row["sent_payload"])
    held: dict[str, int] = row["assigned"] or {
        line.line_ref: line.quantity for line in payload.lines
    }
    if outcome == "refused":
        await conn.execute(
            """
            UPDATE wms_orders
            SET refused_kind = pending_kind, refused_change = pending_change, refused_reason = $3,
                refused_at = now(), pending_kind = NULL, pending_lines = NULL,
                pending_change = NULL, pending_since = NULL
            WHERE shop = $1 AND wms_order_ref = $2
            """,
            shop,
            wms_order_ref,
            reason,
        )
    else:
        if kind == "cancel":
            held = dict.fromkeys(held, 0)
        else:
            for line in row["pending_lines"] or ():
                held[line["line_ref"]] = max(0, held.get(line["line_ref"], 0) - line["quantity"])
        await conn.execute(
            """
            UPDATE wms_orders
            SET assigned = $3, cancelled_at = CASE WHEN pending_kind = 'cancel' THEN now() END,
                pending_kind = NULL, pending_lines = NULL, pending_change = NULL,
                pending_since = NULL
            WHERE shop = $1 AND wms_order_ref = $2
            """,
            shop,
            wms_order_ref,
            held,
        )
    skus = {line.line_ref: line.sku for line in payload.lines}
    return AnsweredChange(
        order_gid=row["order_gid"],
        fulfillment_order_id=row["fulfillment_order_id"],
        facility=row["facility"],
        lines=[
            {"line_ref": ref, "sku": skus[ref], "quantity": units}
            for ref, units in held.items()
            if units > 0
        ],
    )


async def acknowledge_for_resync(conn: Connection, shop: str, order_name: str) -> int:
    """An operator re-syncs the order: rejected WMS orders are to be sent again, refused changes
    and edits the WMS was not told about count as seen. Returns how many rows it touched."""
    touched = 0
    for statement in (
        """
        UPDATE wms_orders SET resend_requested_at = now()
        WHERE shop = $1 AND sent_payload->>'shopify_order_name' = $2 AND wms_state = 'rejected'
        """,
        """
        UPDATE wms_orders
        SET refused_kind = NULL, refused_change = NULL, refused_reason = NULL, refused_at = NULL
        WHERE shop = $1 AND sent_payload->>'shopify_order_name' = $2 AND refused_kind IS NOT NULL
        """,
        """
        UPDATE ignored_edits e SET acknowledged_at = now()
        FROM wms_orders w
        WHERE e.shop = $1 AND w.shop = $1 AND w.wms_order_ref = e.wms_order_ref
          AND w.sent_payload->>'shopify_order_name' = $2 AND e.acknowledged_at IS NULL
        """,
    ):
        result = await conn.execute(statement, shop, order_name)
        touched += int(result.rsplit(" ", 1)[-1])
    return touched


async def orders_of_fulfillment_orders(
    conn: Connection, shop: str, fulfillment_order_ids: Sequence[str]
) -> list[str]:
    """The orders these FOs belong to, as far as this service has seen them."""
    rows = await conn.fetch(
        """
        SELECT order_gid FROM orders
        WHERE shop = $1 AND fulfillment_order_ids && $2::text[]
        UNION
        SELECT order_gid FROM wms_orders
        WHERE shop = $1 AND fulfillment_order_id = ANY($2::text[])
        """,
        shop,
        list(fulfillment_order_ids),
    )
    return sorted(r["order_gid"] for r in rows)


# --- polling -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PollState:
    watermark: datetime | None
    last_poll_at: datetime | None


async def poll_state(conn: Connection, shop: str) -> PollState:
    row = await conn.fetchrow(
        "SELECT watermark, last_poll_at FROM poll_state WHERE shop = $1", shop
    )
    return PollState(row["watermark"], row["last_poll_at"]) if row else PollState(None, None)


async def advance_watermark(conn: Connection, shop: str, watermark: datetime) -> None:
    await conn.execute(
        """
        INSERT INTO poll_state (shop, watermark) VALUES ($1, $2)
        ON CONFLICT (shop) DO UPDATE
        SET watermark = GREATEST(poll_state.watermark, EXCLUDED.watermark)
        """,
        shop,
        watermark,
    )


async def record_poll(
    conn: Connection, shop: str, result: str, orders_seen: int, error: str | None
) -> None:
    await conn.execute(
        """
        INSERT INTO poll_state (shop, last_poll_at, last_result, orders_seen, last_error)
        VALUES ($1, now(), $2, $3, $4)
        ON CONFLICT (shop) DO UPDATE
        SET last_poll_at = now(), last_result = $2, orders_seen = $3, last_error = $4
        """,
        shop,
        result,
        orders_seen,
        error,
    )


# --- status ------------------------------------------------------------------------------------


async def status_summary(
    conn: Connection, answer_timeout_s: float, recent: int = 20
) -> dict[str, Any]:
    """Counts by state, recent rejections, failed syncs, last poll per shop, the sync backlog,
    and the WMS orders whose changes need an operator (`wms_changes`, `unsent_edits`)."""
    order_states = await conn.fetch("SELECT state, count(*) AS n FROM orders GROUP BY state")
    wms_states = await conn.fetch(
        "SELECT wms_state, count(*) AS n FROM wms_orders GROUP BY wms_state"
    )
    backlog = await conn.fetchrow(
        """
        SELECT count(*) FILTER (WHERE failed_at IS NULL) AS pending,
               count(*) FILTER (WHERE failed_at IS NOT NULL) AS failed,
               extract(epoch FROM now() - min(requested_at) FILTER (WHERE failed_at IS NULL))
                   AS oldest_s
        FROM pending_syncs
        """
    )
    assert backlog is not None  # an aggregate always returns one row
    check_rejections = await conn.fetch(
        "SELECT shop, order_name, reason, decided_at FROM orders "
        "WHERE state = 'rejected_by_checks' ORDER BY decided_at DESC LIMIT $1",
        recent,
    )
    wms_rejections = await conn.fetch(
        "SELECT shop, wms_order_ref, wms_reason, answered_at FROM wms_orders "
        "WHERE wms_state = 'rejected' AND resend_requested_at IS NULL "
        "ORDER BY answered_at DESC LIMIT $1",
        recent,
    )
    failed_syncs = await conn.fetch(
        "SELECT shop, order_gid, attempts, last_error, failed_at FROM pending_syncs "
        "WHERE failed_at IS NOT NULL ORDER BY failed_at DESC LIMIT $1",
        recent,
    )
    edits = await conn.fetch(
        """
        SELECT e.shop, w.sent_payload->>'shopify_order_name' AS order_name, e.wms_order_ref,
               e.description AS field, e.first_seen_at, e.last_seen_at
        FROM ignored_edits e
        JOIN wms_orders w ON w.shop = e.shop AND w.wms_order_ref = e.wms_order_ref
        WHERE e.acknowledged_at IS NULL AND e.fingerprint IS NOT NULL
        ORDER BY e.last_seen_at DESC LIMIT $1
        """,
        recent,
    )
    # Refused changes, and changes the WMS has not answered within the timeout: in both, units
    # may sit where Shopify no longer wants them, and the order's new work waits. A create
    # neither accepted nor rejected within the timeout is as silent (SPEC section 3).
    changes = await conn.fetch(
        """
        SELECT * FROM (
            SELECT shop, sent_payload->>'shopify_order_name' AS order_name, wms_order_ref,
                   CASE WHEN refused_kind IS NOT NULL THEN refused_kind || '_refused'
                        ELSE pending_kind || '_unanswered' END AS problem,
                   coalesce(refused_change, pending_change) AS change_in_shopify,
                   CASE WHEN refused_kind IS NOT NULL THEN coalesce(refused_reason, 'refused')
                        ELSE 'no answer' END AS warehouse_said,
                   coalesce(refused_at, pending_since) AS since
            FROM wms_orders
            WHERE refused_kind IS NOT NULL
               OR pending_since < now() - make_interval(secs => $2)
            UNION ALL
            SELECT shop, sent_payload->>'shopify_order_name', wms_order_ref, 'create_unanswered',
                   'sent to the warehouse', 'no answer', sent_at
            FROM wms_orders
            WHERE wms_state = 'sent' AND cancelled_at IS NULL
              AND sent_at < now() - make_interval(secs => $2)
        ) problems
        ORDER BY since DESC LIMIT $1
        """,
        recent,
        answer_timeout_s,
    )
    pending_changes = await conn.fetchval(
        "SELECT count(*) FROM wms_orders WHERE pending_kind IS NOT NULL"
    )
    polls = await conn.fetch(
        "SELECT shop, watermark, last_poll_at, last_result, orders_seen, last_error "
        "FROM poll_state ORDER BY shop"
    )
    counts: dict[str, int] = {r["state"]: r["n"] for r in order_states}
    wms = {r["wms_state"]: r["n"] for r in wms_states}
    return {
        "counts": {
            "pending_sync": backlog["pending"],
            "sent": wms.get("sent", 0),
            "accepted": wms.get("accepted", 0),
            "rejected_by_wms": wms.get("rejected", 0),
            "rejected_by_checks": counts.get("rejected_by_checks", 0),
            "filtered": counts.get("filtered", 0),
            "held_risk": counts.get("held_risk", 0),
            "cancelled": counts.get("cancelled", 0),
            "no_wms_work": counts.get("no_wms_work", 0),
            "waiting_for_wms": counts.get("waiting_for_wms", 0),
            "wms_changes_pending": pending_changes,
            "failed_syncs": backlog["failed"],
        },
        "backlog": {
            "pending_syncs": backlog["pending"],
            "oldest_age_s": round(backlog["oldest_s"], 1) if backlog["oldest_s"] else None,
            # Of those: due now, being read, waiting for their retry.
            **await PENDING_SYNCS.summary(conn),
        },
        "recent_rejections": {
            "by_checks": [dict(r) for r in check_rejections],
            "by_wms": [dict(r) for r in wms_rejections],
        },
        "failed_syncs": [dict(r) for r in failed_syncs],
        "wms_changes": [dict(r) for r in changes],
        "unsent_edits": [dict(r) for r in edits],
        "polling": {r["shop"]: {k: v for k, v in dict(r).items() if k != "shop"} for r in polls},
    }
