"""The idempotent consumer: one service's work queue, handled at most once per message id.

For each delivery: parse and validate the envelope; in one transaction record the message id in
the inbox and run the handler (which writes its state and its outgoing messages through the same
connection); commit; only then ack. Deliveries arriving together share one transaction
(group commit; see _handle_together). A duplicate finds its id already in the inbox and is acked
without effect. A failure rolls everything back and the message goes to the next retry tier;
after the last tier it becomes a dead letter. Malformed messages go straight to dead letters: no
retry can fix them.
"""

import asyncio
import hashlib
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

import asyncpg
import structlog
from aio_pika.abc import (
    AbstractChannel,
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustConnection,
)

from contracts import ContractError, Envelope, parse_envelope
from messaging.amqp import copy_message
from messaging.dead_letters import record_dead_letter
from messaging.group_commit import GroupCommit
from messaging.metrics import DEAD_LETTERS, HANDLER_SECONDS, MESSAGES_HANDLED
from messaging.routing import MessageContext, Route, Routes
from messaging.topology import ServiceTopology
from storage import Connection

log = structlog.get_logger(__name__)

ATTEMPT_HEADER = "x-attempt"
D = TypeVar("D")


Outcome = Literal["ok", "duplicate"] | Exception


@dataclass
class _Delivery(Generic[D]):
    message: AbstractIncomingMessage
    envelope: Envelope
    route: Route[Any, D]
    attempt: int


def _log_context(envelope: Envelope) -> dict[str, str]:
    return {
        "correlation_id": str(envelope.correlation_id),
        "message_id": str(envelope.id),
        "message_type": envelope.type,
        "shop": envelope.shop,
    }


class Consumer(Generic[D]):
    def __init__(
        self,
        pool: asyncpg.Pool,
        connection: AbstractRobustConnection,
        topology: ServiceTopology,
        routes: Routes[D],
        deps: D,
        *,
        prefetch: int = 100,
        batch_size: int = 100,
        concurrent_batches: int = 4,
        handler_timeout_s: float = 60.0,
    ) -> None:
        self._pool = pool
        self._connection = connection
        self._topology = topology
        self._routes = routes
        self._deps = deps
        self._prefetch = prefetch
        self._handler_timeout_s = handler_timeout_s
        self._channel: AbstractChannel | None = None
        self._consumers: list[tuple[AbstractQueue, str]] = []
        self._in_flight: set[asyncio.Task[Any]] = set()
        self._service = topology.service
        self._batches: GroupCommit[_Delivery[D], Outcome] = GroupCommit(
            self._run_batch, max_batch=batch_size, max_in_flight=concurrent_batches
        )

    async def start(self) -> None:
        self._channel = await self._connection.channel(publisher_confirms=True)
        await self._channel.set_qos(prefetch_count=self._prefetch)
        # Passive declarations (the topology declared them), not get_queue(): only queues declared
        # through a robust channel are re-attached, with their consumers, after a reconnect.
        work = await self._channel.declare_queue(self._topology.work_queue, passive=True)
        parked = await self._channel.declare_queue(self._topology.parking_queue, passive=True)
        self._consumers = [
            (work, await work.consume(self._track(self._on_message))),
            (parked, await parked.consume(self._track(self._on_parked))),
        ]

    async def stop(self, timeout_s: float = 30.0) -> None:
        """Stop taking messages, let the ones in hand finish, then close the channel.

        Messages delivered but not yet acked when the channel closes go back to the queue.
        """
        for queue, tag in self._consumers:
            try:
                await queue.cancel(tag)
            except Exception as exc:  # the channel may already be gone (broker down)
                log.warning("consumer.cancel_failed", error=str(exc))
        self._consumers = []
        if self._in_flight:
            await asyncio.wait(set(self._in_flight), timeout=timeout_s)
        if self._channel is not None and not self._channel.is_closed:
            await self._channel.close()

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)

    def _track(
        self, callback: Callable[[AbstractIncomingMessage], Awaitable[None]]
    ) -> Callable[[AbstractIncomingMessage], Awaitable[None]]:
        async def tracked(message: AbstractIncomingMessage) -> None:
            task = asyncio.current_task()
            assert task is not None
            self._in_flight.add(task)
            try:
                await callback(message)
            finally:
                self._in_flight.discard(task)

        return tracked

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        attempt = _int_header(message, ATTEMPT_HEADER)
        try:
            envelope = parse_envelope(message.body)
        except ContractError as exc:
            await self._dead(message, f"invalid message: {exc.reason}", attempt)
            return
        route = self._routes.route_for(envelope.type)
        if route is None:  # bound by hand, or a binding left from an older version
            await self._dead(
                message, f"no handler for type {envelope.type!r} in {self._service}", attempt
            )
            return
        delivery = _Delivery(message, envelope, route, attempt)
        outcome = await self._batches.submit(delivery)
        await self._settle(delivery, outcome)

    async def _run_batch(self, batch: Sequence[_Delivery[D]]) -> list[Outcome]:
        started = time.perf_counter()
        outcomes = await self._handle_together(list(batch))
        per_message = (time.perf_counter() - started) / len(batch)
        for delivery in batch:
            HANDLER_SECONDS.labels(self._service, delivery.envelope.type).observe(per_message)
        return outcomes

    async def _handle_together(self, batch: list[_Delivery[D]]) -> list[Outcome]:
        """Handle a batch in one transaction: one inbox insert for all ids, one commit.

        This is the fast path (one WAL flush per batch instead of per message). If any handler
        fails, the whole transaction is rolled back, so no effect of the batch exists, and each
        message is handled again alone, in a transaction of its own, so only the failing one
        fails. Nothing is acked before its commit.
        """
        try:
            async with self._pool.acquire() as conn, conn.transaction():
                fresh = {
                    row[0]
                    for row in await conn.fetch(
                        "INSERT INTO inbox (message_id, message_type) "
                        "SELECT * FROM unnest($1::uuid[], $2::text[]) "
                        "ON CONFLICT DO NOTHING RETURNING message_id",
                        [d.envelope.id for d in batch],
                        [d.envelope.type for d in batch],
                    )
                }
                outcomes: list[Outcome] = []
                for delivery in batch:
                    if delivery.envelope.id not in fresh:
                        outcomes.append("duplicate")
                        continue
                    fresh.discard(delivery.envelope.id)  # the same id twice in one batch
                    await self._call_handler(conn, delivery)
                    outcomes.append("ok")
            return outcomes
        except Exception as exc:
            if len(batch) == 1:
                return [exc]
        return [(await self._handle_together([d]))[0] for d in batch]

    async def _call_handler(self, conn: Connection, delivery: _Delivery[D]) -> None:
        envelope = delivery.envelope
        context = MessageContext(envelope, conn, delivery.attempt, self._deps)
        with structlog.contextvars.bound_contextvars(**_log_context(envelope)):
            await asyncio.wait_for(delivery.route(envelope, context), self._handler_timeout_s)

    async def _settle(self, delivery: _Delivery[D], outcome: Outcome) -> None:
        envelope, message = delivery.envelope, delivery.message
        with structlog.contextvars.bound_contextvars(**_log_context(envelope)):
            if isinstance(outcome, Exception):
                await self._failed(message, envelope, delivery.attempt, outcome)
                return
            await message.ack()
            MESSAGES_HANDLED.labels(self._service, envelope.type, outcome).inc()
            if outcome == "duplicate":
                log.info("message.duplicate_skipped")

    async def _failed(
        self,
        message: AbstractIncomingMessage,
        envelope: Envelope,
        attempt: int,
        exc: BaseException,
    ) -> None:
        reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        if attempt >= self._topology.max_retries:
            log.error("message.failed_finally", attempt=attempt, error=reason)
            await self._dead(message, reason, attempt)
            return
        log.warning("message.failed_will_retry", attempt=attempt, error=reason)
        assert self._channel is not None
        # Publish the retry copy (confirmed) before acking the original: a crash in between
        # leaves two copies, and the inbox makes the second one harmless.
        await self._channel.default_exchange.publish(
            copy_message(message, **{ATTEMPT_HEADER: attempt + 1, "x-last-error": reason[:500]}),
            routing_key=self._topology.retry_queue(attempt),
        )
        await message.ack()
        MESSAGES_HANDLED.labels(self._service, envelope.type, "retried").inc()

    async def _on_parked(self, message: AbstractIncomingMessage) -> None:
        # Only the broker puts messages here: redelivered past the delivery limit, which means
        # the process died (or lost its connection) while handling it, again and again.
        deliveries = _int_header(message, "x-delivery-count")
        await self._dead(
            message,
            f"delivery limit reached: delivered {deliveries} times without being acknowledged "
            "(the service crashed or timed out while handling it)",
            _int_header(message, ATTEMPT_HEADER),
        )

    async def _dead(self, message: AbstractIncomingMessage, reason: str, attempt: int) -> None:
        # No id (not one of ours): key it by content, so the same bad message repeated is one row.
        message_id = message.message_id or "sha256:" + hashlib.sha256(message.body).hexdigest()
        await record_dead_letter(
            self._pool,
            message_id=message_id,
            message_type=message.type,
            correlation_id=message.correlation_id,
            queue=self._topology.work_queue,
            reason=reason,
            attempts=attempt + 1,
            body=message.body,
            headers={k: v for k, v in (message.headers or {}).items() if isinstance(k, str)},
        )
        await message.ack()
        DEAD_LETTERS.labels(self._service).inc()
        MESSAGES_HANDLED.labels(self._service, message.type or "", "dead").inc()
        log.error("message.dead_lettered", reason=reason, amqp_message_id=message_id)


def _int_header(message: AbstractIncomingMessage, name: str) -> int:
    value = (message.headers or {}).get(name)
    return value if isinstance(value, int) else 0
