"""Jobs (apply a snapshot, full sync, read the catalog): their SQL.

A job is `queued`, then `running` (leased: a process that dies leaves it to be taken again), then
`pushing` while the targets it queued are sent, then `done`; or `failed` with the reason once its
attempts are spent. The pusher reports each batch to the jobs whose targets it carried; whoever
removes a job's last target finishes the job, under the job's row lock (see `finish_pushed`).

Claiming, leasing and retrying are `work_queue`'s (the `JOBS` table); what a job's states and
counters mean is this module's.
"""

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from storage import Connection
from work_queue import WorkTable

JOBS = WorkTable(
    "jobs",
    {"id": "uuid"},
    channel="inventory_sync_jobs",
    # `running` too: a running job whose lease ran out lost its runner (the process died).
    workable="{t}.state IN ('queued', 'running')",
    gave_up={"finished_at": "now()"},
    last_error="error",
)
"""The jobs waiting to run; `attempts` counts the failed ones."""

JOB_COLUMNS = (
    "id, shop, facility, kind, snapshot, requested_by, state, phase, attempts, catalog_pages, "
    "catalog_items, considered, unchanged, changes, pushed, already_right, push_failed, "
    "mutations, stale_retries, set_aside, diff_ms, diff_cpu_ms, note, error, created_at, "
    "started_at, planned_at, finished_at"
)

# What the pusher may add to a job's counters.
PUSH_COUNTERS = frozenset({"pushed", "already_right", "push_failed", "mutations", "stale_retries"})


@dataclass(frozen=True)
class Job:
    id: UUID
    shop: str
    facility: str
    kind: str
    snapshot: int | None
    attempts: int
    """Failed attempts before this one."""


async def create(
    conn: Connection,
    shop: str,
    facility: str,
    kind: str,
    requested_by: str,
    snapshot: int | None = None,
) -> UUID:
    job_id = uuid.uuid4()
    await conn.execute(
        "INSERT INTO jobs (id, shop, facility, kind, requested_by, snapshot) "
        "VALUES ($1, $2, $3, $4, $5, $6)",
        job_id,
        shop,
        facility,
        kind,
        requested_by,
        snapshot,
    )
    await JOBS.wake(conn)
    return job_id


async def has_open(conn: Connection, shop: str, facility: str, kinds: Iterable[str]) -> bool:
    found = await conn.fetchval(
        "SELECT 1 FROM jobs WHERE shop = $1 AND facility = $2 AND kind = ANY($3::text[]) "
        "AND state IN ('queued', 'running') LIMIT 1",
        shop,
        facility,
        list(kinds),
    )
    return found is not None


async def claim_next(conn: Connection, shop: str, lease_s: float) -> Job | None:
    """Lease the shop's oldest due job (queued and due, or running under a dead runner)."""
    rows = await JOBS.claim(
        conn,
        limit=1,
        lease_s=lease_s,
        where="c.shop = $3",
        args=[shop],
        order_by="c.created_at",
        also_set="state = 'running', error = NULL, started_at = coalesce(w.started_at, now())",
        returning="w.id, w.shop, w.facility, w.kind, w.snapshot, w.attempts",
    )
    return Job(**dict(rows[0])) if rows else None


async def update(conn: Connection, job_id: UUID, **fields: Any) -> None:
    """Set the job's progress fields (absolute values)."""
    names = list(fields)
    assignments = ", ".join(f"{name} = ${i}" for i, name in enumerate(names, start=2))
    await conn.execute(f"UPDATE jobs SET {assignments} WHERE id = $1", job_id, *fields.values())


async def failed(conn: Connection, job_id: UUID, error: str, retry_in_s: float | None) -> None:
    """A failed attempt: queued again after `retry_in_s`, or failed for good (None)."""
    # The claim moved the job to `running`; a retry moves it back (`gave_up` only sets a
    # column for rows given up on, so the state is chosen here).
    state = "'failed'" if retry_in_s is None else "'queued'"
    await JOBS.retry_later(conn, [(job_id,)], error, retry_in_s, also_set=f"state = {state}")


async def done(conn: Connection, job_id: UUID, note: str | None = None) -> None:
    await conn.execute(
        "UPDATE jobs SET state = 'done', phase = NULL, note = coalesce($2, note), "
        "lease_until = NULL, finished_at = now() WHERE id = $1",
        job_id,
        note,
    )


async def planned(conn: Connection, job_id: UUID) -> None:
    """Planning is over: the job waits for its pushes, or is done if it queued none."""
    await conn.execute("SELECT 1 FROM jobs WHERE id = $1 FOR UPDATE", job_id)
    await conn.execute(
        "UPDATE jobs SET state = 'pushing', phase = 'pushing', lease_until = NULL, "
        "planned_at = now() WHERE id = $1",
        job_id,
    )
    await finish_pushed(conn, [job_id])


async def add_push_counts(conn: Connection, counts: Mapping[UUID, Mapping[str, int]]) -> None:
    """Add what a batch did to the jobs whose targets it carried, locking them in id order (two
    pushers never wait on each other's jobs in opposite orders), then finish any job left with
    nothing to push."""
    origins = sorted(counts)
    if not origins:
        return
    await conn.execute(
        "SELECT 1 FROM jobs WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE", origins
    )
    for origin in origins:
        increments = counts[origin]
        if not increments:
            continue
        unknown = set(increments) - PUSH_COUNTERS
        if unknown:
            raise ValueError(f"not a push counter: {sorted(unknown)}")
        assignments = ", ".join(
            f"{name} = {name} + ${i}" for i, name in enumerate(increments, start=2)
        )
        await conn.execute(
            f"UPDATE jobs SET {assignments} WHERE id = $1", origin, *increments.values()
        )
    await finish_pushed(conn, origins)


async def finish_pushed(conn: Connection, job_ids: Iterable[UUID] | None = None) -> None:
    """Jobs (these, or every pushing one) with no target left in the queue or in a batch."""
    await conn.execute(
        """
        UPDATE jobs j SET state = 'done', phase = NULL, finished_at = now()
        WHERE j.state = 'pushing' AND ($1::uuid[] IS NULL OR j.id = ANY($1::uuid[]))
          AND NOT EXISTS (SELECT 1 FROM push_queue q WHERE q.origin = j.id)
          AND NOT EXISTS (SELECT 1 FROM push_batch_items b WHERE b.origin = j.id)
        """,
        None if job_ids is None else list(job_ids),
    )


async def get(conn: Connection, job_id: UUID) -> dict[str, Any] | None:
    row = await conn.fetchrow(f"SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1", job_id)
    return job_json(row) if row else None


async def recent(conn: Connection, limit: int) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        f"SELECT {JOB_COLUMNS} FROM jobs ORDER BY created_at DESC LIMIT $1", limit
    )
    return [job_json(r) for r in rows]


def when(value: datetime | None) -> str | None:
    """An instant for JSON, or None."""
    return value.isoformat() if value else None


def job_json(row: asyncpg.Record) -> dict[str, Any]:
    return {
        "job_id": str(row["id"]),
        "shop": row["shop"],
        "facility": row["facility"],
        "kind": row["kind"],
        "requested_by": row["requested_by"],
        "state": row["state"],
        "phase": row["phase"],
        "attempts": row["attempts"],
        "progress": {
            "catalog_pages": row["catalog_pages"],
            "catalog_items": row["catalog_items"],
            "skus_considered": row["considered"],
            "unchanged": row["unchanged"],
            "changes": row["changes"],
            "pushed": row["pushed"],
            "already_right": row["already_right"],
            "push_failed": row["push_failed"],
            "remaining": max(
                0,
                row["changes"] - row["pushed"] - row["already_right"] - row["push_failed"],
            ),
            "mutations": row["mutations"],
            "stale_retries": row["stale_retries"],
            "set_aside": row["set_aside"],
        },
        "diff_ms": row["diff_ms"],
        "diff_cpu_ms": row["diff_cpu_ms"],
        "note": row["note"],
        "error": row["error"],
        "created_at": when(row["created_at"]),
        "started_at": when(row["started_at"]),
        "planned_at": when(row["planned_at"]),
        "finished_at": when(row["finished_at"]),
    }
