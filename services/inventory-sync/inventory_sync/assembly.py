"""The assembler: a snapshot whose every part has arrived becomes a job that applies it.

Woken by each stored part (NOTIFY at the part's commit); looks at every snapshot still
assembling, so a notification lost with a connection only delays it to the next idle poll.
"""

import asyncpg
import structlog

from inventory_sync import job_store, snapshots
from inventory_sync.settings import InventorySettings
from storage.signals import Signals
from work_queue import WorkLoop

log = structlog.get_logger(__name__)


class Assembler:
    def __init__(self, pool: asyncpg.Pool, settings: InventorySettings, signals: Signals) -> None:
        self._pool = pool
        self._settings = settings
        self._signals = signals

    async def run(self) -> None:
        wake = self._signals.subscribe(snapshots.PARTS_CHANNEL)
        await WorkLoop(
            "assembly", self.complete_ready, wake, idle_poll_s=self._settings.idle_poll_s
        ).run()

    async def complete_ready(self) -> int:
        """Start a job for each snapshot now complete; how many there were."""
        async with self._pool.acquire() as conn, conn.transaction():
            completed = await snapshots.complete_assembled(conn)
            for snapshot in completed:
                await job_store.create(
                    conn, snapshot.shop, snapshot.facility, "snapshot", "wms", snapshot.id
                )
                log.info(
                    "snapshot.complete",
                    snapshot_id=snapshot.snapshot_id,
                    facility=snapshot.facility,
                    parts=snapshot.parts,
                )
        return len(completed)
