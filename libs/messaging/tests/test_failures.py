"""Failing handlers and malformed messages end as dead letters with a reason; nothing loops,
nothing blocks, and a replay after the fix applies the message once."""

import json
import uuid

import aio_pika
import aiohttp

from messaging import list_dead_letters
from service_runtime import ServiceRuntime
from testkit.plugin import IsolatedDatabase
from testkit.probe import (
    ProbeBehaviour,
    accepted,
    effect_counts,
    eventually,
    probe_definition,
    send,
    wait_each_handled_once,
)
from testkit.services import running_service


async def test_always_failing_message_becomes_one_dead_letter_without_blocking_others(
    isolated_database: IsolatedDatabase, isolated_vhost: str
) -> None:
    behaviour = ProbeBehaviour(failing_refs={"#poison"})
    async with running_service(
        probe_definition(behaviour), isolated_database, isolated_vhost, prefetch=1
    ) as svc:
        poison = accepted("#poison")
        await send(svc, [poison])
        await send(svc, [accepted(f"#ok{i}") for i in range(20)])

        async def others_done() -> bool:
            return len(await effect_counts(svc.pool)) == 20

        # prefetch=1: if the poison message blocked the queue, nothing behind it would pass
        await eventually(others_done)

        async def one_dead_letter() -> bool:
            return len(await list_dead_letters(svc.pool)) == 1

        await eventually(one_dead_letter)
        [dead] = await list_dead_letters(svc.pool)
        assert dead.message_id == str(poison.id)
        assert dead.reason == "RuntimeError: cannot handle #poison"
        assert dead.attempts == 1 + svc.topology.max_retries
        assert behaviour.calls == 20 + 1 + svc.topology.max_retries  # no endless loop

        # The operator fixes the cause and replays through the HTTP endpoint.
        base = f"http://127.0.0.1:{svc.port}"
        behaviour.failing_refs.clear()
        async with (
            aiohttp.ClientSession() as http,
            http.post(f"{base}/dead-letters/replay", json={"ids": [dead.id]}) as resp,
        ):
            assert resp.status == 200
            assert (await resp.json())["replayed"] == [dead.id]

        async def poison_applied() -> bool:
            return (await effect_counts(svc.pool)).get("#poison") == 1

        await eventually(poison_applied)
        assert await list_dead_letters(svc.pool) == []
        # replaying again is a no-op: nothing is open, and the inbox would skip it anyway
        async with (
            aiohttp.ClientSession() as http,
            http.post(f"{base}/dead-letters/replay", json={"all": True}) as resp,
        ):
            assert (await resp.json())["replayed"] == []
        assert (await effect_counts(svc.pool))["#poison"] == 1


async def test_malformed_messages_become_dead_letters_with_clear_reasons(
    isolated_database: IsolatedDatabase, isolated_vhost: str
) -> None:
    async with running_service(
        probe_definition(ProbeBehaviour()), isolated_database, isolated_vhost
    ) as svc:
        good = json.loads(accepted("#x").to_json())
        wrong_envelope = {k: v for k, v in good.items() if k != "shop"}
        unknown_type = {**good, "id": str(uuid.uuid4()), "type": "wms.order.teleported"}
        bad_payload = {**good, "id": str(uuid.uuid4()), "data": {"ref": 1}}
        bodies = {
            "not-json": b"this is { not json",
            "wrong-envelope": json.dumps(wrong_envelope).encode(),
            "unknown-type": json.dumps(unknown_type).encode(),
            "bad-payload": json.dumps(bad_payload).encode(),
        }
        conn = await aio_pika.connect(isolated_vhost)
        channel = await conn.channel()
        exchange = await channel.get_exchange("wms.events")
        for message_id, body in bodies.items():
            await exchange.publish(
                aio_pika.Message(body, message_id=message_id), routing_key="wms.order.accepted"
            )
        await conn.close()
        await send(svc, [accepted("#after")])  # the consumer is still alive afterwards

        async def all_dead() -> bool:
            return len(await list_dead_letters(svc.pool)) == len(bodies)

        await eventually(all_dead)
        await eventually(lambda: _has_effect(svc, "#after"))
        reasons = {d.message_id: d.reason for d in await list_dead_letters(svc.pool)}
        assert reasons["not-json"].startswith("invalid message: ")
        assert "JSON" in reasons["not-json"]
        assert "shop" in reasons["wrong-envelope"]
        assert "wms.order.teleported" in reasons["unknown-type"]
        assert "wms_order_ref" in reasons["bad-payload"]
        # not retried: malformed input cannot get better by waiting
        assert {d.attempts for d in await list_dead_letters(svc.pool)} == {1}

        async with (
            aiohttp.ClientSession() as http,
            http.get(f"http://127.0.0.1:{svc.port}/status") as resp,
        ):
            status = await resp.json()
        assert status["dead_letters"]["open"] == len(bodies)
        assert {d["message_id"] for d in status["dead_letters"]["recent"]} == set(bodies)


async def _has_effect(svc: ServiceRuntime, ref: str) -> bool:
    return ref in await effect_counts(svc.pool)


async def test_a_failure_inside_a_batch_does_not_fail_or_double_its_neighbours(
    isolated_database: IsolatedDatabase, isolated_vhost: str
) -> None:
    behaviour = ProbeBehaviour(failing_refs={"#poison"})
    async with running_service(
        probe_definition(behaviour), isolated_database, isolated_vhost, prefetch=300
    ) as svc:
        # Published together, so they are handled in shared transactions with the poison.
        refs = [f"#n{i}" for i in range(150)]
        await send(
            svc,
            [accepted(r) for r in refs[:75]]
            + [accepted("#poison")]
            + [accepted(r) for r in refs[75:]],
        )

        await wait_each_handled_once(svc.pool, refs)

        async def poison_dead() -> bool:
            return len(await list_dead_letters(svc.pool)) == 1

        await eventually(poison_dead)
        [dead] = await list_dead_letters(svc.pool)
        assert dead.reason == "RuntimeError: cannot handle #poison"
        # rolled back and handled again alone: the neighbours ran more than once, committed once
        assert behaviour.calls > len(refs) + 1
