"""Operator downloads that run in the background, so the command line can show progress.

A job is the polling download for one shop and time window (the same code, idempotent with
the live path), run as a task of the service. Its result fills in as orders are applied;
`progress` is how far through the window the orders read so far reach, since they are read
oldest update first. Jobs live in memory: after a restart the job is gone, and running the
download again is harmless.
"""

import asyncio
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import structlog

from order_intake.polling import DownloadResult, OrderDownloader

log = structlog.get_logger(__name__)

KEPT_JOBS = 100


@dataclass
class DownloadJob:
    id: str
    shop: str
    since: datetime
    until: datetime | None
    """None: up to whatever Shopify has, even orders updated while the job runs."""
    started_at: datetime
    state: Literal["running", "done", "failed"] = "running"
    result: DownloadResult = field(default_factory=DownloadResult)
    error: str | None = None
    finished_at: datetime | None = None

    @property
    def progress(self) -> float:
        if self.state == "done":
            return 1.0
        latest = self.result.latest_update
        window = ((self.until or self.started_at) - self.since).total_seconds()
        if latest is None or window <= 0:
            return 0.0
        return max(0.0, min(1.0, (latest - self.since).total_seconds() / window))

    def as_json(self) -> dict[str, Any]:
        return {
            "job_id": self.id,
            "shop": self.shop,
            "since": self.since.isoformat(),
            "until": self.until.isoformat() if self.until else None,
            "state": self.state,
            "progress": round(self.progress, 4),
            **self.result.as_json(),
            "error": self.error,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
        }


class DownloadJobs:
    def __init__(self, downloader: OrderDownloader) -> None:
        self._downloader = downloader
        self._jobs: OrderedDict[str, DownloadJob] = OrderedDict()
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self, shop: str, since: datetime, until: datetime | None) -> DownloadJob:
        """Raises UnknownShop before starting anything."""
        self._downloader.check_shop(shop)
        now = datetime.now(UTC)
        job = DownloadJob(str(uuid.uuid4()), shop, since, until, now)
        self._jobs[job.id] = job
        while len(self._jobs) > KEPT_JOBS:
            self._jobs.popitem(last=False)
        task = asyncio.create_task(self._run(job), name=f"download:{job.id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return job

    def get(self, job_id: str) -> DownloadJob | None:
        return self._jobs.get(job_id)

    async def cancel(self) -> None:
        """Cancel the running downloads (at shutdown) and wait until they have stopped."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _run(self, job: DownloadJob) -> None:
        try:
            await self._downloader.download(job.shop, job.since, job.until, result=job.result)
            job.state = "done"
        except Exception as exc:
            job.state = "failed"
            job.error = f"{type(exc).__name__}: {exc}"
            log.warning("download.job_failed", job_id=job.id, shop=job.shop, error=job.error)
        finally:
            job.finished_at = datetime.now(UTC)
