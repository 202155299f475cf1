"""pytest fixtures: real Postgres and RabbitMQ, one isolated database and vhost per test."""

import contextlib
from collections.abc import AsyncIterator, Iterator

import pytest

from testkit.infra import (
    InfrastructureMissing,
    IsolatedDatabase,
    Postgres,
    RabbitMQ,
    find_postgres,
    find_rabbitmq,
    isolated_database,
    isolated_vhost,
)

__all__ = ["IsolatedDatabase"]  # tests import it from here, beside the fixture


@pytest.fixture(scope="session")
def _infra_stack() -> Iterator[contextlib.ExitStack]:
    with contextlib.ExitStack() as stack:
        yield stack


@pytest.fixture(scope="session")
def postgres_server(_infra_stack: contextlib.ExitStack) -> Postgres:
    try:
        return find_postgres(_infra_stack)
    except InfrastructureMissing as exc:
        pytest.exit(str(exc), returncode=3)


@pytest.fixture(scope="session")
def rabbitmq_server(_infra_stack: contextlib.ExitStack) -> RabbitMQ:
    try:
        return find_rabbitmq(_infra_stack)
    except InfrastructureMissing as exc:
        pytest.exit(str(exc), returncode=3)


@pytest.fixture(name="isolated_database")
async def _isolated_database(postgres_server: Postgres) -> AsyncIterator[IsolatedDatabase]:
    async with isolated_database(postgres_server) as database:
        yield database


@pytest.fixture(name="isolated_vhost")
def _isolated_vhost(rabbitmq_server: RabbitMQ) -> Iterator[str]:
    """An AMQP URL on a vhost of this test's own."""
    with isolated_vhost(rabbitmq_server) as url:
        yield url
