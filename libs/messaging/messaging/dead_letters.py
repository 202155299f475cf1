"""Dead letters: messages a service could not handle, kept with the reason until replayed.

Replaying puts the message back on the service's own work queue through the outbox, so a replay
is as durable as any other publish and is seen by this service only.
"""

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from messaging.outbox import add_raw_to_outbox
from storage import Connection


@dataclass(frozen=True)
class DeadLetter:
    id: int
    message_id: str
    message_type: str | None
    correlation_id: str | None
    reason: str
    attempts: int
    dead_at: datetime
    replayed_at: datetime | None
    body_preview: str

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "message_id": self.message_id,
            "type": self.message_type,
            "correlation_id": self.correlation_id,
            "reason": self.reason,
            "attempts": self.attempts,
            "dead_at": self.dead_at.isoformat(),
            "replayed_at": self.replayed_at.isoformat() if self.replayed_at else None,
            "body_preview": self.body_preview,
        }


async def record_dead_letter(
    conn: Connection | asyncpg.Pool,
    *,
    message_id: str,
    message_type: str | None,
    correlation_id: str | None,
    queue: str,
    reason: str,
    attempts: int,
    body: bytes,
    headers: dict[str, Any],
) -> None:
    # The same message failing again (a replay that still fails) updates its one row.
    await conn.execute(
        """
        INSERT INTO dead_letters
            (message_id, message_type, correlation_id, queue, reason, attempts, body, headers)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)
        ON CONFLICT (message_id) DO UPDATE SET
            reason = EXCLUDED.reason, attempts = EXCLUDED.attempts, body = EXCLUDED.body,
            headers = EXCLUDED.headers, dead_at = now(), replayed_at = NULL
        """,
        message_id,
        message_type,
        correlation_id,
        queue,
        reason[:2000],
        attempts,
        body,
        json.dumps(headers, default=str),
    )


# escape, not UTF-8 decoding: a dead body may be any bytes (that may be why it is dead).
_COLUMNS = """id, message_id, message_type, correlation_id, reason, attempts, dead_at, replayed_at,
    encode(substring(body from 1 for 300), 'escape') AS preview"""


def _row(r: asyncpg.Record) -> DeadLetter:
    return DeadLetter(
        id=r["id"],
        message_id=r["message_id"],
        message_type=r["message_type"],
        correlation_id=r["correlation_id"],
        reason=r["reason"],
        attempts=r["attempts"],
        dead_at=r["dead_at"],
        replayed_at=r["replayed_at"],
        body_preview=r["preview"],
    )


async def list_dead_letters(
    pool: asyncpg.Pool, *, include_replayed: bool = False, limit: int = 100
) -> list[DeadLetter]:
    where = "" if include_replayed else "WHERE replayed_at IS NULL"
    rows = await pool.fetch(
        f"SELECT {_COLUMNS} FROM dead_letters {where} ORDER BY id DESC LIMIT $1", limit
    )
    return [_row(r) for r in rows]


async def count_open_dead_letters(pool: asyncpg.Pool) -> int:
    return int(await pool.fetchval("SELECT count(*) FROM dead_letters WHERE replayed_at IS NULL"))


async def replay_dead_letters(
    pool: asyncpg.Pool, work_queue: str, ids: list[int] | None = None
) -> list[int]:
    """Send dead letters (the given ones, or all open ones) back to the work queue; returns ids."""
    async with pool.acquire() as conn, conn.transaction():
        rows = await conn.fetch(
            """
            SELECT id, message_id, message_type, correlation_id, body FROM dead_letters
            WHERE replayed_at IS NULL AND ($1::bigint[] IS NULL OR id = ANY($1::bigint[]))
            ORDER BY id FOR UPDATE
            """,
            ids,
        )
        for r in rows:
            await add_raw_to_outbox(
                conn,
                message_id=r["message_id"],
                message_type=r["message_type"],
                correlation_id=r["correlation_id"],
                exchange="",
                routing_key=work_queue,
                body=r["body"],
            )
        replayed = [r["id"] for r in rows]
        await conn.execute(
            "UPDATE dead_letters SET replayed_at = now() WHERE id = ANY($1::bigint[])", replayed
        )
    return replayed
