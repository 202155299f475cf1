"""The realtime feed: adjustments become pushes, a burst at a time.

An applied adjustment marks its SKU dirty (the handler, in the message's transaction). Once a
facility's oldest dirty SKU is `realtime_coalesce_ms` old, all its dirty SKUs are decided
together and their changes queued: ten adjustments of one SKU in a burst are one quantity in
one call, adjustments of a hundred SKUs one call. Nothing is decided before the location's
catalog has been read (the SKUs would all look unknown); they wait, dirty, until it has.
"""

import asyncio

import asyncpg
import structlog

from inventory_sync import stock
from inventory_sync.catalog import catalog_age_s
from inventory_sync.feeds import Feed, Feeds
from inventory_sync.jobs import planning_limits
from inventory_sync.planner import PlanTotals, Scope, plan_chunk
from inventory_sync.settings import InventorySettings
from storage.signals import Signals
from work_queue import WorkLoop

log = structlog.get_logger(__name__)


class RealtimeFlusher:
    def __init__(
        self, pool: asyncpg.Pool, feeds: Feeds, settings: InventorySettings, signals: Signals
    ) -> None:
        self._pool = pool
        self._feeds = feeds
        self._settings = settings
        self._signals = signals
        self._limits = planning_limits(settings)
        self._window_s = settings.realtime_coalesce_ms / 1000

    async def run(self) -> None:
        wake = self._signals.subscribe(stock.DIRTY_CHANNEL)
        loop = WorkLoop(
            "realtime", self._round, wake, idle_poll_s=self._settings.idle_poll_s, full_round=1
        )
        await loop.run()

    async def _round(self) -> int:
        """Flush what is due. 1 if a window was still open: it has closed now, the next round
        flushes it; 0 if nothing is waiting."""
        next_due_s = await self.flush_due()
        if next_due_s is None:
            return 0
        # An adjustment arriving meanwhile opens a window that closes later than this one:
        # nothing can be due sooner, so no wake-up is needed until then.
        await asyncio.sleep(next_due_s)
        return 1

    async def flush_due(self) -> float | None:
        """Flush every facility whose window has closed; seconds until the next one closes."""
        async with self._pool.acquire() as conn:
            groups = await stock.dirty_groups(conn)
        next_due: float | None = None
        for shop, facility, age_s in groups:
            feed = self._feeds.get(shop, facility)
            if feed is None:
                continue
            if age_s < self._window_s:
                wait_s = self._window_s - age_s
                next_due = wait_s if next_due is None else min(next_due, wait_s)
                continue
            await self.flush(feed)
        return next_due

    async def flush(self, feed: Feed) -> PlanTotals | None:
        totals = PlanTotals()
        async with self._pool.acquire() as conn, conn.transaction():
            if await catalog_age_s(conn, feed) is None:
                return None
            skus, since = await stock.take_dirty(conn, feed.shop, feed.facility)
            if not skus:
                return totals
            scope = Scope("skus", skus=skus)
            after = ""
            while True:
                chunk, last = await plan_chunk(
                    conn, feed, scope, after, self._limits, origin=None, queued_at=since
                )
                totals.add(chunk)
                if last is None:
                    break
                after = last
        log.info(
            "realtime.flushed",
            facility=feed.facility,
            skus=totals.considered,
            changes=totals.changes,
            set_aside=totals.set_aside,
        )
        return totals
