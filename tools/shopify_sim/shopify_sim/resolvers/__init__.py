"""Root-field resolvers, attached once to the schema's QueryRoot and Mutation types."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import GraphQLError, GraphQLResolveInfo, GraphQLSchema

from shopify_sim.resolvers import (
    bulk_operations,
    fulfillment,
    fulfillment_changes,
    fulfillment_requests,
    fulfillment_services,
    inventory,
    inventory_activate,
    inventory_adjust,
    order_closing,
    order_edits,
    order_update,
    orders,
    products,
    queries,
    webhooks,
)

MUTATION_FIELDS: dict[str, Callable[..., Any]] = {
    **orders.MUTATION_FIELDS,
    **order_edits.MUTATION_FIELDS,
    **order_closing.MUTATION_FIELDS,
    **order_update.MUTATION_FIELDS,
    **inventory_adjust.MUTATION_FIELDS,
    **fulfillment.MUTATION_FIELDS,
    **fulfillment_changes.MUTATION_FIELDS,
    **fulfillment_requests.MUTATION_FIELDS,
    **fulfillment_services.MUTATION_FIELDS,
    **inventory.MUTATION_FIELDS,
    **inventory_activate.MUTATION_FIELDS,
    **webhooks.MUTATION_FIELDS,
    **products.MUTATION_FIELDS,
    **bulk_operations.MUTATION_FIELDS,
}
QUERY_FIELDS: dict[str, Callable[..., Any]] = {
    **queries.QUERY_FIELDS,
    **fulfillment_services.QUERY_FIELDS,
    **products.QUERY_FIELDS,
    **bulk_operations.QUERY_FIELDS,
}


def _not_simulated(_root: Any, info: GraphQLResolveInfo, **_args: Any) -> None:
    # Fail loudly: a silent null would let a test pass against the simulator
    # that fails against Shopify.
    raise GraphQLError(
        f"shopify_sim does not simulate {info.parent_type.name}.{info.field_name}",
        extensions={"code": "NOT_SIMULATED"},
    )


def attach_resolvers(schema: GraphQLSchema) -> None:
    query_type, mutation_type = schema.query_type, schema.mutation_type
    assert query_type is not None and mutation_type is not None
    for root_type in (query_type, mutation_type):
        for field in root_type.fields.values():
            field.resolve = _not_simulated
    for name, resolver in QUERY_FIELDS.items():
        query_type.fields[name].resolve = resolver
    for name, resolver in MUTATION_FIELDS.items():
        mutation_type.fields[name].resolve = resolver
