"""The outbox relay: publishes committed outbox rows to RabbitMQ, at least once, in batches.

A batch is claimed with FOR UPDATE SKIP LOCKED inside a transaction that stays open while the
messages are published with publisher confirms; the rows are deleted in that same transaction
only after every confirm arrived. If the relay dies anywhere before the commit, the rows are still
there and the next relay (or this one, restarted) publishes them again: a duplicate on the wire is
possible, a loss is not. Several relays can run against one schema; SKIP LOCKED gives each its
own rows.
"""

import asyncio
import contextlib
from collections.abc import Sequence

import asyncpg
import structlog
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractRobustConnection
from asyncpg.pool import PoolConnectionProxy

from messaging.amqp import build_message
from messaging.metrics import OUTBOX_PUBLISH_FAILURES, OUTBOX_PUBLISHED
from messaging.outbox import notify_channel
from storage import Connection
from storage.signals import wait

log = structlog.get_logger(__name__)

_CLAIM = """
SELECT id, message_id, message_type, correlation_id, exchange, routing_key, body
FROM outbox ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED
"""


class OutboxRelay:
    def __init__(
        self,
        pool: asyncpg.Pool,
        connection: AbstractRobustConnection,
        *,
        schema: str,
        service: str,
        batch_size: int = 500,
        poll_interval_s: float = 1.0,
        publish_timeout_s: float = 10.0,
        max_backoff_s: float = 5.0,
    ) -> None:
        self._pool = pool
        self._connection = connection
        self._schema = schema
        self._service = service
        self._batch_size = batch_size
        self._poll_interval_s = poll_interval_s
        self._publish_timeout_s = publish_timeout_s
        self._max_backoff_s = max_backoff_s
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._channel: AbstractChannel | None = None
        self._exchanges: dict[str, AbstractExchange] = {}
        self._listener: PoolConnectionProxy | None = None

    async def start(self) -> None:
        self._channel = await self._connection.channel(
            publisher_confirms=True, on_return_raises=True
        )
        self._task = asyncio.create_task(self._run(), name=f"outbox-relay:{self._schema}")

    async def stop(self, flush_timeout_s: float = 10.0) -> None:
        """Publish what is pending (bounded by the timeout), then stop."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, flush_timeout_s)
            except TimeoutError:
                log.warning("relay.flush_timeout", schema=self._schema)
        await self._close_listener()
        if self._channel is not None and not self._channel.is_closed:
            await self._channel.close()

    def wake(self) -> None:
        self._wake.set()

    async def publish_batch(self) -> int:
        """Publish up to one batch; returns how many rows were published and removed."""
        rows: Sequence[asyncpg.Record] = ()
        async with self._pool.acquire() as conn:
            try:
                async with conn.transaction():
                    rows = await conn.fetch(_CLAIM, self._batch_size)
                    if not rows:
                        return 0
                    await asyncio.wait_for(self._publish(rows), self._publish_timeout_s)
                    await self._mark_sent(conn, [r["id"] for r in rows])
            except Exception as exc:  # a publish timeout included
                if rows:
                    await self._record_failure(conn, [r["id"] for r in rows], exc)
                raise
        OUTBOX_PUBLISHED.labels(self._service).inc(len(rows))
        return len(rows)

    async def _publish(self, rows: Sequence[asyncpg.Record]) -> None:
        by_name = {name: await self._exchange(name) for name in {r["exchange"] for r in rows}}
        # All confirms are awaited together: the broker confirms a window, not one by one.
        await asyncio.gather(
            *(
                by_name[row["exchange"]].publish(
                    build_message(
                        row["body"],
                        message_id=row["message_id"],
                        message_type=row["message_type"] or None,
                        correlation_id=row["correlation_id"],
                    ),
                    routing_key=row["routing_key"],
                )
                for row in rows
            )
        )

    async def _mark_sent(self, conn: Connection, ids: list[int]) -> None:
        await conn.execute("DELETE FROM outbox WHERE id = ANY($1::bigint[])", ids)

    async def _record_failure(self, conn: Connection, ids: list[int], exc: BaseException) -> None:
        OUTBOX_PUBLISH_FAILURES.labels(self._service).inc()
        with contextlib.suppress(Exception):
            await conn.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = $2 "
                "WHERE id = ANY($1::bigint[])",
                ids,
                f"{type(exc).__name__}: {exc}"[:500],
            )

    async def _exchange(self, name: str) -> AbstractExchange:
        assert self._channel is not None
        if name == "":
            return self._channel.default_exchange
        if name not in self._exchanges:
            self._exchanges[name] = await self._channel.get_exchange(name, ensure=False)
        return self._exchanges[name]

    async def _run(self) -> None:
        backoff = 0.1
        while True:
            await self._ensure_listener()
            # Cleared before reading the outbox, not after: a commit notified while this batch
            # is being published must wake the next round, not wait for the poll.
            self._wake.clear()
            try:
                published = await self.publish_batch()
                backoff = 0.1
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("relay.publish_failed", schema=self._schema, error=str(exc))
                if self._stopping:
                    return
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._max_backoff_s)
                continue
            if published == self._batch_size:
                continue  # more is waiting
            if self._stopping:
                return  # flushed
            await wait(self._wake, self._poll_interval_s)

    async def _ensure_listener(self) -> None:
        """LISTEN for commits that added outbox rows; polling covers the gaps while it is down."""
        if self._listener_alive():
            return
        self._listener = None
        try:
            conn = await self._pool.acquire()
            await conn.add_listener(notify_channel(self._schema), self._on_notify)
            self._listener = conn
        except Exception as exc:
            log.warning("relay.listen_failed", schema=self._schema, error=str(exc))

    def _listener_alive(self) -> bool:
        try:
            return self._listener is not None and not self._listener.is_closed()
        except asyncpg.InterfaceError:  # the pool detached it when its connection died
            return False

    def _on_notify(self, *_: object) -> None:
        self._wake.set()

    async def _close_listener(self) -> None:
        if self._listener is None:
            return
        with contextlib.suppress(Exception):
            await self._listener.remove_listener(notify_channel(self._schema), self._on_notify)
        with contextlib.suppress(Exception):
            await self._pool.release(self._listener)
        self._listener = None
