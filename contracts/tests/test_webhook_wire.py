"""The gateway's one-pass wire form of a webhook is byte for byte the ordinary message."""

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from uuid import uuid4

import msgspec
import pydantic_core
import pytest

from contracts import ContractError, Envelope, ShopifyWebhook, new_envelope, parse_envelope
from contracts.webhook_bodies import OrderOnTheBus
from contracts.webhook_wire import WebhookMessage, webhook_message

SAMPLE = Path(__file__).resolve().parents[3] / "shared/shopify/webhooks/orders__create.json"
SHOP = "example.myshopify.com"
TRIGGERED_IN_PARIS = datetime(2026, 11, 22, 23, 0, 5, 120000, tzinfo=timezone(timedelta(hours=1)))


def _message(payload: msgspec.Raw | msgspec.Struct, **changes: Any) -> WebhookMessage:
    fields: dict[str, Any] = {
        "shop": SHOP,
        "correlation_id": uuid4(),
        "webhook_id": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
        "event_id": "98880550-7158-44d4-b7cd-2c97c8a091b5",
        "topic": "orders/create",
        "api_version": "2026-07",
        "triggered_at": TRIGGERED_IN_PARIS,
        "received_at": datetime.now(UTC),
        "payload": payload,
        **changes,
    }
    return webhook_message(**fields)


def _ordinary(message: WebhookMessage, payload: dict[str, object]) -> Envelope:
    """The same message built and serialised the ordinary way, through the pydantic models."""
    wire = json.loads(message.wire)["data"]
    envelope = new_envelope(
        message.type,
        ShopifyWebhook(
            webhook_id=wire["webhook_id"],
            event_id=wire["event_id"],
            topic=wire["topic"],
            api_version=wire["api_version"],
            triggered_at=TRIGGERED_IN_PARIS if wire["triggered_at"] else None,
            received_at=message.occurred_at,
            payload=payload,
        ),
        shop=message.shop,
        correlation_id=message.correlation_id,
        occurred_at=message.occurred_at,
    )
    return envelope.model_copy(update={"id": message.id})


def test_a_raw_body_is_written_exactly_as_the_envelope_would_write_it() -> None:
    payload = json.loads(SAMPLE.read_bytes())
    message = _message(msgspec.Raw(pydantic_core.to_json(payload)))
    assert message.wire == _ordinary(message, payload).to_json()


def test_a_trimmed_order_is_written_exactly_as_the_envelope_would_write_it() -> None:
    order = msgspec.json.decode(SAMPLE.read_bytes(), type=OrderOnTheBus)
    message = _message(order)
    assert message.wire == _ordinary(message, msgspec.to_builtins(order)).to_json()


def test_optional_headers_absent_are_written_as_nulls() -> None:
    body = {"id": 1}
    message = _message(msgspec.Raw(b'{"id":1}'), event_id=None, api_version=None, triggered_at=None)
    assert message.wire == _ordinary(message, body).to_json()


def test_a_body_embedded_as_received_parses_to_the_same_payload() -> None:
    raw = SAMPLE.read_bytes()  # as Shopify sent it: indented, newlines and all
    message = _message(msgspec.Raw(raw))
    parsed = parse_envelope(message.wire)
    webhook = parsed.data_as(ShopifyWebhook)
    assert webhook.payload == json.loads(raw)
    assert (parsed.id, parsed.type, parsed.shop) == (message.id, message.type, SHOP)
    assert webhook.triggered_at == TRIGGERED_IN_PARIS
    assert webhook.triggered_at.tzinfo == UTC


def test_a_topic_not_subscribed_is_refused() -> None:
    with pytest.raises(ContractError, match="not a subscribed webhook topic"):
        _message(msgspec.Raw(b"{}"), topic="products/set_on_the_moon")
