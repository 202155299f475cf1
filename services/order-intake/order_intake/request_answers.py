"""The answer worker: tells Shopify what a fulfillment service decided about each request.

Each round claims owed answers (request_store.PENDING_ANSWERS) and sends them, several at once
(the shop's client paces them to its rate budget), then records each outcome:

- Shopify took it: `answered` (and, for a fulfillment request, what the WMS order's FO was told,
  which lets a re-request after a rejection send the order again).
- Shopify refused it (a userError): the FO is read. Already in the state the answer leads to: our
  earlier attempt ran and its reply was lost, so it is `answered`. Still in the state the answer
  is for: a real refusal, kept failed for an operator (sending it again would be refused again).
  Anywhere else, or gone: the request moved on (the merchant withdrew it, the FO was cancelled or
  replaced) and the answer is `superseded`; the order is read again, so the decision answers
  what is asked now.
- Shopify unreachable: due again after the settings' backoff.
"""

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg
import structlog

from order_intake import request_store, store
from order_intake.request_store import OwedAnswer
from order_intake.requests import AnswerKind
from order_intake.settings import IntakeSettings
from shopify_admin.errors import ShopifyError, ShopifyGraphQLError
from shopify_admin.mutations import ShopifyExecutor
from shopify_admin.operations import (
    FULFILLMENT_ORDER_ACCEPT_CANCELLATION_REQUEST,
    FULFILLMENT_ORDER_ACCEPT_FULFILLMENT_REQUEST,
    FULFILLMENT_ORDER_REJECT_CANCELLATION_REQUEST,
    FULFILLMENT_ORDER_REJECT_FULFILLMENT_REQUEST,
    FULFILLMENT_ORDER_REQUEST_STATE,
    Operation,
)
from storage.signals import Signals
from work_queue import WorkLoop, WorkStats

log = structlog.get_logger(__name__)

_MUTATION: Mapping[AnswerKind, Operation] = {
    "accept_fulfillment": FULFILLMENT_ORDER_ACCEPT_FULFILLMENT_REQUEST,
    "reject_fulfillment": FULFILLMENT_ORDER_REJECT_FULFILLMENT_REQUEST,
    "accept_cancellation": FULFILLMENT_ORDER_ACCEPT_CANCELLATION_REQUEST,
    "reject_cancellation": FULFILLMENT_ORDER_REJECT_CANCELLATION_REQUEST,
}
# The request status an answer is for, and the one it leads to.
_ANSWERS: Mapping[AnswerKind, tuple[str, str]] = {
    "accept_fulfillment": ("SUBMITTED", "ACCEPTED"),
    "reject_fulfillment": ("SUBMITTED", "REJECTED"),
    "accept_cancellation": ("CANCELLATION_REQUESTED", "CANCELLATION_ACCEPTED"),
    "reject_cancellation": ("CANCELLATION_REQUESTED", "CANCELLATION_REJECTED"),
}


def answer_variables(owed: OwedAnswer) -> dict[str, Any]:
    a = owed.answer
    variables: dict[str, Any] = {"id": a.fulfillment_order_id, "message": a.message}
    if a.kind == "reject_fulfillment":
        variables["reason"] = a.reason or "OTHER"
    return variables


class AnswerWorker:
    def __init__(
        self,
        pool: asyncpg.Pool,
        clients: Mapping[str, ShopifyExecutor],
        settings: IntakeSettings,
        signals: Signals,
    ) -> None:
        self._pool = pool
        self._clients = clients
        self._settings = settings
        self._loop = WorkLoop(
            "request-answers",
            self._round,
            signals.subscribe(request_store.ANSWERS_CHANNEL),
            idle_poll_s=settings.sync_idle_poll_s,
            full_round=settings.answer_batch_size,
        )
        self._sending = asyncio.Semaphore(settings.answer_concurrency)
        self.stats = WorkStats(
            "answered", "already_answered", "superseded", "refused", "failed_attempts",
            "shopify_calls",
        )  # fmt: skip

    def status(self) -> dict[str, int]:
        return self.stats.as_json()

    async def run(self) -> None:
        await self._loop.run()

    async def _round(self) -> int:
        async with self._pool.acquire() as conn, conn.transaction():
            claimed = await request_store.claim_answers(
                conn, self._settings.answer_batch_size, self._settings.answer_lease_s
            )
        await asyncio.gather(*(self._answer(owed) for owed in claimed))
        return len(claimed)

    async def _answer(self, owed: OwedAnswer) -> None:
        client = self._clients.get(owed.shop)
        if client is None:
            await self._retry([owed], "no access token for the shop")
            return
        try:
            async with self._sending:
                self.stats.add("shopify_calls")
                result = await client.execute_mutation(
                    _MUTATION[owed.answer.kind], answer_variables(owed)
                )
                if result.ok:
                    await self._finish(owed, "answered", None)
                    return
                refusal = "; ".join(e.message for e in result.user_errors)
                self.stats.add("shopify_calls")
                status = await self._request_status(client, owed.answer.fulfillment_order_id)
        except ShopifyGraphQLError as exc:
            if "RESOURCE_NOT_FOUND" in exc.codes:
                await self._finish(owed, "superseded", "the fulfillment order no longer exists")
                return
            await self._retry([owed], str(exc))
            return
        except ShopifyError as exc:
            await self._retry([owed], str(exc))
            return
        asked, leads_to = _ANSWERS[owed.answer.kind]
        if status == leads_to:
            self.stats.add("already_answered")
            await self._finish(owed, "answered", f"already given: {refusal}")
        elif status == asked:
            log.warning(
                "request.answer_refused",
                order=owed.order_name,
                kind=owed.answer.kind,
                error=refusal,
            )
            self.stats.add("refused")
            async with self._pool.acquire() as conn:
                await request_store.PENDING_ANSWERS.retry_later(
                    conn, [owed.key], f"Shopify refused: {refusal}", None, also_set="refused = true"
                )
        else:
            await self._finish(
                owed, "superseded", f"request is {status or 'gone'} now; Shopify said: {refusal}"
            )

    async def _request_status(self, client: ShopifyExecutor, fo_id: str) -> str | None:
        data = await client.execute(FULFILLMENT_ORDER_REQUEST_STATE, {"id": fo_id})
        node = data.get("fulfillmentOrder")
        return node.get("requestStatus") if isinstance(node, dict) else None

    async def _finish(self, owed: OwedAnswer, outcome: str, detail: str | None) -> None:
        async with self._pool.acquire() as conn, conn.transaction():
            # Serialised with the order's decisions (apply.py): one made from a read before
            # this answer landed then sees it given, instead of owing it again.
            await store.lock_orders(conn, owed.shop, [owed.order_gid])
            await request_store.finish_answer(conn, owed, outcome, detail)
            if outcome == "superseded":
                # The decision answers what is asked now, from a fresh read of the order.
                await store.request_sync(
                    conn, owed.shop, owed.order_gid, "fulfillment request moved on"
                )
        if outcome == "superseded":
            self.stats.add("superseded")
        elif detail is None:
            self.stats.add("answered")
        log.info(
            "request.answered" if outcome == "answered" else "request.answer_superseded",
            order=owed.order_name,
            kind=owed.answer.kind,
            wms_order_ref=owed.answer.wms_order_ref,
            detail=detail,
        )

    async def _retry(self, owed: Sequence[OwedAnswer], error: str) -> None:
        self.stats.add("failed_attempts", len(owed))
        log.warning("request.answer_failed", error=error, answers=len(owed))
        backoff = self._settings.answer_backoff
        async with self._pool.acquire() as conn:
            await request_store.PENDING_ANSWERS.retry_later(
                conn,
                [o.key for o in owed],
                error,
                [backoff.after_failure(o.attempts) for o in owed],
            )
