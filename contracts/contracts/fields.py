"""Building blocks of payload models: the base class and the field types shared by messages.

Validation is strict where a lenient reading could hide a sender's bug: quantities and flags
are never coerced from strings, and every timestamp must be ISO 8601 with a timezone.
"""

from datetime import UTC, datetime
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictInt, StringConstraints
from pydantic_core import PydanticCustomError


class Payload(BaseModel):
    """Base of every payload model: immutable, and unknown fields are an error, not ignored."""

    # Attribute docstrings become field descriptions in the exported JSON Schema, which is
    # what the WMS team reads.
    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)


def _parse_utc_timestamp(value: object) -> datetime:
    # Parsed here rather than by pydantic's lax datetime parser, which would also accept Unix
    # numbers and numeric strings: a sender emitting those is not following the contract.
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise PydanticCustomError(
                "iso8601_timestamp", "expected an ISO 8601 timestamp with timezone"
            ) from None
    if not isinstance(value, datetime):
        raise PydanticCustomError(
            "iso8601_timestamp", "expected an ISO 8601 timestamp string with timezone"
        )
    if value.utcoffset() is None:
        raise PydanticCustomError(
            "naive_timestamp",
            "timestamp has no timezone; use ISO 8601 with an offset, e.g. 2026-11-22T10:00:00Z",
        )
    # One representation on the bus: comparisons and logs never mix offsets.
    return value.astimezone(UTC)


UtcDatetime = Annotated[datetime, BeforeValidator(_parse_utc_timestamp)]
"""An instant; accepts ISO 8601 with an offset (or an aware datetime), normalised to UTC."""

RequiredText = Annotated[str, StringConstraints(min_length=1)]
"""A string that identifies something (a SKU, a reference), so it cannot be empty."""

Quantity = Annotated[StrictInt, Field(ge=0)]
"""A count of units; never negative, never a string."""

PositiveQuantity = Annotated[StrictInt, Field(ge=1)]
"""A count of units that must be at least one (a line of zero units means nothing)."""

SignedQuantity = StrictInt
"""A count of units that may legitimately be negative (a WMS's oversold `available`)."""

ShopDomain = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$")]
"""The shop's permanent myshopify.com domain, e.g. `example.myshopify.com`."""

CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
"""ISO 3166-1 alpha-2 country code, upper case."""


def _gid_pattern(resource: str) -> str:
    return rf"^gid://shopify/{resource}/[0-9]+$"


OrderGid = Annotated[str, StringConstraints(pattern=_gid_pattern("Order"))]
FulfillmentOrderGid = Annotated[str, StringConstraints(pattern=_gid_pattern("FulfillmentOrder"))]
FulfillmentOrderLineItemGid = Annotated[
    str, StringConstraints(pattern=_gid_pattern("FulfillmentOrderLineItem"))
]
LocationGid = Annotated[str, StringConstraints(pattern=_gid_pattern("Location"))]
FulfillmentGid = Annotated[str, StringConstraints(pattern=_gid_pattern("Fulfillment"))]
ProductVariantGid = Annotated[str, StringConstraints(pattern=_gid_pattern("ProductVariant"))]
InventoryItemGid = Annotated[str, StringConstraints(pattern=_gid_pattern("InventoryItem"))]
