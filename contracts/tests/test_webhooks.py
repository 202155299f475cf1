"""Shopify's own webhook samples (API 2026-07) travel the bus as ShopifyWebhook messages."""

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

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

SAMPLE_OF_ANOTHER_TOPIC = {"products/create": "products/update"}
"""Topics whose stored sample is another topic's: the samples README says Shopify's
`products/update` sample is identical to `products/create`'s, and only the former was kept."""

NOT_SAMPLED: dict[str, dict[str, Any]] = {
    # Shopify's reference page has these, but they were not extracted into the samples folder.
    # The bodies below are ours, written from the fields Shopify documents for the topic (a
    # deleted product is only its id; a finished bulk operation is its GID, status, error code,
    # type and timestamps), not Shopify's placeholders: they prove the envelope carries such a
    # body, not that Shopify sends exactly this.
    "products/delete": {"id": 788032119674292922},
    "bulk_operations/finish": {
        "admin_graphql_api_id": "gid://shopify/BulkOperation/147595010",
        "completed_at": "2026-11-22T09:59:58-05:00",
        "created_at": "2026-11-22T09:58:01-05:00",
        "error_code": None,
        "status": "completed",
        "type": "query",
    },
}


def _sample_file(topic: str) -> Path:
    return SAMPLES / f"{SAMPLE_OF_ANOTHER_TOPIC.get(topic, topic).replace('/', '__')}.json"


def test_only_the_known_topics_lack_a_shopify_sample() -> None:
    # When a sample for one of them is stored, this fails so the test below uses it instead.
    missing = {topic for topic in SUBSCRIBED_TOPICS if not _sample_file(topic).exists()}
    assert missing == set(NOT_SAMPLED)


@pytest.mark.parametrize("topic", SUBSCRIBED_TOPICS)
def test_shopify_sample_wraps_into_a_valid_envelope(topic: str) -> None:
    if topic in NOT_SAMPLED:
        sample = NOT_SAMPLED[topic]
    else:
        sample = json.loads(_sample_file(topic).read_text())

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
