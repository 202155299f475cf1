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

A WMS order of a facility connected as a fulfillment service is not settled by `orderCancel`:
its fulfillment order is closed as incomplete (`fulfillmentOrderClose`, the warehouse's reason in
the message), which hands it back to the merchant; nothing is restocked, the merchant decides.
Each is closed on its own, whatever else of the order is open. Shopify refuses to close a closed
fulfillment order, so a close repeated after a lost answer is refused, and the fulfillment order
read back (INCOMPLETE or CLOSED) says it is done.
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
    ClosedInShopify,
    CloseOutcome,
    CloseRefused,
    ConfirmedCancelled,
    ForOperator,
    NoLongerOurs,
    NotAcceptedYet,
    OrderNotFound,
    ShopifyCancelDecision,
    ShopifyOrderState,
    WarehouseCancellation,
)
from cancellation.settings import CancellationSettings
from cancellation.shopify_payloads import PayloadError, order_state, request_state
from cancellation.store import DueOrder
from contracts import order_correlation_id
from shop_config import LocationFacility, ShopConfig, ShopsConfig
from shopify_admin import ShopifyError, ShopifyGraphQLError
from shopify_admin.mutations import ShopifyExecutor, cancel_order
from shopify_admin.operations import (
    FULFILLMENT_ORDER_CLOSE,
    FULFILLMENT_ORDER_REQUEST_STATE,
    ORDER_CANCELLATION_STATE,
)
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

ORDER_CANCEL_ACTION = "orderCancel"
CLOSE_ACTION = "fulfillmentOrderClose"
"""What the worker does in Shopify about a warehouse cancellation (shown on /status)."""


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
            "closes_sent",
            "closed",
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
        at_services = [c for c in active if shop.is_service_facility(c.order.facility)]
        for cancellation in at_services:
            await self._close_fulfillment_order(due, client, cancellation)
        at_locations = [c for c in active if c not in at_services]
        if not at_locations:
            return
        # The fulfillment orders the warehouse cancelled at merchant-managed locations are not
        # "still open elsewhere". One closed at a fulfillment service is: it went back to the
        # merchant (INCOMPLETE), who may move or re-request it, so the order is not cancelled.
        warehouse_fulfillment_orders = frozenset(
            c.order.fulfillment_order_id
            for c in everything
            if not shop.is_service_facility(c.order.facility)
        )
        refs = [c.order.ref for c in at_locations]
        try:
            outcome = await self._settle_in_shopify(
                client,
                shop,
                due.order_gid,
                at_locations,
                warehouse_fulfillment_orders,
                _facility_names(shop, everything),
            )
        except (ShopifyError, PayloadError) as exc:
            self.stats.add("failed_attempts")
            delay = self._backoff.after_failure(max(c.attempts for c in at_locations))
            log.warning("worker.shopify_failed", order_gid=due.order_gid, error=str(exc))
            await self._record(due, store.try_again_later, refs, f"Shopify: {exc}", delay)
            return
        await self._record(due, self._apply, at_locations, outcome)

    # --- a facility connected as a fulfillment service: close its fulfillment order -----------

    async def _close_fulfillment_order(
        self, due: DueOrder, client: ShopifyExecutor, cancellation: WarehouseCancellation
    ) -> None:
        ref = cancellation.order.ref
        try:
            outcome = await self._close(client, cancellation)
        except (ShopifyError, PayloadError) as exc:
            self.stats.add("failed_attempts")
            delay = self._backoff.after_failure(cancellation.attempts)
            log.warning("worker.close_failed", wms_order_ref=ref, error=str(exc))
            await self._record(due, store.try_again_later, [ref], f"Shopify: {exc}", delay)
            return
        await self._record(due, self._apply_close, cancellation, outcome)

    async def _close(
        self, client: ShopifyExecutor, cancellation: WarehouseCancellation
    ) -> CloseOutcome:
        fulfillment_order_id = cancellation.order.fulfillment_order_id
        self.stats.add("closes_sent")
        try:
            result = await client.execute_mutation(
                FULFILLMENT_ORDER_CLOSE,
                {"id": fulfillment_order_id, "message": domain.close_message(cancellation)},
            )
        except ShopifyGraphQLError as exc:
            if "RESOURCE_NOT_FOUND" in exc.codes:
                return OrderNotFound()
            raise
        if result.ok:
            return ClosedInShopify(
                by_us=True, detail="closed as incomplete in Shopify by shipbridge"
            )
        # Believe a refusal only once the fulfillment order is read back: a repeat of a close
        # whose answer was lost is refused, and that close is done.
        refusal = "; ".join(f"{e.message} ({e.code or 'no code'})" for e in result.user_errors)
        state = request_state(
            await client.execute(FULFILLMENT_ORDER_REQUEST_STATE, {"id": fulfillment_order_id})
        )
        return domain.judge_refused_close(state, refusal)

    async def _apply_close(
        self,
        conn: Connection,
        shop: str,
        cancellation: WarehouseCancellation,
        outcome: CloseOutcome,
    ) -> None:
        # No restock in either case: the fulfillment order went back to the merchant, who
        # decides (move it, request it again, refund); Shopify restocked nothing.
        refs = [cancellation.order.ref]
        match outcome:
            case ClosedInShopify(detail=detail):
                moved = await store.settle_warehouse_cancellations(
                    conn, shop, refs, "closed", detail, action=CLOSE_ACTION
                )
                self.stats.add("closed", len(moved))
            case NoLongerOurs(detail=detail):
                await store.settle_warehouse_cancellations(
                    conn, shop, refs, "already_cancelled", detail, action=CLOSE_ACTION
                )
            case NotAcceptedYet(detail=detail):
                delay = self._backoff.after_failure(cancellation.attempts)
                await store.try_again_later(conn, shop, refs, detail, delay)
            case CloseRefused(detail=detail):
                self.stats.add("refused_by_shopify")
                log.warning("worker.close_refused", refs=refs, detail=detail)
                await store.settle_warehouse_cancellations(
                    conn, shop, refs, "refused_by_shopify", detail, action=CLOSE_ACTION
                )
            case OrderNotFound():
                await store.settle_warehouse_cancellations(
                    conn,
                    shop,
                    refs,
                    "failed",
                    "the fulfillment order was not found in Shopify",
                    action=CLOSE_ACTION,
                )

    # --- a merchant-managed location: cancel the order ------------------------------------------

    async def _settle_in_shopify(
        self,
        client: ShopifyExecutor,
        shop: ShopConfig,
        order_gid: str,
        active: Sequence[WarehouseCancellation],
        warehouse_fulfillment_orders: frozenset[str],
        facilities: Mapping[str, str],
    ) -> Outcome:
        def decide(state: ShopifyOrderState | None) -> ShopifyCancelDecision:
            return domain.decide_shopify_cancel(
                state,
                active,
                warehouse_fulfillment_orders,
                shop.cancellation,
                facilities,
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
                moved = await store.settle_warehouse_cancellations(
                    conn, shop, refs, state, detail, action=ORDER_CANCEL_ACTION
                )
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
                    action=ORDER_CANCEL_ACTION,
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
                    conn, shop, refs, "needs_operator", detail, action=ORDER_CANCEL_ACTION
                )
            case OrderNotFound():
                await store.settle_warehouse_cancellations(
                    conn,
                    shop,
                    refs,
                    "failed",
                    "the order was not found in Shopify",
                    action=ORDER_CANCEL_ACTION,
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
                    conn, shop, refs, "refused_by_shopify", detail, action=ORDER_CANCEL_ACTION
                )
            case CancelInShopify():
                raise AssertionError("a cancel decision is carried out, never recorded")


def _facility_names(
    shop: ShopConfig, cancellations: Sequence[WarehouseCancellation]
) -> dict[str, str]:
    """Location -> facility, to name locations for the operator: the shop's mappings, and the
    locations of the WMS orders at hand (a fulfillment service's location comes from Shopify)."""
    names = {c.order.location_id: c.order.facility for c in cancellations}
    names.update(
        (facility.location, code)
        for code, facility in shop.facilities.items()
        if isinstance(facility, LocationFacility)
    )
    names.update(shop.locations)
    return names
