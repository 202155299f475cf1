"""What a merchant can set per shop (SPEC section 5), as strict, immutable models.

Strict: TOML already gives native types, so a string where a number or flag belongs is a typo
to report, not a value to coerce. Unknown keys are errors too: a misspelt filter that silently
did nothing would download (or skip) the wrong orders.
"""

from collections.abc import Mapping
from datetime import time
from typing import Annotated, Literal, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from contracts.fields import ShopDomain

MAX_ORDER_AGE_DAYS = 60
"""SPEC section 5: orders older than this are never downloaded (Shopify hides them anyway)."""

FinancialStatus = Literal[
    "pending",
    "authorized",
    "partially_paid",
    "paid",
    "partially_refunded",
    "refunded",
    "voided",
    "expired",
]
FulfillmentStatus = Literal[
    "unfulfilled", "partial", "fulfilled", "restocked", "scheduled", "on_hold"
]
DownloadMode = Literal["webhooks", "polling", "both"]
InventoryMode = Literal["realtime", "daily", "both"]

LocationGid = Annotated[str, StringConstraints(pattern=r"^gid://shopify/Location/[0-9]+$")]
FacilityCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
Tag = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]


def _time_of_day(value: object) -> object:
    # "02:00" reads better in a config file than TOML's local-time literal 02:00:00, which
    # tomllib would give us as a datetime.time: accept both.
    if isinstance(value, str):
        try:
            return time.fromisoformat(value)
        except ValueError:
            raise PydanticCustomError(
                "time_of_day", 'expected a time of day as HH:MM, e.g. "02:00"'
            ) from None
    return value


TimeOfDay = Annotated[time, BeforeValidator(_time_of_day)]


class _Section(BaseModel):
    model_config = ConfigDict(strict=True, frozen=True, extra="forbid")


class OrderFilters(_Section):
    # TOML arrays arrive as lists; tuples keep the settings immutable, so lists are let in.
    ship_to_countries: tuple[CountryCode, ...] = Field(default=(), strict=False)
    """ISO 3166-1 alpha-2 codes; empty means every country."""
    financial_statuses: tuple[FinancialStatus, ...] = Field(
        default=("paid", "partially_paid", "partially_refunded"), strict=False
    )
    fulfillment_statuses: tuple[FulfillmentStatus, ...] = Field(
        default=("unfulfilled", "partial"), strict=False
    )
    required_tags: tuple[Tag, ...] = Field(default=(), strict=False)
    """An order must carry every one of these tags."""
    excluded_tags: tuple[Tag, ...] = Field(default=(), strict=False)
    """An order carrying any of these tags is left alone."""


class OrderDownload(_Section):
    mode: DownloadMode = "both"
    poll_interval_minutes: int = Field(default=30, ge=1)
    filters: OrderFilters = OrderFilters()
    starting_order_number: int | None = Field(default=None, ge=1)
    """Orders numbered below this are never downloaded (the shop's go-live point)."""
    max_age_days: int = Field(default=MAX_ORDER_AGE_DAYS, ge=1, le=MAX_ORDER_AGE_DAYS)
    import_unpaid: bool = False
    """Ignore the financial status filter."""
    pos_orders: Literal["skip", "download"] = "skip"
    hold_high_risk: bool = True
    """Orders Shopify rates high fraud risk are held back from the WMS (nothing to cancel
    there if the merchant cancels them) and sent as soon as the risk is cleared."""


class Fulfillment(_Section):
    notify_customer: bool = True
    close_fulfilled_orders: bool = False
    """Close the Shopify order (orderClose) once every fulfillment order of it is fulfilled,
    as merchants who archive shipped orders want; off, closing is left to Shopify's own
    auto-archive setting or the merchant."""


class WmsOrder(_Section):
    """Customer data sent to the WMS beyond the ship-to address (SPEC section 3: only what the
    warehouse needs to ship). Off by default; turn on only what the 3PL requires."""

    send_billing_address: bool = False
    """Send the order's billing address as `bill_to` (some 3PLs print it on invoices or customs
    papers). Off, Shopify is not even asked for it."""
    share_customer_email: bool = False
    """Put the customer's email in `ship_to.email` (carriers' delivery notifications). Off,
    Shopify is not even asked for it."""


CallbackUrl = Annotated[
    str, StringConstraints(pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$", max_length=200)
]
SERVICE_CALLBACK_PATH = "/fulfillment_services/{facility}"
"""Where under its callback URL the gateway serves a facility's fulfillment service: Shopify
posts to `<callback_url>/fulfillment_services/<facility>/fulfillment_order_notification`."""


class LocationFacility(_Section):
    """A merchant-managed location: the project reads the fulfillment orders assigned there
    (the same as an entry of `[shops.locations]`)."""

    mode: Literal["location"]
    location: LocationGid


class ServiceFacility(_Section):
    """A facility registered with Shopify as a fulfillment service: Shopify creates its location,
    sends it fulfillment and cancellation requests, and the project accepts or rejects each
    according to the WMS's answer."""

    mode: Literal["fulfillment_service"]
    name: Annotated[str, StringConstraints(min_length=1, max_length=255, strip_whitespace=True)]
    """The service's name in Shopify (its location is named after it); how the registration finds
    the service again, so renaming it in Shopify by hand makes the project create another."""
    callback_url: CallbackUrl
    """The webhook-gateway's public address (https in production): Shopify posts requests to
    `<callback_url>/fulfillment_services/<facility>/fulfillment_order_notification`."""
    inventory_management: bool = False
    """The service keeps the stock of its location: inventory-sync feeds it from the WMS
    (`[shops.inventory.<facility>]`, without a `location`)."""
    tracking_support: bool = False
    """The service provides tracking numbers with its fulfillments."""

    def callback_for(self, facility: str) -> str:
        """The callbackUrl registered with Shopify for this facility."""
        return self.callback_url.rstrip("/") + SERVICE_CALLBACK_PATH.format(facility=facility)


Facility = Annotated[LocationFacility | ServiceFacility, Field(discriminator="mode")]


class InventoryFeed(_Section):
    location: LocationGid | None = None
    """The Shopify location whose stock this facility's feed sets; left out for a fulfillment
    service facility, whose location Shopify created (found at registration)."""
    mode: InventoryMode = "both"
    daily_at: TimeOfDay = time(2, 0)
    """Local time of day of the daily full sync (modes daily and both)."""


class Cancellation(_Section):
    """What Shopify's orderCancel does when the warehouse cancels an order on its own."""

    refund_to_original_payment: bool = True
    """Refund what was paid to the original payment method; false cancels without a refund."""
    notify_customer: bool = True
    """Shopify tells the customer about the cancellation."""


class ShopSecrets(_Section):
    """Never read from the shops file: from the environment or the secrets file only."""

    access_token: SecretStr | None = None
    client_secret: SecretStr | None = None
    previous_client_secret: SecretStr | None = None
    """The client secret before a rotation: Shopify may sign with it for up to an hour."""


class ShopConfig(_Section):
    domain: ShopDomain
    order_download: OrderDownload = OrderDownload()
    locations: dict[LocationGid, FacilityCode] = Field(default_factory=dict)
    """Shopify location -> WMS facility; orders at unmapped locations are left alone."""
    facilities: dict[FacilityCode, Facility] = Field(default_factory=dict)
    """WMS facility -> how it is connected: `mode = "location"` (as `locations`) or
    `mode = "fulfillment_service"`."""
    fulfillment: Fulfillment = Fulfillment()
    wms_order: WmsOrder = WmsOrder()
    inventory: dict[FacilityCode, InventoryFeed] = Field(default_factory=dict)
    """WMS facility -> the Shopify location its stock feeds."""
    cancellation: Cancellation = Cancellation()
    secrets: ShopSecrets = Field(default=ShopSecrets(), exclude=True)
    _service_locations: dict[str, str] = PrivateAttr(default_factory=dict)

    @field_validator("inventory")
    @classmethod
    def _one_feed_per_location(cls, feeds: dict[str, InventoryFeed]) -> dict[str, InventoryFeed]:
        # Two facilities setting the same location would overwrite each other's stock forever.
        seen: dict[str, str] = {}
        for facility, feed in feeds.items():
            if feed.location is None:
                continue
            if feed.location in seen:
                raise PydanticCustomError(
                    "shared_inventory_location",
                    "facilities {first} and {second} both feed location {location}",
                    {"first": seen[feed.location], "second": facility, "location": feed.location},
                )
            seen[feed.location] = facility
        return feeds

    @model_validator(mode="after")
    def _facilities_agree(self) -> Self:
        location_map: dict[str, str] = dict(self.locations)
        for code, facility in self.facilities.items():
            if isinstance(facility, LocationFacility):
                other = location_map.setdefault(facility.location, code)
                if other != code:
                    raise PydanticCustomError(
                        "shared_location",
                        "location {location} is mapped to both {first} and {second}",
                        {"location": facility.location, "first": other, "second": code},
                    )
            elif code in self.locations.values():
                raise PydanticCustomError(
                    "facility_two_modes",
                    "facility {code} is a fulfillment service and also in [shops.locations]",
                    {"code": code},
                )
        names = [f.name.casefold() for f in self.service_facilities.values()]
        if len(set(names)) != len(names):
            raise PydanticCustomError(
                "service_name_taken", "two fulfillment service facilities have the same name", {}
            )
        for code, feed in self.inventory.items():
            service = self.service_facilities.get(code)
            if service is None and feed.location is None:
                raise PydanticCustomError(
                    "feed_without_location",
                    "inventory feed {code} needs a location (only a fulfillment service "
                    "facility's location comes from Shopify)",
                    {"code": code},
                )
            if service is not None and (
                feed.location is not None or not service.inventory_management
            ):
                raise PydanticCustomError(
                    "service_feed",
                    "inventory feed {code} is a fulfillment service: give no location, and set "
                    "inventory_management = true on the facility",
                    {"code": code},
                )
        return self

    @property
    def service_facilities(self) -> dict[str, ServiceFacility]:
        """Facilities connected as fulfillment services, by facility code."""
        return {
            code: facility
            for code, facility in self.facilities.items()
            if isinstance(facility, ServiceFacility)
        }

    def with_service_locations(self, located: Mapping[str, str]) -> "ShopConfig":
        """This shop with the locations Shopify created for its fulfillment services
        (location GID -> facility, found at registration), so `facility_for` maps them too."""
        copy = self.model_copy()
        copy._service_locations = {
            location: code for location, code in located.items() if code in self.service_facilities
        }
        return copy

    @property
    def webhook_secrets(self) -> list[str]:
        """Secrets a webhook signature may use: the current one first, then the previous one."""
        candidates = (self.secrets.client_secret, self.secrets.previous_client_secret)
        return [s.get_secret_value() for s in candidates if s is not None]

    @property
    def access_token(self) -> str | None:
        token = self.secrets.access_token
        return None if token is None else token.get_secret_value()

    def facility_for(self, location_gid: str) -> str | None:
        """The WMS facility an order at this location goes to, or None (leave the order alone)."""
        found = self.locations.get(location_gid) or self._service_locations.get(location_gid)
        if found is not None:
            return found
        for code, facility in self.facilities.items():
            if isinstance(facility, LocationFacility) and facility.location == location_gid:
                return code
        return None

    def is_service_facility(self, facility: str) -> bool:
        """The facility is connected as a fulfillment service (requests, not plain FOs)."""
        return facility in self.service_facilities
