"""The broker goes away mid-stream: nothing is lost, nothing is applied twice."""

import asyncio
import subprocess
from urllib.parse import urlsplit, urlunsplit

import pytest

from testkit.plugin import IsolatedDatabase
from testkit.probe import (
    ProbeBehaviour,
    accepted,
    effect_counts,
    eventually,
    probe_definition,
    send,
)
from testkit.proxy import TcpProxy
from testkit.services import running_service


def through_proxy(amqp_url: str, proxy: TcpProxy) -> str:
    parts = urlsplit(amqp_url)
    netloc = f"{parts.username}:{parts.password}@127.0.0.1:{proxy.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


async def test_connections_cut_mid_stream_lose_nothing(
    isolated_database: IsolatedDatabase, isolated_vhost: str
) -> None:
    target = urlsplit(isolated_vhost)
    proxy = await TcpProxy(target.hostname or "127.0.0.1", target.port or 5672).start()
    refs = [f"#{i}" for i in range(1000)]
    try:
        async with running_service(
            probe_definition(ProbeBehaviour()),
            isolated_database,
            through_proxy(isolated_vhost, proxy),
        ) as svc:
            for batch in range(10):
                await send(svc, [accepted(r) for r in refs[batch * 100 : (batch + 1) * 100]])
                if batch % 3 == 1:
                    await asyncio.sleep(0.05)
                    proxy.disconnect_all()  # relay and consumer both lose the broker

            async def all_done() -> bool:
                return len(await effect_counts(svc.pool)) == len(refs)

            await eventually(all_done, timeout_s=60)
            counts = await effect_counts(svc.pool)
            assert set(counts) == set(refs)
            assert set(counts.values()) == {1}
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

        async def all_done() -> bool:
            return len(await effect_counts(svc.pool)) == len(refs)

        await eventually(all_done, timeout_s=90)
        counts = await effect_counts(svc.pool)
        assert set(counts) == set(refs)
        assert set(counts.values()) == {1}
