"""Connecting to RabbitMQ and shaping AMQP messages the way SPEC section 3 requires."""

from collections.abc import Mapping
from typing import Any

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractRobustConnection

from contracts import Envelope, spec_for


async def connect(url: str, *, name: str) -> AbstractRobustConnection:
    """A connection that restores itself, its channels and consumers after a broker restart."""
    return await aio_pika.connect_robust(
        url, client_properties={"connection_name": name}, reconnect_interval=1, fail_fast=True
    )


def build_message(
    body: bytes,
    *,
    message_id: str,
    message_type: str | None,
    correlation_id: str | None,
    headers: Mapping[str, Any] | None = None,
) -> aio_pika.Message:
    return aio_pika.Message(
        body,
        content_type="application/json",
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        message_id=message_id,
        type=message_type,
        correlation_id=correlation_id,
        headers=dict(headers or {}),
    )


def envelope_message(envelope: Envelope) -> aio_pika.Message:
    """An envelope as it is published: its id, type and correlation id also as AMQP properties."""
    return build_message(
        envelope.to_json(),
        message_id=str(envelope.id),
        message_type=envelope.type,
        correlation_id=str(envelope.correlation_id),
    )


async def publish_envelope(
    channel: AbstractChannel, envelope: Envelope, exchange: str | None = None
) -> None:
    """Publish straight to the broker, not through an outbox (tests, simulators): to the
    type's exchange unless `exchange` names another, routed by the type."""
    target = await channel.get_exchange(exchange or spec_for(envelope.type).exchange)
    await target.publish(envelope_message(envelope), routing_key=envelope.type)


def copy_message(incoming: AbstractIncomingMessage, **extra_headers: Any) -> aio_pika.Message:
    """The same message again (for a retry tier), with the same id so the inbox still dedupes it."""
    headers = dict(incoming.headers or {})
    headers.update(extra_headers)
    return build_message(
        incoming.body,
        message_id=incoming.message_id or "",
        message_type=incoming.type,
        correlation_id=incoming.correlation_id,
        headers=headers,
    )
