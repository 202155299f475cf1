"""Every way a message can break its contract ends in a ContractError that says what broke."""

import json
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import BaseModel

from contracts import (
    ContractError,
    WmsInventorySnapshot,
    WmsOrderHold,
    new_envelope,
    parse_envelope,
)

Mutation = Callable[[dict[str, Any]], None]


def _set(path: str, value: object) -> Mutation:
    def mutate(message: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = message
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[last] = value

    return mutate


def _delete(path: str) -> Mutation:
    def mutate(message: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = message
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        del target[last]

    return mutate


BROKEN_MESSAGES = {
    "unknown type": (
        "wms.order.create",
        _set("type", "wms.order.teleport"),
        "unknown message type 'wms.order.teleport'",
    ),
    "type missing": ("wms.order.create", _delete("type"), "invalid message: type: Field required"),
    "type not a string": (
        "wms.order.create",
        _set("type", [7]),
        "invalid message: type: Input should be a valid string",
    ),
    "unsupported version": (
        "wms.order.create",
        _set("version", 2),
        "unsupported version 2 (supported: 1)",
    ),
    "version as string": (
        "wms.order.create",
        _set("version", "1"),
        "version: Input should be a valid integer",
    ),
    "envelope field missing": ("wms.order.create", _delete("shop"), "shop: Field required"),
    "payload field missing": (
        "wms.order.create",
        _delete("data.lines.0.sku"),
        "data.lines.0.sku: Field required",
    ),
    "extra envelope field": (
        "wms.order.create",
        _set("priority", "high"),
        "priority: Extra inputs are not permitted",
    ),
    "extra payload field": (
        "wms.order.create",
        _set("data.lines.0.price", "9.99"),
        "data.lines.0.price: Extra inputs are not permitted",
    ),
    "quantity as string": (
        "wms.order.create",
        _set("data.lines.0.quantity", "2"),
        "data.lines.0.quantity: Input should be a valid integer (got '2')",
    ),
    "quantity as float": (
        "wms.shipment.confirmed",
        _set("data.lines.0.quantity", 1.5),
        "data.lines.0.quantity: Input should be a valid integer",
    ),
    "zero quantity": (
        "wms.shipment.confirmed",
        _set("data.lines.0.quantity", 0),
        "data.lines.0.quantity: Input should be greater than or equal to 1",
    ),
    "flag as string": (
        "wms.order.create",
        _set("data.on_hold", "false"),
        "data.on_hold: Input should be a valid boolean",
    ),
    "naive envelope timestamp": (
        "wms.order.create",
        _set("occurred_at", "2026-11-22T10:00:00"),
        "occurred_at: timestamp has no timezone",
    ),
    "naive payload timestamp": (
        "wms.inventory.snapshot",
        _set("data.as_of", "2026-11-22T02:00:00"),
        "data.as_of: timestamp has no timezone",
    ),
    "unix timestamp": (
        "wms.order.cancel",
        _set("data.requested_at", 1795000000),
        "data.requested_at: expected an ISO 8601 timestamp",
    ),
    "not a timestamp": (
        "wms.order.cancel",
        _set("data.requested_at", "yesterday"),
        "data.requested_at: expected an ISO 8601 timestamp",
    ),
    "not a uuid": ("wms.order.create", _set("id", "1001"), "id: Input should be a valid UUID"),
    "shop not a myshopify domain": (
        "wms.order.create",
        _set("shop", "example.com"),
        "shop: String should match pattern",
    ),
    "wrong gid": (
        "wms.order.create",
        _set("data.shopify_order_id", "gid://shopify/Customer/1"),
        "data.shopify_order_id: String should match pattern",
    ),
    "order without lines": (
        "wms.order.create",
        _set("data.lines", []),
        "data.lines: List should have at least 1 item",
    ),
    "shipment without lines": (
        "wms.shipment.confirmed",
        _set("data.lines", []),
        "data.lines: List should have at least 1 item",
    ),
    "unknown cancellation reason": (
        "wms.order.cancelled",
        _set("data.reason", "lost"),
        "data.reason: Input should be 'out_of_stock', 'damaged', 'address' or 'other'",
    ),
    "unknown cancel outcome": (
        "wms.order.cancel_result",
        _set("data.outcome", "maybe"),
        "data.outcome: Input should be 'cancelled' or 'refused'",
    ),
    "snapshot part beyond parts": (
        "wms.inventory.snapshot",
        _set("data.part", 5),
        "data: part 5 is beyond parts 4",
    ),
    "snapshot with zero parts": (
        "wms.inventory.snapshot",
        _set("data.parts", 0),
        "data.parts: Input should be greater than or equal to 1",
    ),
    "data not an object": ("wms.order.release", _set("data", []), "data: Input should be"),
}


@pytest.mark.parametrize("case", sorted(BROKEN_MESSAGES))
def test_broken_message_is_refused_with_its_reason(
    case: str, spec_message: Callable[[str], dict[str, Any]]
) -> None:
    message_type, mutate, expected_reason = BROKEN_MESSAGES[case]
    message = spec_message(message_type)
    mutate(message)

    with pytest.raises(ContractError) as refused:
        parse_envelope(json.dumps(message))

    assert expected_reason in refused.value.reason
    assert str(refused.value) == refused.value.reason


@pytest.mark.parametrize(
    ("body", "expected_reason"),
    [
        (b"{not json", "message body is not JSON"),
        (b"\xff\xfe", "message body is not JSON"),
        (b"", "message body is not JSON"),
        (b"[]", "must be a JSON object (the envelope), not an array"),
        (b'"wms.order.create"', "must be a JSON object (the envelope), not a string"),
        (b"null", "must be a JSON object (the envelope), not null"),
    ],
)
def test_body_that_is_not_an_envelope_is_refused(body: bytes, expected_reason: str) -> None:
    with pytest.raises(ContractError) as refused:
        parse_envelope(body)

    assert expected_reason in refused.value.reason


def test_a_snapshot_part_repeating_a_sku_is_accepted_for_the_receiver_to_set_aside(
    spec_message: Callable[[str], dict[str, Any]],
) -> None:
    # Refusing the part would dead-letter every other row of it along with the two.
    message = spec_message("wms.inventory.snapshot")
    message["data"]["items"] = [
        {"sku": "A", "available": 1, "on_hand": 1},
        {"sku": "B", "available": 4, "on_hand": 4},
        {"sku": "A", "available": 2, "on_hand": 3},
    ]

    part = parse_envelope(json.dumps(message)).data_as(WmsInventorySnapshot)

    assert [(item.sku, item.available) for item in part.items] == [
        ("A", 1),
        ("B", 4),
        ("A", 2),
    ]


def test_reason_lists_a_few_problems_and_counts_the_rest(
    spec_message: Callable[[str], dict[str, Any]],
) -> None:
    message = spec_message("wms.order.create")
    message["data"]["lines"] = [{"line_ref": "x", "sku": "", "quantity": -1, "title": 1}] * 2

    with pytest.raises(ContractError) as refused:
        parse_envelope(json.dumps(message))

    assert refused.value.reason.startswith("invalid wms.order.create message: data.lines.0.")
    assert refused.value.reason.endswith("(+3 more)")


NEW_ENVELOPE_MISTAKES: dict[str, tuple[str, BaseModel | dict[str, Any], str, str]] = {
    "unknown type": (
        "wms.order.teleport",
        {},
        "example.myshopify.com",
        "unknown message type 'wms.order.teleport'",
    ),
    "invalid payload": (
        "wms.order.hold",
        {"wms_order_ref": "#1"},
        "example.myshopify.com",
        "invalid wms.order.hold message: data.reason: Field required",
    ),
    "invalid shop": (
        "wms.order.hold",
        {"wms_order_ref": "#1", "reason": "x"},
        "Example",
        "invalid wms.order.hold message: shop: String should match pattern",
    ),
    "another type's payload": (
        "wms.order.release",
        WmsOrderHold(wms_order_ref="#1", reason="x"),
        "example.myshopify.com",
        "data: Input should be a valid dictionary or instance of WmsOrderRelease",
    ),
}


@pytest.mark.parametrize("case", sorted(NEW_ENVELOPE_MISTAKES))
def test_new_envelope_refuses_what_parse_would_refuse(case: str) -> None:
    message_type, data, shop, expected_reason = NEW_ENVELOPE_MISTAKES[case]

    with pytest.raises(ContractError) as refused:
        new_envelope(message_type, data, shop=shop)

    assert expected_reason in refused.value.reason
