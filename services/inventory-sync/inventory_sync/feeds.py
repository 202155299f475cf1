"""The inventory feeds of the shops configuration: which facility sets which Shopify location.

SPEC section 5: per shop, `inventory.<facility>` names the Shopify location the facility's stock
feeds and the mode (realtime, daily, or both). A snapshot is applied whenever the warehouse sends
one; `realtime` makes adjustments push as they come; `daily` runs a full sync at `daily_at`.

A facility connected as a fulfillment service names no location: Shopify created one for the
service, and order-intake reports it (`orders.fulfillment_service.registered`, kept by
registrations.py and taught to `Feeds.learn`). Until it is known, or while the service does not
manage inventory in Shopify, the feed is configured but not pushable: what the warehouse reports
is still recorded (snapshots merged, adjustments applied), nothing is pushed, and /status says
why. `Feeds.get` and iterating `Feeds` give only pushable feeds; `Feeds.state` gives every
configured one as it stands.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, time
from typing import Literal, Protocol

from inventory_sync.domain import gid_number
from shop_config import ShopsConfig

WAITING_FOR_REGISTRATION = "waiting for the fulfillment service registration"
NOT_MANAGING_INVENTORY = (
    "not pushed: the fulfillment service does not manage inventory in Shopify "
    "(inventoryManagement is false)"
)


class FeedKey(Protocol):
    """What names a feed's rows (set-aside SKUs, counters): a Feed or a FeedState."""

    @property
    def shop(self) -> str: ...

    @property
    def facility(self) -> str: ...


@dataclass(frozen=True)
class Feed:
    """A feed that can push: its Shopify location is known."""

    shop: str
    facility: str
    location_id: int
    mode: str
    daily_at: time

    @property
    def realtime(self) -> bool:
        return self.mode in ("realtime", "both")

    @property
    def daily(self) -> bool:
        return self.mode in ("daily", "both")


@dataclass(frozen=True)
class Registration:
    """A facility's fulfillment service as order-intake found it in a shop."""

    shop: str
    facility: str
    fulfillment_service_id: str
    location_id: int
    inventory_management: bool
    tracking_support: bool
    registered_at: datetime
    """When order-intake checked it (its event's `occurred_at`): a later check wins."""


@dataclass(frozen=True)
class FeedState:
    """A configured feed as it stands: pushable (`feed`), or why not (`waiting`)."""

    shop: str
    facility: str
    mode: str
    daily_at: time
    connected_as: Literal["location", "fulfillment_service"]
    feed: Feed | None
    waiting: str | None
    registration: Registration | None = None

    @property
    def realtime(self) -> bool:
        return self.mode in ("realtime", "both")


@dataclass(frozen=True)
class _Configured:
    shop: str
    facility: str
    location_id: int | None
    """None: a fulfillment service facility, whose location comes from its registration."""
    mode: str
    daily_at: time


class Feeds:
    """Every configured feed, by (shop, facility), and the registrations learned so far."""

    def __init__(self, shops: ShopsConfig) -> None:
        self._configured: dict[tuple[str, str], _Configured] = {}
        self._registrations: dict[tuple[str, str], Registration] = {}
        for shop in shops:
            for facility, feed in shop.inventory.items():
                location_id = None
                if feed.location is not None:
                    location_id = gid_number(feed.location, "Location")
                    assert location_id is not None  # the configuration validated the GID
                else:
                    # The configuration allows no location only for a fulfillment service.
                    assert shop.is_service_facility(facility)
                self._configured[shop.domain, facility] = _Configured(
                    shop.domain, facility, location_id, feed.mode, feed.daily_at
                )

    def learn(self, registrations: Iterable[Registration]) -> None:
        """The registrations as they stand now (all of them: any not given is forgotten)."""
        self._registrations = {(r.shop, r.facility): r for r in registrations}

    def state(self, shop: str, facility: str) -> FeedState | None:
        """The configured feed of this facility as it stands; None if it has none."""
        configured = self._configured.get((shop.lower(), facility))
        return None if configured is None else self._state_of(configured)

    def states(self) -> list[FeedState]:
        """Every configured feed, in the configuration's order."""
        return [self._state_of(c) for c in self._configured.values()]

    def get(self, shop: str, facility: str) -> Feed | None:
        """The facility's feed if it can push now."""
        state = self.state(shop, facility)
        return state.feed if state is not None else None

    def shops(self) -> list[str]:
        """Shops with at least one configured feed, in order."""
        return list(dict.fromkeys(shop for shop, _ in self._configured))

    def __iter__(self) -> Iterator[Feed]:
        """The feeds that can push now."""
        return iter([s.feed for s in self.states() if s.feed is not None])

    def _state_of(self, configured: _Configured) -> FeedState:
        shop, facility = configured.shop, configured.facility
        if configured.location_id is not None:
            feed = Feed(
                shop, facility, configured.location_id, configured.mode, configured.daily_at
            )
            return FeedState(
                shop, facility, configured.mode, configured.daily_at, "location", feed, None
            )
        registration = self._registrations.get((shop, facility))
        waiting = registration_blocker(registration)
        pushable: Feed | None = None
        if registration is not None and waiting is None:
            pushable = Feed(
                shop, facility, registration.location_id, configured.mode, configured.daily_at
            )
        return FeedState(
            shop,
            facility,
            configured.mode,
            configured.daily_at,
            "fulfillment_service",
            pushable,
            waiting,
            registration,
        )


def registration_blocker(registration: Registration | None) -> str | None:
    """Why a fulfillment service facility's feed cannot push, or None when it can."""
    if registration is None:
        return WAITING_FOR_REGISTRATION
    if not registration.inventory_management:
        return NOT_MANAGING_INVENTORY
    return None


@dataclass(frozen=True)
class RegistrationEffect:
    """What a newly recorded registration asks of the feed."""

    full_sync: bool
    """The feed can push where it could not (or to another location): push the warehouse's
    whole truth there, the snapshots and adjustments recorded while it waited included."""
    moved_from: int | None = None
    """The location the feed pushed to before (the service was created again): what is still
    queued for it is dropped."""


def registration_effect(previous: Registration | None, current: Registration) -> RegistrationEffect:
    """Pure: compare the registration recorded before with the one recorded now."""
    moved_from = (
        previous.location_id
        if previous is not None and previous.location_id != current.location_id
        else None
    )
    could_push = previous is not None and registration_blocker(previous) is None
    can_push = registration_blocker(current) is None
    return RegistrationEffect(
        full_sync=can_push and (not could_push or moved_from is not None), moved_from=moved_from
    )
