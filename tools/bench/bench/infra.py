"""Scratch infrastructure for a benchmark: its own database and vhost, removed afterwards."""

from collections.abc import AsyncIterator
from contextlib import ExitStack, asynccontextmanager
from dataclasses import dataclass

import asyncpg

from storage.dsn import with_database
from testkit.infra import (
    create_vhost,
    delete_vhost,
    find_postgres,
    find_rabbitmq,
    unique_name,
    with_vhost,
)
from testkit.plugin import IsolatedDatabase


@dataclass(frozen=True)
class Scratch:
    database: IsolatedDatabase
    amqp_url: str


@asynccontextmanager
async def scratch() -> AsyncIterator[Scratch]:
    with ExitStack() as stack:
        pg, rmq = find_postgres(stack), find_rabbitmq(stack)
        name = unique_name("bench_")
        admin = await asyncpg.connect(pg.admin_dsn)
        await admin.execute(f'CREATE DATABASE "{name}"')
        create_vhost(rmq, name)
        try:
            yield Scratch(
                IsolatedDatabase(with_database(pg.admin_dsn, name), f"{name}_"),
                with_vhost(rmq.amqp_url, name),
            )
        finally:
            delete_vhost(rmq, name)
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            for role in await admin.fetch(
                "SELECT rolname FROM pg_roles WHERE starts_with(rolname, $1)", f"{name}_"
            ):
                await admin.execute(f'DROP ROLE "{role["rolname"]}"')
            await admin.close()
