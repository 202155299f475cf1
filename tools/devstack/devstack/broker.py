"""`make run`'s broker step, before any service starts (as a deployment's provisioning step):
every service's queues and bindings are declared, and, for a fresh demo, emptied of an earlier
run's messages.

Declared first because the services start together: a message one of them sends while another is
still starting would otherwise find no queue bound for it and wait in the exchange's unrouted
queue (order-intake's first `orders.fulfillment_service.registered`, sent seconds after it starts,
would never reach inventory-sync, which then could not feed WH2's location). Emptied because a
fresh demo is a new shop and a new warehouse: an earlier run's orders and answers would only be
strangers to it.
"""

from collections.abc import Iterable, Sequence

from aio_pika.abc import AbstractRobustConnection
from aio_pika.exceptions import ChannelNotFoundEntity

from messaging import ServiceTopology, connect, declare
from messaging.topology import unrouted_name


def queues_of(topology: ServiceTopology) -> list[str]:
    """Every queue `declare(topology)` makes or feeds: work, parked, retries, unrouted."""
    retries = [topology.retry_queue(tier) for tier in range(topology.max_retries)]
    unrouted = [unrouted_name(exchange) for exchange in topology.exchanges]
    return [topology.work_queue, topology.parking_queue, *retries, *unrouted]


async def prepare_broker(
    amqp_url: str, topologies: Sequence[ServiceTopology], purge: Iterable[str] = ()
) -> int:
    """Declare the topologies, then purge the queues named in `purge` that exist (the WMS
    simulator's own queue may not yet). Answers how many messages were thrown away."""
    connection = await connect(amqp_url, name="devstack")
    try:
        channel = await connection.channel()
        for topology in topologies:
            await declare(channel, topology)
        await channel.close()
        return sum([await _purge_if_declared(connection, name) for name in dict.fromkeys(purge)])
    finally:
        await connection.close()


async def _purge_if_declared(connection: AbstractRobustConnection, name: str) -> int:
    # A channel of its own: the broker closes the channel that asks for a queue it lacks.
    channel = await connection.channel()
    try:
        queue = await channel.declare_queue(name, passive=True)
        purged = await queue.purge()
        return int(purged.message_count or 0)
    except ChannelNotFoundEntity:
        return 0
    finally:
        if not channel.is_closed:
            await channel.close()
