"""The broker objects one service needs, described as data and declared in one place.

Each service owns one work queue (quorum, so it survives a broker restart and counts redeliveries),
bound to the routing keys it subscribes to; a ladder of delay queues for retries; and a parking
queue for messages the broker itself gave up on (delivery limit reached, e.g. a message that keeps
crashing the process). Delays use one TTL queue per tier because RabbitMQ only expires messages at
the head of a queue: mixing delays in one queue would hold short delays behind long ones.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractExchange

from contracts import INTERNAL_EVENTS, WMS_COMMANDS, WMS_EVENTS

EXCHANGES = (WMS_COMMANDS, WMS_EVENTS, INTERNAL_EVENTS)


@dataclass(frozen=True)
class Subscription:
    exchange: str
    routing_key: str  # a topic pattern: "wms.order.*", "shopify.webhook.orders.#"


@dataclass(frozen=True)
class ServiceTopology:
    service: str
    subscriptions: Sequence[Subscription] = ()
    retry_delays_s: Sequence[float] = (1, 5, 30, 120)
    # Redeliveries after a crash or a lost connection; beyond this the broker parks the message.
    delivery_limit: int = 20
    exchanges: Sequence[str] = field(default=EXCHANGES)

    @property
    def work_queue(self) -> str:
        return self.service

    @property
    def parking_queue(self) -> str:
        return f"{self.service}.parked"

    def retry_queue(self, tier: int) -> str:
        return f"{self.service}.retry.{int(self.retry_delays_s[tier] * 1000)}ms"

    @property
    def max_retries(self) -> int:
        return len(self.retry_delays_s)


def unrouted_name(exchange: str) -> str:
    return f"{exchange}.unrouted"


async def declare_exchanges(channel: AbstractChannel, names: Sequence[str]) -> None:
    """Durable topic exchanges, each with an alternate exchange feeding a queue.

    A command published before the WMS has bound its queues would otherwise be dropped by the broker
    without a word; the alternate exchange keeps it where an operator can see and re-route it.
    """
    for name in names:
        unrouted = await channel.declare_exchange(
            unrouted_name(name), aio_pika.ExchangeType.FANOUT, durable=True
        )
        queue = await channel.declare_queue(
            unrouted_name(name), durable=True, arguments={"x-queue-type": "quorum"}
        )
        await queue.bind(unrouted)
        await channel.declare_exchange(
            name,
            aio_pika.ExchangeType.TOPIC,
            durable=True,
            arguments={"alternate-exchange": unrouted_name(name)},
        )


async def declare(channel: AbstractChannel, topology: ServiceTopology) -> None:
    await declare_exchanges(channel, topology.exchanges)
    await channel.declare_queue(
        topology.parking_queue, durable=True, arguments={"x-queue-type": "quorum"}
    )
    work = await channel.declare_queue(
        topology.work_queue,
        durable=True,
        arguments={
            "x-queue-type": "quorum",
            "x-delivery-limit": topology.delivery_limit,
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": topology.parking_queue,
        },
    )
    for sub in topology.subscriptions:
        exchange: AbstractExchange = await channel.get_exchange(sub.exchange)
        await work.bind(exchange, routing_key=sub.routing_key)
    for tier, delay in enumerate(topology.retry_delays_s):
        # Classic queues: per-queue TTL with dead-lettering back into the work queue through the
        # default exchange, so only this service sees its own retries.
        await channel.declare_queue(
            topology.retry_queue(tier),
            durable=True,
            arguments={
                "x-message-ttl": int(delay * 1000),
                "x-dead-letter-exchange": "",
                "x-dead-letter-routing-key": topology.work_queue,
            },
        )
