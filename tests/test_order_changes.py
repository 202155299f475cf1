"""A merchant changes an order after it reached the warehouse, and nothing ships twice.

Every change type Shopify allows on a fulfillment order already sent (move whole and partial,
move away from the warehouse, split, merge, partial hold, an edit removing and one adding
units, a new shipping address), each with the warehouse answering the reduction `reduced`,
`refused` (picking had started) and never. Real Shopify simulator, gateway, order-intake and
WMS simulator over RabbitMQ and Postgres; the merchant acts through Shopify's Admin API.

What is checked, per order line, with Shopify's state and the warehouse's read from the two
simulators (not from our services):
- reduced: the warehouse ends holding exactly what Shopify wants fulfilled at mapped locations;
- refused / never: nothing new is sent for the order, no line is held twice (never more than
  before the change), and an operator sees the order, what changed and what the warehouse said.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

import pytest

from testkit.probe import eventually
from testkit.tap import Tapped

from .conftest import StartOrderFlow
from .e2e_support import SHOP, LineSpec, OrderFlow, PlacedOrder
from .merchant import Merchant
from .units import LineMap, held_by_warehouse, wanted_at_mapped_locations

Answer = Literal["reduced", "refused", "never"]
ANSWERS: tuple[Answer, ...] = ("reduced", "refused", "never")
ANSWER_TIMEOUT_S = 1.0


@dataclass(frozen=True)
class Change:
    name: str
    lines: tuple[LineSpec, ...]
    act: Callable[["Scene"], Awaitable[None]]
    commands: tuple[str, ...]
    """The commands the change makes when the warehouse agrees, in order ("reduce #N",
    "cancel #N", "create #N-2 WH2", "hold #N")."""
    asks_the_warehouse: bool = True
    """False: nothing has to leave a WMS order, so the warehouse's answer does not matter."""
    prepare: Callable[["Scene"], Awaitable[None]] | None = None
    """A change made (and agreed by the warehouse) before the one under test."""


@dataclass
class Scene:
    flow: OrderFlow
    merchant: Merchant
    order: PlacedOrder
    lines: LineMap

    def fo_gids(self, location: str | None = None) -> list[str]:
        shop = self.flow.shop
        location_id = self.flow.location_id(location) if location else None
        return [
            f"gid://shopify/FulfillmentOrder/{fo.id}"
            for fo in shop.fulfillment_orders_of(shop.order(self.order.gid))
            if fo.status not in ("CLOSED", "CANCELLED")
            and (location_id is None or fo.location_id == location_id)
        ]

    def fo_line(self, fo_gid: str, sku: str) -> str:
        shop = self.flow.shop
        fo = shop.fulfillment_orders[int(fo_gid.rsplit("/", 1)[-1])]
        order = shop.order(self.order.gid)
        for fo_line in fo.line_items:
            line = shop.line_item(order, fo_line.line_item_id)
            if line is not None and line.sku == sku:
                return f"gid://shopify/FulfillmentOrderLineItem/{fo_line.id}"
        raise AssertionError(f"{sku} is not on {fo_gid}")


async def _split(scene: Scene) -> None:
    [fo] = scene.fo_gids()
    await scene.merchant.split(fo, [(scene.fo_line(fo, "SKU-00001"), 1)])


async def _move_partial(scene: Scene) -> None:
    [fo] = scene.fo_gids()
    target = scene.flow.location_gid("Warehouse East")
    await scene.merchant.move(fo, target, [(scene.fo_line(fo, "SKU-00002"), 1)])


async def _move_whole(scene: Scene) -> None:
    [fo] = scene.fo_gids()
    await scene.merchant.move(fo, scene.flow.location_gid("Warehouse East"))


async def _move_away(scene: Scene) -> None:
    [fo] = scene.fo_gids("Shop location")
    await scene.merchant.move(fo, scene.flow.location_gid("Pop-up"))


async def _partial_hold(scene: Scene) -> None:
    [fo] = scene.fo_gids()
    await scene.merchant.hold(fo, [(scene.fo_line(fo, "SKU-00001"), 2)])


async def _merge(scene: Scene) -> None:
    # The two FOs the split left at one location, each at the warehouse as its own WMS order:
    # the first (the original) survives, so the split-off one's units leave its WMS order.
    original, split_off = scene.fo_gids()
    await scene.merchant.merge([original, split_off])


async def _edit_remove(scene: Scene) -> None:
    await scene.merchant.edit_quantities(scene.order.gid, {"SKU-00001": 1})


async def _edit_add(scene: Scene) -> None:
    variant = scene.flow.shop.variants_by_sku["SKU-00003"]
    location = scene.flow.location_gid("Shop location")
    await scene.merchant.edit_quantities(
        scene.order.gid, {}, add=[(f"gid://shopify/ProductVariant/{variant.id}", 2, location)]
    )


async def _new_address(scene: Scene) -> None:
    address = {
        "firstName": "Sam",
        "lastName": "Buyer",
        "address1": "99 New Street",
        "city": "Toronto",
        "provinceCode": "ON",
        "countryCode": "CA",
        "zip": "M5V 2T6",
    }
    await scene.merchant.update_order(scene.order.gid, shippingAddress=address)


CHANGES = (
    Change(
        "split",
        (("SKU-00001", 3, "Shop location"),),
        _split,
        ("reduce #N", "create #N-2 WH1"),
    ),
    Change(
        "move_partial",
        (("SKU-00001", 2, "Shop location"), ("SKU-00002", 1, "Shop location")),
        _move_partial,
        ("reduce #N", "create #N-2 WH2"),
    ),
    Change(
        "move_whole",
        (("SKU-00001", 2, "Shop location"),),
        _move_whole,
        ("cancel #N", "create #N-2 WH2"),
    ),
    Change(
        "move_to_unmapped",
        (("SKU-00001", 2, "Shop location"),),
        _move_away,
        ("cancel #N",),
    ),
    Change(
        # The first move leaves a line the WMS order no longer holds; the cancel of the rest
        # must not name it (a line of 0 units is not a valid command line).
        "move_the_rest_after_a_partial_move",
        (("SKU-00001", 2, "Shop location"), ("SKU-00002", 1, "Shop location")),
        _move_away,
        ("cancel #N",),
        prepare=_move_partial,
    ),
    Change(
        "partial_hold",
        (("SKU-00001", 2, "Shop location"), ("SKU-00002", 1, "Shop location")),
        _partial_hold,
        ("hold #N", "reduce #N", "create #N-2 WH1"),
    ),
    Change(
        "merge",
        (("SKU-00001", 3, "Shop location"),),
        _merge,
        ("cancel #N-2", "create #N-3 WH1"),
        prepare=_split,
    ),
    Change(
        "edit_removing_units",
        (("SKU-00001", 3, "Shop location"),),
        _edit_remove,
        ("reduce #N",),
    ),
    Change(
        "edit_adding_units",
        (("SKU-00001", 1, "Shop location"),),
        _edit_add,
        ("create #N-2 WH1",),
        asks_the_warehouse=False,
    ),
    Change(
        "new_shipping_address",
        (("SKU-00001", 1, "Shop location"),),
        _new_address,
        (),
        asks_the_warehouse=False,
    ),
)


def _command_name(message: Tapped, order_name: str) -> str:
    kind = message.envelope.type.removeprefix("wms.order.")
    data = message.body["data"]
    ref = data["wms_order_ref"].replace(order_name, "#N", 1)
    return f"{kind} {ref} {data['facility']}" if kind == "create" else f"{kind} {ref}"


def _commands_about(flow: OrderFlow, order_name: str, after: int) -> list[str]:
    return [
        _command_name(m, order_name)
        for m in flow.tap.tapped[after:]
        if m.envelope.type.startswith("wms.order.")
        and m.body["data"]["wms_order_ref"].split("-")[0] == order_name
    ]


@pytest.mark.parametrize("answer", ANSWERS)
@pytest.mark.parametrize("change", CHANGES, ids=[c.name for c in CHANGES])
async def test_a_change_after_sending_never_ships_twice(
    order_flow: StartOrderFlow, monkeypatch: pytest.MonkeyPatch, change: Change, answer: Answer
) -> None:
    if not change.asks_the_warehouse and answer != "reduced":
        pytest.skip("the warehouse is not asked anything for this change")
    monkeypatch.setenv("ORDER_INTAKE_WMS_ANSWER_TIMEOUT_S", str(ANSWER_TIMEOUT_S))
    async with order_flow() as flow:
        merchant = Merchant(flow.sim, SHOP)
        order = await flow.place_order(change.lines)
        fo_count = len({location for _, _, location in change.lines})
        await flow.wait_creates(order, fo_count)
        await flow.settled()
        lines = LineMap()
        lines.learn(flow.shop, order.gid)
        if change.prepare is not None:
            await change.prepare(Scene(flow, merchant, order, lines))
            await flow.settled()
            lines.learn(flow.shop, order.gid)
        mapped = flow.mapped_location_ids()
        before = held_by_warehouse(flow.warehouse, SHOP, order.name, lines)
        if answer == "never":
            flow.warehouse.answer_changes(False)
        if answer == "refused":
            for ref in {w.ref for w in flow.warehouse.orders.values() if w.shop == SHOP}:
                await flow.warehouse.start_picking(ref)
        sent_before = len(flow.tap.tapped)

        await change.act(Scene(flow, merchant, order, lines))
        await flow.settled()
        lines.learn(flow.shop, order.gid)

        commands = _commands_about(flow, order.name, sent_before)
        held = held_by_warehouse(flow.warehouse, SHOP, order.name, lines)
        wanted = wanted_at_mapped_locations(flow.shop, order.gid, mapped)
        if answer == "reduced" or not change.asks_the_warehouse:
            assert commands == list(change.commands)
            assert held == wanted
            problems = await flow.operator_problems(order.name)
            if change.name == "new_shipping_address":
                [problem] = problems
                assert problem["field"] == "shipping address"
                assert flow.warehouse.order(order.name).lines  # the WMS keeps its copy
            else:
                assert problems == []
            return

        # The warehouse did not agree: nothing new went out, nothing is held twice, and an
        # operator sees the order, what changed in Shopify and what the warehouse said.
        asked = [c for c in commands if not c.startswith("hold")]
        assert asked and all(c.split()[0] in ("reduce", "cancel") for c in asked), commands
        assert all(held[line] <= before[line] for line in held), (held, before)

        async def shown() -> bool:
            return bool(await flow.operator_problems(order.name))

        await eventually(shown, timeout_s=ANSWER_TIMEOUT_S + 10)
        [problem] = await flow.operator_problems(order.name)
        assert problem["problem"].endswith("_refused" if answer == "refused" else "_unanswered")
        assert problem["change_in_shopify"]
        if answer == "never":
            assert problem["warehouse_said"] == "no answer"
        if answer == "refused":
            assert "picking" in problem["warehouse_said"]

        # An operator re-syncs: the order is read again, the change asked again where it was
        # refused, and still nothing new goes out while the warehouse has not agreed.
        asked_before = len(flow.tap.tapped)
        await flow.resync(order.name)
        await flow.settled()
        again = _commands_about(flow, order.name, asked_before)
        assert not [c for c in again if c.startswith("create")], again
        assert await flow.operator_problems(order.name)
