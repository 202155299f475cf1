"""Correlation ids that every service derives the same way.

Everything about one order (its webhooks, the polling download that finds it, the WMS order, the
shipment, the cancellation) carries one correlation id, whichever path saw the order first, so
logs and messages about it can be followed across services without any shared table.
"""

from uuid import NAMESPACE_URL, UUID, uuid5

# Fixed forever: ids derived from it must stay the same across releases.
CORRELATION_NAMESPACE = uuid5(NAMESPACE_URL, "https://shipbridge/correlation")


def order_correlation_id(shop: str, order_gid: str) -> UUID:
    """The correlation id of everything about one Shopify order (`gid://shopify/Order/…`)."""
    return uuid5(CORRELATION_NAMESPACE, f"{shop}|{order_gid}")
