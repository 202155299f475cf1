"""The gateway's pure parts: correlation ids, the one-hour window, group commit batching."""

import asyncio
from collections.abc import Sequence

import pytest

from contracts import order_correlation_id
from webhook_gateway.delivery import correlation_id_for
from webhook_gateway.group_commit import GroupCommit
from webhook_gateway.stats import GatewayStats

SHOP = "demo.myshopify.com"


def test_order_topics_correlate_by_order_whether_id_or_gid_is_given() -> None:
    gid = "gid://shopify/Order/42"
    by_gid = correlation_id_for(SHOP, "orders/create", "w1", {"admin_graphql_api_id": gid})
    by_id = correlation_id_for(SHOP, "orders/cancelled", "w2", {"id": 42})
    assert by_gid == by_id == order_correlation_id(SHOP, gid)
    assert order_correlation_id("other.myshopify.com", gid) != by_gid


def test_other_topics_correlate_by_delivery() -> None:
    first = correlation_id_for(SHOP, "customers/redact", "w1", {"id": 42})
    assert first == correlation_id_for(SHOP, "customers/redact", "w1", {"id": 43})
    assert first != correlation_id_for(SHOP, "customers/redact", "w2", {"id": 42})
    # an order topic without an order id falls back to the delivery
    assert correlation_id_for(SHOP, "orders/create", "w1", {}) == first


def test_accepted_last_hour_forgets_older_minutes() -> None:
    now = [0.0]
    stats = GatewayStats(clock=lambda: now[0])
    for _ in range(3):
        stats.accepted(SHOP)
    now[0] = 30 * 60
    stats.accepted(SHOP)
    assert stats.accepted_last_hour() == 4
    now[0] = 61 * 60
    assert stats.accepted_last_hour() == 1
    assert stats.as_status()["accepted"] == {"last_hour": 1, "total": 4}


async def test_group_commit_batches_what_queues_behind_a_write() -> None:
    batches: list[list[int]] = []
    release = asyncio.Event()

    async def write(items: Sequence[int]) -> list[int]:
        batches.append(list(items))
        await release.wait()
        return [i * 10 for i in items]

    writer: GroupCommit[int, int] = GroupCommit(write, max_batch=3, max_in_flight=1)
    results = [asyncio.create_task(writer.submit(i)) for i in range(5)]
    await asyncio.sleep(0.01)  # every submit queued; the first write has started
    assert batches == [[0]]  # a lone request is written at once
    release.set()
    assert await asyncio.gather(*results) == [0, 10, 20, 30, 40]
    assert batches == [[0], [1, 2, 3], [4]]


async def test_group_commit_fails_every_item_of_a_failed_batch() -> None:
    async def write(items: Sequence[int]) -> list[int]:
        raise ConnectionError("database away")

    writer: GroupCommit[int, int] = GroupCommit(write)
    outcomes = await asyncio.gather(writer.submit(1), writer.submit(2), return_exceptions=True)
    assert all(isinstance(o, ConnectionError) for o in outcomes)
    with pytest.raises(ConnectionError):
        await writer.submit(3)  # and it keeps writing afterwards
