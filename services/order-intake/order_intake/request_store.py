"""The SQL of answering fulfillment-service requests: the answers owed, those given, and the
scans of a service's assigned fulfillment orders.

- `pending_request_answers`: at most one answer owed per fulfillment order (the decision's latest
  word), leased and retried as all pending work is (work_queue). A row Shopify refused while the
  request was still in the state the answer is for is kept, failed, for an operator.
- `request_answers`: every answer given (or found superseded), for /status and an order's story.
- `pending_request_scans`: per (shop, facility), "read the service's requested fulfillment orders":
  many notifications before a scan collapse into it.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from order_intake.requests import RequestAnswer
from storage import Connection
from work_queue import Key, WorkTable

if TYPE_CHECKING:
    from order_intake.domain import Decision, Order

ANSWERS_CHANNEL = "order_intake_answers"
SCANS_CHANNEL = "order_intake_request_scans"

PENDING_ANSWERS = WorkTable(
    "pending_request_answers",
    key={"shop": "text", "fulfillment_order_id": "text"},
    channel=ANSWERS_CHANNEL,
    workable="{t}.failed_at IS NULL",
    gave_up={"failed_at": "now()"},
)

PENDING_SCANS = WorkTable(
    "pending_request_scans",
    key={"shop": "text", "facility": "text"},
    channel=SCANS_CHANNEL,
)


# --- answers owed ------------------------------------------------------------------------------


@dataclass(frozen=True)
class OwedAnswer:
    """A claimed row of pending_request_answers."""

    shop: str
    order_gid: str
    order_name: str
    answer: RequestAnswer
    attempts: int

    @property
    def key(self) -> Key:
        return (self.shop, self.answer.fulfillment_order_id)


async def owe_answers(
    conn: Connection, shop: str, owed: Sequence[tuple[str, str, RequestAnswer]]
) -> None:
    """Owe these answers ((order GID, order name, answer) each). An answer of the same kind
    already owed for the FO stays as it is (a trigger repeated), unless it had failed for want
    of reaching Shopify; one Shopify refused stays failed for an operator. Another kind replaces
    it, due at once. One given since the FO changed last (`as_of`) is not owed again: the read
    that owed it was made before it landed."""
    if not owed:
        return
    await conn.executemany(
        """
        INSERT INTO pending_request_answers AS p
            (shop, fulfillment_order_id, kind, order_gid, order_name, wms_order_ref, reason,
             message)
        SELECT $1, $2, $3, $4, $5, $6, $7, $8
        WHERE NOT EXISTS (
            SELECT FROM request_answers r
            WHERE r.shop = $1 AND r.fulfillment_order_id = $2 AND r.kind = $3
              AND r.outcome = 'answered' AND r.answered_at >= $9::timestamptz)
        ON CONFLICT (shop, fulfillment_order_id) DO UPDATE
        SET kind = EXCLUDED.kind, order_gid = EXCLUDED.order_gid,
            order_name = EXCLUDED.order_name, wms_order_ref = EXCLUDED.wms_order_ref,
            reason = EXCLUDED.reason, message = EXCLUDED.message, requested_at = now(),
            attempts = 0, next_attempt_at = now(), lease_until = NULL, last_error = NULL,
            failed_at = NULL, refused = false
        WHERE p.kind <> EXCLUDED.kind OR (p.failed_at IS NOT NULL AND NOT p.refused)
        """,
        [
            (
                shop,
                a.fulfillment_order_id,
                a.kind,
                order_gid,
                order_name,
                a.wms_order_ref,
                a.reason,
                a.message,
                a.as_of,
            )
            for order_gid, order_name, a in owed
        ],
    )
    await PENDING_ANSWERS.wake(conn)


async def set_owed_answers(
    conn: Connection, shop: str, decided: Sequence[tuple["Order", "Decision"]]
) -> None:
    """Record what the decisions owe. A failed answer the order no longer owes (the request
    moved on) is dropped; one still pending is left to be sent: if the request moved on, Shopify
    refuses it and the worker records it superseded. (Dropping it here could drop an accept the
    WMS handler owed meanwhile, from an answer this decision did not see.)"""
    owed = [(order.id, order.name, a) for order, d in decided for a in d.answers]
    await owe_answers(conn, shop, owed)
    fo_ids = [fo.id for order, _ in decided for fo in order.fulfillment_orders]
    still = [a.fulfillment_order_id for _, _, a in owed]
    if fo_ids:
        await conn.execute(
            """
            DELETE FROM pending_request_answers
            WHERE shop = $1 AND fulfillment_order_id = ANY($2::text[])
              AND NOT fulfillment_order_id = ANY($3::text[]) AND failed_at IS NOT NULL
            """,
            shop,
            fo_ids,
            still,
        )


async def claim_answers(conn: Connection, limit: int, lease_s: float) -> list[OwedAnswer]:
    rows = await PENDING_ANSWERS.claim(
        conn,
        limit=limit,
        lease_s=lease_s,
        order_by="c.requested_at",
        returning="w.*",
    )
    return [
        OwedAnswer(
            shop=r["shop"],
            order_gid=r["order_gid"],
            order_name=r["order_name"],
            answer=RequestAnswer(
                fulfillment_order_id=r["fulfillment_order_id"],
                kind=r["kind"],
                message=r["message"],
                reason=r["reason"],
                wms_order_ref=r["wms_order_ref"],
            ),
            attempts=r["attempts"],
        )
        for r in rows
    ]


async def finish_answer(
    conn: Connection, owed: OwedAnswer, outcome: str, detail: str | None
) -> None:
    """The answer was given (`answered`) or is no longer Shopify's to take (`superseded`): kept
    in the answers given, its owed row gone unless a newer answer replaced it meanwhile."""
    a = owed.answer
    await conn.execute(
        """
        DELETE FROM pending_request_answers
        WHERE shop = $1 AND fulfillment_order_id = $2 AND kind = $3
        """,
        owed.shop,
        a.fulfillment_order_id,
        a.kind,
    )
    await conn.execute(
        """
        INSERT INTO request_answers (shop, fulfillment_order_id, order_gid, order_name,
                                     wms_order_ref, kind, reason, message, outcome, detail)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
        """,
        owed.shop,
        a.fulfillment_order_id,
        owed.order_gid,
        owed.order_name,
        a.wms_order_ref,
        a.kind,
        a.reason,
        a.message,
        outcome,
        detail,
    )
    if outcome == "answered" and a.kind == "reject_cancellation":
        # The refusal is settled with the merchant (the FO ships as accepted): it no longer
        # holds the order's new work back, nor waits for an operator's re-sync.
        await conn.execute(
            """
            UPDATE wms_orders
            SET refused_kind = NULL, refused_change = NULL, refused_reason = NULL,
                refused_at = NULL
            WHERE shop = $1 AND wms_order_ref = $2 AND refused_kind = 'cancel'
            """,
            owed.shop,
            a.wms_order_ref,
        )
    told = {"accept_fulfillment": "accepted", "reject_fulfillment": "rejected"}.get(a.kind)
    if outcome == "answered" and told is not None and a.wms_order_ref is not None:
        await conn.execute(
            "UPDATE wms_orders SET request_answered = $3, request_answered_at = now() "
            "WHERE shop = $1 AND wms_order_ref = $2",
            owed.shop,
            a.wms_order_ref,
            told,
        )


# --- scans of a service's assigned fulfillment orders ------------------------------------------


@dataclass(frozen=True)
class ClaimedScan:
    shop: str
    facility: str
    generation: int
    attempts: int

    @property
    def key(self) -> Key:
        return (self.shop, self.facility)


async def request_scan(conn: Connection, shop: str, facility: str, reason: str) -> None:
    """Read the requests waiting at this facility's fulfillment service (soon, once)."""
    await conn.execute(
        """
        INSERT INTO pending_request_scans (shop, facility, reason) VALUES ($1, $2, $3)
        ON CONFLICT (shop, facility) DO UPDATE
        SET reason = EXCLUDED.reason, generation = pending_request_scans.generation + 1
        """,
        shop,
        facility,
        reason,
    )
    await PENDING_SCANS.wake(conn)


async def claim_scans(conn: Connection, limit: int, lease_s: float) -> list[ClaimedScan]:
    rows = await PENDING_SCANS.claim(
        conn,
        limit=limit,
        lease_s=lease_s,
        order_by="c.requested_at",
        returning="w.shop, w.facility, w.generation, w.attempts",
    )
    return [ClaimedScan(r["shop"], r["facility"], r["generation"], r["attempts"]) for r in rows]


async def finish_scan(conn: Connection, scan: ClaimedScan) -> None:
    """Done, unless a new notification arrived while it ran: then it is due again."""
    deleted = await conn.fetchval(
        """
        DELETE FROM pending_request_scans
        WHERE shop = $1 AND facility = $2 AND generation = $3
        RETURNING 1
        """,
        scan.shop,
        scan.facility,
        scan.generation,
    )
    if deleted is None:
        await PENDING_SCANS.release(conn, [scan.key])


async def already_waiting(
    conn: Connection, shop: str, fulfillment_order_ids: Sequence[str]
) -> set[str]:
    """Of these requested FOs, those whose next step is not a read of the order: the WMS has
    not answered their WMS order yet, or an answer to Shopify is owed already."""
    rows = await conn.fetch(
        """
        SELECT fulfillment_order_id FROM wms_orders
        WHERE shop = $1 AND fulfillment_order_id = ANY($2::text[])
          AND wms_state = 'sent' AND cancelled_at IS NULL AND pending_kind IS NULL
        UNION
        SELECT fulfillment_order_id FROM pending_request_answers
        WHERE shop = $1 AND fulfillment_order_id = ANY($2::text[]) AND failed_at IS NULL
        """,
        shop,
        list(fulfillment_order_ids),
    )
    return {r["fulfillment_order_id"] for r in rows}


# --- status -----------------------------------------------------------------------------------

ANSWERS_SHOWN_FOR_H = 24
"""Rejections and refused cancellations stay on /status this long: the merchant was told in
Shopify (and acts there), operators see what happened today."""


async def requests_summary(
    conn: Connection, service_facilities: Sequence[tuple[str, str]], recent: int = 20
) -> dict[str, Any]:
    """`fulfillment_requests` of /status: requests waiting for the WMS, answers given that
    operators care about (rejections, refused cancellations, of the last ANSWERS_SHOWN_FOR_H
    hours), and answers Shopify refused."""
    shops = [shop for shop, _ in service_facilities]
    facilities = [facility for _, facility in service_facilities]
    waiting = await conn.fetch(
        """
        SELECT w.shop, w.sent_payload->>'shopify_order_name' AS order_name,
               w.fulfillment_order_id, w.wms_order_ref, w.facility, w.sent_at AS since
        FROM wms_orders w
        JOIN unnest($1::text[], $2::text[]) AS s(shop, facility)
          ON s.shop = w.shop AND s.facility = w.facility
        WHERE w.wms_state = 'sent' AND w.cancelled_at IS NULL
        ORDER BY w.sent_at LIMIT $3
        """,
        shops,
        facilities,
        recent,
    )
    waiting_count = await conn.fetchval(
        """
        SELECT count(*) FROM wms_orders w
        JOIN unnest($1::text[], $2::text[]) AS s(shop, facility)
          ON s.shop = w.shop AND s.facility = w.facility
        WHERE w.wms_state = 'sent' AND w.cancelled_at IS NULL
        """,
        shops,
        facilities,
    )

    async def given(kind: str) -> list[dict[str, Any]]:
        rows = await conn.fetch(
            """
            SELECT shop, order_name, fulfillment_order_id, wms_order_ref, reason, message,
                   answered_at AS since
            FROM request_answers
            WHERE kind = $1 AND outcome = 'answered'
              AND answered_at > now() - make_interval(hours => $3)
            ORDER BY answered_at DESC LIMIT $2
            """,
            kind,
            recent,
            ANSWERS_SHOWN_FOR_H,
        )
        return [dict(r) for r in rows]

    failed = await conn.fetch(
        """
        SELECT shop, order_name, fulfillment_order_id, wms_order_ref, kind, message,
               last_error AS reason, failed_at AS since
        FROM pending_request_answers WHERE failed_at IS NOT NULL
        ORDER BY failed_at DESC LIMIT $1
        """,
        recent,
    )
    counts = await conn.fetch(
        "SELECT kind, outcome, count(*) AS n FROM request_answers GROUP BY kind, outcome"
    )
    return {
        "waiting_for_wms_count": waiting_count,
        "waiting_for_wms": [dict(r) for r in waiting],
        "rejected": await given("reject_fulfillment"),
        "refused_cancellations": await given("reject_cancellation"),
        "failed_answers": [dict(r) for r in failed],
        "answers": {f"{r['kind']}.{r['outcome']}": r["n"] for r in counts},
        "pending_answers": await PENDING_ANSWERS.summary(conn),
        "pending_scans": await PENDING_SCANS.summary(conn),
    }
