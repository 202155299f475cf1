"""Walking connections page by page, and reading many nodes by id in batches."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from typing import Any, Protocol

from shopify_admin.operations import MAX_PAGE_SIZE, Operation

__all__ = ["GraphQLExecutor", "PaginationError", "fetch_nodes", "id_batches", "paginate"]


class GraphQLExecutor(Protocol):
    """What pagination needs of a client (ShopifyClient satisfies it)."""

    async def execute(
        self, operation: Operation, variables: Mapping[str, Any] | None = None
    ) -> dict[str, Any]: ...


class PaginationError(RuntimeError):
    """Shopify said there is a next page but gave no new cursor."""


def _connection(data: Mapping[str, Any], path: Sequence[str]) -> Mapping[str, Any] | None:
    node: Any = data
    for key in path:
        if not isinstance(node, Mapping):
            return None
        node = node.get(key)
    return node if isinstance(node, Mapping) else None


async def paginate(
    client: GraphQLExecutor,
    operation: Operation,
    variables: Mapping[str, Any] | None,
    connection_path: Sequence[str],
) -> AsyncIterator[dict[str, Any]]:
    """Yield every node of the connection at `connection_path`, following `$after`.

    A null parent on the path (e.g. an unknown location) yields nothing.
    """
    cursor: str | None = None
    seen_cursors: set[str] = set()
    while True:
        page_variables = {**(variables or {}), "after": cursor}
        data = await client.execute(operation, page_variables)
        connection = _connection(data, connection_path)
        if connection is None:
            return
        for node in connection.get("nodes") or []:
            if isinstance(node, Mapping):
                yield dict(node)
        page_info = connection.get("pageInfo") or {}
        if not page_info.get("hasNextPage"):
            return
        cursor = page_info.get("endCursor")
        if not isinstance(cursor, str) or cursor in seen_cursors:
            raise PaginationError(f"{operation.name}: next page announced without a new cursor")
        seen_cursors.add(cursor)


def id_batches(ids: Iterable[str], batch_size: int) -> list[list[str]]:
    """Distinct ids in first-seen order, cut into batches Shopify accepts."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    size = min(batch_size, MAX_PAGE_SIZE)
    distinct = list(dict.fromkeys(ids))
    return [distinct[start : start + size] for start in range(0, len(distinct), size)]


async def fetch_nodes(
    client: GraphQLExecutor,
    operation: Operation,
    ids: Iterable[str],
    batch_size: int = MAX_PAGE_SIZE,
    variables: Mapping[str, Any] | None = None,
) -> dict[str, dict[str, Any] | None]:
    """Read nodes by id through `operation` (a `nodes(ids: $ids)` query), in batches.

    Returns every requested id mapped to its node, or None when Shopify has no
    such node (deleted, or not visible to the app). Shopify's requested cost of
    `nodes(ids:)` does not grow with the number of ids, so the batch is bounded
    by the 250-item input limit; the operation's own cost is bounded by
    Operation itself (at most 1000).
    """
    found: dict[str, dict[str, Any] | None] = {}
    for batch in id_batches(ids, batch_size):
        data = await client.execute(operation, {**(variables or {}), "ids": batch})
        nodes = data.get("nodes")
        if not isinstance(nodes, list) or len(nodes) != len(batch):
            raise ValueError(f"{operation.name}: expected {len(batch)} nodes in the answer")
        for node_id, node in zip(batch, nodes, strict=True):
            # A node of another type (an id that is not an order) comes back as {}.
            found[node_id] = dict(node) if isinstance(node, Mapping) and node else None
    return found
