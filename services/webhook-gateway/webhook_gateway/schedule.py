"""The gateway's periodic jobs (the purge of expired records, subscription healing): one loop.

They are schedules, not pending work: nothing is leased or retried item by item (that is
work_queue's business), and a run that fails leaves its work to the next run, which does all of
it again anyway.
"""

import asyncio
from collections.abc import Awaitable, Callable

import structlog

log = structlog.get_logger(__name__)


async def every(interval_s: float, job: Callable[[], Awaitable[object]], *, failed: str) -> None:
    """Run `job` now and then every `interval_s`, until cancelled; a failure is logged as the
    event `failed` and the loop goes on."""
    while True:
        try:
            await job()
        except Exception as exc:  # the database may be away; the next run catches up
            log.warning(failed, error=f"{type(exc).__name__}: {exc}")
        await asyncio.sleep(interval_s)
