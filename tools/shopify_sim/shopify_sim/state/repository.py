"""In-process repository of all simulated shops.

Plain dicts keyed by numeric id: the benchmarks push 100k inventory quantities
and thousands of orders, and a request must stay well under a millisecond of
bookkeeping. Every mutation goes through a method here so `updated_at` is
maintained in one place.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shopify_sim.clock import Clock, utc_now
from shopify_sim.ids import gid_number
from shopify_sim.state.models import (
    BulkOperation,
    Fulfillment,
    FulfillmentOrder,
    FulfillmentService,
    InventoryLevel,
    LineItem,
    Location,
    Order,
    Product,
    ShopSettings,
    Variant,
    WebhookSubscription,
)
from shopify_sim.state.order_edits import CalculatedOrder

# Shopify's numeric ids are large and never reused; start high so they look real
# and never collide across shops (the GID alone identifies a record).
_FIRST_ID = 8_000_000_000_000


class IdAllocator:
    def __init__(self, start: int = _FIRST_ID) -> None:
        self._counter = itertools.count(start)

    def next(self) -> int:
        return next(self._counter)


@dataclass
class ShopState:
    domain: str
    access_token: str
    client_secret: str
    plan: str
    ids: IdAllocator
    clock: Clock
    shop_id: int = 0
    next_order_number: int = 1001
    locations: dict[int, Location] = field(default_factory=dict)
    variants: dict[int, Variant] = field(default_factory=dict)
    variants_by_item: dict[int, Variant] = field(default_factory=dict)
    variants_by_sku: dict[str, Variant] = field(default_factory=dict)
    products: dict[int, Product] = field(default_factory=dict)
    # product id -> its variants in position order (Product.variants without a scan)
    variants_by_product: dict[int, list[Variant]] = field(default_factory=dict)
    product_handles: dict[str, int] = field(default_factory=dict)
    bulk_operations: dict[int, BulkOperation] = field(default_factory=dict)
    levels: dict[tuple[int, int], InventoryLevel] = field(default_factory=dict)
    levels_by_item: dict[int, list[InventoryLevel]] = field(default_factory=dict)
    orders: dict[int, Order] = field(default_factory=dict)
    fulfillment_orders: dict[int, FulfillmentOrder] = field(default_factory=dict)
    fulfillments: dict[int, Fulfillment] = field(default_factory=dict)
    subscriptions: dict[int, WebhookSubscription] = field(default_factory=dict)
    # idempotency key -> (fingerprint of the input, the payload first returned)
    idempotency: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    # ids of objects with no state of their own, to tell "unknown" from "known"
    adjustment_groups: dict[int, dict[str, Any]] = field(default_factory=dict)
    # order edits begun (orderEditBegin) by CalculatedOrder id, committed or not
    calculated_orders: dict[int, CalculatedOrder] = field(default_factory=dict)
    # False: Shopify withholds protected customer data from the app (a custom app on the
    # Basic plan since January 2024); see protected_data.py.
    protected_customer_data: bool = True
    fulfillment_services: dict[int, FulfillmentService] = field(default_factory=dict)
    settings: ShopSettings = field(default_factory=ShopSettings)

    def now(self) -> datetime:
        return self.clock()

    def new_id(self) -> int:
        return self.ids.next()

    # --- catalog -------------------------------------------------------------
    def add_location(self, name: str, *, fulfills_online_orders: bool = True) -> Location:
        now = self.now()
        location = Location(
            id=self.new_id(),
            name=name,
            created_at=now,
            updated_at=now,
            fulfills_online_orders=fulfills_online_orders,
        )
        self.locations[location.id] = location
        return location

    def primary_location(self) -> Location:
        return next(iter(self.locations.values()))

    def live_locations(self) -> dict[int, Location]:
        """Locations that still exist (fulfillmentServiceDelete removes its location)."""
        return {number: loc for number, loc in self.locations.items() if not loc.deleted}

    def add_fulfillment_service(self, service: FulfillmentService, location: Location) -> None:
        self.locations[location.id] = location
        self.fulfillment_services[service.id] = service

    def service_at(self, location_id: int) -> FulfillmentService | None:
        """The fulfillment service that manages a location, if any."""
        location = self.locations.get(location_id)
        if location is None or location.fulfillment_service_id is None:
            return None
        return self.fulfillment_services.get(location.fulfillment_service_id)

    def add_product(
        self,
        title: str,
        *,
        handle: str | None = None,
        status: str = "ACTIVE",
        product_id: int | None = None,
    ) -> Product:
        now = self.now()
        product = Product(
            id=product_id if product_id is not None else self.new_id(),
            title=title,
            handle=self.unique_handle(handle or handle_of(title)),
            created_at=now,
            updated_at=now,
            status=status,
        )
        self.products[product.id] = product
        self.product_handles[product.handle] = product.id
        self.variants_by_product[product.id] = []
        return product

    def unique_handle(self, wanted: str, product_id: int | None = None) -> str:
        """Shopify appends -1, -2... when another product already has the handle."""
        handle, suffix = wanted, 0
        while self.product_handles.get(handle, product_id) != product_id:
            suffix += 1
            handle = f"{wanted}-{suffix}"
        return handle

    def set_handle(self, product: Product, wanted: str) -> None:
        self.product_handles.pop(product.handle, None)
        product.handle = self.unique_handle(wanted, product.id)
        self.product_handles[product.handle] = product.id

    def add_variant(
        self, *, product_title: str, title: str, sku: str, price: str, product_id: int | None = None
    ) -> Variant:
        """A variant of `product_id` (the product is created, titled `product_title`, when it
        does not exist yet: the seed names products by id)."""
        product = self.products.get(product_id) if product_id is not None else None
        if product is None:
            product = self.add_product(product_title, product_id=product_id)
        siblings = self.variants_by_product[product.id]
        now = self.now()
        variant = Variant(
            id=self.new_id(),
            product_id=product.id,
            product_title=product.title,
            title=title,
            sku=sku,
            price=price,
            inventory_item_id=self.new_id(),
            created_at=now,
            updated_at=now,
            position=len(siblings) + 1,
        )
        self.variants[variant.id] = variant
        self.variants_by_item[variant.inventory_item_id] = variant
        siblings.append(variant)
        if sku:
            self.variants_by_sku.setdefault(sku, variant)
        return variant

    def variants_of(self, product_id: int) -> list[Variant]:
        return self.variants_by_product.get(product_id, [])

    def set_sku(self, variant: Variant, sku: str) -> None:
        old = variant.sku
        variant.sku = sku
        self._reindex_sku(old, variant)
        if sku:
            self.variants_by_sku.setdefault(sku, variant)

    def _reindex_sku(self, old_sku: str, leaving: Variant) -> None:
        """`variants_by_sku` answers the oldest variant holding a SKU; when that one leaves the
        SKU, the next holder (if any) takes its place."""
        if not old_sku or self.variants_by_sku.get(old_sku) is not leaving:
            return
        del self.variants_by_sku[old_sku]
        heir = next(
            (v for v in self.variants.values() if v.sku == old_sku and v is not leaving), None
        )
        if heir is not None:
            self.variants_by_sku[old_sku] = heir

    def rename_product(self, product: Product, title: str) -> None:
        product.title = title
        for variant in self.variants_of(product.id):
            variant.product_title = title

    def remove_variant(self, variant: Variant) -> None:
        """Gone from every read (orders keep their lines: `product_exists` turns false)."""
        self.variants.pop(variant.id, None)
        self.variants_by_item.pop(variant.inventory_item_id, None)
        siblings = self.variants_by_product.get(variant.product_id, [])
        if variant in siblings:
            siblings.remove(variant)
        for position, sibling in enumerate(siblings, start=1):
            sibling.position = position
        self._reindex_sku(variant.sku, variant)
        for level in list(self.levels_by_item.get(variant.inventory_item_id, [])):
            self.remove_level(level)
        self.levels_by_item.pop(variant.inventory_item_id, None)

    def remove_product(self, product: Product) -> None:
        for variant in list(self.variants_of(product.id)):
            self.remove_variant(variant)
        self.products.pop(product.id, None)
        self.variants_by_product.pop(product.id, None)
        if self.product_handles.get(product.handle) == product.id:
            del self.product_handles[product.handle]

    # --- inventory -------------------------------------------------------------
    def stock(self, inventory_item_id: int, location_id: int, available: int = 0) -> InventoryLevel:
        """Activate an item at a location (idempotent), with `available` units on hand."""
        key = (inventory_item_id, location_id)
        level = self.levels.get(key)
        if level is None:
            now = self.now()
            level = InventoryLevel(
                id=self.new_id(),
                inventory_item_id=inventory_item_id,
                location_id=location_id,
                created_at=now,
                updated_at=now,
            )
            self.levels[key] = level
            self.levels_by_item.setdefault(inventory_item_id, []).append(level)
        if available:
            self.change_quantities(level, {"available": available, "on_hand": available})
        return level

    def level(self, inventory_item_id: int, location_id: int) -> InventoryLevel | None:
        return self.levels.get((inventory_item_id, location_id))

    def change_quantities(self, level: InventoryLevel, deltas: dict[str, int]) -> None:
        now = self.now()
        for name, delta in deltas.items():
            if delta:
                level.quantities[name] = level.quantities.get(name, 0) + delta
                level.quantity_updated_at[name] = now
        level.updated_at = now
        variant = self.variants_by_item.get(level.inventory_item_id)
        if variant is not None:
            variant.updated_at = now

    def remove_level(self, level: InventoryLevel) -> None:
        self.levels.pop((level.inventory_item_id, level.location_id), None)
        siblings = self.levels_by_item.get(level.inventory_item_id, [])
        self.levels_by_item[level.inventory_item_id] = [lv for lv in siblings if lv is not level]

    def levels_at(self, location_id: int) -> Iterator[InventoryLevel]:
        return (level for level in self.levels.values() if level.location_id == location_id)

    # --- orders ------------------------------------------------------------------
    def allocate_order_number(self) -> int:
        number = self.next_order_number
        self.next_order_number += 1
        return number

    def add_order(self, order: Order) -> None:
        self.orders[order.id] = order

    def order(self, order_gid: str) -> Order:
        """The order a `gid://shopify/Order/<n>` names; KeyError when there is none."""
        number = gid_number(order_gid, "Order")
        if number is None:
            raise KeyError(order_gid)
        return self.orders[number]

    def touch(self, order: Order) -> None:
        """Record that an order (or anything under it) changed now."""
        order.updated_at = self.now()

    def add_fulfillment_order(self, fulfillment_order: FulfillmentOrder) -> None:
        self.fulfillment_orders[fulfillment_order.id] = fulfillment_order
        self.orders[fulfillment_order.order_id].fulfillment_order_ids.append(fulfillment_order.id)

    def fulfillment_orders_of(self, order: Order) -> list[FulfillmentOrder]:
        return [self.fulfillment_orders[fo_id] for fo_id in order.fulfillment_order_ids]

    def add_fulfillment(self, fulfillment: Fulfillment) -> None:
        self.fulfillments[fulfillment.id] = fulfillment
        self.orders[fulfillment.order_id].fulfillment_ids.append(fulfillment.id)

    def fulfillments_of(self, order: Order) -> list[Fulfillment]:
        return [self.fulfillments[f_id] for f_id in order.fulfillment_ids]

    @staticmethod
    def line_item(order: Order, line_item_id: int) -> LineItem | None:
        return next((line for line in order.line_items if line.id == line_item_id), None)

    # --- webhooks -------------------------------------------------------------------
    def subscriptions_for(self, topic_enum: str) -> list[WebhookSubscription]:
        return [sub for sub in self.subscriptions.values() if sub.topic == topic_enum]


def handle_of(title: str) -> str:
    """Shopify's handle for a title: lower case, words joined by dashes."""
    words = "".join(c if c.isalnum() else " " for c in title.lower()).split()
    return "-".join(words) or "product"


class UnknownShop(KeyError):
    pass


class Store:
    """All shops of one simulator, reachable by domain or by access token."""

    def __init__(self, clock: Clock = utc_now) -> None:
        self.clock = clock
        self.ids = IdAllocator()
        self._by_domain: dict[str, ShopState] = {}
        self._by_token: dict[str, ShopState] = {}

    def create_shop(
        self,
        domain: str,
        access_token: str,
        client_secret: str,
        plan: str = "standard",
        *,
        location_names: tuple[str, ...] = ("Shop location",),
        protected_customer_data: bool = True,
    ) -> ShopState:
        if domain in self._by_domain:
            raise ValueError(f"shop {domain} already exists")
        if access_token in self._by_token:
            raise ValueError("access token already belongs to another shop")
        shop = ShopState(
            domain=domain,
            access_token=access_token,
            client_secret=client_secret,
            plan=plan,
            ids=self.ids,
            clock=self.clock,
            protected_customer_data=protected_customer_data,
        )
        shop.shop_id = shop.new_id()
        for name in location_names:
            shop.add_location(name)
        self._by_domain[domain] = shop
        self._by_token[access_token] = shop
        return shop

    def shop(self, domain: str) -> ShopState:
        try:
            return self._by_domain[domain]
        except KeyError:
            raise UnknownShop(domain) from None

    def shop_for_token(self, token: str | None) -> ShopState | None:
        if not token:
            return None
        return self._by_token.get(token)

    def shops(self) -> list[ShopState]:
        return list(self._by_domain.values())
