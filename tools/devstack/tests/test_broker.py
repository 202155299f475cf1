"""`make run` declares every service's queues before starting any, so a message sent while its
receiver is still starting waits in the receiver's queue; a fresh demo empties them."""

import aio_pika

from contracts import INTERNAL_EVENTS
from devstack.broker import prepare_broker, queues_of
from messaging import ServiceTopology, Subscription

REGISTERED = "orders.fulfillment_service.registered"
TOPOLOGY = ServiceTopology(
    "inventory-sync", subscriptions=[Subscription(INTERNAL_EVENTS, REGISTERED)]
)


async def _depth(amqp_url: str, queue: str) -> int:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        declared = await channel.declare_queue(queue, passive=True)
        return int(declared.declaration_result.message_count or 0)


async def test_a_message_sent_before_its_receiver_starts_waits_in_its_queue(
    isolated_vhost: str,
) -> None:
    assert await prepare_broker(isolated_vhost, [TOPOLOGY]) == 0
    connection = await aio_pika.connect(isolated_vhost)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.get_exchange(INTERNAL_EVENTS)
        await exchange.publish(aio_pika.Message(b"{}"), routing_key=REGISTERED)

    assert await _depth(isolated_vhost, "inventory-sync") == 1
    assert await _depth(isolated_vhost, f"{INTERNAL_EVENTS}.unrouted") == 0


async def test_a_fresh_demo_empties_the_queues_even_some_not_declared_yet(
    isolated_vhost: str,
) -> None:
    await prepare_broker(isolated_vhost, [TOPOLOGY])
    connection = await aio_pika.connect(isolated_vhost)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.get_exchange(INTERNAL_EVENTS)
        for _ in range(3):
            await exchange.publish(aio_pika.Message(b"{}"), routing_key=REGISTERED)

    stale = [*queues_of(TOPOLOGY), "wms-sim.commands"]  # the WMS simulator has not started
    assert await prepare_broker(isolated_vhost, [TOPOLOGY], stale) == 3
    assert await _depth(isolated_vhost, "inventory-sync") == 0


def test_the_queues_of_a_service() -> None:
    assert queues_of(TOPOLOGY) == [
        "inventory-sync",
        "inventory-sync.parked",
        "inventory-sync.retry.1000ms",
        "inventory-sync.retry.5000ms",
        "inventory-sync.retry.30000ms",
        "inventory-sync.retry.120000ms",
        "wms.commands.unrouted",
        "wms.events.unrouted",
        "internal.events.unrouted",
    ]
