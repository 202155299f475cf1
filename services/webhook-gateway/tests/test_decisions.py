"""The gateway's pure parts: correlation ids, the one-hour window, notification admission."""

from datetime import UTC, datetime

import pytest

from contracts import FulfillmentOrderNotification, order_correlation_id, parse_envelope
from shop_config import ShopConfig, ShopsConfig
from shopify_admin.webhooks import sign
from webhook_gateway.admission import PayloadIdentity, Rejected
from webhook_gateway.delivery import correlation_id_for, notification_delivery
from webhook_gateway.notifications import (
    NOTIFICATION_PATH,
    AdmittedNotification,
    admit_notification,
    identify_notifier,
)
from webhook_gateway.stats import GatewayStats, NotificationStats

SHOP = "demo.myshopify.com"


def test_order_topics_correlate_by_order_whether_id_or_gid_is_given() -> None:
    gid = "gid://shopify/Order/42"
    by_gid = correlation_id_for(
        SHOP, "orders/create", "w1", PayloadIdentity(admin_graphql_api_id=gid)
    )
    by_id = correlation_id_for(SHOP, "orders/cancelled", "w2", PayloadIdentity(id=42))
    assert by_gid == by_id == order_correlation_id(SHOP, gid)
    assert order_correlation_id("other.myshopify.com", gid) != by_gid


def test_other_topics_correlate_by_delivery() -> None:
    first = correlation_id_for(SHOP, "customers/redact", "w1", PayloadIdentity(id=42))
    assert first == correlation_id_for(SHOP, "customers/redact", "w1", PayloadIdentity(id=43))
    assert first != correlation_id_for(SHOP, "customers/redact", "w2", PayloadIdentity(id=42))
    # an order topic without an order id falls back to the delivery
    assert correlation_id_for(SHOP, "orders/create", "w1", PayloadIdentity()) == first


def test_accepted_last_hour_forgets_older_minutes() -> None:
    now = [0.0]
    stats = GatewayStats(clock=lambda: now[0])
    for _ in range(3):
        stats.accepted(SHOP)
    now[0] = 30 * 60
    stats.accepted(SHOP)
    assert stats.accepted_last_hour() == 4
    now[0] = 61 * 60
    assert stats.accepted_last_hour() == 1
    assert stats.as_status()["accepted"] == {"last_hour": 1, "total": 4}


# --- fulfillment-service notifications: which are admitted, and what they become ---------------


def _shops() -> ShopsConfig:
    return ShopsConfig(
        {
            SHOP: ShopConfig.model_validate(
                {
                    "domain": SHOP,
                    "facilities": {
                        "WH9": {
                            "mode": "fulfillment_service",
                            "name": "Shipbridge WH9",
                            "callback_url": "https://gateway.example",
                        },
                        "WH1": {"mode": "location", "location": "gid://shopify/Location/1"},
                    },
                    "secrets": {"client_secret": "s", "previous_client_secret": "old"},
                }
            )
        }
    )


def _notification(
    facility: str = "WH9", body: bytes = b'{"kind": "FULFILLMENT_REQUEST"}', **headers: str
) -> AdmittedNotification | Rejected:
    sent = {
        "X-Shopify-Shop-Domain": SHOP,
        "X-Shopify-Hmac-Sha256": sign(body, "s"),
        **{k.replace("_", "-"): v for k, v in headers.items()},
    }
    notifier = identify_notifier(sent, _shops(), facility)
    return notifier if isinstance(notifier, Rejected) else admit_notification(notifier, body)


def test_the_notification_route_is_under_the_registered_callback() -> None:
    service = _shops().get(SHOP)
    assert service is not None
    callback = service.service_facilities["WH9"].callback_for("WH9")
    path = NOTIFICATION_PATH.format(facility="WH9")
    assert f"{callback}/fulfillment_order_notification" == f"https://gateway.example{path}"


def test_a_signed_notification_to_a_service_is_admitted_with_its_kind_and_id() -> None:
    admitted = _notification(
        body=b'{"kind": "CANCELLATION_REQUEST", "extra": [1]}',
        **{"x-shopify-webhook-id": "n1"},  # whatever the casing
    )
    assert isinstance(admitted, AdmittedNotification)
    assert (admitted.kind, admitted.notifier.facility, admitted.notifier.webhook_id) == (
        "CANCELLATION_REQUEST",
        "WH9",
        "n1",
    )
    assert isinstance(_notification(), AdmittedNotification)


def test_a_notification_signed_with_the_previous_secret_is_admitted() -> None:
    body = b'{"kind": "FULFILLMENT_REQUEST"}'
    assert isinstance(
        _notification(body=body, **{"X-Shopify-Hmac-Sha256": sign(body, "old")}),
        AdmittedNotification,
    )


@pytest.mark.parametrize(
    ("facility", "body", "headers", "expected"),
    [
        ("WH9", None, {"X-Shopify-Hmac-Sha256": "bm90IGl0"}, (401, "bad_hmac")),
        ("WH9", None, {"X-Shopify-Shop-Domain": "stranger.myshopify.com"}, (401, "unknown_shop")),
        ("WH9", None, {"X-Shopify-Hmac-Sha256": ""}, (400, "missing_header")),
        ("WH1", None, {}, (404, "unknown_facility")),  # a location-mode facility
        ("WH7", None, {}, (404, "unknown_facility")),
        ("WH9", b'{"kind": "SOMETHING_ELSE"}', {}, (400, "bad_kind")),
        ("WH9", b'{"type": "FULFILLMENT_REQUEST"}', {}, (400, "bad_kind")),
        ("WH9", b'["FULFILLMENT_REQUEST"]', {}, (400, "bad_kind")),
        ("WH9", b"kind=FULFILLMENT_REQUEST", {}, (400, "not_json")),
    ],
)
def test_notifications_that_are_not_admitted(
    facility: str, body: bytes | None, headers: dict[str, str], expected: tuple[int, str]
) -> None:
    verdict = _notification(facility, body or b'{"kind": "FULFILLMENT_REQUEST"}', **headers)
    assert isinstance(verdict, Rejected)
    assert (verdict.status, verdict.reason) == expected


def test_a_notification_becomes_one_message_keyed_apart_from_webhooks() -> None:
    admitted = _notification(**{"X-Shopify-Webhook-Id": "n1"})
    assert isinstance(admitted, AdmittedNotification)
    at = datetime(2026, 11, 22, 10, tzinfo=UTC)
    delivery = notification_delivery(admitted, at)
    assert delivery.key != "n1"  # never taken for a webhook delivery with that id
    assert delivery.topic == "fulfillment_order_notification"
    envelope = parse_envelope(delivery.message.wire)
    assert (envelope.type, envelope.shop, envelope.occurred_at) == (
        "shopify.fulfillment_order_notification",
        SHOP,
        at,
    )
    assert envelope.data_as(FulfillmentOrderNotification) == FulfillmentOrderNotification(
        notification_id="n1", facility="WH9", kind="FULFILLMENT_REQUEST", received_at=at
    )
    again = notification_delivery(admitted, at)
    assert (again.key, again.message.correlation_id) == (
        delivery.key,
        delivery.message.correlation_id,
    )


def test_without_shopify_id_each_notification_gets_its_own() -> None:
    admitted = _notification()
    assert isinstance(admitted, AdmittedNotification)
    at = datetime(2026, 11, 22, 10, tzinfo=UTC)
    first, second = notification_delivery(admitted, at), notification_delivery(admitted, at)
    assert first.key != second.key


def test_notification_stats_count_kinds_apart_from_webhooks() -> None:
    stats = NotificationStats(clock=lambda: 0.0)
    stats.accepted_kind(SHOP, "FULFILLMENT_REQUEST")
    stats.accepted_kind(SHOP, "CANCELLATION_REQUEST")
    stats.duplicate()
    stats.reject("bad_hmac")
    status = stats.as_status()
    assert status["accepted"] == {"last_hour": 2, "total": 2}
    assert status["accepted_by_kind"] == {"FULFILLMENT_REQUEST": 1, "CANCELLATION_REQUEST": 1}
    assert (status["duplicates"], status["rejected"]) == (1, {"bad_hmac": 1})
    assert "ignored_topics" not in status
