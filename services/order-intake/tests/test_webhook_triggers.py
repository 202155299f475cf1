"""Which order a webhook asks to read again: the REST-shaped bodies of shared/shopify/webhooks."""

import json
from pathlib import Path
from typing import Any

import pytest

from order_intake.handlers import fulfillment_order_ids_of, order_gid_of

SAMPLES = Path(__file__).resolve().parents[3].parent / "shared" / "shopify" / "webhooks"


def sample(topic: str) -> dict[str, Any]:
    path = SAMPLES / f"{topic.replace('/', '__')}.json"
    if not path.exists():
        pytest.skip(f"no sample {path}")
    body: dict[str, Any] = json.loads(path.read_text())
    return body


def fo(n: int) -> str:
    return f"gid://shopify/FulfillmentOrder/{n}"


@pytest.mark.parametrize(
    ("topic", "ids"),
    [
        ("fulfillment_orders/moved", [fo(1), fo(2)]),
        ("fulfillment_orders/split", [fo(1), fo(2), fo(3)]),
        ("fulfillment_orders/merged", [fo(1), fo(2)]),
        ("fulfillment_orders/placed_on_hold", [fo(1), fo(2)]),
        ("fulfillment_orders/hold_released", [fo(1)]),
    ],
)
def test_every_fulfillment_order_a_webhook_names_is_found(topic: str, ids: list[str]) -> None:
    assert fulfillment_order_ids_of(sample(topic)) == ids


def test_merges_as_a_list_and_numeric_ids_as_text_are_read_too() -> None:
    body = {"fulfillment_order_merges": [{"fulfillment_order": {"id": "12"}}]}
    assert fulfillment_order_ids_of(body) == [fo(12)]
    assert fulfillment_order_ids_of({"fulfillment_order": {"id": None}}) == []


def test_an_order_edit_names_its_order() -> None:
    assert order_gid_of(sample("orders/edited")) == "gid://shopify/Order/820982911946154508"
    assert order_gid_of({"admin_graphql_api_id": "gid://shopify/Order/5"}) == (
        "gid://shopify/Order/5"
    )
    assert order_gid_of({"order_edit": {"order_id": None}}) is None
