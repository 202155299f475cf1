"""Relay connections the way Shopify pages them: first/after, last/before, reverse.

Cursors are opaque base64 JSON of the sort key of the edge's node, like
Shopify's `{"last_id":…,"last_value":…}`, so a page boundary stays stable
while records are added or re-sorted.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

from graphql import GraphQLError

T = TypeVar("T")
SortKey = tuple[Any, ...]

MAX_PAGE_SIZE = 250


@dataclass
class BulkWindow:
    """Set while a bulk operation executes its query (`bulk_window`): page sizes are ignored
    (Shopify reads every node of every connection), except that the first connection resolved
    -- the root one -- yields `size` nodes from `offset`, so a bulk operation runs page by page
    without rendering the whole catalog at once. The root's order is taken once and kept."""

    offset: int = 0
    size: int = 1000
    root_pending: bool = True
    ordered: list[Any] | None = None
    total: int = 0


bulk_window: ContextVar[BulkWindow | None] = ContextVar("bulk_window", default=None)


def encode_cursor(key: SortKey) -> str:
    last_value = key[0] if len(key) > 1 else key[-1]
    payload = {"last_id": key[-1], "last_value": _jsonable(last_value)}
    return base64.b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode()


def _jsonable(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def decode_cursor(cursor: str, key_of_first: SortKey | None) -> SortKey:
    try:
        payload = json.loads(base64.b64decode(cursor.encode()))
        last_id = payload["last_id"]
        last_value = payload.get("last_value")
    except (ValueError, KeyError, TypeError) as exc:
        raise GraphQLError(f"Invalid cursor for current pagination sort: {cursor}") from exc
    if key_of_first is None or len(key_of_first) == 1:
        return (last_id,)
    first_value = key_of_first[0]
    if hasattr(first_value, "isoformat") and isinstance(last_value, str):
        from shopify_sim.clock import parse_time

        last_value = parse_time(last_value)
    return (last_value, last_id)


def check_page_arguments(first: int | None, last: int | None) -> None:
    if first is None and last is None:
        raise GraphQLError(
            "you must provide one of first or last",
            extensions={"code": "BAD_REQUEST"},
        )
    for name, value in (("first", first), ("last", last)):
        if value is not None and value > MAX_PAGE_SIZE:
            raise GraphQLError(
                f"The {name} argument must be less than or equal to {MAX_PAGE_SIZE}.",
                extensions={"code": "BAD_REQUEST"},
            )


def connection(
    items: Sequence[T],
    *,
    to_node: Callable[[T], dict[str, Any]],
    sort_key: Callable[[T], SortKey],
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    reverse: bool = False,
    require_page_size: bool = True,
) -> dict[str, Any]:
    """A Shopify connection dict (edges, nodes, pageInfo) over `items`."""
    bulk = bulk_window.get()
    if bulk is not None:
        return _bulk_connection(bulk, items, to_node, sort_key, reverse)
    if require_page_size:
        check_page_arguments(first, last)
    ordered = sorted(items, key=sort_key, reverse=reverse)
    keys = [sort_key(item) for item in ordered]
    sample = keys[0] if keys else None
    start, end = 0, len(ordered)
    if after is not None:
        after_key = decode_cursor(after, sample)
        start = next(
            (i for i, key in enumerate(keys) if (key < after_key if reverse else key > after_key)),
            len(ordered),
        )
    if before is not None:
        before_key = decode_cursor(before, sample)
        end = next(
            (
                i
                for i, key in enumerate(keys)
                if (key <= before_key if reverse else key >= before_key)
            ),
            len(ordered),
        )
        end = max(end, start)
    window = list(range(start, end))
    has_next = has_previous = False
    if first is not None and len(window) > first:
        window = window[:first]
        has_next = True
    if last is not None and len(window) > last:
        window = window[-last:]
        has_previous = True
    has_previous = has_previous or (after is not None and start > 0)
    has_next = has_next or (before is not None and end < len(ordered))
    nodes = [to_node(ordered[i]) for i in window]
    cursors = [encode_cursor(keys[i]) for i in window]
    return {
        "edges": [{"cursor": c, "node": n} for c, n in zip(cursors, nodes, strict=True)],
        "nodes": nodes,
        "pageInfo": {
            "hasNextPage": has_next,
            "hasPreviousPage": has_previous,
            "startCursor": cursors[0] if cursors else None,
            "endCursor": cursors[-1] if cursors else None,
        },
    }


def _bulk_connection(
    window: BulkWindow,
    items: Sequence[T],
    to_node: Callable[[T], dict[str, Any]],
    sort_key: Callable[[T], SortKey],
    reverse: bool,
) -> dict[str, Any]:
    if window.root_pending:
        window.root_pending = False
        if window.ordered is None:
            window.ordered = sorted(items, key=sort_key, reverse=reverse)
            window.total = len(window.ordered)
        chosen: Sequence[Any] = window.ordered[window.offset : window.offset + window.size]
    else:
        chosen = sorted(items, key=sort_key, reverse=reverse)
    nodes = [to_node(item) for item in chosen]
    # Cursors and pageInfo mean nothing in a bulk result; Shopify leaves them out too.
    return {
        "edges": [{"cursor": "", "node": n} for n in nodes],
        "nodes": nodes,
        "pageInfo": {
            "hasNextPage": False,
            "hasPreviousPage": False,
            "startCursor": None,
            "endCursor": None,
        },
    }


def by_id(item: Any) -> SortKey:
    return (item.id,)
