"""Full catalog sync by bulk operation: every variant of a shop in one Shopify job, not one
call per page.

A sync (the shop's first, the daily reconciliation, or an operator's) is a `catalog_syncs` row,
run by one worker per shop:

1. `bulkOperationRunQuery` with CATALOG_BULK_QUERY (every variant, its product inline, its first
   image a child line), `groupObjects: true` so a variant's children follow it;
2. wait for the operation: the `bulk_operations/finish` webhook wakes the worker (NOTIFY), and
   `node(id:)` is polled every `catalog_sync_poll_s` in case the webhook is lost;
3. stream the JSONL result line by line (aiohttp, never the whole file in memory), assembling
   each variant with its children (`items.BulkAssembler`), and record the variants chunk by
   chunk (a variant a webhook-triggered read recorded newer is left as it is);
4. variants no read recorded since the operation began are gone from the shop: removed;
5. decide every SKU, in SKU order, chunk by chunk (`item_store.settle`): only differences from
   the recorded digests are sent; a SKU sent but carried by no variant now is discontinued.

A FAILED (or cancelled, expired, timed out) operation, or any error, fails the attempt: it is
retried after a doubling delay (`catalog_sync_backoff`), a new operation when the last one did
not complete, the same result file when it did. The attempts and the last error are shown.
"""

import asyncio
import functools
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import aiohttp
import asyncpg
import structlog

from inventory_sync import domain, item_store, items
from inventory_sync.items import BulkAssembler, VariantRead
from inventory_sync.job_store import when
from inventory_sync.settings import InventorySettings
from shopify_admin.operations import BULK_OPERATION, CATALOG_BULK_QUERY, CATALOG_BULK_RUN
from shopify_admin.pagination import GraphQLExecutor
from storage import Connection
from storage.signals import Signals, wait
from work_queue import Key, LeaseKeeper, WorkLoop, WorkTable, periodic

log = structlog.get_logger(__name__)

CATALOG_SYNCS = WorkTable(
    "catalog_syncs",
    {"id": "uuid"},
    channel="inventory_sync_catalog_syncs",
    workable="{t}.state IN ('queued', 'running')",
    gave_up={"finished_at": "now()"},
    last_error="error",
)

BULK_FINISHED_CHANNEL = "inventory_sync_bulk_finished"
"""NOTIFY channel: a bulk_operations/finish webhook arrived."""

SYNC_LEASE_S = 300.0

_COLUMNS = (
    "id, shop, requested_by, state, phase, bulk_operation_id, bulk_status, bulk_started_at, "
    "attempts, next_attempt_at, error, lines_read, variants_read, items_sent, discontinued, "
    "unchanged, duplicates, created_at, started_at, finished_at"
)

_DONE_STATES = {"COMPLETED"}
_FAILED_STATES = {"FAILED", "CANCELED", "CANCELLED", "EXPIRED"}


class BulkOperationFailed(Exception):
    """The operation ended without a result: a new one is needed."""


# --- the table ------------------------------------------------------------------------------------


async def create_sync(conn: Connection, shop: str, requested_by: str) -> tuple[UUID, bool]:
    """A new sync of the shop, or the one already open; (id, created)."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext('catalog_syncs:' || $1))", shop)
    open_id: UUID | None = await conn.fetchval(
        "SELECT id FROM catalog_syncs WHERE shop = $1 AND state IN ('queued', 'running') "
        "ORDER BY created_at LIMIT 1",
        shop,
    )
    if open_id is not None:
        return open_id, False
    sync_id = uuid.uuid4()
    await conn.execute(
        "INSERT INTO catalog_syncs (id, shop, requested_by) VALUES ($1, $2, $3)",
        sync_id,
        shop,
        requested_by,
    )
    await CATALOG_SYNCS.wake(conn)
    return sync_id, True


async def get_sync(conn: Connection, sync_id: UUID) -> dict[str, Any] | None:
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM catalog_syncs WHERE id = $1", sync_id)
    return sync_json(row) if row else None


async def recent_syncs(conn: Connection, shop: str, limit: int) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM catalog_syncs WHERE shop = $1 ORDER BY created_at DESC LIMIT $2",
        shop,
        limit,
    )
    return [sync_json(r) for r in rows]


def sync_json(row: asyncpg.Record) -> dict[str, Any]:
    return {
        "job_id": str(row["id"]),
        "shop": row["shop"],
        "requested_by": row["requested_by"],
        "state": row["state"],
        "phase": row["phase"],
        "attempts": row["attempts"],
        "bulk_operation": {
            "id": row["bulk_operation_id"],
            "status": row["bulk_status"],
            "started_at": when(row["bulk_started_at"]),
        },
        "progress": {
            "lines_read": row["lines_read"],
            "variants_read": row["variants_read"],
            "items_sent": row["items_sent"],
            "discontinued": row["discontinued"],
            "unchanged": row["unchanged"],
            "duplicates": row["duplicates"],
        },
        "error": row["error"],
        "next_attempt_at": when(row["next_attempt_at"]) if row["state"] == "queued" else None,
        "created_at": when(row["created_at"]),
        "started_at": when(row["started_at"]),
        "finished_at": when(row["finished_at"]),
    }


async def _update(pool: asyncpg.Pool, sync_id: UUID, **fields: Any) -> None:
    names = list(fields)
    assignments = ", ".join(f"{name} = ${i}" for i, name in enumerate(names, start=2))
    await pool.execute(
        f"UPDATE catalog_syncs SET {assignments} WHERE id = $1", sync_id, *fields.values()
    )


async def bulk_finished(conn: Connection, operation_gid: str, status: str | None) -> None:
    """A bulk_operations/finish webhook: note the status, wake the worker waiting on it."""
    await conn.execute(
        "UPDATE catalog_syncs SET bulk_status = coalesce(upper($2), bulk_status) "
        "WHERE bulk_operation_id = $1 AND state = 'running'",
        operation_gid,
        status,
    )
    await conn.execute("SELECT pg_notify($1, '')", BULK_FINISHED_CHANNEL)


# --- the worker ---------------------------------------------------------------------------------


class CatalogSyncer:
    def __init__(
        self,
        pool: asyncpg.Pool,
        clients: Mapping[str, GraphQLExecutor],
        settings: InventorySettings,
        signals: Signals,
    ) -> None:
        self._pool = pool
        self._clients = clients
        self._settings = settings
        self._signals = signals
        self._backoff = settings.catalog_sync_backoff
        self._running: set[UUID] = set()
        self._http: aiohttp.ClientSession | None = None

    async def run(self) -> None:
        loops = [
            WorkLoop(
                f"catalog_sync:{shop}",
                functools.partial(self._round, shop),
                self._signals.subscribe(CATALOG_SYNCS.channel),
                idle_poll_s=self._settings.idle_poll_s,
                full_round=1,
            )
            for shop in sorted(self._clients)
        ]
        keeper = LeaseKeeper(
            self._pool, CATALOG_SYNCS, SYNC_LEASE_S, self._held, where="w.state = 'running'"
        )
        await asyncio.gather(keeper.run(), *(loop.run() for loop in loops))

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None

    def _held(self) -> list[Key]:
        return [(sync_id,) for sync_id in self._running]

    async def _round(self, shop: str) -> int:
        async with self._pool.acquire() as conn:
            rows = await CATALOG_SYNCS.claim(
                conn,
                limit=1,
                lease_s=SYNC_LEASE_S,
                where="c.shop = $3",
                args=[shop],
                order_by="c.created_at",
                also_set="state = 'running', error = NULL, "
                "started_at = coalesce(w.started_at, now())",
                returning=f"{', '.join('w.' + c for c in _COLUMNS.split(', '))}",
            )
        if not rows:
            return 0
        row = rows[0]
        self._running.add(row["id"])
        try:
            with structlog.contextvars.bound_contextvars(sync_id=str(row["id"]), shop=shop):
                await self._execute(row)
        finally:
            self._running.discard(row["id"])
        return 1

    async def _execute(self, row: asyncpg.Record) -> None:
        sync_id: UUID = row["id"]
        shop: str = row["shop"]
        log.info("catalog_sync.started", attempt=row["attempts"] + 1, by=row["requested_by"])
        try:
            client = self._clients[shop]
            operation_id, started = row["bulk_operation_id"], row["bulk_started_at"]
            if operation_id is None:
                operation_id, started = await self._start(sync_id, client)
            url = await self._wait(sync_id, client, operation_id, started)
            await self._read(sync_id, shop, url, started)
            await self._diff(sync_id, shop)
        except Exception as exc:
            await self._failed(row, exc)
            return
        await self._pool.execute(
            "UPDATE catalog_syncs SET state = 'done', phase = NULL, lease_until = NULL, "
            "finished_at = now() WHERE id = $1",
            sync_id,
        )
        log.info("catalog_sync.done")

    async def _start(self, sync_id: UUID, client: GraphQLExecutor) -> tuple[str, datetime]:
        started: datetime = await self._pool.fetchval("SELECT now()")
        data = await client.execute(CATALOG_BULK_RUN, {"query": CATALOG_BULK_QUERY})
        answer = data.get("bulkOperationRunQuery") or {}
        errors = answer.get("userErrors") or []
        operation = answer.get("bulkOperation") or {}
        if errors or not operation.get("id"):
            described = "; ".join(f"{e.get('code')}: {e.get('message')}" for e in errors)
            raise RuntimeError(f"bulkOperationRunQuery refused: {described or 'no operation'}")
        await _update(
            self._pool,
            sync_id,
            phase="bulk_running",
            bulk_operation_id=operation["id"],
            bulk_status=operation.get("status"),
            bulk_started_at=started,
        )
        log.info("catalog_sync.bulk_started", operation=operation["id"])
        return str(operation["id"]), started

    async def _wait(
        self, sync_id: UUID, client: GraphQLExecutor, operation_id: str, started: datetime
    ) -> str | None:
        """The result's URL once the operation completed (None: it found nothing)."""
        wake = self._signals.subscribe(BULK_FINISHED_CHANNEL)
        while True:
            wake.clear()
            data = await client.execute(BULK_OPERATION, {"id": operation_id})
            operation = data.get("node") or {}
            status = str(operation.get("status") or "UNKNOWN").upper()
            await _update(
                self._pool,
                sync_id,
                bulk_status=status,
                phase="bulk_running" if status not in _DONE_STATES else "reading",
            )
            if status in _DONE_STATES:
                url = operation.get("url")
                return str(url) if url else None
            if status in _FAILED_STATES or not operation:
                await _update(self._pool, sync_id, bulk_operation_id=None)
                code = operation.get("errorCode")
                raise BulkOperationFailed(f"bulk operation {operation_id} {status} ({code})")
            if (
                datetime.now(UTC) - started
            ).total_seconds() > self._settings.catalog_sync_timeout_s:
                await _update(self._pool, sync_id, bulk_operation_id=None)
                raise BulkOperationFailed(f"bulk operation {operation_id} still {status}")
            await wait(wake, self._settings.catalog_sync_poll_s)

    async def _read(self, sync_id: UUID, shop: str, url: str | None, started: datetime) -> None:
        """Record every variant of the result, chunk by chunk; then remove the unseen ones."""
        assembler = BulkAssembler()
        chunk: list[VariantRead] = []
        size = self._settings.catalog_sync_chunk
        await _update(self._pool, sync_id, lines_read=0, variants_read=0)
        if url is not None:
            if self._http is None:
                self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(sock_read=300))
            async with self._http.get(url) as response:
                response.raise_for_status()
                async for raw in response.content:
                    line = items.parse_line(raw)
                    if line is None:
                        continue
                    chunk.extend(assembler.feed(line))
                    if len(chunk) >= size:
                        await self._record(sync_id, shop, chunk, started, assembler)
                        chunk = []
        chunk.extend(assembler.finish())
        await self._record(sync_id, shop, chunk, started, assembler)
        async with self._pool.acquire() as conn, conn.transaction():
            await item_store.lock_catalog(conn, shop)
            await item_store.remove_unseen(conn, shop, started)
        if assembler.orphans:
            log.warning("catalog_sync.orphan_lines", lines=assembler.orphans)
        # Bulk-written: the planner must see their size now, not when autovacuum gets to it.
        await self._pool.execute("ANALYZE catalog_variants")

    async def _record(
        self,
        sync_id: UUID,
        shop: str,
        chunk: list[VariantRead],
        started: datetime,
        assembler: BulkAssembler,
    ) -> None:
        async with self._pool.acquire() as conn, conn.transaction():
            if chunk:
                await item_store.lock_catalog(conn, shop)
                await item_store.record_reads(conn, shop, chunk, started)
            await conn.execute(
                "UPDATE catalog_syncs SET lines_read = $2, variants_read = $3 WHERE id = $1",
                sync_id,
                assembler.lines,
                assembler.variants,
            )

    async def _diff(self, sync_id: UUID, shop: str) -> None:
        await _update(
            self._pool, sync_id, phase="sending", items_sent=0, discontinued=0, unchanged=0,
            duplicates=0,
        )  # fmt: skip
        after = ""
        while True:
            async with self._pool.acquire() as conn, conn.transaction():
                await item_store.lock_catalog(conn, shop)
                skus = await item_store.skus_after(
                    conn, shop, after, self._settings.catalog_sync_chunk
                )
                if not skus:
                    break
                now: datetime = await conn.fetchval("SELECT now()")
                decided = await item_store.settle(conn, shop, skus, now)
                changed = len(decided.sends) + len(decided.discontinues)
                await conn.execute(
                    """
                    UPDATE catalog_syncs SET items_sent = items_sent + $2,
                        discontinued = discontinued + $3, duplicates = duplicates + $4,
                        unchanged = unchanged + $5
                    WHERE id = $1
                    """,
                    sync_id,
                    len(decided.sends),
                    len(decided.discontinues),
                    len(decided.duplicates),
                    len(skus) - changed - len(decided.duplicates),
                )
            after = skus[-1]

    async def _failed(self, row: asyncpg.Record, exc: Exception) -> None:
        error = f"{type(exc).__name__}: {exc}"
        retry_in = self._backoff.after_failure(row["attempts"])
        log.warning("catalog_sync.failed", error=error, retry_in_s=retry_in)
        state = "'failed'" if retry_in is None else "'queued'"
        try:
            async with self._pool.acquire() as conn:
                await CATALOG_SYNCS.retry_later(
                    conn, [(row["id"],)], error, retry_in, also_set=f"state = {state}"
                )
        except Exception as db_exc:  # the lease runs out and the sync is taken again
            log.error("catalog_sync.fail_not_recorded", error=str(db_exc))


# --- what starts one by itself ------------------------------------------------------------------


class CatalogScheduler:
    """Every `schedule_check_s`: a shop whose catalog was never synced gets its first sync; each
    shop gets its daily reconciliation once its local `catalog_daily_at` has passed; tombstones
    past their retention go."""

    def __init__(self, pool: asyncpg.Pool, shops: list[str], settings: InventorySettings) -> None:
        self._pool = pool
        self._shops = shops
        self._settings = settings
        self._timezone = ZoneInfo(settings.daily_timezone)

    async def run(self) -> None:
        await periodic("catalog_schedule", self.tick, self._settings.schedule_check_s).run()

    async def tick(self, now: datetime | None = None) -> None:
        now = now or datetime.now(UTC)
        async with self._pool.acquire() as conn:
            for shop in self._shops:
                async with conn.transaction():
                    await self._first(conn, shop)
                async with conn.transaction():
                    await self._daily(conn, shop, now)
            await item_store.purge_removed(conn, self._settings.retention_days * 86400.0)

    async def _first(self, conn: Connection, shop: str) -> None:
        ever = await conn.fetchval("SELECT 1 FROM catalog_syncs WHERE shop = $1 LIMIT 1", shop)
        if ever is None and not await item_store.has_variants(conn, shop):
            sync_id, _ = await create_sync(conn, shop, "first")
            log.info("catalog_sync.first", shop=shop, sync_id=str(sync_id))

    async def _daily(self, conn: Connection, shop: str, now: datetime) -> None:
        daily_at = self._settings.catalog_daily_at
        last = await conn.fetchval(
            "SELECT last_run_on FROM catalog_daily_runs WHERE shop = $1 FOR UPDATE", shop
        )
        if last is None:
            await conn.execute(
                "INSERT INTO catalog_daily_runs (shop, last_run_on) VALUES ($1, $2) "
                "ON CONFLICT DO NOTHING",
                shop,
                domain.daily_baseline(now, self._timezone, daily_at),
            )
            return
        due = domain.daily_run_due(now, self._timezone, daily_at, last)
        if due is None:
            return
        await conn.execute(
            "UPDATE catalog_daily_runs SET last_run_on = $2 WHERE shop = $1", shop, due
        )
        sync_id, _ = await create_sync(conn, shop, "daily")
        log.info("catalog_sync.daily", shop=shop, sync_id=str(sync_id), run_on=str(due))
