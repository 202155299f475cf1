"""Calling a service's message handler as its consumer would, without a broker.

The handler runs inside one real transaction on the service's own migrated schema (the inbox,
outbox and its tables, reached with its own role), and what it emitted is read back from the
outbox. For handler logic; tests of delivery itself (retries, dead letters, duplicates on the
wire) keep the real broker.

    async with handler_pool(DEFINITION, isolated_database) as pool:
        emitted = await handle(pool, DEFINITION, deps, envelope)
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TypeVar

import asyncpg

from contracts import Envelope, parse_envelope
from messaging import MessageContext
from service_runtime import ServiceDefinition, ServiceRuntime
from storage import create_pool
from testkit.plugin import IsolatedDatabase
from testkit.services import test_settings

D = TypeVar("D")


@asynccontextmanager
async def handler_pool(
    definition: ServiceDefinition[D], db: IsolatedDatabase
) -> AsyncIterator[asyncpg.Pool]:
    """The service's schema, migrated, and a pool on it as the service's role."""
    runtime = ServiceRuntime(definition, test_settings(db, amqp_url="amqp://unused/"))
    await runtime.migrate()
    pool = await create_pool(
        runtime.database.dsn(runtime.settings.database_url), runtime.schema, min_size=1
    )
    try:
        yield pool
    finally:
        await pool.close()


async def handle(
    pool: asyncpg.Pool,
    definition: ServiceDefinition[D],
    deps: D,
    envelope: Envelope,
    *,
    attempt: int = 0,
) -> list[Envelope]:
    """Run the handler the service routes `envelope` to, in one committed transaction; returns
    the messages it emitted. A handler that raises rolls its transaction back, as in service."""
    route = definition.routes.route_for(envelope.type)
    if route is None:
        raise LookupError(f"{definition.name} does not handle {envelope.type}")
    async with pool.acquire() as conn, conn.transaction():
        last = await conn.fetchval("SELECT coalesce(max(id), 0) FROM outbox")
        await route(envelope, MessageContext(envelope, conn, attempt, deps))
        rows = await conn.fetch("SELECT body FROM outbox WHERE id > $1 ORDER BY id", last)
    return [parse_envelope(row["body"]) for row in rows]
