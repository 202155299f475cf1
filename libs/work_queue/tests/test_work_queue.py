"""The work-queue runtime against a real Postgres: leases, retries, give-up, wake-up, the loop."""

import asyncio
import itertools
from collections.abc import AsyncIterator

import asyncpg
import pytest

from storage.signals import Signals
from testkit.plugin import IsolatedDatabase
from work_queue import BackoffPolicy, LeaseKeeper, WorkLoop, WorkStats, WorkTable, periodic

TABLE = WorkTable(
    "work_items",
    {"shop": "text", "ref": "text"},
    channel="work_items_due",
    workable="{t}.state = 'pending'",
    gave_up={"state": "'failed'"},
)


@pytest.fixture
async def pool(isolated_database: IsolatedDatabase) -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(isolated_database.admin_dsn, min_size=1, max_size=4)
    assert pool is not None
    await pool.execute(
        """
        CREATE TABLE work_items (
            shop text, ref text, state text NOT NULL DEFAULT 'pending',
            attempts int NOT NULL DEFAULT 0,
            next_attempt_at timestamptz NOT NULL DEFAULT now(),
            lease_until timestamptz, last_error text,
            PRIMARY KEY (shop, ref))
        """
    )
    await pool.execute(
        "INSERT INTO work_items (shop, ref) SELECT 's', 'r' || g FROM generate_series(1, 5) g"
    )
    yield pool
    await pool.close()


async def _states(pool: asyncpg.Pool) -> dict[str, tuple[str, int, str | None, bool]]:
    rows = await pool.fetch(
        "SELECT ref, state, attempts, last_error, lease_until IS NOT NULL AS leased "
        "FROM work_items ORDER BY ref"
    )
    return {r["ref"]: (r["state"], r["attempts"], r["last_error"], r["leased"]) for r in rows}


async def test_two_workers_never_claim_the_same_row(pool: asyncpg.Pool) -> None:
    async def claim() -> set[str]:
        async with pool.acquire() as conn, conn.transaction():
            rows = await TABLE.claim(conn, limit=3, lease_s=30, returning="w.ref")
            await asyncio.sleep(0.05)  # both transactions open at once
        return {r["ref"] for r in rows}

    first, second = await asyncio.gather(claim(), claim())
    assert not first & second
    assert first | second == {f"r{i}" for i in range(1, 6)}
    async with pool.acquire() as conn:
        assert await TABLE.claim(conn, limit=10, lease_s=30) == []  # all leased
        summary = await TABLE.summary(conn)
    assert summary == {"due": 0, "leased": 5, "waiting_to_retry": 0, "oldest_due_s": None}


async def test_a_dead_workers_lease_runs_out_and_the_row_is_due_again(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        [row] = await TABLE.claim(conn, limit=1, lease_s=0.2, order_by="c.ref", returning="w.ref")
        assert row["ref"] == "r1"
        await asyncio.sleep(0.3)
        again = await TABLE.claim(conn, limit=1, lease_s=30, order_by="c.ref", returning="w.ref")
    assert [r["ref"] for r in again] == ["r1"]


async def test_a_failure_counts_keeps_its_reason_and_waits_or_gives_up(pool: asyncpg.Pool) -> None:
    policy = BackoffPolicy(base=60, cap=600, max_attempts=2)
    async with pool.acquire() as conn:
        await TABLE.claim(conn, limit=5, lease_s=30)
        await TABLE.retry_later(conn, [("s", "r1")], "Shopify 503", policy.after_failure(0))
        await TABLE.retry_later(conn, [("s", "r2")], "Shopify 503 again", policy.after_failure(1))
        await TABLE.release(conn, [("s", "r3")])
        states = await _states(pool)
        due = await TABLE.claim(conn, limit=5, lease_s=30, order_by="c.ref", returning="w.ref")
    assert states["r1"] == ("pending", 1, "Shopify 503", False)
    assert states["r2"] == ("failed", 1, "Shopify 503 again", False)  # the policy gave up
    assert states["r3"] == ("pending", 0, None, False)  # released: no attempt counted
    assert [r["ref"] for r in due] == ["r3"]  # r1 waits a minute, r2 is failed, r4/r5 leased


async def test_the_loop_works_at_notify_and_survives_a_failing_round(pool: asyncpg.Pool) -> None:
    signals = Signals(pool, [TABLE.channel])
    wake = signals.subscribe(TABLE.channel)
    stats = WorkStats("claimed", "rounds_failed")
    calls = 0

    async def work_round() -> int:
        nonlocal calls
        calls += 1
        if calls == 1:
            stats.add("rounds_failed")
            raise ConnectionError("database went away")
        async with pool.acquire() as conn, conn.transaction():
            rows = await TABLE.claim(conn, limit=2, lease_s=30)
            await conn.execute(
                "DELETE FROM work_items WHERE ref = ANY($1)", [r["ref"] for r in rows]
            )
        stats.add("claimed", len(rows))
        return len(rows)

    loop = WorkLoop("test", work_round, wake, idle_poll_s=60, full_round=2)
    tasks = [asyncio.create_task(signals.run()), asyncio.create_task(loop.run())]
    try:
        await asyncio.sleep(0.5)
        # After the failed round, the listener's start-up wake-up; then full rounds run back to
        # back, and the last, not full, waits: for NOTIFY, not the idle minute.
        assert stats.as_json() == {"claimed": 5, "rounds_failed": 1}
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute("INSERT INTO work_items (shop, ref) VALUES ('s', 'late')")
            await TABLE.wake(conn)
        for _ in range(50):
            if stats["claimed"] == 6:
                break
            await asyncio.sleep(0.05)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    assert stats.as_json() == {"claimed": 6, "rounds_failed": 1}


async def test_the_lease_keeper_extends_only_what_is_held(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        await TABLE.claim(conn, limit=2, lease_s=0.6, order_by="c.ref")
    keeper = LeaseKeeper(pool, TABLE, 0.6, lambda: [("s", "r1")])
    task = asyncio.create_task(keeper.run())
    try:
        await asyncio.sleep(0.9)
    finally:
        task.cancel()
    async with pool.acquire() as conn:
        due = await TABLE.claim(conn, limit=5, lease_s=30, order_by="c.ref", returning="w.ref")
    assert "r1" not in {r["ref"] for r in due}  # kept by the live worker
    assert "r2" in {r["ref"] for r in due}  # its worker died: due again


def test_backoff_grows_to_its_cap_and_gives_up_at_max_attempts() -> None:
    policy = BackoffPolicy(base=1, cap=5, max_attempts=5)
    assert [policy.after_failure(n) for n in range(5)] == [1, 2, 4, 5, None]
    assert BackoffPolicy(1, 5).after_failure(10_000) == 5  # for ever, no overflow


async def test_a_periodic_job_runs_at_once_then_on_its_interval_and_outlives_a_failure() -> None:
    runs: list[float] = []

    async def job() -> None:
        runs.append(asyncio.get_running_loop().time())
        if len(runs) == 1:
            raise ConnectionError("database went away")

    task = asyncio.create_task(periodic("test", job, 0.1).run())
    await asyncio.sleep(0.35)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert 3 <= len(runs) <= 5
    assert all(b - a >= 0.09 for a, b in itertools.pairwise(runs))
