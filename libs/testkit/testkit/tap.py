"""A test's view of the bus: every message published on the bindings it names, in order.

One tap for every test that watches what a service sends (instead of a mock of the broker):

    async with open_tap(amqp_url, [(WMS_COMMANDS, "#")]) as tap:
        ...
        [create] = tap.payloads("wms.order.create", WmsOrderCreate)

The relay publishes at least once, so a message may be tapped twice: `unique()` keeps the first
of each envelope id.
"""

import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar
from uuid import UUID

import aio_pika
from aio_pika.abc import AbstractIncomingMessage
from pydantic import BaseModel

from contracts import Envelope, parse_envelope
from messaging.topology import EXCHANGES, declare_exchanges

P = TypeVar("P", bound=BaseModel)


@dataclass(frozen=True)
class Tapped:
    envelope: Envelope
    raw: bytes
    """The bytes as published, to check what is (and is not) on the wire."""
    body: dict[str, Any]
    amqp_correlation_id: str | None
    headers: dict[str, Any]
    exchange: str | None
    routing_key: str | None
    amqp_type: str | None
    amqp_message_id: str | None
    delivery_mode: int | None
    content_type: str | None


@dataclass
class Tap:
    tapped: list[Tapped] = field(default_factory=list)

    @property
    def messages(self) -> list[Envelope]:
        return [t.envelope for t in self.tapped]

    def unique(self) -> list[Envelope]:
        first: dict[UUID, Envelope] = {}
        for envelope in self.messages:
            first.setdefault(envelope.id, envelope)
        return list(first.values())

    def of_type(self, message_type: str) -> list[Envelope]:
        return [m for m in self.messages if m.type == message_type]

    def tapped_of_type(self, message_type: str) -> list[Tapped]:
        return [t for t in self.tapped if t.envelope.type == message_type]

    def payloads(self, message_type: str, model: type[P]) -> list[P]:
        """The payloads of one type, typed (a TypeError if the type carries another model)."""
        return [m.data_as(model) for m in self.of_type(message_type)]


@asynccontextmanager
async def open_tap(
    amqp_url: str, bindings: Sequence[tuple[str, str]], *, declare: bool = True
) -> AsyncIterator[Tap]:
    """`bindings`: (exchange, routing key pattern) pairs. `declare`: declare the project's
    exchanges first (as any service would), so the tap can bind before the services start."""
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel()
        if declare:
            await declare_exchanges(channel, EXCHANGES)
        queue = await channel.declare_queue(exclusive=True)
        for exchange, routing_key in bindings:
            await queue.bind(exchange, routing_key=routing_key)
        tap = Tap()

        async def keep(message: AbstractIncomingMessage) -> None:
            async with message.process():
                tap.tapped.append(
                    Tapped(
                        parse_envelope(message.body),
                        message.body,
                        json.loads(message.body),
                        message.correlation_id,
                        dict(message.headers or {}),
                        message.exchange,
                        message.routing_key,
                        message.type,
                        message.message_id,
                        message.delivery_mode,
                        message.content_type,
                    )
                )

        await queue.consume(keep)
        yield tap
    finally:
        await connection.close()
