import json
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
from pydantic import ValidationError

from contracts import (
    ContractError,
    Envelope,
    WmsInventoryAdjusted,
    WmsOrderAccepted,
    WmsOrderHold,
    WmsShipmentConfirmed,
    new_envelope,
    parse_envelope,
)

SHOP = "example.myshopify.com"
SPEC_ENVELOPE_FIELDS = [
    "id",
    "type",
    "version",
    "occurred_at",
    "shop",
    "correlation_id",
    "causation_id",
    "data",
]


def test_round_trip_through_the_wire_form_is_lossless(
    spec_type: str, spec_payloads: dict[str, Any]
) -> None:
    sent = new_envelope(spec_type, spec_payloads[spec_type], shop=SHOP)

    assert parse_envelope(sent.to_json()) == sent
    assert parse_envelope(sent.to_json().decode()) == sent


def test_wire_form_is_compact_json_in_spec_envelope_shape() -> None:
    hold = {"wms_order_ref": "#1001", "reason": "fraud"}
    envelope = new_envelope("wms.order.hold", hold, shop=SHOP)

    wire = envelope.to_json()
    document = json.loads(wire)

    assert list(document) == SPEC_ENVELOPE_FIELDS
    assert document["data"] == hold
    assert document["version"] == 1
    assert document["causation_id"] is None
    assert wire == json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


def test_new_envelope_defaults_identity_and_time() -> None:
    before = datetime.now(UTC)
    first = new_envelope("wms.order.release", {"wms_order_ref": "#1001"}, shop=SHOP)
    second = new_envelope("wms.order.release", {"wms_order_ref": "#1001"}, shop=SHOP)

    assert first.id != second.id
    assert first.correlation_id != second.correlation_id
    assert first.causation_id is None
    assert first.occurred_at.tzinfo is UTC
    assert before <= first.occurred_at <= datetime.now(UTC)


def test_new_envelope_takes_a_payload_model_instance_and_explicit_ids() -> None:
    correlation_id, causation_id = uuid4(), uuid4()
    occurred_at = datetime(2026, 11, 22, 5, 0, tzinfo=UTC)
    hold = WmsOrderHold(wms_order_ref="#1001", reason="fraud")

    envelope = new_envelope(
        "wms.order.hold",
        hold,
        shop=SHOP,
        correlation_id=correlation_id,
        causation_id=causation_id,
        occurred_at=occurred_at,
    )

    assert envelope.data is hold
    assert (envelope.correlation_id, envelope.causation_id) == (correlation_id, causation_id)
    assert envelope.occurred_at == occurred_at


def test_caused_continues_the_conversation() -> None:
    shipment = new_envelope(
        "wms.shipment.confirmed",
        {
            "shipment_id": "SHP-1",
            "wms_order_ref": "#1001",
            "shipped_at": "2026-11-23T15:00:00Z",
            "carrier": "UPS",
            "lines": [{"sku": "ABC-1", "quantity": 1}],
        },
        shop=SHOP,
    )

    reply = shipment.caused("wms.order.accepted", {"wms_order_ref": "#1001"})
    elsewhere = shipment.caused(
        "wms.order.accepted", WmsOrderAccepted(wms_order_ref="#1"), shop="other.myshopify.com"
    )

    assert isinstance(shipment.data, WmsShipmentConfirmed)
    assert shipment.data.lines[0].line_ref is None
    assert reply.id not in (shipment.id, elsewhere.id)
    assert reply.correlation_id == shipment.correlation_id
    assert reply.causation_id == shipment.id
    assert reply.shop == SHOP
    assert elsewhere.shop == "other.myshopify.com"


def test_timestamps_are_normalised_to_utc() -> None:
    envelope = new_envelope(
        "wms.order.cancel",
        {"wms_order_ref": "#1", "reason": "customer", "requested_at": "2026-11-22T04:59:58-05:00"},
        shop=SHOP,
    )

    assert json.loads(envelope.to_json())["data"]["requested_at"] == "2026-11-22T09:59:58Z"


def test_negative_available_stock_is_accepted_but_on_hand_is_not() -> None:
    adjusted = {
        "facility": "WH1",
        "sku": "ABC-1",
        "available": -3,
        "on_hand": 0,
        "as_of": "2026-11-22T10:15:00Z",
    }
    envelope = new_envelope("wms.inventory.adjusted", adjusted, shop=SHOP)
    assert isinstance(envelope.data, WmsInventoryAdjusted)
    assert envelope.data.available == -3

    with pytest.raises(ContractError, match=r"data\.on_hand: Input should be greater than"):
        new_envelope("wms.inventory.adjusted", {**adjusted, "on_hand": -1}, shop=SHOP)


def test_direct_construction_cannot_put_a_payload_under_another_type() -> None:
    with pytest.raises(ValidationError, match="instance of WmsOrderAccepted"):
        Envelope(
            id=uuid4(),
            type="wms.order.accepted",
            version=1,
            occurred_at=datetime.now(UTC),
            shop=SHOP,
            correlation_id=uuid4(),
            causation_id=None,
            data=WmsOrderHold(wms_order_ref="#1001", reason="fraud"),
        )


def test_a_directly_built_envelope_equals_the_parsed_one() -> None:
    message_id, correlation_id = UUID(int=1), UUID(int=2)
    occurred_at = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
    built = Envelope(
        id=message_id,
        type="wms.order.accepted",
        version=1,
        occurred_at=occurred_at,
        shop=SHOP,
        correlation_id=correlation_id,
        causation_id=None,
        data=WmsOrderAccepted(wms_order_ref="#1001"),
    )

    assert parse_envelope(built.to_json()) == built
