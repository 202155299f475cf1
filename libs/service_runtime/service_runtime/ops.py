"""The operations endpoints every service answers (SPEC section 1), plus its own routes.

/health: the process is alive. /ready: its database and broker answer (503 otherwise).
/metrics: Prometheus text. /status: backlog, dead letters and the service's own section.
/dead-letters: list; POST /dead-letters/replay: put them back on the queue (operator action).
"""

import asyncio
import hmac
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import structlog
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from messaging import count_open_dead_letters, list_dead_letters, replay_dead_letters

if TYPE_CHECKING:
    from service_runtime.service import ServiceRuntime

RUNTIME: web.AppKey["ServiceRuntime"] = web.AppKey("runtime")
log = structlog.get_logger(__name__)


@web.middleware
async def correlation_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    correlation_id = request.headers.get("X-Correlation-Id") or str(uuid.uuid4())
    with structlog.contextvars.bound_contextvars(correlation_id=correlation_id):
        return await handler(request)


def require_operator(request: web.Request) -> None:
    """Mutating operator endpoints need the OPS_TOKEN bearer token when one is configured."""
    token = request.app[RUNTIME].settings.ops_token
    if token is None:
        return
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), token.get_secret_value().encode()):
        raise web.HTTPUnauthorized(
            text='{"error": "operator token required"}', content_type="application/json"
        )


async def health(_: web.Request) -> web.Response:
    return web.json_response({"status": "alive"})


async def readiness(runtime: "ServiceRuntime") -> dict[str, bool]:
    async def db_ok() -> bool:
        try:
            await asyncio.wait_for(runtime.pool.fetchval("SELECT 1"), 2)
            return True
        except Exception:
            return False

    broker_ok = not runtime.amqp.is_closed and runtime.amqp.connected.is_set()
    return {"database": await db_ok(), "broker": broker_ok}


async def ready(request: web.Request) -> web.Response:
    checks = await readiness(request.app[RUNTIME])
    ok = all(checks.values())
    return web.json_response({"ready": ok, **checks}, status=200 if ok else 503)


async def metrics(_: web.Request) -> web.Response:
    return web.Response(body=generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})


async def messaging_status(runtime: "ServiceRuntime") -> dict[str, Any]:
    outbox = await runtime.pool.fetchrow(
        "SELECT count(*) AS pending, extract(epoch FROM now() - min(created_at)) AS oldest_s "
        "FROM outbox"
    )
    assert outbox is not None  # an aggregate always returns one row
    queue_depth: int | None = None
    try:
        channel = await runtime.amqp.channel()
        try:
            queue = await channel.declare_queue(runtime.topology.work_queue, passive=True)
            queue_depth = queue.declaration_result.message_count
        finally:
            await channel.close()
    except Exception:
        queue_depth = None  # broker down: /ready says so; status still answers
    recent = await list_dead_letters(runtime.pool, limit=20)
    return {
        "backlog": {
            "queue_depth": queue_depth,
            "in_flight": runtime.consumer.in_flight,
            "outbox_pending": outbox["pending"],
            "outbox_oldest_age_s": round(outbox["oldest_s"], 1) if outbox["oldest_s"] else None,
        },
        "dead_letters": {
            "open": await count_open_dead_letters(runtime.pool),
            "recent": [d.as_json() for d in recent],
        },
    }


async def status(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME]
    started = time.perf_counter()
    body: dict[str, Any] = {"service": runtime.name, **await readiness(runtime)}
    body.update(await messaging_status(runtime))
    if runtime.wiring.status is not None:
        body.update(await runtime.wiring.status(runtime))
    body["generated_in_ms"] = round((time.perf_counter() - started) * 1000, 1)
    return web.json_response(body, dumps=_dumps)


async def dead_letters(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME]
    include = request.query.get("include_replayed") in ("1", "true")
    rows = await list_dead_letters(runtime.pool, include_replayed=include, limit=500)
    return web.json_response({"dead_letters": [d.as_json() for d in rows]})


async def replay(request: web.Request) -> web.Response:
    require_operator(request)
    runtime = request.app[RUNTIME]
    try:
        body = await request.json() if request.can_read_body else {}
    except ValueError:
        raise web.HTTPBadRequest(
            text='{"error": "body must be JSON"}', content_type="application/json"
        ) from None
    ids = body.get("ids")
    if not body.get("all") and not ids:
        raise web.HTTPBadRequest(
            text='{"error": "give \\"ids\\": [..] or \\"all\\": true"}',
            content_type="application/json",
        )
    if ids is not None and not (isinstance(ids, list) and all(isinstance(i, int) for i in ids)):
        raise web.HTTPBadRequest(
            text='{"error": "ids must be a list of integers"}', content_type="application/json"
        )
    replayed = await replay_dead_letters(runtime.pool, runtime.topology.work_queue, ids)
    runtime.relay.wake()
    log.info("dead_letters.replayed", count=len(replayed))
    return web.json_response({"replayed": replayed})


def _dumps(obj: Any) -> str:
    return json.dumps(obj, default=str)  # timestamps and decimals from SQL rows


def ops_app(runtime: "ServiceRuntime") -> web.Application:
    app = web.Application(middlewares=[correlation_middleware])
    app[RUNTIME] = runtime
    app.router.add_get("/health", health)
    app.router.add_get("/ready", ready)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/status", status)
    app.router.add_get("/dead-letters", dead_letters)
    app.router.add_post("/dead-letters/replay", replay)
    app.add_routes(runtime.wiring.routes)
    return app
