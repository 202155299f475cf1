"""The warehouse's end of the broker (SPEC section 3): its own queue bound to `wms.commands`,
and confirmed publishes to `wms.events`.

The exchanges belong to the project, which declares them; the warehouse only waits for them to
exist, as a real WMS would, rather than declaring them with arguments it does not own.
"""

import asyncio
from collections.abc import Awaitable, Callable

import aio_pika
import structlog
from aio_pika.abc import (
    AbstractExchange,
    AbstractIncomingMessage,
    AbstractRobustChannel,
    AbstractRobustConnection,
)
from aio_pika.exceptions import ChannelNotFoundEntity

from contracts import WMS_COMMANDS, WMS_EVENTS, Envelope
from messaging.amqp import connect, envelope_message

log = structlog.get_logger(__name__)

CommandCallback = Callable[[AbstractIncomingMessage], Awaitable[None]]
COMMANDS_ROUTING_KEY = "wms.#"


class WarehouseBus:
    def __init__(self, amqp_url: str, *, queue: str, prefetch: int) -> None:
        self._amqp_url = amqp_url
        self._queue_name = queue
        self._prefetch = prefetch
        self._connection: AbstractRobustConnection | None = None
        self._events: AbstractExchange | None = None

    async def open(self, on_command: CommandCallback, exchange_wait_s: float = 60.0) -> None:
        self._connection = await connect(self._amqp_url, name="wms-sim")
        await self._wait_for_exchanges(exchange_wait_s)
        publishing = await self._connection.channel(publisher_confirms=True)
        self._events = await publishing.get_exchange(WMS_EVENTS, ensure=False)
        consuming = await self._connection.channel()
        await consuming.set_qos(prefetch_count=self._prefetch)
        queue = await consuming.declare_queue(
            self._queue_name, durable=True, arguments={"x-queue-type": "quorum"}
        )
        await queue.bind(WMS_COMMANDS, routing_key=COMMANDS_ROUTING_KEY)
        await queue.consume(on_command)
        log.info("wms.bus_open", queue=self._queue_name, routing_key=COMMANDS_ROUTING_KEY)

    async def publish(self, envelope: Envelope) -> None:
        """Returns once the broker confirmed it."""
        assert self._events is not None, "open() first"
        message = envelope_message(envelope)
        await self._events.publish(message, routing_key=envelope.type)

    async def close(self) -> None:
        if self._connection is not None and not self._connection.is_closed:
            await self._connection.close()
        self._connection = None

    async def _wait_for_exchanges(self, timeout_s: float) -> None:
        assert self._connection is not None
        deadline = asyncio.get_running_loop().time() + timeout_s
        for name in (WMS_COMMANDS, WMS_EVENTS):
            while not await _exchange_exists(self._connection, name):
                if asyncio.get_running_loop().time() > deadline:
                    raise RuntimeError(f"exchange {name!r} does not exist; is the project up?")
                log.info("wms.waiting_for_exchange", exchange=name)
                await asyncio.sleep(1.0)


async def _exchange_exists(connection: AbstractRobustConnection, name: str) -> bool:
    # A passive declare of a missing exchange closes the channel: probe on a throwaway one.
    probe: AbstractRobustChannel = await connection.channel()
    try:
        await probe.declare_exchange(name, aio_pika.ExchangeType.TOPIC, passive=True, robust=False)
    except ChannelNotFoundEntity:
        return False
    finally:
        if not probe.is_closed:
            await probe.close()
    return True
