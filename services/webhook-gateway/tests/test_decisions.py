"""The gateway's pure parts: correlation ids, the one-hour window, group commit batching."""

from contracts import order_correlation_id
from webhook_gateway.admission import PayloadIdentity
from webhook_gateway.delivery import correlation_id_for
from webhook_gateway.stats import GatewayStats

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
