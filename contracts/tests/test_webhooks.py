"""Shopify's own webhook samples (API 2026-07) travel the bus as ShopifyWebhook messages."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from contracts import (
    SUBSCRIBED_TOPICS,
    ContractError,
    ShopifyWebhook,
    new_envelope,
    parse_envelope,
    webhook_message_type,
)

# The shared reference data sits next to the project root (see /work/shared/README.md).
SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "shopify" / "webhooks"


@pytest.mark.parametrize("topic", SUBSCRIBED_TOPICS)
def test_shopify_sample_wraps_into_a_valid_envelope(topic: str) -> None:
    sample = json.loads((SAMPLES / f"{topic.replace('/', '__')}.json").read_text())

    sent = new_envelope(
        webhook_message_type(topic),
        {
            "webhook_id": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
            "event_id": "98880550-7158-44d4-b7cd-2c97c8a091b5",
            "topic": topic,
            "api_version": "2026-07",
            "triggered_at": "2026-11-22T09:59:59.123456Z",
            "received_at": datetime(2026, 11, 22, 10, 0, tzinfo=UTC),
            "payload": sample,
        },
        shop="example.myshopify.com",
    )
    received = parse_envelope(sent.to_json())

    assert received == sent
    assert isinstance(received.data, ShopifyWebhook)
    assert received.data.payload == sample
    assert received.data.topic == topic


def test_webhook_of_an_unsubscribed_topic_is_refused() -> None:
    with pytest.raises(ContractError) as refused:
        parse_envelope(
            json.dumps(
                {
                    "id": "6f1c2c56-8a7e-4f0e-9d52-0b1f0c7b1a11",
                    "type": "shopify.webhook.orders.create",
                    "version": 1,
                    "occurred_at": "2026-11-22T10:00:00Z",
                    "shop": "example.myshopify.com",
                    "correlation_id": "0b7e6a52-3d0c-4c1b-9a4e-7f2d5c8e9a10",
                    "causation_id": None,
                    "data": {
                        "webhook_id": "w1",
                        "topic": "orders/delete",
                        "received_at": "2026-11-22T10:00:00Z",
                        "payload": {"id": 1},
                    },
                }
            )
        )

    assert "data.topic: Input should be 'orders/create'" in refused.value.reason
