"""The operations endpoints, readiness under a database outage, and the correlation id that
follows a message from one hop to the next."""

import asyncio
import json
import logging
from collections.abc import Iterator

import aio_pika
import aiohttp
import pytest
import structlog

from contracts import WMS_COMMANDS, WmsOrderAccepted, parse_envelope
from messaging import MessageContext, Routes, on
from service_runtime import ServiceDefinition, Wiring
from service_runtime.logging import configure_logging
from testkit.plugin import IsolatedDatabase
from testkit.probe import ProbeBehaviour, accepted, eventually, probe_definition, send
from testkit.proxy import proxy_for, redirect
from testkit.services import running_service

log = structlog.get_logger("forwarder")


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    yield
    structlog.reset_defaults()
    logging.getLogger().handlers.clear()


async def forward_accepted(accepted: WmsOrderAccepted, ctx: MessageContext[None]) -> None:
    log.info("forwarder.handled")
    await ctx.emit("wms.order.release", {"wms_order_ref": accepted.wms_order_ref})


def forwarder() -> ServiceDefinition[None]:
    """Turns each accepted order into a release command: a second hop for the correlation id."""
    return ServiceDefinition(
        name="forwarder",
        default_port=0,
        routes=Routes(on(WmsOrderAccepted, forward_accepted)),
        publishes=["wms.order.release"],
    )


async def test_correlation_id_follows_the_message_into_logs_and_the_next_message(
    isolated_database: IsolatedDatabase,
    isolated_vhost: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("forwarder", "INFO")
    async with running_service(forwarder(), isolated_database, isolated_vhost) as svc:
        conn = await aio_pika.connect(isolated_vhost)
        channel = await conn.channel()
        tap = await channel.declare_queue(exclusive=True)
        await tap.bind(WMS_COMMANDS, routing_key="wms.order.release")
        incoming = accepted("#1001")
        await send(svc, [incoming])

        received: list[aio_pika.abc.AbstractIncomingMessage] = []

        async def forwarded() -> bool:
            if (msg := await tap.get(fail=False, no_ack=True)) is not None:
                received.append(msg)
            return bool(received)

        await eventually(forwarded)
        out = parse_envelope(received[0].body)
        assert out.correlation_id == incoming.correlation_id
        assert out.causation_id == incoming.id
        assert received[0].correlation_id == str(incoming.correlation_id)  # AMQP property too
        assert received[0].message_id == str(out.id)
        assert received[0].type == "wms.order.release"
        await conn.close()

    lines = [
        json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")
    ]
    handled = [line for line in lines if line.get("event") == "forwarder.handled"]
    assert handled and handled[0]["correlation_id"] == str(incoming.correlation_id)
    assert handled[0]["message_id"] == str(incoming.id)


async def test_ops_endpoints_answer(
    isolated_database: IsolatedDatabase, isolated_vhost: str
) -> None:
    async with running_service(
        probe_definition(ProbeBehaviour()), isolated_database, isolated_vhost
    ) as svc:
        await send(svc, [accepted("#1")])
        base = f"http://127.0.0.1:{svc.port}"
        async with aiohttp.ClientSession() as http:

            async def handled() -> bool:
                async with http.get(f"{base}/metrics") as resp:
                    text = await resp.text()
                return 'messages_handled_total{outcome="ok",service="probe"' in text

            await eventually(handled)
            async with http.get(f"{base}/health") as resp:
                assert resp.status == 200
            async with http.get(f"{base}/ready") as resp:
                assert resp.status == 200
                assert await resp.json() == {"ready": True, "database": True, "broker": True}
            async with http.get(f"{base}/status") as resp:
                status = await resp.json()
            assert status["service"] == "probe"
            assert status["backlog"]["queue_depth"] == 0
            assert status["dead_letters"]["open"] == 0
            async with http.post(f"{base}/dead-letters/replay", json={"ids": "all"}) as resp:
                assert resp.status == 400  # a clear error, not a crash


async def test_replay_requires_the_operator_token_when_one_is_set(
    isolated_database: IsolatedDatabase, isolated_vhost: str
) -> None:
    async with running_service(
        probe_definition(ProbeBehaviour()), isolated_database, isolated_vhost, ops_token="s3cret"
    ) as svc:
        url = f"http://127.0.0.1:{svc.port}/dead-letters/replay"
        async with aiohttp.ClientSession() as http:
            async with http.post(url, json={"all": True}) as resp:
                assert resp.status == 401
            async with http.post(
                url, json={"all": True}, headers={"Authorization": "Bearer s3cret"}
            ) as resp:
                assert resp.status == 200


async def test_ready_is_503_while_the_database_is_unreachable(
    isolated_database: IsolatedDatabase, isolated_vhost: str
) -> None:
    proxy = await proxy_for(isolated_database.admin_dsn, 5432)
    db = IsolatedDatabase(
        redirect(isolated_database.admin_dsn, proxy), isolated_database.role_prefix
    )
    try:
        async with running_service(probe_definition(ProbeBehaviour()), db, isolated_vhost) as svc:
            url = f"http://127.0.0.1:{svc.port}/ready"
            async with aiohttp.ClientSession() as http:
                proxy.refusing = True
                proxy.disconnect_all()
                async with http.get(url) as resp:
                    assert resp.status == 503
                    assert (await resp.json())["database"] is False
                proxy.refusing = False

                async def ready_again() -> bool:
                    async with http.get(url) as resp:
                        return resp.status == 200

                await eventually(ready_again)
    finally:
        await proxy.stop()


def test_logs_mask_personal_data(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("privacy", "INFO")
    structlog.get_logger().info(
        "order.seen",
        email="jane@example.com",
        phone="+1555",
        shipping_address={"address1": "1 Main St"},
        order="#1001",
    )
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line["email"] == line["phone"] == line["shipping_address"] == "[redacted]"
    assert line["order"] == "#1001"
    assert "jane" not in json.dumps(line)


async def test_shutdown_steps_run_in_order_after_the_background_jobs_have_finished(
    isolated_database: IsolatedDatabase, isolated_vhost: str
) -> None:
    happened: list[str] = []

    async def job(_: object) -> None:
        try:
            await asyncio.Event().wait()
        finally:
            await asyncio.sleep(0.05)  # e.g. a worker finishing what it has in hand
            happened.append("job finished")

    async def failing_step() -> None:
        happened.append("first step")
        raise RuntimeError("already closed")

    async def second_step() -> None:
        happened.append("second step")

    definition = ServiceDefinition(
        name="stopper",
        default_port=0,
        wire=lambda _: Wiring(deps=None, background=[job], shutdown=[failing_step, second_step]),
    )
    async with running_service(definition, isolated_database, isolated_vhost):
        assert happened == []
    assert happened == ["job finished", "first step", "second step"]
