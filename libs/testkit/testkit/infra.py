"""Finding Postgres and RabbitMQ for tests, and carving an isolated piece out of each.

Order of preference: TEST_DATABASE_URL / TEST_AMQP_URL; else the local services on 127.0.0.1
(this project's machines and CI run them); else testcontainers when a Docker engine exists. Each
test then gets its own database (and role-name prefix) and its own vhost, so runs never collide.
"""

import base64
import os
import shutil
import socket
import subprocess
import urllib.error
import urllib.request
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import asyncpg

from storage.dsn import with_database

LOCAL_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
LOCAL_AMQP = "amqp://guest:guest@127.0.0.1:5672/"


def reachable(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def docker_available() -> bool:
    return (
        shutil.which("docker") is not None
        and subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    )


class InfrastructureMissing(RuntimeError):
    pass


@dataclass
class Postgres:
    admin_dsn: str  # connects to the maintenance database as a superuser


@dataclass
class RabbitMQ:
    amqp_url: str  # the default vhost
    management_url: str | None
    container: Any = None  # testcontainers' container (untyped there), for rabbitmqctl exec


def find_postgres(stack: ExitStack) -> Postgres:
    if url := os.environ.get("TEST_DATABASE_URL"):
        return Postgres(url)
    if reachable("127.0.0.1", 5432):
        return Postgres(LOCAL_PG)
    if docker_available():
        from testcontainers.postgres import PostgresContainer

        pg = stack.enter_context(PostgresContainer("postgres:16-alpine", driver=None))
        return Postgres(pg.get_connection_url())
    raise InfrastructureMissing(
        "no PostgreSQL for the tests: set TEST_DATABASE_URL, start the local server "
        "(pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start), "
        "or install Docker for testcontainers"
    )


def find_rabbitmq(stack: ExitStack) -> RabbitMQ:
    if url := os.environ.get("TEST_AMQP_URL"):
        return RabbitMQ(url, os.environ.get("TEST_RABBITMQ_MANAGEMENT_URL"))
    if reachable("127.0.0.1", 5672):
        mgmt = "http://guest:guest@127.0.0.1:15672" if reachable("127.0.0.1", 15672) else None
        return RabbitMQ(LOCAL_AMQP, mgmt)
    if docker_available():
        from testcontainers.rabbitmq import RabbitMqContainer

        rmq = stack.enter_context(RabbitMqContainer("rabbitmq:3.13-management"))
        host, port = rmq.get_container_host_ip(), rmq.get_exposed_port(5672)
        mport = rmq.get_exposed_port(15672)
        return RabbitMQ(
            f"amqp://guest:guest@{host}:{port}/",
            f"http://guest:guest@{host}:{mport}",
            container=rmq,
        )
    raise InfrastructureMissing(
        "no RabbitMQ for the tests: set TEST_AMQP_URL, start the local broker "
        "(rabbitmq-server -detached), or install Docker for testcontainers"
    )


def unique_name(prefix: str = "t") -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def with_vhost(amqp_url: str, vhost: str) -> str:
    parts = urlsplit(amqp_url)
    return f"{parts.scheme}://{parts.netloc}/{quote(vhost, safe='')}"


def _management(rmq: RabbitMQ, method: str, path: str, body: bytes | None = None) -> None:
    assert rmq.management_url is not None
    parts = urlsplit(rmq.management_url)
    request = urllib.request.Request(
        f"{parts.scheme}://{parts.hostname}:{parts.port}{path}", method=method, data=body
    )
    creds = f"{parts.username or 'guest'}:{parts.password or 'guest'}".encode()
    request.add_header("Authorization", "Basic " + base64.b64encode(creds).decode())
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=10):
        pass


def _rabbitmqctl(rmq: RabbitMQ, *args: str) -> None:
    if rmq.container is not None:
        rmq.container.exec(["rabbitmqctl", *args])
    else:
        subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, timeout=60)


def create_vhost(rmq: RabbitMQ, vhost: str) -> None:
    user = urlsplit(rmq.amqp_url).username or "guest"
    if rmq.management_url:
        name = quote(vhost, safe="")
        _management(rmq, "PUT", f"/api/vhosts/{name}", b"{}")
        _management(
            rmq,
            "PUT",
            f"/api/permissions/{name}/{quote(user, safe='')}",
            b'{"configure": ".*", "write": ".*", "read": ".*"}',
        )
    else:
        _rabbitmqctl(rmq, "add_vhost", vhost)
        _rabbitmqctl(rmq, "set_permissions", "-p", vhost, user, ".*", ".*", ".*")


def delete_vhost(rmq: RabbitMQ, vhost: str) -> None:
    try:
        if rmq.management_url:
            _management(rmq, "DELETE", f"/api/vhosts/{quote(vhost, safe='')}")
        else:
            _rabbitmqctl(rmq, "delete_vhost", vhost)
    except (urllib.error.URLError, subprocess.SubprocessError):
        pass  # the broker may be mid-restart in a chaos test; the vhost is harmless leftover


@dataclass(frozen=True)
class IsolatedDatabase:
    admin_dsn: str  # superuser, this database
    role_prefix: str  # roles are cluster-wide: the roles made here all start with it


@asynccontextmanager
async def isolated_database(pg: Postgres, prefix: str = "t_") -> AsyncIterator[IsolatedDatabase]:
    """A new database, dropped afterwards with every role created under its prefix."""
    name = unique_name(prefix)
    admin = await asyncpg.connect(pg.admin_dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield IsolatedDatabase(with_database(pg.admin_dsn, name), f"{name}_")
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        for role in await admin.fetch(
            "SELECT rolname FROM pg_roles WHERE starts_with(rolname, $1)", f"{name}_"
        ):
            await admin.execute(f'DROP ROLE IF EXISTS "{role["rolname"]}"')
        await admin.close()


@contextmanager
def isolated_vhost(rmq: RabbitMQ, prefix: str = "t_") -> Iterator[str]:
    """An AMQP URL on a new vhost, deleted afterwards."""
    vhost = unique_name(prefix)
    create_vhost(rmq, vhost)
    try:
        yield with_vhost(rmq.amqp_url, vhost)
    finally:
        delete_vhost(rmq, vhost)
