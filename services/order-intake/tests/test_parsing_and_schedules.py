"""Unit tests: reading the GraphQL order, where polls start, and how failed reads back off."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from order_intake.domain import FulfillmentHold, ShippingAddress
from order_intake.polling import poll_start, window_query
from order_intake.settings import IntakeSettings
from order_intake.shopify_order import OrderParseError, parse_order
from shop_config import ShopConfig


def order_node(**overrides: Any) -> dict[str, Any]:
    """A ShipbridgeOrder node as the Admin API (and the simulator) return it."""
    node: dict[str, Any] = {
        "id": "gid://shopify/Order/8000000000018",
        "name": "#1001",
        "createdAt": "2026-11-22T18:14:16Z",
        "updatedAt": "2026-11-22T18:15:00Z",
        "processedAt": "2026-11-22T18:14:15Z",
        "cancelledAt": None,
        "cancelReason": None,
        "closed": False,
        "test": False,
        "displayFinancialStatus": "PAID",
        "displayFulfillmentStatus": "UNFULFILLED",
        "paymentGatewayNames": ["manual"],
        "tags": ["vip"],
        "note": "",
        "sourceName": "web",
        "email": "x@example.com",
        "phone": None,
        "risk": {"recommendation": "ACCEPT", "assessments": [{"riskLevel": "LOW"}]},
        "shippingAddress": {
            "name": "Sam Buyer",
            "company": "",
            "address1": "1 Main St",
            "address2": None,
            "city": "Toronto",
            "provinceCode": "ON",
            "zip": "M5H 2M9",
            "countryCodeV2": "CA",
            "phone": None,
        },
        "shippingLine": {"code": "standard", "title": "Standard"},
        "fulfillmentOrders": {
            "nodes": [
                {
                    "id": "gid://shopify/FulfillmentOrder/8000000000020",
                    "status": "ON_HOLD",
                    "requestStatus": "UNSUBMITTED",
                    "fulfillBy": "2026-11-25T00:00:00Z",
                    "updatedAt": "2026-11-22T18:14:16Z",
                    "assignedLocation": {"location": {"id": "gid://shopify/Location/1"}},
                    "fulfillmentHolds": [
                        {"id": "h1", "handle": "m", "reason": "OTHER", "reasonNotes": "check"}
                    ],
                    "lineItems": {
                        "nodes": [
                            {
                                "id": "gid://shopify/FulfillmentOrderLineItem/8000000000021",
                                "totalQuantity": 2,
                                "remainingQuantity": 2,
                                "lineItem": {
                                    "id": "gid://shopify/LineItem/8000000000019",
                                    "sku": "",
                                    "name": "T-Shirt - S",
                                    "requiresShipping": True,
                                },
                            }
                        ],
                        "pageInfo": {"hasNextPage": False},
                    },
                }
            ],
            "pageInfo": {"hasNextPage": False},
        },
    }
    node.update(overrides)
    return node


def test_a_graphql_order_is_read_into_the_domain_order() -> None:
    order = parse_order(order_node())
    assert order.name == "#1001"
    assert order.processed_at == datetime(2026, 11, 22, 18, 14, 15, tzinfo=UTC)
    assert order.note is None  # "" means no note
    assert order.shipping_address == ShippingAddress(
        name="Sam Buyer",
        company=None,
        address1="1 Main St",
        address2=None,
        city="Toronto",
        province_code="ON",
        postal_code="M5H 2M9",
        country_code="CA",
        phone=None,
    )
    [fo] = order.fulfillment_orders
    assert (fo.status, fo.location_id) == ("ON_HOLD", "gid://shopify/Location/1")
    assert fo.fulfill_by == datetime(2026, 11, 25, tzinfo=UTC)
    assert fo.holds == (FulfillmentHold("OTHER", "check"),)
    [line] = fo.lines
    assert (line.sku, line.remaining_quantity, line.requires_shipping) == (None, 2, True)
    assert order.risk_levels == ("LOW",)
    assert (order.closed, order.billing_address) == (False, None)


def test_an_order_with_more_fulfillment_orders_than_one_read_is_not_parsed_in_part() -> None:
    # order_reads.complete_order reads the rest first (test_big_orders.py).
    node = order_node()
    node["fulfillmentOrders"]["pageInfo"]["hasNextPage"] = True
    with pytest.raises(OrderParseError, match="only in part"):
        parse_order(node)


def test_something_that_is_not_an_order_is_refused() -> None:
    with pytest.raises(OrderParseError, match="createdAt"):
        parse_order({"id": "gid://shopify/Order/1", "name": "#1"})


SHOP = ShopConfig.model_validate({"domain": "example.myshopify.com"})
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def test_a_poll_starts_at_the_watermark_minus_the_overlap() -> None:
    watermark = NOW - timedelta(hours=1)
    overlap = timedelta(minutes=2)
    assert poll_start(watermark, NOW, SHOP, overlap) == watermark - overlap


def test_a_first_poll_or_a_very_old_watermark_reads_at_most_60_days_back() -> None:
    overlap = timedelta(minutes=2)
    assert poll_start(None, NOW, SHOP, overlap) == NOW - timedelta(days=60)
    assert poll_start(NOW - timedelta(days=90), NOW, SHOP, overlap) == NOW - timedelta(days=60)


def test_a_window_query_bounds_both_ends() -> None:
    assert window_query(NOW, None) == 'updated_at:>="2026-11-22T12:00:00Z"'
    assert window_query(NOW, NOW + timedelta(hours=1)) == (
        'updated_at:>="2026-11-22T12:00:00Z" updated_at:<="2026-11-22T13:00:00Z"'
    )


def test_failed_reads_back_off_exponentially_then_give_up() -> None:
    settings = IntakeSettings(sync_retry_base_s=2, sync_retry_max_s=10, sync_max_attempts=5)
    assert [settings.sync_backoff.after_failure(n) for n in range(5)] == [2, 4, 8, 10, None]
