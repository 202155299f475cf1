"""Fields Shopify withholds (ACCESS_DENIED inside the data) and metering calls and points."""

from collections.abc import Mapping
from typing import Any

import pytest

from shopify_admin.errors import ShopifyGraphQLError
from shopify_admin.metering import CostMeter, metered, record_request
from shopify_admin.operations import ORDERS_BY_ID, ORDERS_UPDATED_SINCE, Operation
from shopify_admin.pagination import fetch_nodes, paginate_with_denials, read_nodes

MESSAGE = "This app is not approved to access the Customer object."


def denied(*path: str | int) -> dict[str, Any]:
    return {
        "message": MESSAGE,
        "path": list(path),
        "extensions": {"code": "ACCESS_DENIED"},
    }


class Answers:
    def __init__(self, *answers: dict[str, Any] | ShopifyGraphQLError) -> None:
        self.answers = list(answers)

    async def execute(
        self, operation: Operation, variables: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        answer = self.answers.pop(0)
        if isinstance(answer, ShopifyGraphQLError):
            raise answer
        return answer


def order(n: int) -> dict[str, Any]:
    return {"id": f"gid://shopify/Order/{n}", "shippingAddress": None}


async def test_read_nodes_tells_withheld_fields_per_node_and_keeps_the_rest() -> None:
    data = {"nodes": [order(1), order(2), None]}
    error = ShopifyGraphQLError("OrdersById", [denied("nodes", 1, "shippingAddress")], data)
    ids = [f"gid://shopify/Order/{n}" for n in (1, 2, 3)]
    read = await read_nodes(Answers(error), ORDERS_BY_ID, ids)
    assert read.found == {ids[0]: order(1), ids[1]: order(2), ids[2]: None}
    [field] = read.denied[ids[1]]
    assert field.path == ("nodes", 1, "shippingAddress")
    assert field.describe() == f"shippingAddress: {MESSAGE}"
    assert list(read.denied) == [ids[1]]


@pytest.mark.parametrize(
    "errors",
    [
        [{"message": "Field 'x' doesn't exist", "extensions": {"code": "undefinedField"}}],
        [denied("nodes", 0, "customer"), {"message": "boom"}],
        [denied("shop")],  # outside the nodes: the read itself is refused
    ],
    ids=["other-error", "mixed", "outside-nodes"],
)
async def test_anything_but_fields_withheld_inside_nodes_still_raises(
    errors: list[dict[str, Any]],
) -> None:
    error = ShopifyGraphQLError("OrdersById", errors, {"nodes": [order(1)]})
    with pytest.raises(ShopifyGraphQLError):
        await read_nodes(Answers(error), ORDERS_BY_ID, ["gid://shopify/Order/1"])


async def test_fetch_nodes_keeps_refusing_withheld_fields() -> None:
    error = ShopifyGraphQLError("OrdersById", [denied("nodes", 0, "email")], {"nodes": [order(1)]})
    with pytest.raises(ShopifyGraphQLError):
        await fetch_nodes(Answers(error), ORDERS_BY_ID, ["gid://shopify/Order/1"])


async def test_paginate_with_denials_yields_each_node_with_what_was_withheld() -> None:
    first = ShopifyGraphQLError(
        "OrdersUpdatedSince",
        [denied("orders", "nodes", 0, "shippingAddress")],
        {"orders": {"nodes": [order(1)], "pageInfo": {"hasNextPage": True, "endCursor": "c1"}}},
    )
    second = {"orders": {"nodes": [order(2)], "pageInfo": {"hasNextPage": False}}}
    pages = paginate_with_denials(Answers(first, second), ORDERS_UPDATED_SINCE, {}, ("orders",))
    got = [(node["id"], [d.path for d in withheld]) async for node, withheld in pages]
    assert got == [
        ("gid://shopify/Order/1", [("orders", "nodes", 0, "shippingAddress")]),
        ("gid://shopify/Order/2", []),
    ]


def test_meters_count_requests_sent_inside_them_and_nest() -> None:
    record_request(7)  # outside any meter: counted nowhere
    with metered() as outer:
        record_request(10)
        with metered(CostMeter()) as inner:
            record_request(3)
            record_request(0)
    record_request(5)
    assert (inner.calls, inner.points) == (2, 3)
    assert (outer.calls, outer.points) == (3, 13)
