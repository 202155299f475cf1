"""Mutation helpers build variables the real schema accepts."""

import json
from collections.abc import Mapping
from typing import Any

import pytest
from graphql import GraphQLEnumType, GraphQLSchema, OperationDefinitionNode, parse
from graphql.execution.values import get_variable_values

from shopify_admin import mutations
from shopify_admin.mutations import FulfillmentLine, QuantitySetting, Tracking
from shopify_admin.operations import (
    FULFILLMENT_CREATE,
    FULFILLMENT_ORDER_HOLD,
    FULFILLMENT_ORDER_RELEASE_HOLD,
    INVENTORY_SET_QUANTITIES,
    ORDER_CANCEL,
    WEBHOOK_SUBSCRIPTION_CREATE,
    Operation,
)
from shopify_admin.reference import shopify_dir
from shopify_admin.results import MutationResult

FO = "gid://shopify/FulfillmentOrder/9921140097330"
FO_LINE = "gid://shopify/FulfillmentOrderLineItem/20282999177522"
ITEM = "gid://shopify/InventoryItem/53489632444722"
LOCATION = "gid://shopify/Location/106318430514"


def assert_schema_accepts(schema: GraphQLSchema, operation: Operation, variables: Any) -> None:
    """Coerce `variables` exactly as a GraphQL server would before executing."""
    (definition,) = [
        d for d in parse(operation.document).definitions if isinstance(d, OperationDefinitionNode)
    ]
    coerced = get_variable_values(
        schema, definition.variable_definitions, operation.variables(variables)
    )
    assert not isinstance(coerced, list), [error.message for error in coerced]


class RecordingExecutor:
    """Stands in for ShopifyClient: records what would be sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[Operation, dict[str, Any]]] = []

    async def execute_mutation(
        self, operation: Operation, variables: Mapping[str, Any] | None = None
    ) -> MutationResult:
        self.sent.append((operation, dict(variables or {})))
        return MutationResult(payload={})


def test_partial_fulfillment_with_several_tracking_numbers(schema: GraphQLSchema) -> None:
    variables = mutations.fulfillment_create_variables(
        {FO: [FulfillmentLine(FO_LINE, 1)]},
        tracking=Tracking("UPS", ["1Z999AA10123456784", "1Z999AA10123456785"], []),
        notify_customer=True,
    )
    assert variables == {
        "fulfillment": {
            "lineItemsByFulfillmentOrder": [
                {
                    "fulfillmentOrderId": FO,
                    "fulfillmentOrderLineItems": [{"id": FO_LINE, "quantity": 1}],
                }
            ],
            "notifyCustomer": True,
            "trackingInfo": {
                "company": "UPS",
                "numbers": ["1Z999AA10123456784", "1Z999AA10123456785"],
            },
        },
        "message": None,
    }
    assert_schema_accepts(schema, FULFILLMENT_CREATE, variables)


def test_whole_fulfillment_order_without_tracking(schema: GraphQLSchema) -> None:
    variables = mutations.fulfillment_create_variables(
        {FO: None}, tracking=None, notify_customer=False, message="shipped by WH1"
    )
    assert variables["fulfillment"]["lineItemsByFulfillmentOrder"] == [{"fulfillmentOrderId": FO}]
    assert "trackingInfo" not in variables["fulfillment"]
    assert_schema_accepts(schema, FULFILLMENT_CREATE, variables)


@pytest.mark.parametrize("quantity", [0, -1])
def test_fulfillment_quantities_must_be_positive(quantity: int) -> None:
    with pytest.raises(ValueError, match="positive"):
        mutations.fulfillment_create_variables(
            {FO: [FulfillmentLine(FO_LINE, quantity)]}, tracking=None, notify_customer=False
        )


def test_inventory_set_sends_change_from_quantity_even_when_null(schema: GraphQLSchema) -> None:
    variables = mutations.inventory_set_quantities_variables(
        [QuantitySetting(ITEM, LOCATION, 12, 10), QuantitySetting(ITEM + "1", LOCATION, 3, None)],
        name="available",
        reason="correction",
        idempotency_key="WH1-2026-11-22-part-1",
        reference_document_uri="logistics://shipbridge/snapshot/WH1-2026-11-22",
    )
    quantities = variables["input"]["quantities"]
    assert quantities[0]["changeFromQuantity"] == 10
    assert "changeFromQuantity" in quantities[1] and quantities[1]["changeFromQuantity"] is None
    assert variables["idempotencyKey"] == "WH1-2026-11-22-part-1"
    assert_schema_accepts(schema, INVENTORY_SET_QUANTITIES, variables)


def test_inventory_set_refuses_more_than_250_or_a_blank_key() -> None:
    settings = [QuantitySetting(f"{ITEM}{i}", LOCATION, 1, 0) for i in range(251)]
    with pytest.raises(ValueError, match="250"):
        mutations.inventory_set_quantities_variables(
            settings, name="available", reason="correction", idempotency_key="k"
        )
    with pytest.raises(ValueError, match="idempotency"):
        mutations.inventory_set_quantities_variables(
            settings[:1], name="available", reason="correction", idempotency_key="  "
        )


def test_the_captured_inventory_request_matches_what_we_build() -> None:
    captured = json.loads(
        (shopify_dir() / "captures" / "inventory-quantity-contracts-2026-04.json").read_text()
    )["inventorySetQuantities"]["variables"]
    (quantity,) = captured["input"]["quantities"]
    built = mutations.inventory_set_quantities_variables(
        [
            QuantitySetting(
                quantity["inventoryItemId"],
                quantity["locationId"],
                quantity["quantity"],
                quantity["changeFromQuantity"],
            )
        ],
        name=captured["input"]["name"],
        reason=captured["input"]["reason"],
        idempotency_key=captured["idempotencyKey"],
        reference_document_uri=captured["input"]["referenceDocumentUri"],
    )
    assert built == captured


def test_order_cancel_variables(schema: GraphQLSchema) -> None:
    variables = mutations.cancel_order_variables(
        "gid://shopify/Order/1",
        reason="INVENTORY",
        restock=True,
        staff_note="x" * 400,
        refund_to_original_payment=True,
    )
    assert len(variables["staffNote"]) == 255
    assert variables["refundMethod"] == {"originalPaymentMethodsRefund": True}
    assert_schema_accepts(schema, ORDER_CANCEL, variables)
    plain = mutations.cancel_order_variables(
        "gid://shopify/Order/1", reason="CUSTOMER", restock=False
    )
    assert plain["refundMethod"] is None
    assert_schema_accepts(schema, ORDER_CANCEL, plain)


async def test_hold_and_release_send_valid_variables(schema: GraphQLSchema) -> None:
    executor = RecordingExecutor()
    await mutations.hold_fulfillment_order(
        executor,
        FO,
        handle="shipbridge-fraud-risk",
        reason="HIGH_RISK_OF_FRAUD",
        reason_notes="risk HIGH",
    )
    await mutations.release_fulfillment_order_hold(
        executor, FO, hold_ids=["gid://shopify/FulfillmentHold/299245338930"]
    )
    (hold_op, hold_vars), (release_op, release_vars) = executor.sent
    assert (hold_op, release_op) == (FULFILLMENT_ORDER_HOLD, FULFILLMENT_ORDER_RELEASE_HOLD)
    assert hold_vars["handle"] == "shipbridge-fraud-risk"
    assert_schema_accepts(schema, hold_op, hold_vars)
    assert_schema_accepts(schema, release_op, release_vars)


async def test_hold_needs_a_handle_and_release_needs_hold_ids() -> None:
    executor = RecordingExecutor()
    with pytest.raises(ValueError, match="handle"):
        await mutations.hold_fulfillment_order(executor, FO, handle=" ", reason="OTHER")
    with pytest.raises(ValueError, match="holds"):
        await mutations.release_fulfillment_order_hold(executor, FO, hold_ids=[])
    assert executor.sent == []


async def test_helpers_send_their_own_operation(schema: GraphQLSchema) -> None:
    executor = RecordingExecutor()
    await mutations.create_fulfillment(executor, {FO: None}, tracking=Tracking(numbers=["1"]))
    await mutations.cancel_order(executor, "gid://shopify/Order/1", reason="OTHER", restock=True)
    await mutations.set_inventory_quantities(
        executor,
        [QuantitySetting(ITEM, LOCATION, 1, 0)],
        name="on_hand",
        reason="correction",
        idempotency_key="k1",
    )
    await mutations.create_webhook_subscription(
        executor, "orders/create", uri="https://hooks.example.com/webhooks/shopify"
    )
    sent_operations = [operation for operation, _ in executor.sent]
    assert sent_operations == [
        FULFILLMENT_CREATE,
        ORDER_CANCEL,
        INVENTORY_SET_QUANTITIES,
        WEBHOOK_SUBSCRIPTION_CREATE,
    ]
    for operation, variables in executor.sent:
        assert_schema_accepts(schema, operation, variables)


@pytest.mark.parametrize(
    ("topic", "enum"),
    [
        ("orders/create", "ORDERS_CREATE"),
        ("orders/paid", "ORDERS_PAID"),
        ("app/uninstalled", "APP_UNINSTALLED"),
        ("fulfillment_orders/placed_on_hold", "FULFILLMENT_ORDERS_PLACED_ON_HOLD"),
    ],
)
def test_webhook_topic_is_a_schema_enum(schema: GraphQLSchema, topic: str, enum: str) -> None:
    assert mutations.webhook_topic(topic) == enum
    topics = schema.type_map["WebhookSubscriptionTopic"]
    assert isinstance(topics, GraphQLEnumType)
    assert enum in topics.values
