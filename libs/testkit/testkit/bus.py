"""Putting a message on the bus from a test, as bytes: also what no service would publish."""

import uuid

import aio_pika

from contracts import INTERNAL_EVENTS
from messaging.amqp import build_message


async def publish_raw(amqp_url: str, body: bytes, routing_key: str, message_id: str) -> None:
    """Publish `body` as it is to internal.events (e.g. a garbled message for the dead letters)."""
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel()
        exchange = await channel.get_exchange(INTERNAL_EVENTS)
        await exchange.publish(
            build_message(body, message_id=message_id, message_type=routing_key,
                          correlation_id=str(uuid.uuid4())),
            routing_key=routing_key,
        )  # fmt: skip
    finally:
        await connection.close()
