"""A minimal service for exercising the messaging runtime end to end.

It publishes `wms.order.accepted` events through its own outbox and consumes them from its own
queue, writing one row per handled message into `effects`. Its behaviour is steerable so tests
can make it slow or failing.
"""

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

from contracts import Envelope, WmsOrderAccepted, new_envelope
from messaging import MessageContext, Routes, add_to_outbox, on
from service_runtime import ServiceDefinition, ServiceRuntime, Wiring

SHOP = "probe.myshopify.com"


@dataclass
class ProbeBehaviour:
    failing_refs: set[str] = field(default_factory=set)
    delay_s: float = 0.0
    calls: int = 0


async def on_accepted(accepted: WmsOrderAccepted, ctx: MessageContext[ProbeBehaviour]) -> None:
    behaviour = ctx.deps
    behaviour.calls += 1
    if behaviour.delay_s:
        await asyncio.sleep(behaviour.delay_s)
    ref = accepted.wms_order_ref
    if ref in behaviour.failing_refs:
        raise RuntimeError(f"cannot handle {ref}")
    await ctx.conn.execute(
        "INSERT INTO effects (message_id, ref) VALUES ($1, $2)", ctx.envelope.id, ref
    )


ROUTES = Routes(on(WmsOrderAccepted, on_accepted))


def probe_definition(
    behaviour: ProbeBehaviour, name: str = "probe"
) -> ServiceDefinition[ProbeBehaviour]:
    return ServiceDefinition(
        name=name,
        default_port=0,
        routes=ROUTES,
        migrations=Path(__file__).parent / "probe_migrations",
        wire=lambda _: Wiring(deps=behaviour),
    )


def accepted(ref: str) -> Envelope:
    return new_envelope("wms.order.accepted", {"wms_order_ref": ref}, shop=SHOP)


async def send(runtime: ServiceRuntime, envelopes: Iterable[Envelope]) -> None:
    async with runtime.pool.acquire() as conn, conn.transaction():
        await add_to_outbox(conn, envelopes)


async def effect_counts(pool: asyncpg.Pool) -> dict[str, int]:
    rows = await pool.fetch("SELECT ref, count(*) AS n FROM effects GROUP BY ref")
    return {r["ref"]: r["n"] for r in rows}


async def eventually(
    check: Callable[[], bool | Awaitable[bool]], timeout_s: float = 20.0, interval_s: float = 0.05
) -> None:
    deadline = time.monotonic() + timeout_s
    while not await _truth(check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout_s}s")
        await asyncio.sleep(interval_s)


async def _truth(value: bool | Awaitable[bool]) -> bool:
    return await value if inspect.isawaitable(value) else value


async def wait_each_handled_once(
    pool: asyncpg.Pool, refs: Iterable[str], timeout_s: float = 20.0
) -> None:
    """Wait until every ref has its effect, then check none was applied twice or is missing."""
    expected = set(refs)

    async def all_there() -> bool:
        return len(await effect_counts(pool)) >= len(expected)

    await eventually(all_there, timeout_s)
    counts = await effect_counts(pool)
    assert set(counts) == expected, (
        f"missing {expected - set(counts)}, extra {set(counts) - expected}"
    )
    doubled = {ref: n for ref, n in counts.items() if n != 1}
    assert not doubled, f"applied more than once: {doubled}"
