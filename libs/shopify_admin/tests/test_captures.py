"""Response handling checked on real Shopify request/response captures."""

import json
from collections.abc import Iterator
from typing import Any

import pytest

from shopify_admin.errors import ShopifyGraphQLError
from shopify_admin.reference import shopify_dir
from shopify_admin.results import MutationResult, UserError, user_errors
from shopify_admin.retry import Success, Transient, classify
from shopify_admin.testing import ManualClock
from shopify_admin.throttle import CostBucket, QueryCost, ShopThrottle

CAPTURES = shopify_dir() / "captures"


def load(name: str) -> Any:
    return json.loads((CAPTURES / name).read_text())


def response_bodies(node: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every GraphQL response body in a capture, whatever the capture's layout."""
    if isinstance(node, dict):
        if ("data" in node or "errors" in node) and not {"query", "variables"} <= node.keys():
            yield "/".join(path), node
            return
        for key, value in node.items():
            yield from response_bodies(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from response_bodies(value, (*path, str(index)))


def all_bodies() -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{capture.stem}:{path}", body)
        for capture in sorted(CAPTURES.glob("*.json"))
        for path, body in response_bodies(json.loads(capture.read_text()))
    ]


ALL_BODIES = all_bodies()


def test_captures_hold_many_responses() -> None:
    assert len(ALL_BODIES) > 150


@pytest.mark.parametrize(("where", "body"), ALL_BODIES, ids=[w for w, _ in ALL_BODIES])
def test_every_captured_response_is_classified(where: str, body: dict[str, Any]) -> None:
    outcome = classify("Captured", 200, {}, body)
    codes = {error.get("extensions", {}).get("code") for error in body.get("errors") or []} - {None}
    if not body.get("errors"):
        assert outcome == Success(body["data"])
    elif codes == {"INTERNAL_SERVER_ERROR"}:
        # Shopify's own failure: retried, not blamed on the query.
        assert isinstance(outcome, Transient)
        assert not outcome.not_executed
    else:
        assert isinstance(outcome, ShopifyGraphQLError)
        assert set(outcome.codes) == codes
        assert outcome.data == body.get("data")


def test_access_denied_keeps_the_partial_data() -> None:
    hold = load("fulfillment-order-lifecycle.json")["workflows"]["holdRelease"]["hold"]
    outcome = classify("Hold", 200, {}, hold["response"]["payload"])
    assert isinstance(outcome, ShopifyGraphQLError)
    assert outcome.codes == ["ACCESS_DENIED"]
    assert outcome.data is not None
    assert outcome.data["fulfillmentOrderHold"]["fulfillmentOrder"]["status"] == "ON_HOLD"


def test_missing_idempotency_directive_is_a_final_error() -> None:
    response = load("inventory-quantity-contracts-2026-04.json")["missingSetIdempotency"][
        "response"
    ]
    outcome = classify("InventorySetQuantities", 200, {}, response)
    assert isinstance(outcome, ShopifyGraphQLError)
    assert outcome.codes == ["BAD_REQUEST"]
    assert "@idempotent" in str(outcome)


BOUNDS = load("inventorySetQuantities-quantity-bounds.json")["cases"]


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        (
            "onHandNegative",
            [
                UserError(
                    ["input", "quantities", "0", "quantity"],
                    "The quantity can't be negative.",
                    "INVALID_QUANTITY_NEGATIVE",
                )
            ],
        ),
        (
            "availableTooLow",
            [
                UserError(
                    ["input", "quantities", "0", "quantity"],
                    "The quantity can't be lower than -1,000,000,000.",
                    "INVALID_QUANTITY_TOO_LOW",
                )
            ],
        ),
        ("availableNegativeWithinBounds", []),
    ],
)
def test_inventory_set_quantities_user_errors(case: str, expected: list[UserError]) -> None:
    outcome = classify("InventorySetQuantities", 200, {}, BOUNDS[case]["response"])
    assert isinstance(outcome, Success)
    result = MutationResult.from_data(outcome.data)
    assert result.user_errors == expected
    assert result.ok is (not expected)
    if result.ok:
        changes = result.payload["inventoryAdjustmentGroup"]["changes"]
        assert {(c["name"], c["delta"]) for c in changes} == {("available", -5), ("on_hand", -5)}


def test_order_cancel_success_has_no_user_errors() -> None:
    for capture in ("orderCancel-parity.json", "orderCancel-restock-refundMethod-parity.json"):
        data = load(capture)["mutation"]["response"]["data"]
        result = MutationResult.from_data(data)
        assert result.ok
        assert result.payload == {"orderCancelUserErrors": []}


def test_order_cancel_refusal_prefers_the_typed_errors_with_codes() -> None:
    cleanup = load("fulfillment-create-multi-group.json")["cleanup"]
    refusals = [
        MutationResult.from_data(step["cancel"]["response"]["data"])
        for step in cleanup.values()
        if step["cancel"]["response"]["data"]["orderCancel"]["orderCancelUserErrors"]
    ]
    assert refusals
    for result in refusals:
        assert result.error_codes == ["INVALID"]
        assert result.user_errors[0].field == ["orderId"]
        assert "outstanding fulfillments" in result.user_errors[0].message


def test_fulfillment_create_outcomes() -> None:
    cases = load("fulfillment-create-multi-group.json")["cases"]
    results = {
        name: MutationResult.from_data(case["response"]["data"]) for name, case in cases.items()
    }
    valid = results.pop("validMultiGroup")
    assert valid.ok
    assert valid.payload["fulfillment"]["id"].startswith("gid://shopify/Fulfillment/")
    assert results, "the capture has refused cases"
    for name, result in results.items():
        assert not result.ok, name
        assert result.payload["fulfillment"] is None
        # fulfillmentCreate's UserError type has no code field.
        assert all(error.code is None for error in result.user_errors)
    over_quantity = results["laterOverQuantity"].user_errors
    assert over_quantity == [
        UserError(["fulfillment"], "Invalid fulfillment order line item quantity requested.")
    ]


def test_user_errors_of_an_absent_payload_are_empty() -> None:
    assert user_errors(None) == []
    assert user_errors({"job": None}) == []


COSTED = [(where, body) for where, body in ALL_BODIES if "extensions" in body]


@pytest.mark.parametrize(("where", "body"), COSTED, ids=[w for w, _ in COSTED])
async def test_throttle_status_of_every_response_updates_the_bucket(
    where: str, body: dict[str, Any]
) -> None:
    cost = QueryCost.from_body(body)
    if body["extensions"] is None:
        assert cost is None
        return
    assert cost is not None and cost.throttle_status is not None
    manual = ManualClock(now=100.0)
    throttle = ShopThrottle(CostBucket(), clock=manual.clock, sleep=manual.sleep)
    reservation = await throttle.reserve(float(cost.requested or 0))
    throttle.settle(reservation, status=cost.throttle_status, charged=0)
    reported = body["extensions"]["cost"]["throttleStatus"]
    assert throttle.bucket.projected_available(manual.now) == reported["currentlyAvailable"]
    assert throttle.bucket.maximum == reported["maximumAvailable"]
    assert throttle.bucket.restore_rate == reported["restoreRate"]
    # The refund Shopify made (requested - actual) is in the reported figure:
    # nothing of the reservation is left behind.
    assert throttle.bucket.reserved == 0


def test_captured_costs_show_requested_at_least_actual() -> None:
    costs = [QueryCost.from_body(body) for _, body in COSTED]
    pairs = [
        (c.requested, c.actual)
        for c in costs
        if c and c.requested is not None and c.actual is not None
    ]
    assert pairs
    assert all(requested >= actual for requested, actual in pairs)
