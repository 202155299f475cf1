"""Every operation conforms to the real 2026-07 Admin schema and cost model."""

import pytest
from graphql import GraphQLSchema, OperationDefinitionNode, parse, validate
from graphql.validation import NoDeprecatedCustomRule, specified_rules

from shopify_admin import operations
from shopify_admin.cost import requested_query_cost
from shopify_admin.operations import (
    MAX_PAGE_SIZE,
    MAX_QUERY_COST,
    Operation,
    all_operations,
)

OPERATIONS = all_operations()
IDS = [op.name for op in OPERATIONS]
QUERIES = [op for op in OPERATIONS if op.kind == "query"]


def test_every_module_level_operation_is_listed() -> None:
    names = {name for name in operations.__all__ if name.isupper()}
    names -= {"MAX_PAGE_SIZE", "MAX_QUERY_COST"}
    assert {getattr(operations, name).name for name in names} == set(IDS)
    assert len(set(IDS)) == len(IDS), "operation names are unique"


@pytest.mark.parametrize("operation", OPERATIONS, ids=IDS)
def test_operation_validates_against_the_schema(
    schema: GraphQLSchema, operation: Operation
) -> None:
    errors = validate(schema, parse(operation.document))
    assert [error.message for error in errors] == []


@pytest.mark.parametrize("operation", OPERATIONS, ids=IDS)
def test_operation_uses_no_deprecated_field_argument_or_enum(
    schema: GraphQLSchema, operation: Operation
) -> None:
    errors = validate(schema, parse(operation.document), [*specified_rules, NoDeprecatedCustomRule])
    assert [error.message for error in errors] == []


@pytest.mark.parametrize("operation", OPERATIONS, ids=IDS)
def test_document_holds_exactly_the_declared_operation(operation: Operation) -> None:
    definitions = [
        d for d in parse(operation.document).definitions if isinstance(d, OperationDefinitionNode)
    ]
    assert len(definitions) == 1
    (definition,) = definitions
    assert definition.name is not None and definition.name.value == operation.name
    assert definition.operation.value == operation.kind
    declared = {v.variable.name.value for v in definition.variable_definitions}
    assert set(operation.default_variables) <= declared


@pytest.mark.parametrize("operation", OPERATIONS, ids=IDS)
def test_page_sizes_are_within_shopify_limits(operation: Operation) -> None:
    sizes = [
        v
        for v in operation.default_variables.values()
        if isinstance(v, int) and not isinstance(v, bool)
    ]
    assert all(0 < size <= MAX_PAGE_SIZE for size in sizes)


def test_paginated_queries_take_a_cursor_and_report_the_next_one() -> None:
    paginated = [op for op in QUERIES if "$after: String" in op.document]
    assert {op.name for op in paginated} >= {
        "OrdersUpdatedSince",
        "InventoryItemsBySku",
        "ProductVariants",
        "InventoryLevels",
        "Locations",
        "WebhookSubscriptions",
    }
    for operation in paginated:
        assert "pageInfo { hasNextPage endCursor }" in operation.document, operation.name


def test_only_fulfillment_create_is_unsafe_to_repeat() -> None:
    unsafe = {op.name for op in OPERATIONS if not op.retry_safe}
    assert unsafe == {"FulfillmentCreate"}


def test_inventory_mutation_carries_the_idempotency_directive() -> None:
    assert "@idempotent(key: $idempotencyKey)" in operations.INVENTORY_SET_QUANTITIES.document


def test_an_operation_must_declare_what_its_document_says() -> None:
    with pytest.raises(ValueError, match="does not declare"):
        Operation(name="Wrong", document="query Right { shop { id } }", cost=1)
    with pytest.raises(ValueError, match="does not declare"):
        Operation(name="Right", document="query Right { shop { id } }", cost=1, kind="mutation")
    with pytest.raises(ValueError, match="cost"):
        Operation(name="Big", document="query Big { shop { id } }", cost=MAX_QUERY_COST + 1)


def test_variables_put_the_callers_over_the_defaults() -> None:
    locations = operations.LOCATIONS
    assert locations.variables() == {"first": 250, "includeInactive": False}
    assert locations.variables({"first": 3, "after": "c"}) == {
        "first": 3,
        "includeInactive": False,
        "after": "c",
    }


@pytest.mark.parametrize("operation", OPERATIONS, ids=IDS)
def test_declared_cost_is_shopifys_requested_cost(
    schema: GraphQLSchema, operation: Operation
) -> None:
    requested = requested_query_cost(schema, operation.document, dict(operation.default_variables))
    assert operation.cost == requested
    assert requested <= MAX_QUERY_COST
