"""The job runner: applies complete snapshots, runs full syncs, reads catalogs.

One worker per shop takes that shop's jobs oldest first (a shop's Shopify bucket is shared
anyway). A job's steps:

- catalog: read the location's catalog from Shopify (SKU -> item, levels, drift).
- snapshot: read the catalog first if it is missing or old; skip the snapshot if a newer one of
  the facility was applied already; set aside every SKU it lists more than once (none of its
  rows applies); merge the other items into the warehouse's truth (a newer adjustment of a SKU
  wins); plan every SKU it names.
- full_sync (operator or daily): read the catalog (this verifies what we track against
  Shopify), then plan every SKU the warehouse ever reported for the facility: the last complete
  snapshot's truth, with the adjustments since.

A feed that cannot push yet (a fulfillment service facility whose registration is not known, or
whose service does not manage inventory) still takes the warehouse's snapshots: they are merged
into its truth and closed as applied, nothing planned, so the full sync that follows the
registration pushes what they said. Its catalog and full sync jobs are done at once, noting why.

Planning commits chunk by chunk, so the pusher starts on the first changes while later ones are
decided. A job whose plan queued changes stays `pushing` until the pusher has sent them all.
A job that fails is retried with a growing delay (`settings.job_backoff`), then marked failed with
its reason; re-running one is harmless (merging and planning are idempotent). While a job runs,
its lease is renewed (LeaseKeeper): only a job whose process died is taken again.
"""

import asyncio
import functools
import time
from collections.abc import Mapping
from uuid import UUID

import asyncpg
import structlog

from inventory_sync import domain, job_store, push_store, registrations, snapshots, stock
from inventory_sync.catalog import catalog_is_stale, read_catalog
from inventory_sync.feeds import Feed, FeedKey, Feeds, FeedState
from inventory_sync.job_store import JOBS, Job
from inventory_sync.planner import Limits, PlanTotals, Scope, plan_chunk, refresh_statistics
from inventory_sync.settings import InventorySettings
from shopify_admin.pagination import GraphQLExecutor
from storage import Connection
from storage.signals import Signals
from work_queue import Key, LeaseKeeper, WorkLoop

log = structlog.get_logger(__name__)

JOB_LEASE_S = 300.0
"""A running job whose process has not renewed its lease for this long (the process died) is
taken again."""


class JobFailed(Exception):
    """A job that retrying cannot help (no feed for the facility, no access token)."""


def planning_limits(settings: InventorySettings) -> Limits:
    return Limits(
        in_flight_max_age_s=settings.in_flight_max_age_h * 3600,
        placement_hold_s=settings.placement_hold_minutes * 60,
        chunk_size=settings.plan_chunk_size,
    )


class JobRunner:
    def __init__(
        self,
        pool: asyncpg.Pool,
        feeds: Feeds,
        clients: Mapping[str, GraphQLExecutor],
        settings: InventorySettings,
        signals: Signals,
    ) -> None:
        self._pool = pool
        self._feeds = feeds
        self._clients = clients
        self._settings = settings
        self._signals = signals
        self._limits = planning_limits(settings)
        self._backoff = settings.job_backoff
        self._running: set[UUID] = set()
        """The jobs this process runs now: their leases are kept."""

    async def run(self) -> None:
        """One worker per shop, and the keeper of the leases of the jobs they run."""
        loops = [
            WorkLoop(
                f"jobs:{shop}",
                functools.partial(self._round, shop),
                self._signals.subscribe(JOBS.channel),
                idle_poll_s=self._settings.idle_poll_s,
                full_round=1,
            )
            for shop in sorted(self._feeds.shops())
        ]
        keeper = LeaseKeeper(self._pool, JOBS, JOB_LEASE_S, self._held, where="w.state = 'running'")
        await asyncio.gather(keeper.run(), *(loop.run() for loop in loops))

    def _held(self) -> list[Key]:
        return [(job_id,) for job_id in self._running]

    async def _round(self, shop: str) -> int:
        """Run the shop's next due job, if any (one at a time: they share the shop's bucket)."""
        async with self._pool.acquire() as conn:
            job = await job_store.claim_next(conn, shop, JOB_LEASE_S)
        if job is None:
            return 0
        self._running.add(job.id)
        try:
            await self.execute(job)
        finally:
            self._running.discard(job.id)
        return 1

    async def execute(self, job: Job) -> None:
        with structlog.contextvars.bound_contextvars(job_id=str(job.id), facility=job.facility):
            log.info("job.started", kind=job.kind, attempt=job.attempts + 1)
            try:
                waiting = await self._waiting_feed(job)
                if waiting is not None:
                    await self._while_waiting(job, waiting)
                    return
                feed, client = self._feed_and_client(job)
                if job.kind == "catalog":
                    await self._read_catalog(job, feed, client)
                    async with self._pool.acquire() as conn:
                        await job_store.done(conn, job.id)
                elif job.kind == "full_sync":
                    await self._read_catalog(job, feed, client)
                    await self._plan(job, feed, Scope("all"))
                else:
                    await self._apply_snapshot(job, feed, client)
            except Exception as exc:
                await self._failed(job, exc)
                return
            log.info("job.planned_or_done", kind=job.kind)

    async def _waiting_feed(self, job: Job) -> FeedState | None:
        """The job's feed if it is configured but cannot push (looked up afresh: its
        registration may have arrived a moment ago, in another process)."""
        if self._feeds.get(job.shop, job.facility) is not None:
            return None
        async with self._pool.acquire() as conn:
            await registrations.refresh(conn, self._feeds)
        state = self._feeds.state(job.shop, job.facility)
        return state if state is not None and state.feed is None else None

    async def _while_waiting(self, job: Job, state: FeedState) -> None:
        """A snapshot is merged (not planned); any other job has nothing to do."""
        assert state.waiting is not None
        if job.kind == "snapshot":
            await self._merge_only(job, state, state.waiting)
            return
        async with self._pool.acquire() as conn:
            await job_store.done(conn, job.id, f"not run: {state.waiting}")
        log.info("job.skipped", kind=job.kind, why=state.waiting)

    async def _merge_only(self, job: Job, feed: FeedKey, why: str) -> None:
        assert job.snapshot is not None, "a snapshot job names its snapshot"
        async with self._pool.acquire() as conn, conn.transaction():
            snapshot = await snapshots.load(conn, job.snapshot)
            newer = await snapshots.newer_applied(conn, snapshot)
            if newer is not None:
                note = f"superseded: snapshot {newer} of a later as_of was applied already"
                await snapshots.close(conn, snapshot.id, "superseded", note)
                await job_store.done(conn, job.id, note)
                return
        async with self._pool.acquire() as conn:
            await job_store.update(conn, job.id, phase="planning")
            await stock.advance_snapshot_as_of(conn, feed.shop, feed.facility, snapshot.as_of)
            async with conn.transaction():
                await self._set_aside_duplicates(conn, feed, snapshot)
        after: str | None = ""
        while after is not None:
            async with self._pool.acquire() as conn, conn.transaction():
                end = await stock.snapshot_chunk_end(
                    conn, snapshot.id, after, self._limits.chunk_size
                )
                await stock.merge_snapshot_chunk(
                    conn, feed.shop, feed.facility, snapshot.id, snapshot.as_of, after,
                    self._limits.chunk_size,
                )  # fmt: skip
            after = end
        note = f"merged, not pushed: {why}"
        async with self._pool.acquire() as conn, conn.transaction():
            await snapshots.close(conn, snapshot.id, "applied", note)
            await job_store.done(conn, job.id, note)
        log.info("snapshot.merged_not_pushed", snapshot_id=snapshot.snapshot_id, why=why)

    def _feed_and_client(self, job: Job) -> tuple[Feed, GraphQLExecutor]:
        feed = self._feeds.get(job.shop, job.facility)
        if feed is None:
            raise JobFailed(f"facility {job.facility} has no inventory feed in {job.shop}")
        client = self._clients.get(job.shop)
        if client is None:
            raise JobFailed(f"no Shopify access token configured for {job.shop}")
        return feed, client

    async def _read_catalog(self, job: Job, feed: Feed, client: GraphQLExecutor) -> None:
        async def progress(pages: int, variants: int) -> None:
            async with self._pool.acquire() as conn:
                await job_store.update(conn, job.id, catalog_pages=pages, catalog_items=variants)

        async with self._pool.acquire() as conn:
            await job_store.update(conn, job.id, phase="reading_catalog")
        read = await read_catalog(self._pool, client, feed, progress)
        log.info("catalog.read", variants=read.variants, stocked=read.stocked, drift=read.drift)

    async def _apply_snapshot(self, job: Job, feed: Feed, client: GraphQLExecutor) -> None:
        assert job.snapshot is not None, "a snapshot job names its snapshot"
        async with self._pool.acquire() as conn:
            snapshot = await snapshots.load(conn, job.snapshot)
            stale = await catalog_is_stale(conn, feed, self._settings.catalog_max_age_h)
        if stale:
            await self._read_catalog(job, feed, client)
        async with self._pool.acquire() as conn, conn.transaction():
            newer = await snapshots.newer_applied(conn, snapshot)
            if newer is not None:
                note = f"superseded: snapshot {newer} of a later as_of was applied already"
                await snapshots.close(conn, snapshot.id, "superseded", note)
                await job_store.done(conn, job.id, note)
                log.info("snapshot.superseded", snapshot_id=snapshot.snapshot_id, by=newer)
                return
        await self._plan(job, feed, Scope("snapshot", snapshot=snapshot.id), merge=snapshot)

    async def _plan(
        self, job: Job, feed: Feed, scope: Scope, merge: snapshots.SnapshotRow | None = None
    ) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        totals = PlanTotals()
        async with self._pool.acquire() as conn:
            # A re-run starts its counts afresh: planning again is idempotent.
            await job_store.update(
                conn, job.id, phase="planning", considered=0, unchanged=0, changes=0, set_aside={}
            )
            if merge is not None:
                await stock.advance_snapshot_as_of(conn, feed.shop, feed.facility, merge.as_of)
                async with conn.transaction():
                    totals.add(await self._set_aside_duplicates(conn, feed, merge))
            await refresh_statistics(conn, scope)
        after = ""
        while True:
            async with self._pool.acquire() as conn, conn.transaction():
                if merge is not None:
                    # Merged chunk by chunk, each just before it is decided: the first changes
                    # go out while the rest of a large snapshot is still being merged.
                    await stock.merge_snapshot_chunk(
                        conn, feed.shop, feed.facility, merge.id, merge.as_of, after,
                        self._limits.chunk_size,
                    )  # fmt: skip
                chunk, last = await plan_chunk(
                    conn, feed, scope, after, self._limits, origin=job.id
                )
                totals.add(chunk)
                await job_store.update(
                    conn,
                    job.id,
                    considered=totals.considered,
                    unchanged=totals.unchanged,
                    changes=totals.changes,
                    set_aside=totals.set_aside,
                )
            if last is None:
                break
            after = last
        async with self._pool.acquire() as conn, conn.transaction():
            await job_store.update(
                conn,
                job.id,
                diff_ms=round((time.perf_counter() - wall) * 1000),
                diff_cpu_ms=round((time.process_time() - cpu) * 1000),
                note=None if totals.considered else "the warehouse has reported no stock yet",
            )
            if merge is not None:
                await snapshots.close(conn, merge.id, "applied")
            await job_store.planned(conn, job.id)
        log.info(
            "job.plan",
            considered=totals.considered,
            changes=totals.changes,
            unchanged=totals.unchanged,
            set_aside=totals.set_aside,
        )

    async def _set_aside_duplicates(
        self, conn: Connection, feed: FeedKey, snapshot: snapshots.SnapshotRow
    ) -> domain.Plan:
        """SKUs the snapshot lists more than once: none of their rows applies, the SKU is set
        aside, the rest of the snapshot goes on (an adjustment newer than the snapshot stays
        the SKU's truth)."""
        duplicates = await snapshots.take_duplicates(conn, snapshot.id)
        if not duplicates:
            return domain.Plan([], [], [])
        overruled = await stock.forget_before(
            conn, feed.shop, feed.facility, sorted(duplicates), snapshot.as_of
        )
        rows = [
            domain.duplicate_in_snapshot(snapshot.snapshot_id, duplicates[sku])
            for sku in sorted(duplicates)
            if sku not in overruled
        ]
        await push_store.set_aside(conn, feed, rows)
        log.warning(
            "snapshot.duplicate_skus",
            snapshot_id=snapshot.snapshot_id,
            set_aside=[row.sku for row in rows],
            newer_adjustment_stands=overruled,
        )
        return domain.Plan([], [], rows)

    async def _failed(self, job: Job, exc: Exception) -> None:
        error = f"{type(exc).__name__}: {exc}"
        retry_in = None if isinstance(exc, JobFailed) else self._backoff.after_failure(job.attempts)
        log.warning("job.failed", error=error, retry_in_s=retry_in)
        try:
            async with self._pool.acquire() as conn:
                await job_store.failed(conn, job.id, error, retry_in)
        except Exception as db_exc:  # the lease expires and the job is taken again
            log.error("job.fail_not_recorded", error=str(db_exc))
