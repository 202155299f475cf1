"""The inventory feeds of the shops configuration: which facility sets which Shopify location.

SPEC section 5: per shop, `inventory.<facility>` names the Shopify location the facility's stock
feeds and the mode (realtime, daily, or both). A snapshot is applied whenever the warehouse sends
one; `realtime` makes adjustments push as they come; `daily` runs a full sync at `daily_at`.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import time

from inventory_sync.domain import gid_number
from shop_config import ShopsConfig


@dataclass(frozen=True)
class Feed:
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


class Feeds:
    """Every configured feed, by (shop, facility) and by (shop, location)."""

    def __init__(self, shops: ShopsConfig) -> None:
        self._by_facility: dict[tuple[str, str], Feed] = {}
        for shop in shops:
            for facility, feed in shop.inventory.items():
                location_id = gid_number(feed.location, "Location")
                assert location_id is not None  # the configuration validated the GID
                self._by_facility[shop.domain, facility] = Feed(
                    shop.domain, facility, location_id, feed.mode, feed.daily_at
                )

    def get(self, shop: str, facility: str) -> Feed | None:
        return self._by_facility.get((shop.lower(), facility))

    def __iter__(self) -> Iterator[Feed]:
        return iter(self._by_facility.values())
