"""What a request will cost before it is sent.

An operation declares the requested cost of its default page sizes. Once
Shopify has reported the requestedQueryCost of an operation at given page
sizes, that figure is used instead: it is exact, whatever the declaration.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shopify_admin.operations import Operation

__all__ = ["RequestedCostEstimates", "default_estimates"]

_Key = tuple[str, tuple[tuple[str, int], ...]]


def _page_sizes(variables: Mapping[str, Any]) -> tuple[tuple[str, int], ...]:
    # Requested cost depends on page sizes (integer arguments such as `first`),
    # not on ids, cursors or search strings: Shopify's requested cost of
    # nodes(ids:) is the same for 2 ids as for 4.
    return tuple(
        sorted(
            (name, value)
            for name, value in variables.items()
            if isinstance(value, int) and not isinstance(value, bool)
        )
    )


class RequestedCostEstimates:
    def __init__(self) -> None:
        self._learned: dict[_Key, int] = {}

    @staticmethod
    def _key(operation: Operation, variables: Mapping[str, Any]) -> _Key:
        return operation.name, _page_sizes(variables)

    def estimate(self, operation: Operation, variables: Mapping[str, Any]) -> int:
        return self._learned.get(self._key(operation, variables), operation.cost)

    def learn(self, operation: Operation, variables: Mapping[str, Any], requested: int) -> None:
        self._learned[self._key(operation, variables)] = requested


_DEFAULT_ESTIMATES = RequestedCostEstimates()


def default_estimates() -> RequestedCostEstimates:
    """Process-wide: requested costs depend on the query, not on the shop."""
    return _DEFAULT_ESTIMATES
