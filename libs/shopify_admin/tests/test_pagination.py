"""paginate / fetch_nodes over a scripted executor (the GraphQL answers are canned)."""

from collections.abc import Mapping
from typing import Any

import pytest

from shopify_admin.operations import INVENTORY_LEVELS, LOCATIONS, ORDERS_BY_ID, Operation
from shopify_admin.pagination import PaginationError, fetch_nodes, id_batches, paginate


class PagedLocations:
    """Serves `locations` in pages of `page_size`, keyed by the cursor it handed out."""

    def __init__(self, total: int, page_size: int) -> None:
        self.ids = [f"gid://shopify/Location/{n}" for n in range(total)]
        self.page_size = page_size
        self.calls: list[dict[str, Any]] = []

    async def execute(
        self, operation: Operation, variables: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        sent = dict(variables or {})
        self.calls.append(sent)
        start = int(sent["after"].removeprefix("cursor-")) if sent.get("after") else 0
        page = self.ids[start : start + self.page_size]
        end = start + len(page)
        return {
            "locations": {
                "nodes": [{"id": node_id} for node_id in page],
                "pageInfo": {"hasNextPage": end < len(self.ids), "endCursor": f"cursor-{end}"},
            }
        }


async def test_paginate_follows_cursors_to_the_end() -> None:
    shopify = PagedLocations(total=7, page_size=3)
    seen = [node["id"] async for node in paginate(shopify, LOCATIONS, {"first": 3}, ["locations"])]
    assert seen == shopify.ids
    assert [call["after"] for call in shopify.calls] == [None, "cursor-3", "cursor-6"]
    assert all(call["first"] == 3 for call in shopify.calls)


async def test_paginate_an_empty_connection() -> None:
    shopify = PagedLocations(total=0, page_size=3)
    assert [node async for node in paginate(shopify, LOCATIONS, None, ["locations"])] == []
    assert len(shopify.calls) == 1


class Canned:
    def __init__(self, *answers: dict[str, Any]) -> None:
        self.answers = list(answers)
        self.calls: list[dict[str, Any]] = []

    async def execute(
        self, operation: Operation, variables: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        self.calls.append(dict(variables or {}))
        return self.answers.pop(0)


async def test_paginate_a_nested_connection_under_a_missing_parent_yields_nothing() -> None:
    shopify = Canned({"location": None})
    path = ["location", "inventoryLevels"]
    assert [n async for n in paginate(shopify, INVENTORY_LEVELS, {"locationId": "x"}, path)] == []


async def test_paginate_refuses_to_loop_on_a_repeated_cursor() -> None:
    page = {
        "locations": {"nodes": [{"id": "a"}], "pageInfo": {"hasNextPage": True, "endCursor": "c"}}
    }
    shopify = Canned(page, page)
    with pytest.raises(PaginationError):
        _ = [n async for n in paginate(shopify, LOCATIONS, None, ["locations"])]


def test_id_batches_dedupe_and_cap_at_250() -> None:
    ids = [f"id{n}" for n in range(600)] + ["id0", "id1"]
    batches = id_batches(ids, batch_size=1000)
    assert [len(batch) for batch in batches] == [250, 250, 100]
    assert [i for batch in batches for i in batch] == [f"id{n}" for n in range(600)]
    assert id_batches(ids[:5], batch_size=2) == [["id0", "id1"], ["id2", "id3"], ["id4"]]
    with pytest.raises(ValueError):
        id_batches(ids, batch_size=0)


class NodesById:
    """Answers nodes(ids:) like Shopify: same order, null for unknown, {} for other types."""

    def __init__(self, known: dict[str, dict[str, Any] | None]) -> None:
        self.known = known
        self.batches: list[list[str]] = []

    async def execute(
        self, operation: Operation, variables: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        ids = list((variables or {})["ids"])
        self.batches.append(ids)
        return {"nodes": [self.known.get(node_id) for node_id in ids]}


async def test_fetch_nodes_batches_and_maps_every_id() -> None:
    orders = {f"gid://shopify/Order/{n}": {"id": f"gid://shopify/Order/{n}"} for n in range(5)}
    known: dict[str, dict[str, Any] | None] = {**orders, "gid://shopify/Product/1": {}}
    shopify = NodesById(known)
    wanted = [*orders, "gid://shopify/Order/404", "gid://shopify/Product/1"]
    found = await fetch_nodes(shopify, ORDERS_BY_ID, wanted, batch_size=3)
    assert shopify.batches == [wanted[:3], wanted[3:6], wanted[6:]]
    assert found == {
        **orders,
        "gid://shopify/Order/404": None,
        "gid://shopify/Product/1": None,
    }


async def test_fetch_nodes_rejects_a_short_answer() -> None:
    shopify = Canned({"nodes": []})
    with pytest.raises(ValueError, match="expected 1"):
        await fetch_nodes(shopify, ORDERS_BY_ID, ["gid://shopify/Order/1"])
