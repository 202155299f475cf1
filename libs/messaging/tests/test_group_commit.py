"""Group commit: what queues behind a write shares the next one; a failed write fails its batch."""

import asyncio
from collections.abc import Sequence

import pytest

from messaging.group_commit import GroupCommit


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
