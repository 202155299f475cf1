"""Deciding what to do with one fulfillment-service notification: pure decisions, no I/O.

Shopify tells a fulfillment service that requests are waiting with
`POST <callbackUrl>/fulfillment_order_notification`, body `{"kind": "FULFILLMENT_REQUEST"}` or
`{"kind": "CANCELLATION_REQUEST"}`, signed like a webhook (SPEC section 2). Each service
facility registers `<callback_url>/fulfillment_services/<facility>` (shop_config), so the path
says which facility is asked. The body names no fulfillment order: the notification is a
trigger, and order-intake reads the service's assigned fulfillment orders to find them.

Checked in the webhook's order, cheapest and least leaking first: headers, shop, size (the
receiver), signature, and only for a verified sender the facility and the JSON. An unsigned
request learns nothing about which facilities exist.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import get_args

import msgspec

from contracts.internal import NotificationKind
from shop_config import ShopConfig, ShopsConfig
from shop_config.models import SERVICE_CALLBACK_PATH
from webhook_gateway.admission import (
    BAD_SIGNATURE,
    NOT_JSON,
    UNKNOWN_SHOP,
    Rejected,
    signed,
)

NOTIFICATION_PATH = (
    SERVICE_CALLBACK_PATH.format(facility="{facility}") + "/fulfillment_order_notification"
)
"""The route: `/fulfillment_services/{facility}/fulfillment_order_notification`."""

NOTIFICATION_TOPIC = "fulfillment_order_notification"
"""What a notification's delivery record says in place of a webhook topic."""

_SHOP_DOMAIN = "X-Shopify-Shop-Domain"
_HMAC = "X-Shopify-Hmac-Sha256"
_WEBHOOK_ID = "X-Shopify-Webhook-Id"
_API_VERSION = "X-Shopify-API-Version"

_KINDS = get_args(NotificationKind)
_BAD_KIND = Rejected(
    "bad_kind",
    400,
    'body must be a JSON object with "kind": ' + " or ".join(f'"{k}"' for k in _KINDS),
)


class NotificationBody(msgspec.Struct):
    """The one field the gateway reads; any other key Shopify adds is tolerated."""

    kind: NotificationKind


_BODY = msgspec.json.Decoder(NotificationBody)


@dataclass(frozen=True)
class Notifier:
    """Who the headers say sent the notification, and to which facility."""

    shop: ShopConfig
    facility: str
    hmac: str
    webhook_id: str | None
    """Shopify's `X-Shopify-Webhook-Id` when it sends one (its retries keep it): the dedup key."""
    api_version: str | None


@dataclass(frozen=True)
class AdmittedNotification:
    notifier: Notifier
    kind: NotificationKind


def identify_notifier(
    raw_headers: Mapping[str, str], shops: ShopsConfig, facility: str
) -> Notifier | Rejected:
    by_lower_name = {name.lower(): value.strip() for name, value in raw_headers.items()}

    def header(name: str) -> str | None:
        return by_lower_name.get(name.lower()) or None

    domain, hmac = header(_SHOP_DOMAIN), header(_HMAC)
    if domain is None:
        return _missing(_SHOP_DOMAIN)
    if hmac is None:
        return _missing(_HMAC)
    shop = shops.get(domain)
    if shop is None:
        return UNKNOWN_SHOP
    return Notifier(shop, facility, hmac, header(_WEBHOOK_ID), header(_API_VERSION))


def _missing(header: str) -> Rejected:
    return Rejected("missing_header", 400, f"missing required header {header}")


def admit_notification(notifier: Notifier, body: bytes) -> AdmittedNotification | Rejected:
    if not signed(body, notifier.hmac, notifier.shop):
        return BAD_SIGNATURE
    if not notifier.shop.is_service_facility(notifier.facility):
        # A location-mode facility, a typo, or a service since removed from the configuration:
        # Shopify retries a 404 for a while, then the merchant sees the request unanswered.
        return Rejected(
            "unknown_facility",
            404,
            f"{notifier.facility} is not a fulfillment service facility of {notifier.shop.domain}",
        )
    try:
        parsed = _BODY.decode(body)
    except msgspec.ValidationError:
        return _BAD_KIND
    except msgspec.DecodeError:
        return NOT_JSON
    return AdmittedNotification(notifier, parsed.kind)
