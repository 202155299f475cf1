"""asyncpg pools whose connections live in the service's schema and speak JSON natively."""

import json
from typing import Any

import asyncpg


async def _init_connection(conn: asyncpg.Connection) -> None:
    # jsonb in and out as Python objects, so handlers never hand-serialise.
    await conn.set_type_codec(
        "jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog", format="text"
    )
    await conn.set_type_codec(
        "json", encoder=json.dumps, decoder=json.loads, schema="pg_catalog", format="text"
    )


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Release without asyncpg's default reset (`RESET ALL; UNLISTEN *; ...`): a round trip on
    every release, for session state our code never leaves behind (locks are transaction-scoped,
    nothing is SET, listeners live on connections held for the process's life). asyncpg still
    rolls back a transaction left open before calling this."""


async def create_pool(
    dsn: str, schema: str, *, min_size: int = 2, max_size: int = 10, **kwargs: Any
) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        init=_init_connection,
        reset=_keep_session,
        server_settings={"search_path": schema, "application_name": schema},
        **kwargs,
    )
    assert pool is not None
    return pool
