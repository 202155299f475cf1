"""What happens by the clock: daily full syncs, catalog refreshes, snapshot timeouts, cleanup.

Every `schedule_check_s` (and once at start):
- a feed in mode daily/both whose local `daily_at` has passed and that has not run today gets a
  full sync job (once per day: the date is recorded with the job, under a row lock);
- a location whose catalog was never read, or not for `catalog_max_age_h`, gets a catalog job;
  a fulfillment service's location never read gets a full sync instead: the feed has just become
  able to push there, and what the warehouse reported while it waited is pushed with it (the
  registration's handler queues one too; this catches a feed configured after it);
- a feed that cannot push yet (its registration unknown) gets nothing;
- snapshots still missing parts after `snapshot_timeout_s` are reported incomplete;
- jobs whose pushes were all taken over by newer decisions are finished;
- rows past their retention are removed.
"""

from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import asyncpg
import structlog

from inventory_sync import domain, job_store, snapshots
from inventory_sync.catalog import catalog_age_s
from inventory_sync.feeds import Feed, Feeds
from inventory_sync.settings import InventorySettings
from storage import Connection
from work_queue import periodic

log = structlog.get_logger(__name__)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class Scheduler:
    def __init__(
        self,
        pool: asyncpg.Pool,
        feeds: Feeds,
        settings: InventorySettings,
        clock: Clock = utc_now,
    ) -> None:
        self._pool = pool
        self._feeds = feeds
        self._settings = settings
        self._clock = clock
        self._timezone = ZoneInfo(settings.daily_timezone)

    async def run(self) -> None:
        await periodic("schedule", self.tick, self._settings.schedule_check_s).run()

    async def tick(self) -> None:
        now = self._clock()
        async with self._pool.acquire() as conn:
            async with conn.transaction():
                expired = await snapshots.expire_incomplete(conn, self._settings.snapshot_timeout_s)
            for report in expired:
                log.warning("snapshot.incomplete", report=report)
            for state in self._feeds.states():
                feed = state.feed
                if feed is None:
                    continue
                at_service = state.connected_as == "fulfillment_service"
                async with conn.transaction():
                    await self._keep_catalog_fresh(conn, feed, at_service=at_service)
                if feed.daily:
                    async with conn.transaction():
                        await self._daily(conn, feed, now)
            async with conn.transaction():
                await job_store.finish_pushed(conn)
            await self._purge(conn)

    async def _keep_catalog_fresh(self, conn: Connection, feed: Feed, *, at_service: bool) -> None:
        age = await catalog_age_s(conn, feed)
        if age is not None and age < self._settings.catalog_max_age_h * 3600:
            return
        if await job_store.has_open(conn, feed.shop, feed.facility, ("catalog", "full_sync")):
            return
        kind = "full_sync" if at_service and age is None else "catalog"
        await job_store.create(conn, feed.shop, feed.facility, kind, "schedule")

    async def _daily(self, conn: Connection, feed: Feed, now: datetime) -> None:
        last = await conn.fetchval(
            "SELECT last_run_on FROM daily_runs WHERE shop = $1 AND facility = $2 FOR UPDATE",
            feed.shop,
            feed.facility,
        )
        if last is None:
            await conn.execute(
                "INSERT INTO daily_runs (shop, facility, last_run_on) VALUES ($1, $2, $3) "
                "ON CONFLICT DO NOTHING",
                feed.shop,
                feed.facility,
                domain.daily_baseline(now, self._timezone, feed.daily_at),
            )
            return
        due = domain.daily_run_due(now, self._timezone, feed.daily_at, last)
        if due is None:
            return
        await conn.execute(
            "UPDATE daily_runs SET last_run_on = $3 WHERE shop = $1 AND facility = $2",
            feed.shop,
            feed.facility,
            due,
        )
        job_id = await job_store.create(conn, feed.shop, feed.facility, "full_sync", "daily")
        log.info("daily_run.started", facility=feed.facility, job_id=str(job_id), run_on=str(due))

    async def _purge(self, conn: Connection) -> None:
        keep = self._settings.retention_days * 86400.0
        hold = self._settings.placement_hold_minutes * 60.0
        unanswered = self._settings.in_flight_max_age_h * 3600.0 + keep
        await conn.execute(
            "DELETE FROM jobs WHERE state IN ('done', 'failed') "
            "AND finished_at < now() - make_interval(secs => $1)",
            keep,
        )
        await conn.execute(
            "DELETE FROM snapshots WHERE state NOT IN ('assembling', 'complete') "
            "AND first_part_at < now() - make_interval(secs => $1)",
            keep,
        )
        await conn.execute(
            """
            WITH old AS (
                DELETE FROM wms_orders
                WHERE coalesce(rejected_at, cancelled_at, accepted_at)
                          < now() - make_interval(secs => $1)
                   OR (coalesce(rejected_at, cancelled_at, accepted_at) IS NULL
                       AND coalesce(sent_at, '-infinity') < now() - make_interval(secs => $2))
                RETURNING shop, wms_order_ref
            )
            DELETE FROM wms_order_lines l USING old
            WHERE l.shop = old.shop AND l.wms_order_ref = old.wms_order_ref
            """,
            keep,
            unanswered,
        )
        await conn.execute(
            "DELETE FROM placed_lines WHERE placed_at < now() - make_interval(secs => $1)",
            hold + 86400.0,
        )
        await conn.execute(
            "DELETE FROM restocks WHERE applied_at < now() - make_interval(secs => $1)", keep
        )
