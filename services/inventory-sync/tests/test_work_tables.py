"""The two work tables (jobs, push batches) on the service's migrated schema: what a claim, a
failure and a dead runner do to their rows. No broker, no Shopify."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, time

import asyncpg
import pytest

from inventory_sync import job_store, push_store
from inventory_sync.app import DEFINITION
from inventory_sync.domain import Queued
from inventory_sync.feeds import Feed
from testkit.handlers import handler_pool
from testkit.plugin import IsolatedDatabase

SHOP = "work-test.myshopify.com"
FEED = Feed(SHOP, "WH1", 101, "both", time(2, 0))


@pytest.fixture
async def pool(isolated_database: IsolatedDatabase) -> AsyncIterator[asyncpg.Pool]:
    async with handler_pool(DEFINITION, isolated_database) as pool:
        yield pool


async def test_a_failed_job_is_queued_again_then_failed_once_it_may_not_run_again(
    pool: asyncpg.Pool,
) -> None:
    async with pool.acquire() as conn:
        job_id = await job_store.create(conn, SHOP, "WH1", "full_sync", "operator")
        assert await job_store.claim_next(conn, "other.myshopify.com", 60) is None
        job = await job_store.claim_next(conn, SHOP, 60)
        assert job is not None and (job.id, job.attempts) == (job_id, 0)
        assert await job_store.claim_next(conn, SHOP, 60) is None  # leased

        await job_store.failed(conn, job_id, "Shopify 503", 0.0)
        queued = await job_store.get(conn, job_id)
        assert queued is not None
        assert (queued["state"], queued["attempts"], queued["error"]) == (
            "queued",
            1,
            "Shopify 503",
        )
        assert queued["finished_at"] is None

        again = await job_store.claim_next(conn, SHOP, 60)
        assert again is not None and again.attempts == 1
        running = await job_store.get(conn, job_id)
        assert running is not None
        assert (running["state"], running["error"]) == ("running", None)
        assert running["started_at"] == queued["started_at"]  # when it first started

        await job_store.failed(conn, job_id, "no access token", None)
        failed = await job_store.get(conn, job_id)
        assert failed is not None
        assert (failed["state"], failed["attempts"], failed["error"]) == (
            "failed",
            2,
            "no access token",
        )
        assert failed["finished_at"] is not None
        assert await job_store.claim_next(conn, SHOP, 60) is None


async def test_a_running_job_whose_lease_ran_out_is_taken_again(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        job_id = await job_store.create(conn, SHOP, "WH1", "catalog", "schedule")
        assert await job_store.claim_next(conn, SHOP, 0.2) is not None
        await asyncio.sleep(0.3)  # its runner died
        again = await job_store.claim_next(conn, SHOP, 60)
    assert again is not None and (again.id, again.attempts) == (job_id, 0)


async def test_a_batch_shopify_could_not_take_is_sent_again_under_the_same_key(
    pool: asyncpg.Pool,
) -> None:
    taken = push_store.Taken(Queued(7, "A", 5, 3), None, datetime.now(UTC))
    async with pool.acquire() as conn:
        batch = await push_store.create_batch(conn, FEED, [taken], lease_s=60)
        assert await push_store.claim_due_batch(conn, FEED, 60) is None  # its sender holds it

        await push_store.postpone(conn, batch, "Shopify 503", 0.0)
        again = await push_store.claim_due_batch(conn, FEED, 60)
        assert again is not None
        assert (again.id, again.idempotency_key, again.attempts) == (
            batch.id,
            batch.idempotency_key,
            1,
        )
        assert again.items == batch.items
        assert await conn.fetchval("SELECT last_error FROM push_batches") == "Shopify 503"

        await push_store.postpone(conn, again, "Shopify 503 again", 60.0)
        assert await push_store.claim_due_batch(conn, FEED, 60) is None  # due in a minute
