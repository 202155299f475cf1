"""Protected customer data Shopify withholds from an app (per shop: `protected_customer_data`).

Since January 2024 a custom app on a shop's Basic plan may not read the customer's name, email,
phone or address (Shopify's "protected customer data", level 2). Shopify still answers the
query: the withheld field is null in `data`, and `errors[]` names it with ACCESS_DENIED and its
path, the rest of the answer intact. order-intake's reads were built from that shape (see
services/order-intake/tests/test_read_failures.py, from a real answer on `shippingAddress`).

Messages: an object field names its type ("This app is not approved to access the
MailingAddress object. ..."), captured; a scalar field names the field ("This app is not
approved to use the email field. ..."), as Shopify words it for email and phone (not captured
here). The simulator withholds a field whenever it is asked for, whether or not the order has a
value there: an app on such a shop must cope with the error either way.

Only the app's own requests are refused (the metered Admin endpoint); the control plane's
unmetered GraphQL acts as another app (the order generator, test setup) and reads everything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLError, GraphQLResolveInfo

DOCUMENTATION = "https://shopify.dev/docs/apps/launch/protected-customer-data"


@dataclass(frozen=True, slots=True)
class AppAccess:
    """What the app making the request may read."""

    customer_data: bool = True


FULL_ACCESS = AppAccess()


def access_of(info: GraphQLResolveInfo) -> AppAccess:
    # Read by attribute: views cannot import the resolvers' context (it imports the views).
    access = getattr(info.context, "access", None)
    return access if isinstance(access, AppAccess) else FULL_ACCESS


def denied_message(object_type: str | None, field_name: str) -> str:
    what = f"access the {object_type} object" if object_type else f"use the {field_name} field"
    return f"This app is not approved to {what}. See {DOCUMENTATION} for more details."


def access_denied(object_type: str | None, field_name: str) -> GraphQLError:
    """The error Shopify puts in `errors[]` (graphql-core adds the path and locations)."""
    return GraphQLError(
        denied_message(object_type, field_name),
        extensions={"code": "ACCESS_DENIED", "documentation": DOCUMENTATION},
    )


def protected(object_type: str | None, value: Callable[[], Any]) -> Callable[..., Any]:
    """A field resolver: `value()` for an app allowed customer data, ACCESS_DENIED otherwise.

    `object_type` is the field's object type (e.g. "MailingAddress"), None for a scalar field.
    """

    def resolve(info: GraphQLResolveInfo, **_args: Any) -> Any:
        if not access_of(info).customer_data:
            raise access_denied(object_type, info.field_name)
        return value()

    return resolve
