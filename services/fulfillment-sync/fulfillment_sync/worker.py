"""The worker: claims due shipments and makes their fulfillments, many shops and shipments at once.

Each round claims what the shops have room for (store.claim_due: a lease per shipment, committed
before Shopify is called; one per fulfillment order), runs each claimed shipment as a task
(attempt.sync_shipment) with at most `shopify_concurrency` per shop talking to Shopify at once,
and records the outcomes, many per transaction (group commit), with the
`fulfillments.shipment.synced` events in the same transaction. While a task runs its lease is
renewed; a crashed worker's leases run out and another worker takes the shipments over, reading
Shopify back before it creates anything.

Twice as many shipments per shop are claimed as may talk to Shopify: while some wait for their
answer or their commit, the next ones are already claimed, so each shop's cost-aware throttle
(shared by every request to the shop) always has requests waiting, and the bucket, not round
trips to the database, sets the pace.

The loop, the lease renewal and the counters are work_queue's (WorkLoop, LeaseKeeper,
WorkStats). A round is never followed by another at once, however much it claimed: the shops'
windows are full then, and each finished shipment wakes the loop, since that is when its shop
has room again.
"""

import asyncio
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import asyncpg
import structlog
from prometheus_client import Counter as MetricCounter

from contracts import Envelope, order_correlation_id
from fulfillment_sync import store
from fulfillment_sync.attempt import NotAccepted, OnHold, Outcome, Retry, Synced, sync_shipment
from fulfillment_sync.domain import Refusal
from fulfillment_sync.events import synced_event
from fulfillment_sync.settings import FulfillmentSyncSettings
from fulfillment_sync.store import (
    AwaitingAcceptanceRow,
    ClaimedShipment,
    FailedRow,
    FulfilledBefore,
    HoldRow,
    RetryRow,
    SyncedRow,
)
from messaging import add_to_outbox
from messaging.group_commit import GroupCommit
from shop_config import ShopsConfig
from shopify_admin.mutations import ShopifyExecutor
from storage.signals import Signals
from work_queue import Key, LeaseKeeper, WorkLoop, WorkStats, finish_tasks

log = structlog.get_logger(__name__)

OUTCOMES = MetricCounter(
    "fulfillment_sync_outcomes_total",
    "Attempts at a shipment's fulfillment, by outcome.",
    ["outcome"],  # synced, found_existing, retry, on_hold, awaiting_acceptance, failed
)


_DEADLOCK_RETRIES = 2


@dataclass(frozen=True)
class _Job:
    claimed: ClaimedShipment
    before: FulfilledBefore


class ShipmentWorker:
    def __init__(
        self,
        pool: asyncpg.Pool,
        shops: ShopsConfig,
        clients: Mapping[str, ShopifyExecutor],
        settings: FulfillmentSyncSettings,
        signals: Signals,
    ) -> None:
        self._pool = pool
        self._shops = shops
        self._clients = clients
        self._settings = settings
        self._wake = signals.subscribe(store.SHIPMENTS.channel)
        self._held: set[Key] = set()
        """The leases (store.SHIPMENTS keys) of the shipments in hand."""
        self._claimed_per_shop: Counter[str] = Counter()
        self._calls_per_shop = {
            shop: asyncio.Semaphore(settings.shopify_concurrency) for shop in clients
        }
        self._tasks: set[asyncio.Task[None]] = set()
        self._outcomes: GroupCommit[tuple[ClaimedShipment, Outcome], None] = GroupCommit(
            self._record, max_batch=settings.claim_batch_size, max_in_flight=2
        )
        self._retry = settings.retry_policy
        self._acceptance = settings.acceptance_policy
        self._next_expiry_check = 0.0
        self.stats = WorkStats(
            "claimed",
            "synced",
            "found_existing",
            "retries",
            "on_hold",
            "awaiting_acceptance",
            "failed",
            "largest_claim",
        )
        self._loop = WorkLoop(
            "shipments", self._round, self._wake, idle_poll_s=settings.idle_poll_s
        )
        self._leases = LeaseKeeper(
            pool, store.SHIPMENTS, settings.lease_s, self._held.copy, where=store.IN_HAND
        )

    async def run(self) -> None:
        """Until cancelled: claim while there is work and room, else sleep until woken."""
        leases = asyncio.create_task(self._leases.run())
        try:
            await self._loop.run()
        finally:
            leases.cancel()
            await finish_tasks(self._tasks, timeout_s=10)

    async def _round(self) -> int:
        """Claim what there is room for and start it; returns how many shipments it claimed."""
        await self._expire_waits()
        window = 2 * self._settings.shopify_concurrency
        # Claim in batches, when half the window is free (or nothing is in hand): the claim
        # query looks at every due shipment, and running it after each finished call was what
        # bounded the rate under a backlog.
        free = {
            shop: window - in_hand
            for shop in self._clients
            if (in_hand := self._claimed_per_shop[shop]) == 0 or window - in_hand >= window // 2
        }
        async with self._pool.acquire() as conn, conn.transaction():
            claimed = await store.claim_due(
                conn, free, self._settings.lease_s, self._settings.claim_batch_size
            )
            if not claimed:
                return 0
            before = await store.fulfilled_before(conn, claimed)
        self.stats.add("claimed", len(claimed))
        self.stats.high_water("largest_claim", len(claimed))
        for shipment in claimed:
            self._start(_Job(shipment, before[shipment.wms_order_key]))
        return len(claimed)

    def _start(self, job: _Job) -> None:
        claimed = job.claimed
        self._held.add(claimed.lease)
        self._claimed_per_shop[claimed.shop] += 1
        task = asyncio.create_task(self._sync(job))
        self._tasks.add(task)

        def done(finished: asyncio.Task[None]) -> None:
            self._tasks.discard(finished)
            self._held.discard(claimed.lease)
            self._claimed_per_shop[claimed.shop] -= 1
            self._wake.set()  # room for another

        task.add_done_callback(done)

    async def _sync(self, job: _Job) -> None:
        claimed = job.claimed
        context = {
            "correlation_id": str(
                order_correlation_id(claimed.shop, claimed.order.shopify_order_id)
            ),
            "shop": claimed.shop,
            "shipment_id": claimed.shipment_id,
        }
        with structlog.contextvars.bound_contextvars(**context):
            shop = self._shops.get(claimed.shop)
            assert shop is not None  # only shops with a client are claimed
            try:
                async with self._calls_per_shop[claimed.shop]:
                    outcome = await sync_shipment(
                        self._clients[claimed.shop],
                        claimed,
                        job.before.units,
                        job.before.fulfillment_ids,
                        notify_customer=shop.fulfillment.notify_customer,
                        at_service=shop.is_service_facility(claimed.order.facility),
                    )
            except Exception as exc:  # a bug or an unreadable answer: look before trying again
                log.exception("shipment.attempt_crashed")
                outcome = Retry(f"{type(exc).__name__}: {exc}", verify_first=True)
            try:
                await self._outcomes.submit((claimed, outcome))
            except Exception as exc:
                # Not recorded: the lease runs out and the next attempt reads Shopify back first.
                log.error("shipment.outcome_not_recorded", error=f"{type(exc).__name__}: {exc}")
                return
            self._count(outcome)

    def _count(self, outcome: Outcome) -> None:
        if isinstance(outcome, Synced):
            kind = "found_existing" if outcome.found_existing else "synced"
            self.stats.add("synced")
            if outcome.found_existing:
                self.stats.add("found_existing")
            log.info("shipment.synced", fulfillment_id=outcome.fulfillment_id, how=kind)
        elif isinstance(outcome, Retry):
            kind = "retry"
            self.stats.add("retries")
            log.warning("shipment.will_retry", error=outcome.error)
        elif isinstance(outcome, OnHold):
            kind = "on_hold"
            self.stats.add("on_hold")
            log.info("shipment.on_hold", reason=outcome.reason)
        elif isinstance(outcome, NotAccepted):
            kind = "awaiting_acceptance"
            self.stats.add("awaiting_acceptance")
            log.info("shipment.awaiting_acceptance", reason=outcome.reason)
        else:
            kind = "failed"
            self.stats.add("failed")
            log.warning("shipment.failed", code=outcome.code, reason=outcome.reason)
        OUTCOMES.labels(kind).inc()

    async def _record(self, batch: Sequence[tuple[ClaimedShipment, Outcome]]) -> list[None]:
        """Commit a batch of outcomes, and the synced events, in one transaction."""
        # The consumer handles the messages of its batch in one transaction, each locking its WMS
        # order in turn; ours are locked in one sorted call. The two can deadlock, and Postgres
        # rolls one back: when that is this batch, it is written again (the other has gone on).
        for _ in range(_DEADLOCK_RETRIES):
            try:
                return await self._write(batch)
            except asyncpg.DeadlockDetectedError:
                log.warning("shipment.outcomes_deadlocked", batch=len(batch))
        return await self._write(batch)

    async def _write(self, batch: Sequence[tuple[ClaimedShipment, Outcome]]) -> list[None]:
        synced = [(claimed, outcome) for claimed, outcome in batch if isinstance(outcome, Synced)]
        async with self._pool.acquire() as conn, conn.transaction():
            # First, before any shipment row: a reduction of the same WMS order handled now
            # either sees these shipments synced or is seen by the completion read below.
            await store.lock_wms_orders(conn, {c.wms_order_key for c, _ in synced})
            still_ours = await store.mark_synced(
                conn,
                [SyncedRow(c, o.fulfillment_id, o.request.lines) for c, o in synced],
            )
            done = await store.completions(
                conn, {c.wms_order_key for c, _ in synced if c.key in still_ours}
            )
            complete = {key for key, c in done.items() if c.complete}
            await store.mark_completed(conn, complete)
            await add_to_outbox(
                conn,
                [
                    _synced_event(c, o, complete=c.wms_order_key in complete)
                    for c, o in synced
                    if c.key in still_ours
                ],
            )
            retries: list[RetryRow] = []
            holds: list[HoldRow] = []
            not_accepted: list[AwaitingAcceptanceRow] = []
            failures: list[FailedRow] = []
            for claimed, outcome in batch:
                if isinstance(outcome, Retry):
                    delay = self._retry.after_failure(claimed.failures)
                    retries.append(RetryRow(claimed, outcome.error, outcome.verify_first, delay))
                elif isinstance(outcome, OnHold):
                    holds.append(HoldRow(claimed, outcome.reason))
                elif isinstance(outcome, NotAccepted):
                    delay = self._acceptance.ceiling(claimed.failures + 1)
                    not_accepted.append(AwaitingAcceptanceRow(claimed, outcome.reason, delay))
                elif isinstance(outcome, Refusal):
                    failures.append(FailedRow(claimed, outcome.code, outcome.reason))
            await store.mark_retry(conn, retries)
            await store.mark_on_hold(conn, holds, self._settings.hold_recheck_s)
            await store.mark_awaiting_acceptance(conn, not_accepted)
            await store.mark_failed(conn, failures)
        return [None] * len(batch)

    async def _expire_waits(self) -> None:
        now = time.monotonic()
        if now < self._next_expiry_check:
            return
        self._next_expiry_check = now + self._settings.expiry_check_s
        async with self._pool.acquire() as conn:
            expired = await store.expire_waits(conn)
        for shop, shipment_id in expired:
            log.warning("shipment.order_never_known", shop=shop, shipment_id=shipment_id)


def _synced_event(claimed: ClaimedShipment, synced: Synced, *, complete: bool) -> Envelope:
    order = claimed.order
    return synced_event(
        claimed.shop,
        order,
        shipment_id=claimed.shipment_id,
        fulfillment_id=synced.fulfillment_id,
        lines=synced.request.lines,
        complete=complete,
        causation_id=claimed.message_id,
    )
