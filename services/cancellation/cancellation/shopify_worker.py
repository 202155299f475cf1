"""The Shopify side of warehouse cancellations: read the order, decide, `orderCancel`, confirm.

Handlers only record a warehouse cancellation (the intent) and wake the worker. Each round
(`run_once`, run by app.py's work_queue WorkLoop) leases due rows of `store.WORK`, works per
Shopify order with no transaction open while it talks to Shopify, then records the outcome, and
any restock, in one short transaction under the order's lock. `orderCancel` runs as a job in
Shopify, so a cancel Shopify took is `submitted` and the order is read back later until it shows
`cancelledAt`.

Nothing is cancelled twice: before cancelling, the order is read and an order already cancelled
is only confirmed; our staff note tells our own cancel apart (after a lost answer) from the
merchant's. A refusal is read back too before it is believed, since a repeated cancel whose first
answer was lost is refused as "already cancelled".
"""

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
import structlog

from cancellation import domain, messages, store
from cancellation.domain import (
    ACTIVE_STATES,
    AwaitingJob,
    CancelInShopify,
    ConfirmedCancelled,
    ForOperator,
    OrderNotFound,
    ShopifyCancelDecision,
    ShopifyOrderState,
    WarehouseCancellation,
)
from cancellation.settings import CancellationSettings
from cancellation.shopify_payloads import PayloadError, order_state
from cancellation.store import DueOrder
from contracts import order_correlation_id
from shop_config import ShopConfig, ShopsConfig
from shopify_admin import ShopifyError
from shopify_admin.mutations import ShopifyExecutor, cancel_order
from shopify_admin.operations import ORDER_CANCELLATION_STATE
from storage import Connection
from work_queue import WorkStats

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Submitted:
    job_id: str | None
    restock: bool


@dataclass(frozen=True)
class RefusedByShopify:
    detail: str


Outcome = ShopifyCancelDecision | Submitted | RefusedByShopify
Writer = Callable[..., Awaitable[Any]]


class ShopifyCancelWorker:
    def __init__(
        self,
        pool: asyncpg.Pool,
        shops: ShopsConfig,
        clients: Mapping[str, ShopifyExecutor],
        settings: CancellationSettings,
    ) -> None:
        self._pool = pool
        self._shops = shops
        self._clients = clients
        self._settings = settings
        self._backoff = settings.retry_policy
        self.stats = WorkStats(
            "orders_worked",
            "cancels_sent",
            "confirmed",
            "for_operator",
            "refused_by_shopify",
            "failed_attempts",
        )

    async def run_once(self) -> int:
        """One round: lease due rows, work on their orders one by one. Returns orders worked."""
        async with self._pool.acquire() as conn, conn.transaction():
            due = await store.claim_due_orders(
                conn, self._settings.worker_batch_size, self._settings.lease_s
            )
        for order in due:
            correlation_id = order_correlation_id(order.shop, order.order_gid)
            with structlog.contextvars.bound_contextvars(
                correlation_id=str(correlation_id), shop=order.shop
            ):
                await self._work_on(order)
        return len(due)

    async def _work_on(self, due: DueOrder) -> None:
        async with self._pool.acquire() as conn:
            everything = await store.warehouse_cancellations_of(conn, due.shop, due.order_gid)
        active = [c for c in everything if c.state in ACTIVE_STATES]
        if not active:
            return  # settled by another path since it was leased
        self.stats.add("orders_worked")
        refs = [c.order.ref for c in active]
        shop = self._shops.get(due.shop)
        client = self._clients.get(due.shop)
        if shop is None or client is None:
            why = "shop not configured" if shop is None else "no access token for the shop"
            await self._record(due, store.try_again_later, refs, why, None)
            return
        warehouse_fulfillment_orders = frozenset(c.order.fulfillment_order_id for c in everything)
        try:
            outcome = await self._settle_in_shopify(
                client, shop, due.order_gid, active, warehouse_fulfillment_orders
            )
        except (ShopifyError, PayloadError) as exc:
            self.stats.add("failed_attempts")
            delay = self._backoff.after_failure(max(c.attempts for c in active))
            log.warning("worker.shopify_failed", order_gid=due.order_gid, error=str(exc))
            await self._record(due, store.try_again_later, refs, f"Shopify: {exc}", delay)
            return
        await self._record(due, self._apply, active, outcome)

    async def _settle_in_shopify(
        self,
        client: ShopifyExecutor,
        shop: ShopConfig,
        order_gid: str,
        active: Sequence[WarehouseCancellation],
        warehouse_fulfillment_orders: frozenset[str],
    ) -> Outcome:
        def decide(state: ShopifyOrderState | None) -> ShopifyCancelDecision:
            return domain.decide_shopify_cancel(
                state,
                active,
                warehouse_fulfillment_orders,
                shop.cancellation,
                shop.locations,
                max_confirmations=self._settings.max_confirmations,
            )

        decision = decide(await self._read(client, order_gid))
        if not isinstance(decision, CancelInShopify):
            return decision
        self.stats.add("cancels_sent")
        result = await cancel_order(
            client,
            order_gid,
            reason=decision.reason,
            restock=decision.restock,
            notify_customer=decision.notify_customer,
            staff_note=decision.staff_note,
            refund_to_original_payment=decision.refund_to_original_payment,
        )
        if result.ok:
            job = result.payload.get("job") or {}
            return Submitted(job_id=job.get("id"), restock=decision.restock)
        # Believe a refusal only once the order is read back: a repeat of a cancel whose answer
        # was lost is refused as "already cancelled", and that is a success.
        after = await self._read(client, order_gid)
        if after is not None and after.cancelled_at is not None:
            return decide(after)
        return RefusedByShopify(
            "; ".join(f"{e.message} ({e.code or 'no code'})" for e in result.user_errors)
        )

    async def _read(self, client: ShopifyExecutor, order_gid: str) -> ShopifyOrderState | None:
        return order_state(await client.execute(ORDER_CANCELLATION_STATE, {"id": order_gid}))

    async def _record(self, due: DueOrder, write: Writer, *args: Any) -> None:
        """Run `write(conn, shop, *args)` in a short transaction under the order's lock."""
        async with self._pool.acquire() as conn, conn.transaction():
            await store.lock_order(conn, due.shop, due.order_gid)
            await write(conn, due.shop, *args)

    async def _apply(
        self,
        conn: Connection,
        shop: str,
        active: Sequence[WarehouseCancellation],
        outcome: Outcome,
    ) -> None:
        refs = [c.order.ref for c in active]
        match outcome:
            case ConfirmedCancelled(by_us=by_us, restocked_in_shopify=restocked):
                state = "cancelled" if by_us else "already_cancelled"
                detail = (
                    "cancelled in Shopify by shipbridge"
                    if by_us
                    else "the order was already cancelled in Shopify (not by shipbridge)"
                )
                moved = await store.settle_warehouse_cancellations(conn, shop, refs, state, detail)
                self.stats.add("confirmed", len(moved))
                for c in active:
                    if c.order.ref in moved and c.restock:
                        await messages.announce_restock(
                            conn, shop, c.order, restocked_in_shopify=restocked, causation_id=None
                        )
            case AwaitingJob(give_up=True):
                job = next((c.job_id for c in active if c.job_id), None)
                await store.settle_warehouse_cancellations(
                    conn,
                    shop,
                    refs,
                    "failed",
                    f"Shopify took the cancel (job {job}) but the order is still not cancelled",
                )
            case AwaitingJob():
                await store.try_again_later(
                    conn,
                    shop,
                    refs,
                    "waiting for Shopify's cancel job",
                    self._settings.confirm_delay_s,
                )
            case ForOperator(detail=detail):
                self.stats.add("for_operator", len(refs))
                log.warning("worker.left_for_operator", refs=refs, detail=detail)
                await store.settle_warehouse_cancellations(
                    conn, shop, refs, "needs_operator", detail
                )
            case OrderNotFound():
                await store.settle_warehouse_cancellations(
                    conn, shop, refs, "failed", "the order was not found in Shopify"
                )
            case Submitted(job_id=job_id, restock=restock):
                await store.mark_submitted(
                    conn,
                    shop,
                    refs,
                    job_id=job_id,
                    restock=restock,
                    confirm_in_s=self._settings.confirm_delay_s,
                )
            case RefusedByShopify(detail=detail):
                self.stats.add("refused_by_shopify", len(refs))
                log.warning("worker.refused_by_shopify", refs=refs, detail=detail)
                await store.settle_warehouse_cancellations(
                    conn, shop, refs, "refused_by_shopify", detail
                )
            case CancelInShopify():
                raise AssertionError("a cancel decision is carried out, never recorded")
