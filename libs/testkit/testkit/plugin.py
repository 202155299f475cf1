"""pytest fixtures: real Postgres and RabbitMQ, one isolated database and vhost per test."""

import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import asyncpg
import pytest

from storage.dsn import with_database
from testkit.infra import (
    InfrastructureMissing,
    Postgres,
    RabbitMQ,
    create_vhost,
    delete_vhost,
    find_postgres,
    find_rabbitmq,
    unique_name,
    with_vhost,
)


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


@dataclass(frozen=True)
class IsolatedDatabase:
    admin_dsn: str  # superuser, this test's database
    role_prefix: str  # roles are cluster-wide: this test's roles all start with it


@pytest.fixture
async def isolated_database(postgres_server: Postgres) -> AsyncIterator[IsolatedDatabase]:
    name = unique_name("t_")
    maintenance = await asyncpg.connect(postgres_server.admin_dsn)
    try:
        await maintenance.execute(f'CREATE DATABASE "{name}"')
    finally:
        await maintenance.close()
    yield IsolatedDatabase(
        admin_dsn=with_database(postgres_server.admin_dsn, name), role_prefix=f"{name}_"
    )
    maintenance = await asyncpg.connect(postgres_server.admin_dsn)
    try:
        await maintenance.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        roles = await maintenance.fetch(
            "SELECT rolname FROM pg_roles WHERE starts_with(rolname, $1)", f"{name}_"
        )
        for role in roles:
            await maintenance.execute(f'DROP ROLE IF EXISTS "{role["rolname"]}"')
    finally:
        await maintenance.close()


@pytest.fixture
def isolated_vhost(rabbitmq_server: RabbitMQ) -> Iterator[str]:
    """An AMQP URL on a vhost of this test's own."""
    vhost = unique_name("t_")
    create_vhost(rabbitmq_server, vhost)
    yield with_vhost(rabbitmq_server.amqp_url, vhost)
    delete_vhost(rabbitmq_server, vhost)
