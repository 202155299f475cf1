"""What the simulated warehouse is and how it behaves; every knob the CLI exposes lives here."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_SHOP = "example.myshopify.com"


@dataclass(frozen=True, order=True)
class Facility:
    """One stock-holding site of the warehouse, for one merchant.

    A 3PL keeps each merchant's goods apart, so stock (and the `shop` on every inventory message)
    belongs to the pair, not to the facility code alone.
    """

    shop: str
    code: str

    @classmethod
    def parse(cls, text: str, default_shop: str = DEFAULT_SHOP) -> "Facility":
        """`WH1` (for the default shop) or `other.myshopify.com:WH2`."""
        shop, separator, code = text.rpartition(":")
        if not code:
            raise ValueError(f"facility {text!r} has no code")
        return cls(shop=shop if separator else default_shop, code=code)

    def __str__(self) -> str:
        return f"{self.shop}:{self.code}"


@dataclass(frozen=True)
class GeneratedCatalog:
    """The SKUs the Shopify simulator seeds (`shopify_sim.seed`): SKU-00001, or SKU-00001-M with
    several variants per product. Same defaults, so a default demo's orders all match."""

    products: int = 2000
    variants_per_product: int = 1
    min_quantity: int = 0
    max_quantity: int = 200
    accept_pattern: bool = True
    """Also know any SKU shaped like the seeded ones (a shop seeded twice numbers on), stocking
    it on first sight."""


@dataclass(frozen=True)
class LearnedCatalog:
    """No catalog of its own: the warehouse knows only the items the project sends it
    (`wms.item.upsert`), as a real WMS does, so an order for a SKU that never arrived as an item
    is rejected. Each item is received into every facility of its shop when first learned."""

    min_quantity: int = 0
    max_quantity: int = 200
    """Units received of a newly learned item, drawn uniformly in this range."""

    def __post_init__(self) -> None:
        if not 0 <= self.min_quantity <= self.max_quantity:
            raise ValueError("learned catalog quantities need 0 <= min <= max")


CatalogSource = GeneratedCatalog | LearnedCatalog | Path | Mapping[str, Mapping[str, int]]


@dataclass(frozen=True)
class SimConfig:
    facilities: tuple[Facility, ...] = (Facility(DEFAULT_SHOP, "WH1"),)
    catalog: CatalogSource = field(default_factory=GeneratedCatalog)
    """Generated like the Shopify simulator's seed; or on-hand units per SKU per facility code,
    `{"WH1": {"SKU-A": 15, ...}, ...}`, given as such or as a JSON file holding it; or only what
    `wms.item.upsert` teaches it (LearnedCatalog). With any of them the warehouse also knows
    the items it is sent, and forgets the ones discontinued."""
    seed: int | None = None
    """Fixes every random choice (delays, carriers, tracking numbers, splits, own cancels)."""

    ship_delay_s: tuple[float, float] | None = (5.0, 20.0)
    """Uniform range from acceptance to shipment; None ships only when told (`ship_now`)."""
    split_probability: float = 0.15
    """Chance an order of two or more units leaves in two partial shipments."""
    own_cancel_probability: float = 0.02
    """Chance an accepted order is cancelled by the warehouse (out of stock) instead of shipped."""
    picking_s: float = 0.0
    """How long picking takes: a shipment that comes due is picked first and leaves this much
    later; from the start of picking a `wms.order.reduce` is refused. 0: picked and shipped in
    the same moment (a reduce is then refused only once the order has shipped, or when a test
    starts the picking itself with `start_picking`)."""
    answer_changes: bool = True
    """False: `wms.order.reduce` and `wms.order.cancel` are taken off the queue and never
    answered, nothing changes (a warehouse that stays silent, for testing the project's
    timeouts). `WmsSimulator.answer_changes` switches it while running."""

    snapshot_items_per_part: int = 250
    snapshot_interval_s: float | None = 600.0
    """A full inventory snapshot of every facility this often; None: only on demand."""
    random_adjustment_interval_s: float | None = 30.0
    """A cycle-count correction of one random SKU this often; None: never."""
    adjustment_feed: bool = True
    """Publish `wms.inventory.adjusted` whenever a SKU's levels change."""

    queue: str = "wms-sim.commands"
    prefetch: int = 20
    tick_interval_s: float = 0.5
    """How often due shipments are looked for."""
    state_file: Path | None = None
    """Where the state survives a restart; None keeps it in memory only."""

    def __post_init__(self) -> None:
        if not self.facilities:
            raise ValueError("at least one facility is needed")
        if self.ship_delay_s is not None and not 0 <= self.ship_delay_s[0] <= self.ship_delay_s[1]:
            raise ValueError(f"ship delay range {self.ship_delay_s} is not 0 <= low <= high")
        for name in ("split_probability", "own_cancel_probability"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be within [0, 1]")
        if self.picking_s < 0:
            raise ValueError("picking_s must be >= 0")
        if self.snapshot_items_per_part < 1:
            raise ValueError("snapshot_items_per_part must be at least 1")
