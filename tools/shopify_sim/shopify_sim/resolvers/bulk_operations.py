"""bulkOperationRunQuery, bulkOperationCancel and currentBulkOperation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import GraphQLResolveInfo

from shopify_sim.domain.bulk_query import plan_bulk_query
from shopify_sim.domain.user_errors import user_error
from shopify_sim.ids import gid, gid_number
from shopify_sim.resolvers.context import context_of
from shopify_sim.state.models import BULK_FINAL_STATUSES, BulkOperation
from shopify_sim.views.bulk import bulk_operation_node

Node = dict[str, Any]


def bulk_operation_run_query(
    _root: Any, info: GraphQLResolveInfo, query: str, groupObjects: bool = False
) -> Node:
    context = context_of(info)
    shop = context.shop
    runner = context.bulk
    assert runner is not None, "the simulator wires a bulk runner into every request"
    running = [
        op
        for op in shop.bulk_operations.values()
        if op.type == "QUERY" and op.status not in BULK_FINAL_STATUSES
    ]
    if len(running) >= runner.concurrency:
        if runner.concurrency == 1:
            message = (
                "A bulk query operation for this app and shop is already in progress: "
                f"{gid('BulkOperation', running[0].id)}."
            )
            return _refused(message, "OPERATION_IN_PROGRESS")
        return _refused("Bulk operations limit reached. Please try again later.", "LIMIT_REACHED")
    plan = plan_bulk_query(runner.schema, query)
    if isinstance(plan, list):
        return {"bulkOperation": None, "userErrors": plan}
    operation = BulkOperation(
        id=shop.new_id(), query=query, created_at=shop.now(), group_objects=groupObjects
    )
    shop.bulk_operations[operation.id] = operation
    runner.start(shop, operation, plan)
    return {"bulkOperation": bulk_operation_node(operation), "userErrors": []}


def _refused(message: str, code: str) -> Node:
    return {"bulkOperation": None, "userErrors": [user_error(None, message, code)]}


def bulk_operation_cancel(_root: Any, info: GraphQLResolveInfo, id: str) -> Node:
    shop = context_of(info).shop
    number = gid_number(id, "BulkOperation")
    operation = shop.bulk_operations.get(number) if number is not None else None
    if operation is None:
        return {
            "bulkOperation": None,
            "userErrors": [user_error(["id"], "Bulk operation does not exist")],
        }
    if operation.status in BULK_FINAL_STATUSES or operation.status == "CANCELING":
        message = f"A bulk operation cannot be canceled when it is {operation.status.lower()}"
        return {
            "bulkOperation": bulk_operation_node(operation),
            "userErrors": [user_error(None, message)],
        }
    # The runner sees the request between pages and ends the operation CANCELED.
    operation.cancel_requested = True
    operation.status = "CANCELING"
    return {"bulkOperation": bulk_operation_node(operation), "userErrors": []}


def current_bulk_operation(
    _root: Any, info: GraphQLResolveInfo, type: str = "QUERY"
) -> Node | None:
    shop = context_of(info).shop
    latest = max(
        (op for op in shop.bulk_operations.values() if op.type == type),
        key=lambda op: op.id,
        default=None,
    )
    return bulk_operation_node(latest) if latest is not None else None


MUTATION_FIELDS: dict[str, Callable[..., Any]] = {
    "bulkOperationRunQuery": bulk_operation_run_query,
    "bulkOperationCancel": bulk_operation_cancel,
}
QUERY_FIELDS: dict[str, Callable[..., Any]] = {"currentBulkOperation": current_bulk_operation}
