"""The gateway's writes: deliveries with their outbox messages in one statement, and the purge.

One statement per batch, so one round trip and one implicit transaction: an outbox row is
inserted only for a delivery row that was (the CTE sees which ones ON CONFLICT skipped), which
is what makes a repeated X-Shopify-Webhook-Id publish nothing.

A delivery is a webhook or a fulfillment-service notification: both share the table, the
batches and the purge; the notification's key is prefixed (`Delivery.of_notification`) so it
can never be taken for a webhook's.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

from contracts.webhook_wire import WebhookMessage
from messaging.outbox import OUTBOX_COLUMNS, message_row
from shopify_admin.webhooks import WebhookHeaders
from storage import Connection

_RECORD = f"""
WITH incoming AS (
    SELECT * FROM unnest(
        $1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::text[],
        $7::uuid[], $8::timestamptz[],
        $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::bytea[]
    ) AS t(webhook_id, shop, topic, event_id, triggered_at, api_version, message_id, received_at,
           o_message_id, o_message_type, o_correlation_id, o_exchange, o_routing_key, o_body)
),
delivery AS (
    INSERT INTO deliveries
        (webhook_id, shop, topic, event_id, triggered_at, api_version, message_id, received_at)
    SELECT webhook_id, shop, topic, event_id, triggered_at, api_version, message_id, received_at
    FROM incoming
    ON CONFLICT (webhook_id) DO NOTHING
    RETURNING message_id
)
INSERT INTO outbox ({OUTBOX_COLUMNS})
SELECT o_message_id, o_message_type, o_correlation_id, o_exchange, o_routing_key, o_body
FROM incoming JOIN delivery USING (message_id)
RETURNING message_id
"""


@dataclass(frozen=True)
class Delivery:
    key: str
    """The deduplication key (column `webhook_id`)."""
    topic: str
    event_id: str | None
    triggered_at: datetime | None
    api_version: str | None
    message: WebhookMessage

    @classmethod
    def of_webhook(cls, headers: WebhookHeaders, message: WebhookMessage) -> "Delivery":
        return cls(
            headers.webhook_id,
            headers.topic,
            headers.event_id,
            headers.triggered_at,
            headers.api_version,
            message,
        )

    @classmethod
    def of_notification(
        cls, notification_id: str, topic: str, api_version: str | None, message: WebhookMessage
    ) -> "Delivery":
        return cls(f"{topic}:{notification_id}", topic, None, None, api_version, message)


async def record_deliveries(
    db: asyncpg.Pool | Connection, deliveries: Sequence[Delivery]
) -> list[bool]:
    """Store deliveries and queue their messages; per delivery, False if its id was known.

    Durable when this returns (autocommit). No NOTIFY is sent: the caller wakes its own relay,
    which spares Postgres a serialised notification-queue write per batch.
    """
    # A webhook id twice in one batch (concurrent retries): only the first goes to the database,
    # since one INSERT cannot both insert and conflict with the same key.
    first_of_id: dict[str, Delivery] = {}
    for delivery in deliveries:
        first_of_id.setdefault(delivery.key, delivery)
    unique = list(first_of_id.values())
    rows = [_row(d) for d in unique]
    columns = [list(column) for column in zip(*rows, strict=True)]
    inserted = {str(r["message_id"]) for r in await db.fetch(_RECORD, *columns)}
    return [str(d.message.id) in inserted for d in deliveries]


def _row(delivery: Delivery) -> tuple[object, ...]:
    message = delivery.message
    return (
        delivery.key,
        message.shop,
        delivery.topic,
        delivery.event_id,
        delivery.triggered_at,
        delivery.api_version,
        message.id,
        message.occurred_at,
        *message_row(message.id, message.type, message.correlation_id, message.wire),
    )


async def purge_deliveries(pool: asyncpg.Pool, older_than: timedelta) -> int:
    """Forget deliveries past retention; returns how many rows went."""
    status = await pool.execute(
        "DELETE FROM deliveries WHERE received_at < now() - $1::interval", older_than
    )
    return int(status.rsplit(" ", 1)[1])
