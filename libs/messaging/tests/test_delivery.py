"""Outbox -> relay -> RabbitMQ -> consumer -> inbox: nothing lost, nothing applied twice."""

import asyncio

import aio_pika
import asyncpg

from messaging import OutboxRelay
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


async def test_every_outbox_message_is_handled_exactly_once(
    isolated_database: IsolatedDatabase, isolated_vhost: str
) -> None:
    async with running_service(
        probe_definition(ProbeBehaviour()), isolated_database, isolated_vhost
    ) as svc:
        refs = [f"#{i}" for i in range(600)]
        for chunk in range(0, len(refs), 100):  # several transactions, several relay wake-ups
            await send(svc, [accepted(r) for r in refs[chunk : chunk + 100]])

        await wait_each_handled_once(svc.pool, refs)
        assert await svc.pool.fetchval("SELECT count(*) FROM outbox") == 0


async def test_same_message_delivered_twice_and_ten_times_has_one_effect(
    isolated_database: IsolatedDatabase, isolated_vhost: str
) -> None:
    behaviour = ProbeBehaviour()
    async with running_service(
        probe_definition(behaviour), isolated_database, isolated_vhost
    ) as svc:
        twice, ten_times = accepted("#twice"), accepted("#ten")
        await send(svc, [twice, twice] + [ten_times] * 10)
        await send(svc, [accepted("#marker")])  # published after the duplicates

        async def marker_seen() -> bool:
            return "#marker" in await effect_counts(svc.pool)

        await eventually(marker_seen)
        await eventually(lambda: _inbox_has(svc.pool, 3))
        assert await effect_counts(svc.pool) == {"#twice": 1, "#ten": 1, "#marker": 1}
        assert behaviour.calls == 3  # duplicates are skipped before the handler runs


async def _inbox_has(pool: asyncpg.Pool, n: int) -> bool:
    return bool(await pool.fetchval("SELECT count(*) FROM inbox") == n)


class KilledBeforeMarkingSent(OutboxRelay):
    """A relay that dies after the broker confirmed its batch but before it recorded that."""

    kills_left = 1

    async def _mark_sent(self, conn: asyncpg.Connection, ids: list[int]) -> None:
        if self.kills_left:
            self.kills_left -= 1
            conn.terminate()  # the process dies: its session, and the open transaction, go too
            raise ConnectionError("relay killed between publish and mark-sent")
        await super()._mark_sent(conn, ids)


async def test_relay_killed_between_publish_and_mark_sent_duplicates_on_the_wire_only(
    isolated_database: IsolatedDatabase, isolated_vhost: str
) -> None:
    async with running_service(
        probe_definition(ProbeBehaviour()), isolated_database, isolated_vhost
    ) as svc:
        # A tap on the exchange counts what actually went over the wire.
        tap_conn = await aio_pika.connect(isolated_vhost)
        tap_channel = await tap_conn.channel()
        tap = await tap_channel.declare_queue(exclusive=True)
        await tap.bind("wms.events", routing_key="wms.order.accepted")

        await svc.relay.stop()
        svc.relay = KilledBeforeMarkingSent(
            svc.pool, svc.amqp, schema=svc.schema, service=svc.name, poll_interval_s=0.1
        )
        refs = [f"#{i}" for i in range(50)]
        await send(svc, [accepted(r) for r in refs])
        await svc.relay.start()

        async def outbox_drained() -> bool:
            return bool(await svc.pool.fetchval("SELECT count(*) FROM outbox") == 0)

        await eventually(outbox_drained)  # the killed batch went out again after the restart
        await asyncio.sleep(0.2)  # let the second copies reach the tap and the consumer
        await wait_each_handled_once(svc.pool, refs)

        wire: list[str] = []
        while (msg := await tap.get(fail=False, no_ack=True)) is not None:
            wire.append(msg.message_id or "")
        assert len(wire) == 2 * len(refs), "the killed batch is published again"
        assert len(set(wire)) == len(refs)
        await tap_conn.close()


async def test_graceful_shutdown_loses_nothing_in_flight(
    isolated_database: IsolatedDatabase, isolated_vhost: str
) -> None:
    behaviour = ProbeBehaviour(delay_s=0.2)
    refs = [f"#{i}" for i in range(40)]
    async with running_service(
        probe_definition(behaviour), isolated_database, isolated_vhost, prefetch=5
    ) as svc:
        await send(svc, [accepted(r) for r in refs])
        await eventually(lambda: svc.consumer.in_flight > 0)
        # leaving the block stops the service while handlers are mid-way
    started_before_stop = behaviour.calls
    assert 0 < started_before_stop < len(refs), "the stop must have happened mid-stream"

    behaviour.delay_s = 0
    async with running_service(
        probe_definition(behaviour), isolated_database, isolated_vhost
    ) as svc:
        await wait_each_handled_once(svc.pool, refs)
        # what was in hand at the stop was finished then, not handled again after the restart
        assert behaviour.calls == len(refs)


async def test_outbox_bodies_are_compressed_with_lz4(
    isolated_database: IsolatedDatabase, isolated_vhost: str
) -> None:
    async with running_service(
        probe_definition(ProbeBehaviour()), isolated_database, isolated_vhost
    ) as probe:
        method = await probe.pool.fetchval(
            "SELECT attcompression::text FROM pg_attribute "
            "WHERE attrelid = 'outbox'::regclass AND attname = 'body'"
        )
    assert method == "l"


class SlowPublisher(OutboxRelay):
    """A relay whose publishing takes a while, long enough for commits to land meanwhile."""

    publishing = asyncio.Event()

    async def publish_batch(self) -> int:
        published = await super().publish_batch()
        if published:
            self.publishing.set()
            await asyncio.sleep(0.5)
        return published


async def test_a_commit_notified_while_the_relay_publishes_is_not_left_for_the_poll(
    isolated_database: IsolatedDatabase, isolated_vhost: str
) -> None:
    async with running_service(
        probe_definition(ProbeBehaviour()), isolated_database, isolated_vhost
    ) as svc:
        await svc.relay.stop()
        # Polling once a minute: only the NOTIFY of the second commit can get it out in time.
        svc.relay = SlowPublisher(
            svc.pool, svc.amqp, schema=svc.schema, service=svc.name, poll_interval_s=60
        )
        await svc.relay.start()
        await send(svc, [accepted("#first")])
        await asyncio.wait_for(SlowPublisher.publishing.wait(), 10)
        await send(svc, [accepted("#second")])

        await wait_each_handled_once(svc.pool, ["#first", "#second"], timeout_s=10)
