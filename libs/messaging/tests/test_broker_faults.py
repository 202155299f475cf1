"""The broker goes away mid-stream: nothing is lost, nothing is applied twice."""

import asyncio
import subprocess
from urllib.parse import urlsplit

import asyncpg
import pytest

from contracts import Envelope
from service_runtime import ServiceRuntime
from testkit.plugin import IsolatedDatabase
from testkit.probe import ProbeBehaviour, accepted, probe_definition, send, wait_each_handled_once
from testkit.proxy import proxy_for, redirect
from testkit.services import running_service


@pytest.mark.parametrize("cut", ["broker", "database"])
async def test_connections_cut_mid_stream_lose_nothing(
    cut: str, isolated_database: IsolatedDatabase, isolated_vhost: str
) -> None:
    """Every session to the broker (or to Postgres) dies three times while 1,000 messages flow:
    relay, consumer and the NOTIFY listener all have to recover."""
    db, amqp_url = isolated_database, isolated_vhost
    if cut == "broker":
        proxy = await proxy_for(isolated_vhost, 5672)
        amqp_url = redirect(isolated_vhost, proxy)
    else:
        proxy = await proxy_for(isolated_database.admin_dsn, 5432)
        db = IsolatedDatabase(
            redirect(isolated_database.admin_dsn, proxy), isolated_database.role_prefix
        )
    refs = [f"#{i}" for i in range(1000)]
    try:
        async with running_service(probe_definition(ProbeBehaviour()), db, amqp_url) as svc:
            for batch in range(10):
                chunk = [accepted(r) for r in refs[batch * 100 : (batch + 1) * 100]]
                await _send_until_committed(svc, chunk)
                if batch % 3 == 1:
                    await asyncio.sleep(0.05)
                    proxy.disconnect_all()
            await wait_each_handled_once(svc.pool, refs, timeout_s=60)
    finally:
        await proxy.stop()


def _rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, timeout=120)


@pytest.mark.chaos
async def test_broker_restart_mid_stream_loses_nothing(
    isolated_database: IsolatedDatabase, isolated_vhost: str
) -> None:
    if urlsplit(isolated_vhost).hostname not in ("127.0.0.1", "localhost"):
        pytest.skip("restarts the broker with the local rabbitmqctl")
    refs = [f"#{i}" for i in range(600)]
    async with running_service(
        probe_definition(ProbeBehaviour()), isolated_database, isolated_vhost
    ) as svc:
        await send(svc, [accepted(r) for r in refs[:200]])
        await asyncio.to_thread(_rabbitmqctl, "stop_app")
        try:
            # Written while the broker is down: the outbox holds them.
            await send(svc, [accepted(r) for r in refs[200:400]])
            await asyncio.sleep(1)
        finally:
            await asyncio.to_thread(_rabbitmqctl, "start_app")
        await send(svc, [accepted(r) for r in refs[400:]])

        await wait_each_handled_once(svc.pool, refs, timeout_s=90)


async def _send_until_committed(svc: ServiceRuntime, envelopes: list[Envelope]) -> None:
    # The producer is cut off too; like any handler it tries again. If a lost answer hid a
    # commit, the second copy carries the same message ids and the inbox absorbs it.
    for _ in range(50):
        try:
            await send(svc, envelopes)
            return
        except (asyncpg.PostgresConnectionError, asyncpg.InterfaceError, OSError):
            await asyncio.sleep(0.1)
    raise AssertionError("the producer never got its transaction committed")
