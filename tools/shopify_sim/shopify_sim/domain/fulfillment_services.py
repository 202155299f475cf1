"""fulfillmentServiceCreate / Update / Delete: the checks Shopify makes and the handle it derives.

Pure. Messages and fields are Shopify's, recorded live against Admin GraphQL 2026-04 (the
shopify-draft-proxy conformance captures fulfillment-service-lifecycle, -uniqueness,
-name-whitespace-validation, -callback-url-validation, -callback-url-update-protocol-validation,
-delete-transfer and -delete-inventory-action-validation); where none was recorded the wording is
the simulator's and says so.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from urllib.parse import urlsplit

from shopify_sim.domain.user_errors import UserError, user_error
from shopify_sim.state.models import FulfillmentService

# Shopify refuses names whose handle is one of its own services' (capture: Manual, Gift_Card,
# Shopify and Amazon all answered "Name is reserved").
RESERVED_HANDLES = frozenset({"manual", "gift_card", "shopify", "amazon"})
NOT_FOUND = "Fulfillment service could not be found."
NAME_BLANK = "Name can't be blank"
NAME_TAKEN = "Name has already been taken"
NAME_RESERVED = "Name is reserved"
NAME_LEADING_SPACE = "Name cannot begin with a whitespace character"
NAME_TRAILING_SPACE = "Name cannot end with a whitespace character"
CALLBACK_NOT_ALLOWED = "Callback url is not allowed"
INVALID_DESTINATION = "Invalid destination location."
DESTINATION_NOT_EXPECTED = (
    "Inventory action Destination location id should not be present when deleting/keeping the "
    "inventory of the fulfillment service."
)
DELETE_ACTIONS = ("TRANSFER", "KEEP", "DELETE")


def service_handle(name: str) -> str:
    """Shopify's handle for a service name (capture: "FS Unique Café__3PL x!!!" became
    "fs-unique-cafe__3pl-x"): diacritics transliterated, runs of anything but letters, digits and
    underscores become one hyphen, no hyphen at either end."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9_]+", "-", ascii_name.lower()).strip("-")


def name_errors(name: str, others: Iterable[FulfillmentService]) -> list[UserError]:
    """`others`: the shop's other services (all apps'); a name is taken when its lowercase form or
    its handle matches one of theirs (capture: a case variant and a handle collision are)."""
    if not name.strip():
        return [user_error(["name"], NAME_BLANK)]
    spacing = []
    if name[0].isspace():
        spacing.append(user_error(["name"], NAME_LEADING_SPACE))
    if name[-1].isspace():
        spacing.append(user_error(["name"], NAME_TRAILING_SPACE))
    if spacing:
        return spacing
    handle = service_handle(name)
    if handle in RESERVED_HANDLES:
        return [user_error(["name"], NAME_RESERVED)]
    for other in others:
        if other.name.lower() == name.lower() or other.handle == handle:
            return [user_error(["name"], NAME_TAKEN)]
    return []


def callback_url_errors(url: str | None, allowed_hosts: Iterable[str] | None) -> list[UserError]:
    """No callbackUrl is fine since 2026-01. A scheme other than http(s) has its own message
    (capture: "Callback url protocol ftp:// is not supported"); a host outside the app's own is
    "not allowed" (capture: example.com, shopify.com). `allowed_hosts` None: any host (the
    simulator does not know the app's URL); a listed host also allows its subdomains.

    Simulator rule: a URL without a scheme or host is "not allowed" too (not recorded)."""
    if url is None:
        return []
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme and scheme not in ("http", "https"):
        return [user_error(["callbackUrl"], f"Callback url protocol {scheme}:// is not supported")]
    host = (parts.hostname or "").lower()
    if not scheme or not host:
        return [user_error(["callbackUrl"], CALLBACK_NOT_ALLOWED)]
    if allowed_hosts is not None and not any(
        host == allowed.lower() or host.endswith("." + allowed.lower()) for allowed in allowed_hosts
    ):
        return [user_error(["callbackUrl"], CALLBACK_NOT_ALLOWED)]
    return []


def delete_errors(action: str, destination_given: bool, destination_valid: bool) -> list[UserError]:
    """fulfillmentServiceDelete's argument checks (after the service was found).

    KEEP and DELETE refuse a destination (capture). TRANSFER needs "an active merchant managed
    location" (argument docs): the capture answered an unknown one "Invalid destination
    location." with a null field; the simulator answers the same for a missing, inactive or
    service-managed destination (not recorded)."""
    if action in ("KEEP", "DELETE"):
        if destination_given:
            return [user_error(["inventoryAction"], DESTINATION_NOT_EXPECTED)]
        return []
    if not destination_valid:
        return [user_error(None, INVALID_DESTINATION)]
    return []
