"""The gateway's wire form of a webhook (body spliced in) is the ordinary message."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from contracts import ShopifyWebhook, new_envelope, parse_envelope, webhook_envelope_json

SAMPLE = Path(__file__).resolve().parents[3] / "shared/shopify/webhooks/orders__create.json"


def _envelope(payload: dict[str, object]) -> object:
    return new_envelope(
        "shopify.webhook.orders.create",
        ShopifyWebhook(
            webhook_id="w1", topic="orders/create", received_at=datetime.now(UTC), payload=payload
        ),
        shop="example.myshopify.com",
    )


def test_spliced_body_parses_to_the_same_message_as_the_ordinary_envelope() -> None:
    raw = SAMPLE.read_bytes()  # as Shopify sent it: indented, newlines and all
    empty = _envelope({})
    wire = webhook_envelope_json(empty, raw)  # type: ignore[arg-type]
    parsed = parse_envelope(wire)
    assert parsed.data.payload == json.loads(raw)  # type: ignore[attr-defined]
    assert parsed.model_copy(update={"data": empty.data}) == empty  # type: ignore[attr-defined]


def test_refuses_an_envelope_that_already_has_a_payload() -> None:
    with pytest.raises(ValueError, match="empty payload"):
        webhook_envelope_json(_envelope({"id": 1}), b"{}")  # type: ignore[arg-type]
