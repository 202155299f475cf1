"""Walking connections page by page, and reading many nodes by id in batches."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from shopify_admin.errors import DeniedField, ShopifyGraphQLError
from shopify_admin.operations import MAX_PAGE_SIZE, Operation

__all__ = [
    "GraphQLExecutor",
    "NodesRead",
    "PaginationError",
    "fetch_nodes",
    "id_batches",
    "paginate",
    "paginate_with_denials",
    "read_nodes",
]


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

    A null parent on the path (e.g. an unknown location) yields nothing. Any GraphQL error
    raises (ShopifyGraphQLError).
    """
    pages = _pages(client, operation, variables, connection_path, tolerate_denied=False)
    async for node, _ in pages:
        yield node


async def paginate_with_denials(
    client: GraphQLExecutor,
    operation: Operation,
    variables: Mapping[str, Any] | None,
    connection_path: Sequence[str],
) -> AsyncIterator[tuple[dict[str, Any], list[DeniedField]]]:
    """`paginate`, but a page whose only errors are fields Shopify withholds (ACCESS_DENIED
    inside a node, e.g. protected customer data) is not an error: each node comes with the
    fields withheld from it (those are null in the node), so the caller decides what a node
    without them is worth. Any other GraphQL error still raises."""
    async for item in _pages(client, operation, variables, connection_path, tolerate_denied=True):
        yield item


async def _pages(
    client: GraphQLExecutor,
    operation: Operation,
    variables: Mapping[str, Any] | None,
    connection_path: Sequence[str],
    *,
    tolerate_denied: bool,
) -> AsyncIterator[tuple[dict[str, Any], list[DeniedField]]]:
    cursor: str | None = None
    seen_cursors: set[str] = set()
    nodes_path = (*connection_path, "nodes")
    while True:
        page_variables = {**(variables or {}), "after": cursor}
        data, denied = await _execute(
            client, operation, page_variables, nodes_path, tolerate_denied=tolerate_denied
        )
        connection = _connection(data, connection_path)
        if connection is None:
            return
        for index, node in enumerate(connection.get("nodes") or []):
            if isinstance(node, Mapping):
                yield dict(node), denied.get(index, [])
        page_info = connection.get("pageInfo") or {}
        if not page_info.get("hasNextPage"):
            return
        cursor = page_info.get("endCursor")
        if not isinstance(cursor, str) or cursor in seen_cursors:
            raise PaginationError(f"{operation.name}: next page announced without a new cursor")
        seen_cursors.add(cursor)


async def _execute(
    client: GraphQLExecutor,
    operation: Operation,
    variables: Mapping[str, Any],
    nodes_path: Sequence[str],
    *,
    tolerate_denied: bool,
) -> tuple[Mapping[str, Any], dict[int, list[DeniedField]]]:
    """Run one page; with `tolerate_denied`, withheld fields inside the nodes at `nodes_path`
    come back by node index instead of raising."""
    try:
        return await client.execute(operation, variables), {}
    except ShopifyGraphQLError as exc:
        denied = exc.denied_fields() if tolerate_denied else None
        depth = len(nodes_path)
        if (
            denied is None
            or exc.data is None
            or not all(d.within(nodes_path) and isinstance(d.path[depth], int) for d in denied)
        ):
            raise
        by_index: dict[int, list[DeniedField]] = {}
        for d in denied:
            index = d.path[depth]
            assert isinstance(index, int)
            by_index.setdefault(index, []).append(d)
        return exc.data, by_index


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
        found.update(_nodes_of_batch(operation, batch, data))
    return found


@dataclass(frozen=True)
class NodesRead:
    """What `read_nodes` found: every requested id, and the fields Shopify withheld by id."""

    found: dict[str, dict[str, Any] | None]
    """Each id's node, or None when Shopify has no such node (deleted, or not visible)."""
    denied: dict[str, list[DeniedField]] = field(default_factory=dict)
    """Ids whose node came back with fields withheld (ACCESS_DENIED), null in the node."""


async def read_nodes(
    client: GraphQLExecutor,
    operation: Operation,
    ids: Iterable[str],
    batch_size: int = MAX_PAGE_SIZE,
    variables: Mapping[str, Any] | None = None,
) -> NodesRead:
    """`fetch_nodes`, telling apart the nodes Shopify withheld fields from (protected customer
    data, a missing scope) instead of failing the whole batch for them."""
    found: dict[str, dict[str, Any] | None] = {}
    denied: dict[str, list[DeniedField]] = {}
    for batch in id_batches(ids, batch_size):
        data, withheld = await _execute(
            client, operation, {**(variables or {}), "ids": batch}, ("nodes",), tolerate_denied=True
        )
        found.update(_nodes_of_batch(operation, batch, data))
        for index, fields in withheld.items():
            if 0 <= index < len(batch):
                denied[batch[index]] = fields
    return NodesRead(found, denied)


def _nodes_of_batch(
    operation: Operation, batch: Sequence[str], data: Mapping[str, Any]
) -> dict[str, dict[str, Any] | None]:
    nodes = data.get("nodes")
    if not isinstance(nodes, list) or len(nodes) != len(batch):
        raise ValueError(f"{operation.name}: expected {len(batch)} nodes in the answer")
    # A node of another type (an id that is not an order) comes back as {}.
    return {
        node_id: dict(node) if isinstance(node, Mapping) and node else None
        for node_id, node in zip(batch, nodes, strict=True)
    }
