"""`POST /webhooks/shopify`: read, decide (admission), make durable (store), answer.

200 only once the delivery and its message are committed: Shopify retries anything else, so a
503 when the database is unreachable loses nothing, while a 200 for something not durable would.
The broker is not on this path at all: the outbox relay publishes after the fact.
"""

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime

import structlog
from aiohttp import web

from messaging.group_commit import GroupCommit
from service_runtime import ServiceRuntime
from shop_config import ShopsConfig
from webhook_gateway.admission import Admitted, Ignored, Rejected, admit, identify, too_large
from webhook_gateway.delivery import to_message
from webhook_gateway.stats import GatewayStats
from webhook_gateway.store import Delivery, record_deliveries

log = structlog.get_logger(__name__)

# Well inside Shopify's 5 s: better a 503 it will retry than a timeout it counts as a failure.
STORE_TIMEOUT_S = 3.0
_ACCEPTED = b'{"status": "accepted"}'


class WebhookReceiver:
    def __init__(
        self, runtime: ServiceRuntime, shops: ShopsConfig, stats: GatewayStats, max_bytes: int
    ) -> None:
        self._runtime = runtime
        self._shops = shops
        self._stats = stats
        self._max_bytes = max_bytes
        # Four overlapping writes: Postgres flushes their commits together, and a request never
        # waits behind more than one batch (p99 at 1,000/s offered fell from 71 ms to 27-72 ms).
        self._writer = GroupCommit(self._write, max_in_flight=4)

    async def handle(self, request: web.Request) -> web.Response:
        sender = identify(request.headers, self._shops)
        if isinstance(sender, Rejected):
            return self._reject(sender)
        body = await _read_at_most(request, self._max_bytes)
        if body is None:
            return self._reject(too_large(self._max_bytes))
        verdict = admit(sender, body)
        if isinstance(verdict, Rejected):
            return self._reject(verdict)
        if isinstance(verdict, Ignored):
            return self._ignore(verdict)
        return await self._accept(verdict)

    async def _accept(self, admitted: Admitted) -> web.Response:
        received_at = datetime.now(UTC)
        message = to_message(admitted, received_at)
        try:
            async with asyncio.timeout(STORE_TIMEOUT_S):
                new = await self._writer.submit(Delivery(admitted.sender.headers, message))
        except Exception as error:  # any failure to make it durable: let Shopify retry
            log.warning("webhook.not_stored", error=f"{type(error).__name__}: {error}")
            self._stats.reject("not_stored")
            return _json_error(503, "not stored, retry later")
        if new:
            self._stats.accepted(message.shop, received_at)
        else:
            self._stats.duplicate()
        return web.Response(body=_ACCEPTED, content_type="application/json")

    async def _write(self, deliveries: Sequence[Delivery]) -> list[bool]:
        results = await record_deliveries(self._runtime.pool, deliveries)
        if any(results):
            self._runtime.relay.wake()
        return results

    def _ignore(self, ignored: Ignored) -> web.Response:
        if self._stats.ignored(ignored.topic):
            # Once per topic: it is a subscription to fix, not an event per delivery.
            log.warning("webhook.topic_not_subscribed", topic=ignored.topic)
        return web.json_response({"status": "ignored", "topic": ignored.topic})

    def _reject(self, rejected: Rejected) -> web.Response:
        self._stats.reject(rejected.reason)
        log.debug("webhook.rejected", reason=rejected.reason)
        return _json_error(rejected.status, rejected.message, rejected.reason)


async def _read_at_most(request: web.Request, limit: int) -> bytes | None:
    """The body, or None if it is longer than `limit` (declared or, when chunked, as read)."""
    declared = request.content_length
    if declared is not None:
        return None if declared > limit else await request.content.readexactly(declared)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_any():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _json_error(status: int, message: str, reason: str | None = None) -> web.Response:
    body: dict[str, str] = {"error": message}
    if reason is not None:
        body["reason"] = reason
    return web.json_response(body, status=status)
