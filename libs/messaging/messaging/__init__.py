"""Messaging runtime: topology, transactional outbox and its relay, idempotent consumer, retries
and dead letters. See ARCHITECTURE.md, "Delivery guarantees"."""

from pathlib import Path

from messaging.amqp import connect
from messaging.consumer import Consumer
from messaging.dead_letters import (
    DeadLetter,
    count_open_dead_letters,
    list_dead_letters,
    replay_dead_letters,
)
from messaging.outbox import add_to_outbox
from messaging.relay import OutboxRelay
from messaging.routing import Handler, MessageContext, Route, Routes, on
from messaging.topology import ServiceTopology, Subscription, declare

MIGRATIONS = Path(__file__).parent / "migrations"

__all__ = [
    "MIGRATIONS",
    "Consumer",
    "DeadLetter",
    "Handler",
    "MessageContext",
    "OutboxRelay",
    "Route",
    "Routes",
    "ServiceTopology",
    "Subscription",
    "add_to_outbox",
    "connect",
    "count_open_dead_letters",
    "declare",
    "list_dead_letters",
    "on",
    "replay_dead_letters",
]
