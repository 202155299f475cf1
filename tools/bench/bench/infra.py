"""Scratch infrastructure for a benchmark: its own database and vhost, removed afterwards."""

from collections.abc import AsyncIterator
from contextlib import ExitStack, asynccontextmanager
from dataclasses import dataclass

from testkit.infra import (
    IsolatedDatabase,
    find_postgres,
    find_rabbitmq,
    isolated_database,
    isolated_vhost,
)


@dataclass(frozen=True)
class Scratch:
    database: IsolatedDatabase
    amqp_url: str


@asynccontextmanager
async def scratch() -> AsyncIterator[Scratch]:
    with ExitStack() as stack:
        pg, rmq = find_postgres(stack), find_rabbitmq(stack)
        with isolated_vhost(rmq, "bench_") as amqp_url:
            async with isolated_database(pg, "bench_") as database:
                yield Scratch(database, amqp_url)
