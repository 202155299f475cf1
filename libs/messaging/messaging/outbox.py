"""Adding messages to a service's outbox inside the caller's transaction.

Nothing is published here: the message becomes visible to the relay only if the caller's
transaction commits, which is what makes "state changed" and "message sent" agree.
"""

from collections.abc import Iterable
from uuid import UUID

from contracts import Envelope, spec_for
from storage import Connection

NOTIFY_CHANNEL_PREFIX = "outbox_"


def notify_channel(schema: str) -> str:
    return NOTIFY_CHANNEL_PREFIX + schema


OUTBOX_COLUMNS = "message_id, message_type, correlation_id, exchange, routing_key, body"
"""The columns `message_row` fills, in its order: for callers that insert rows in their own SQL."""

OutboxRow = tuple[str, str, str, str, str, bytes]

_INSERT = f"INSERT INTO outbox ({OUTBOX_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)"
# Notifications with the same channel and payload inside one transaction collapse into one,
# delivered at commit: the relay wakes once per transaction, however many rows it added.
_NOTIFY = "SELECT pg_notify($1 || current_schema(), '')"


async def add_to_outbox(
    conn: Connection,
    envelopes: Envelope | Iterable[Envelope],
    *,
    exchange: str | None = None,
    routing_key: str | None = None,
) -> None:
    """Queue envelopes for publishing. Defaults: the type's exchange, routing key = type (SPEC)."""
    batch = [envelopes] if isinstance(envelopes, Envelope) else list(envelopes)
    if not batch:
        return
    rows = [
        message_row(
            env.id,
            env.type,
            env.correlation_id,
            env.to_json(),
            exchange=exchange,
            routing_key=routing_key,
        )
        for env in batch
    ]
    await conn.executemany(_INSERT, rows)
    await conn.execute(_NOTIFY, NOTIFY_CHANNEL_PREFIX)


def message_row(
    message_id: UUID,
    message_type: str,
    correlation_id: UUID,
    body: bytes,
    *,
    exchange: str | None = None,
    routing_key: str | None = None,
) -> OutboxRow:
    """One outbox row's values in OUTBOX_COLUMNS order; defaults as in `add_to_outbox`.

    For a caller that writes the row inside a statement of its own (e.g. a CTE inserting only if
    its own insert did). Such a caller sends no NOTIFY: it must wake its relay itself.
    """
    return (
        str(message_id),
        message_type,
        str(correlation_id),
        exchange if exchange is not None else spec_for(message_type).exchange,
        routing_key if routing_key is not None else message_type,
        body,
    )


async def add_raw_to_outbox(
    conn: Connection,
    *,
    message_id: str,
    message_type: str | None,
    correlation_id: str | None,
    exchange: str,
    routing_key: str,
    body: bytes,
) -> None:
    """Queue bytes as they are (a dead letter being replayed may not even be valid JSON)."""
    await conn.execute(
        _INSERT, message_id, message_type or "", correlation_id, exchange, routing_key, body
    )
    await conn.execute(_NOTIFY, NOTIFY_CHANNEL_PREFIX)
