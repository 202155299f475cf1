"""The warehouse as a state machine: a command or a moment in time in, the events it causes out.

No I/O here: the caller decides when `now` is, delivers commands, and publishes what comes back.
Every random choice draws from the one `random.Random` given, in a fixed order, so a seed
replays the same warehouse.
"""

import random
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Literal

import structlog
from pydantic import BaseModel

from contracts import (
    Envelope,
    WmsItemDiscontinued,
    WmsItemRejected,
    WmsItemUpsert,
    WmsOrderAccepted,
    WmsOrderCancel,
    WmsOrderCancelled,
    WmsOrderCancelResult,
    WmsOrderCreate,
    WmsOrderHold,
    WmsOrderReduce,
    WmsOrderReduceResult,
    WmsOrderRejected,
    WmsOrderRelease,
    WmsOrderUpdate,
    new_envelope,
)
from wms_sim import inventory, reductions, shipping
from wms_sim.catalog import Catalog
from wms_sim.config import Facility, SimConfig
from wms_sim.items import ItemBook
from wms_sim.state import (
    OPEN_STATUSES,
    OrderLineState,
    OrderStatus,
    StockLevel,
    WarehouseOrder,
    WarehouseState,
    order_key,
)

log = structlog.get_logger(__name__)

CancelReason = Literal["out_of_stock", "damaged", "address", "other"]
CancelOutcome = Literal["cancelled", "refused"]
ReduceOutcome = Literal["reduced", "refused"]
CommandHandler = Callable[[Envelope, datetime], list[Envelope]]


class Warehouse:
    def __init__(
        self,
        config: SimConfig,
        catalog: Catalog,
        rng: random.Random,
        state: WarehouseState | None = None,
    ) -> None:
        self._config = config
        self._catalog = catalog
        self._rng = rng
        self._facilities = {(f.shop, f.code): f for f in config.facilities}
        self.state = state if state is not None else self._opening_state()
        self.items = ItemBook(self.state.items)
        self.answers_changes = config.answer_changes
        """False: reduces and cancels are taken in and never answered (SimConfig)."""
        self.quiet_changes = 0
        """Changes of state that publish nothing (picking started): the caller saves on these
        too, not only when events come out."""
        self._handlers: dict[str, CommandHandler] = {
            "wms.order.create": self._create,
            "wms.order.cancel": self._cancel,
            "wms.order.hold": self._hold,
            "wms.order.release": self._release,
            "wms.order.update": self._update,
            "wms.order.reduce": self._reduce,
            "wms.item.upsert": self._item_upsert,
            "wms.item.discontinued": self._item_discontinued,
        }

    def _opening_state(self) -> WarehouseState:
        stock = {
            str(facility): {
                sku: StockLevel(available=units, on_hand=units)
                for sku, units in self._catalog.initial_on_hand.get(facility.code, {}).items()
            }
            for facility in self._config.facilities
        }
        return WarehouseState(stock=stock)

    # --- commands ---------------------------------------------------------------------------

    def handle(self, command: Envelope, now: datetime) -> list[Envelope]:
        """Apply one command once: a command id seen before changes nothing and answers nothing
        (its first answers are the caller's to deliver)."""
        if command.id in self.state.processed_commands:
            return []
        self.state.processed_commands.add(command.id)
        handler = self._handlers.get(command.type)
        if handler is None:
            log.warning("wms.command_ignored", message_type=command.type, message_id=command.id)
            return []
        return handler(command, now)

    def _create(self, command: Envelope, now: datetime) -> list[Envelope]:
        data = command.data_as(WmsOrderCreate)
        key = order_key(command.shop, data.wms_order_ref)
        existing = self.state.orders.get(key)
        if existing is not None and existing.status is OrderStatus.CANCELLED:
            reason = f"order {data.wms_order_ref} was cancelled at the warehouse"
            rejected = WmsOrderRejected(wms_order_ref=data.wms_order_ref, reason=reason)
            return [_answer(command, "wms.order.rejected", rejected)]
        if existing is not None and existing.status is not OrderStatus.REJECTED:
            # The same order sent again (a re-sync): the warehouse already has it, nothing moves.
            accepted = WmsOrderAccepted(wms_order_ref=data.wms_order_ref)
            return [_answer(command, "wms.order.accepted", accepted)]
        order = WarehouseOrder(
            shop=command.shop,
            ref=data.wms_order_ref,
            facility=data.facility,
            country_code=data.ship_to.country_code,
            correlation_id=command.correlation_id,
            created_by=command.id,
            status=OrderStatus.ACCEPTED,
            held=data.on_hold,
            hold_reason=data.hold_reason,
            ship_by=data.ship_by,
            lines=[
                OrderLineState(line_ref=line.line_ref, sku=line.sku, quantity=line.quantity)
                for line in data.lines
            ],
        )
        self.state.orders[key] = order
        refusal = self._rejection_reason(command.shop, data)
        if refusal is not None:
            order.status, order.rejection_reason = OrderStatus.REJECTED, refusal
            rejected = WmsOrderRejected(wms_order_ref=data.wms_order_ref, reason=refusal)
            return [_answer(command, "wms.order.rejected", rejected)]
        stock = self._stock_of(order)
        for line in order.lines:
            if line.sku not in stock:  # a pattern-accepted SKU, seen for the first time
                units = self._catalog.first_sight_on_hand(self._rng)
                stock[line.sku] = StockLevel(available=units, on_hand=units)
            inventory.allocate(stock, line.sku, line.quantity)
        order.ship_due_at = self._next_due(now)
        order.first_shipment_units = self._split_plan(order.units)
        order.cancel_instead = self._rng.random() < self._config.own_cancel_probability
        accepted = WmsOrderAccepted(wms_order_ref=data.wms_order_ref)
        return [
            _answer(command, "wms.order.accepted", accepted),
            *self._stock_changed(order, (line.sku for line in order.lines), now, cause=command),
        ]

    def _rejection_reason(self, shop: str, data: WmsOrderCreate) -> str | None:
        if (shop, data.facility) not in self._facilities:
            return f"unknown facility {data.facility!r} for shop {shop}"
        unknown = sorted(
            {line.sku for line in data.lines if not self._knows(shop, data.facility, line.sku)}
        )
        if unknown:
            return f"unknown SKU at {data.facility}: {', '.join(unknown)}"
        return None

    def _knows(self, shop: str, facility_code: str, sku: str) -> bool:
        """An item the project sent is known (a discontinued one no longer is, even if the
        warehouse's own catalog lists it); otherwise the catalog decides."""
        record = self.items.record(shop, sku)
        if record is not None:
            return record.item is not None
        return self._catalog.knows(facility_code, sku)

    def _item_upsert(self, command: Envelope, now: datetime) -> list[Envelope]:
        data = command.data_as(WmsItemUpsert)
        outcome = self.items.upsert(command.shop, data)
        log.info("wms.item_upsert", shop=command.shop, sku=data.sku, outcome=outcome.kind)
        if outcome.kind == "rejected":
            assert outcome.reason is not None
            rejected = WmsItemRejected(sku=data.sku, reason=outcome.reason)
            return [_answer(command, "wms.item.rejected", rejected)]
        if outcome.kind != "learned" or self._catalog.receipt_range is None:
            return []
        return self._receive(command, data.sku, self._catalog.receipt_range, now)

    def _receive(
        self, command: Envelope, sku: str, units_range: tuple[int, int], now: datetime
    ) -> list[Envelope]:
        """Goods of a newly learned item arrive at each of its shop's facilities that does not
        stock it yet, so its orders can ship; reported like any change of levels."""
        events: list[Envelope] = []
        for facility in self._config.facilities:
            stock = self.state.stock.setdefault(str(facility), {})
            if facility.shop != command.shop or sku in stock:
                continue
            units = self._rng.randint(*units_range)
            stock[sku] = StockLevel(available=units, on_hand=units)
            if self._config.adjustment_feed:
                payload = inventory.adjusted(facility.code, sku, stock[sku], now)
                events.append(command.caused("wms.inventory.adjusted", payload))
        return events

    def _item_discontinued(self, command: Envelope, _: datetime) -> list[Envelope]:
        data = command.data_as(WmsItemDiscontinued)
        dropped = self.items.discontinue(command.shop, data.sku, data.updated_at)
        # Stock on the shelves stays (and is still reported): goods do not vanish because the
        # shop stopped selling them; only new orders for the SKU are refused.
        log.info("wms.item_discontinued", shop=command.shop, sku=data.sku, dropped=dropped)
        return []

    def _cancel(self, command: Envelope, now: datetime) -> list[Envelope]:
        data = command.data_as(WmsOrderCancel)
        if not self.answers_changes:
            log.warning("wms.cancel_ignored", wms_order_ref=data.wms_order_ref)
            return []
        order = self.state.orders.get(order_key(command.shop, data.wms_order_ref))

        def result(outcome: CancelOutcome, reason: str | None) -> Envelope:
            payload = WmsOrderCancelResult(
                wms_order_ref=data.wms_order_ref, outcome=outcome, reason=reason
            )
            return _answer(command, "wms.order.cancel_result", payload)

        if order is None:
            return [result("refused", f"unknown order {data.wms_order_ref}")]
        if order.status is OrderStatus.REJECTED:
            return [result("cancelled", "the order was rejected, nothing was going to ship")]
        if order.status is OrderStatus.CANCELLED:
            return [result("cancelled", "already cancelled")]
        if order.status is OrderStatus.SHIPPED:
            return [result("refused", f"already shipped ({', '.join(order.shipment_ids)})")]
        if order.picking_since is not None:
            # Goods on a picker's trolley are not stopped by a message: as for a reduce.
            return [result("refused", f"picking started at {order.picking_since.isoformat()}")]
        shipped, cancelled = order.shipped_units, order.open_units
        reason = None
        if shipped:
            reason = (
                f"partially shipped: {shipped} of {order.units} units already left in "
                f"{', '.join(order.shipment_ids)}; the remaining {cancelled} units are cancelled"
            )
        released = self._close(order)
        return [result("cancelled", reason), *self._stock_changed(order, released, now, command)]

    def _reduce(self, command: Envelope, now: datetime) -> list[Envelope]:
        """Take units out of an order whose picking has not started; all or nothing."""
        data = command.data_as(WmsOrderReduce)
        if not self.answers_changes:
            log.warning("wms.reduce_ignored", wms_order_ref=data.wms_order_ref)
            return []
        order = self.state.orders.get(order_key(command.shop, data.wms_order_ref))

        def result(outcome: ReduceOutcome, reason: str | None) -> Envelope:
            payload = WmsOrderReduceResult(
                wms_order_ref=data.wms_order_ref, outcome=outcome, lines=data.lines, reason=reason
            )
            return _answer(command, "wms.order.reduce_result", payload)

        if order is None:
            return [result("refused", f"unknown order {data.wms_order_ref}")]
        if order.status is OrderStatus.REJECTED:
            return [result("reduced", "the order was rejected, nothing was going to ship")]
        if order.status is OrderStatus.SHIPPED:
            return [result("refused", f"already shipped ({', '.join(order.shipment_ids)})")]
        if order.status is OrderStatus.PARTIALLY_SHIPPED:
            started = (
                f"picking started: {order.shipped_units} of {order.units} units already "
                f"shipped in {', '.join(order.shipment_ids)}"
            )
            return [result("refused", started)]
        if order.picking_since is not None:
            return [result("refused", f"picking started at {order.picking_since.isoformat()}")]
        if order.status is OrderStatus.CANCELLED:
            # Nothing of it will ship; the units asked for must not be ones that already left.
            try:
                reductions.plan_reduction(order, data.lines, _not_shipped)
            except reductions.CannotReduce as refusal:
                return [result("refused", str(refusal))]
            return [result("reduced", "already cancelled")]
        try:
            takes = reductions.plan_reduction(order, data.lines, _open_units)
        except reductions.CannotReduce as refusal:
            return [result("refused", str(refusal))]
        stock = self._stock_of(order)
        for take in takes:
            take.line.reduced += take.units
            inventory.release(stock, take.line.sku, take.units)
        reason: str | None = None
        if order.open_units == 0:
            # Nothing left: the order behaves as cancelled (it never ships), without the
            # warehouse cancelling it on its own (no `wms.order.cancelled`).
            order.status, order.ship_due_at = OrderStatus.CANCELLED, None
            reason = "no units left: the order will not ship"
        elif (order.first_shipment_units or 0) >= order.open_units:
            order.first_shipment_units = None  # what is left of a split order leaves at once
        touched = [take.line.sku for take in takes]
        return [result("reduced", reason), *self._stock_changed(order, touched, now, command)]

    def _hold(self, command: Envelope, _: datetime) -> list[Envelope]:
        data = command.data_as(WmsOrderHold)
        order = self._open_order(command.shop, data.wms_order_ref, command.type)
        if order is not None:
            order.held, order.hold_reason = True, data.reason
        return []

    def _release(self, command: Envelope, _: datetime) -> list[Envelope]:
        data = command.data_as(WmsOrderRelease)
        order = self._open_order(command.shop, data.wms_order_ref, command.type)
        if order is not None:
            order.held, order.hold_reason = False, None
        return []

    def _update(self, command: Envelope, _: datetime) -> list[Envelope]:
        data = command.data_as(WmsOrderUpdate)
        order = self.state.orders.get(order_key(command.shop, data.wms_order_ref))
        if order is None:
            log.warning("wms.update_for_unknown_order", wms_order_ref=data.wms_order_ref)
            return []
        order.ship_by = data.ship_by
        return []

    def _open_order(self, shop: str, ref: str, message_type: str) -> WarehouseOrder | None:
        order = self.state.orders.get(order_key(shop, ref))
        if order is None or order.status not in OPEN_STATUSES:
            # No answer exists for these commands in the contract; the log is the only trace.
            log.warning(
                "wms.command_for_closed_order", message_type=message_type, wms_order_ref=ref
            )
            return None
        return order

    # --- the passage of time ----------------------------------------------------------------

    def due_work(self, now: datetime) -> list[Envelope]:
        """Ship (or, for the unlucky ones, cancel) every open, unheld order whose time has come."""
        due = sorted(
            (
                order
                for order in self.state.orders.values()
                if order.status in OPEN_STATUSES
                and not order.held
                and order.ship_due_at is not None
                and order.ship_due_at <= now
            ),
            key=lambda order: (order.ship_due_at, order.shop, order.ref),
        )
        events: list[Envelope] = []
        for order in due:
            if order.cancel_instead and order.shipped_units == 0:
                events += self._cancel_on_own(order, "out_of_stock", now, note=None)
            elif order.picking_since is None and self._config.picking_s > 0:
                self._start_picking(order, now)
                order.ship_due_at = now + timedelta(seconds=self._config.picking_s)
            else:
                events += self._ship_next(order, now)
        return events

    def start_picking(self, shop: str, ref: str, now: datetime) -> None:
        """Picking of the order's next shipment starts now (it still ships when due, or when
        told): from now on a reduce is refused."""
        order = self.order(shop, ref)
        if order.status not in OPEN_STATUSES:
            raise ValueError(f"order {ref} is {order.status}, nothing left to pick")
        if order.picking_since is None:
            self._start_picking(order, now)

    def _start_picking(self, order: WarehouseOrder, now: datetime) -> None:
        order.picking_since = now
        self.quiet_changes += 1
        log.info("wms.picking_started", wms_order_ref=order.ref, shop=order.shop)

    def ship_now(self, shop: str, ref: str, now: datetime) -> list[Envelope]:
        """The next shipment of the order leaves now (the first part only, for a split order)."""
        order = self.order(shop, ref)
        if order.status not in OPEN_STATUSES:
            raise ValueError(f"order {ref} is {order.status}, nothing left to ship")
        if order.held:
            raise ValueError(f"order {ref} is on hold")
        return self._ship_next(order, now)

    def cancel_on_own(
        self, shop: str, ref: str, now: datetime, reason: CancelReason = "out_of_stock"
    ) -> list[Envelope]:
        order = self.order(shop, ref)
        if order.status not in OPEN_STATUSES:
            raise ValueError(f"order {ref} is {order.status}, nothing left to cancel")
        return self._cancel_on_own(order, reason, now, note=None)

    def order(self, shop: str, ref: str) -> WarehouseOrder:
        order = self.state.orders.get(order_key(shop, ref))
        if order is None:
            raise KeyError(f"no order {ref} for {shop}")
        return order

    def _ship_next(self, order: WarehouseOrder, now: datetime) -> list[Envelope]:
        picks = shipping.next_picks(order)
        needed = shipping.units_by_sku(picks)
        stock = self._stock_of(order)
        short = inventory.can_pick(stock, needed)
        if short:
            note = f"short at pick: {', '.join(short)}"
            return self._cancel_on_own(order, "out_of_stock", now, note)
        for pick in picks:
            inventory.pick(stock, pick.line.sku, pick.units)
            pick.line.shipped += pick.units
        shipment = shipping.shipment_paperwork(order, picks, now, self._rng)
        order.shipment_ids.append(shipment.shipment_id)
        order.picking_since = None  # the next part, if any, is picked when it comes due
        if order.open_units:
            order.status, order.ship_due_at = OrderStatus.PARTIALLY_SHIPPED, self._next_due(now)
        else:
            order.status, order.ship_due_at = OrderStatus.SHIPPED, None
        return [
            _about(order, "wms.shipment.confirmed", shipment, now),
            *self._stock_changed(order, needed, now, cause=None),
        ]

    def _cancel_on_own(
        self, order: WarehouseOrder, reason: CancelReason, now: datetime, note: str | None
    ) -> list[Envelope]:
        released = self._close(order)
        cancelled = WmsOrderCancelled(
            wms_order_ref=order.ref, reason=reason, restock=True, note=note
        )
        return [
            _about(order, "wms.order.cancelled", cancelled, now),
            *self._stock_changed(order, released, now, cause=None),
        ]

    def _close(self, order: WarehouseOrder) -> list[str]:
        """Cancel what has not shipped and give its allocation back; returns the SKUs touched."""
        stock = self._stock_of(order)
        released: list[str] = []
        for line in order.lines:
            if line.open_units:
                inventory.release(stock, line.sku, line.open_units)
                released.append(line.sku)
                line.cancelled += line.open_units
        order.status, order.ship_due_at, order.picking_since = OrderStatus.CANCELLED, None, None
        return released

    def _next_due(self, now: datetime) -> datetime | None:
        if self._config.ship_delay_s is None:
            return None
        return now + timedelta(seconds=self._rng.uniform(*self._config.ship_delay_s))

    def _split_plan(self, units: int) -> int | None:
        if units < 2 or self._rng.random() >= self._config.split_probability:
            return None
        return self._rng.randint(1, units - 1)

    # --- stock --------------------------------------------------------------------------------

    def snapshot(self, now: datetime, facility: Facility | None = None) -> list[Envelope]:
        facilities = self._config.facilities if facility is None else (facility,)
        return [
            new_envelope("wms.inventory.snapshot", part, shop=f.shop, occurred_at=now)
            for f in facilities
            for part in inventory.snapshot_parts(
                f.code, self.state.stock[str(f)], now, self._config.snapshot_items_per_part
            )
        ]

    def adjust(
        self, facility: Facility, sku: str, now: datetime, *, available: int, on_hand: int
    ) -> list[Envelope]:
        """Set a SKU's levels (a recount, a receipt, damage) and report them."""
        level = StockLevel(available=available, on_hand=on_hand)
        self.state.stock[str(facility)][sku] = level
        payload = inventory.adjusted(facility.code, sku, level, now)
        return [
            new_envelope("wms.inventory.adjusted", payload, shop=facility.shop, occurred_at=now)
        ]

    def random_adjustment(self, now: datetime) -> list[Envelope]:
        facility = self._rng.choice(self._config.facilities)
        stock = self.state.stock[str(facility)]
        if not stock:
            return []
        sku = self._rng.choice(sorted(stock))
        inventory.cycle_count(stock, sku, self._rng)
        payload = inventory.adjusted(facility.code, sku, stock[sku], now)
        return [
            new_envelope("wms.inventory.adjusted", payload, shop=facility.shop, occurred_at=now)
        ]

    def _stock_of(self, order: WarehouseOrder) -> inventory.FacilityStock:
        return self.state.stock[str(self._facilities[(order.shop, order.facility)])]

    def _stock_changed(
        self, order: WarehouseOrder, skus: Iterable[str], now: datetime, cause: Envelope | None
    ) -> list[Envelope]:
        if not self._config.adjustment_feed:
            return []
        stock = self._stock_of(order)
        payloads = [
            inventory.adjusted(order.facility, sku, stock[sku], now) for sku in dict.fromkeys(skus)
        ]
        if cause is not None:
            return [cause.caused("wms.inventory.adjusted", payload) for payload in payloads]
        return [_about(order, "wms.inventory.adjusted", payload, now) for payload in payloads]


def _open_units(line: OrderLineState) -> int:
    return line.open_units


def _not_shipped(line: OrderLineState) -> int:
    """Of a cancelled order: the units that did not leave (and were not taken out before)."""
    return line.quantity - line.shipped - line.reduced


def _answer(command: Envelope, message_type: str, payload: BaseModel) -> Envelope:
    return command.caused(message_type, payload)


def _about(order: WarehouseOrder, message_type: str, payload: BaseModel, now: datetime) -> Envelope:
    """An event the warehouse volunteers about an order: part of the order's conversation, caused
    by the command that created it."""
    return new_envelope(
        message_type,
        payload,
        shop=order.shop,
        correlation_id=order.correlation_id,
        causation_id=order.created_by,
        occurred_at=now,
    )
