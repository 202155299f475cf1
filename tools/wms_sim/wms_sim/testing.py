"""Playing the project's side of the broker in tests: commands in, events captured out.

Command builders produce what order-intake and cancellation would send, so a test reads as the
conversation it checks.
"""

import asyncio
import itertools
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aio_pika
from aio_pika.abc import AbstractRobustConnection

from contracts import WMS_EVENTS, Envelope, WmsOrderCreate, new_envelope
from messaging.amqp import publish_envelope
from testkit.probe import eventually
from testkit.tap import Tap, open_tap
from wms_sim.catalog import Catalog, OnHandByFacility
from wms_sim.config import DEFAULT_SHOP, SimConfig
from wms_sim.simulator import WmsSimulator
from wms_sim.warehouse import Warehouse

SHOP = DEFAULT_SHOP
_line_ids = itertools.count(9_000_000_000_001)
_order_ids = itertools.count(7_000_000_000_001)
_item_ids = itertools.count(5_000_000_000_001)

StartSimulator = Callable[[SimConfig], Awaitable[WmsSimulator]]
"""The `start_simulator` fixture of this package's tests."""


@dataclass
class Project:
    """Publishes commands as the services would, and sees every event the warehouse sends."""

    connection: AbstractRobustConnection
    tap: Tap
    """The warehouse's events as they reached the project's side of `wms.events`."""

    async def send(self, command: Envelope) -> None:
        channel = await self.connection.channel(publisher_confirms=True)
        await publish_envelope(channel, command)
        await channel.close()

    def events(self, message_type: str | None = None) -> list[Envelope]:
        return self.tap.messages if message_type is None else self.tap.of_type(message_type)

    async def wait_for(self, message_type: str, count: int = 1) -> list[Envelope]:
        await eventually(lambda: len(self.events(message_type)) >= count, timeout_s=10)
        return self.events(message_type)

    async def settle(self, seconds: float = 0.3) -> None:
        """Give anything that should NOT happen the time to happen."""
        await asyncio.sleep(seconds)


@asynccontextmanager
async def project_side(amqp_url: str) -> AsyncIterator[Project]:
    """The project's exchanges declared (as the services do) and a tap on all events."""
    async with open_tap(amqp_url, [(WMS_EVENTS, "#")]) as tap:
        connection = await aio_pika.connect_robust(amqp_url)
        try:
            yield Project(connection, tap)
        finally:
            await connection.close()


def order_create(
    ref: str,
    lines: Sequence[tuple[str, int]],
    *,
    facility: str = "WH1",
    on_hold: bool = False,
    country_code: str = "US",
) -> Envelope:
    return new_envelope(
        "wms.order.create",
        {
            "wms_order_ref": ref,
            "shopify_order_id": f"gid://shopify/Order/{next(_order_ids)}",
            "shopify_order_name": ref.split("-")[0],
            "fulfillment_order_id": f"gid://shopify/FulfillmentOrder/{next(_order_ids)}",
            "facility": facility,
            "placed_at": "2026-11-22T09:59:58Z",
            "on_hold": on_hold,
            "hold_reason": "fraud risk" if on_hold else None,
            "cash_on_delivery": False,
            "shipping_method": {"code": "standard", "title": "Standard"},
            "ship_to": {
                "name": "Test Person",
                "address1": "1 Main St",
                "city": "Springfield",
                "province_code": "IL",
                "postal_code": "62701",
                "country_code": country_code,
            },
            "lines": [
                {
                    "line_ref": f"gid://shopify/FulfillmentOrderLineItem/{next(_line_ids)}",
                    "sku": sku,
                    "quantity": quantity,
                    "title": sku,
                }
                for sku, quantity in lines
            ],
        },
        shop=SHOP,
    )


def item_upsert(
    sku: str,
    *,
    barcode: str | None = None,
    updated_at: str = "2026-11-21T18:00:00Z",
    title: str | None = None,
    shop: str = SHOP,
) -> Envelope:
    """A `wms.item.upsert` as inventory-sync's catalog would send it."""
    number = next(_item_ids)
    return new_envelope(
        "wms.item.upsert",
        {
            "sku": sku,
            "title": title or f"Item {sku}",
            "barcode": barcode,
            "weight": {"value": 250.0, "unit": "GRAMS"},
            "hs_code": None,
            "country_of_origin": None,
            "image_url": None,
            "shopify_variant_id": f"gid://shopify/ProductVariant/{number}",
            "shopify_inventory_item_id": f"gid://shopify/InventoryItem/{number}",
            "updated_at": updated_at,
        },
        shop=shop,
    )


def item_discontinued(
    sku: str, *, updated_at: str = "2026-11-22T08:00:00Z", shop: str = SHOP
) -> Envelope:
    return new_envelope("wms.item.discontinued", {"sku": sku, "updated_at": updated_at}, shop=shop)


def command_about(order: Envelope, message_type: str, **data: Any) -> Envelope:
    """A later command about the order `order` (its `wms.order.create`) in the same
    conversation, as order-intake would send it."""
    return new_envelope(
        message_type,
        {"wms_order_ref": order.data_as(WmsOrderCreate).wms_order_ref, **data},
        shop=order.shop,
        correlation_id=order.correlation_id,
    )


def order_reduce(
    order: Envelope,
    take: Sequence[tuple[int, int]],
    *,
    reason: str = "moved to another location",
) -> Envelope:
    """A `wms.order.reduce` of the order: (index of the line in the create, units to take out)
    pairs, each line named by its ref and SKU as order-intake would."""
    lines = order.data_as(WmsOrderCreate).lines
    return command_about(
        order,
        "wms.order.reduce",
        lines=[
            {"line_ref": lines[index].line_ref, "sku": lines[index].sku, "quantity": units}
            for index, units in take
        ],
        reason=reason,
        requested_at="2026-11-22T11:00:00Z",
    )


def state_machine(stock: OnHandByFacility, **overrides: Any) -> Warehouse:
    """The warehouse state machine on its own (no broker, no clock), with `stock` on hand per
    facility code and SKU: ships a minute after accepting, never splits or cancels on its own
    (`overrides` change any of it)."""
    settings: dict[str, Any] = {
        "seed": 7,
        "ship_delay_s": (60.0, 60.0),
        "split_probability": 0.0,
        "own_cancel_probability": 0.0,
        "catalog": stock,
    }
    config = SimConfig(**{**settings, **overrides})
    return Warehouse(config, Catalog(initial_on_hand=stock), random.Random(config.seed))


def quiet_config(**overrides: Any) -> SimConfig:
    """A warehouse that does only what a test asks: ships at once (or never, with
    `ship_delay_s=None`), never splits or cancels on its own, no scheduled feeds."""
    settings: dict[str, Any] = {
        "seed": 11,
        "ship_delay_s": (0.0, 0.0),
        "split_probability": 0.0,
        "own_cancel_probability": 0.0,
        "snapshot_interval_s": None,
        "random_adjustment_interval_s": None,
        "tick_interval_s": 0.05,
    }
    return SimConfig(**{**settings, **overrides})
