"""The running warehouse: the state machine, its clock, its broker end and its memory, together.

Delivery: a command's effects and answers are decided and saved first, then its answers are
published with confirms, and only then is the command acked. Answers not yet confirmed stay in
`pending` (saved with the state) and go out before anything else, so a crash or a broker hiccup
can repeat an answer (same id: the project dedupes) but never lose one.
"""

import asyncio
import contextlib
import random
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

import structlog
from aio_pika.abc import AbstractIncomingMessage

from contracts import (
    ContractError,
    Envelope,
    WmsItemUpsert,
    WmsShipmentConfirmed,
    parse_envelope,
    spec_for,
)
from wms_sim import persistence
from wms_sim.bus import WarehouseBus
from wms_sim.catalog import build_catalog
from wms_sim.config import Facility, SimConfig
from wms_sim.state import StockLevel, WarehouseOrder, capture_rng, restore_rng
from wms_sim.warehouse import CancelReason, Warehouse

log = structlog.get_logger(__name__)

REDELIVERY_PAUSE_S = 1.0
"""After a failed publish, before the command goes back to the queue: no hot loop on a sick
broker."""

STOP_FLUSH_TIMEOUT_S = 5.0


class WmsSimulator:
    def __init__(self, config: SimConfig | None = None) -> None:
        self.config = config or SimConfig()
        rng = random.Random(self.config.seed)
        saved = None
        if self.config.state_file is not None:
            saved = persistence.load(self.config.state_file)
        self._warehouse = Warehouse(
            self.config,
            build_catalog(self.config.catalog, self.config.facilities, rng),
            rng,
            saved[0] if saved else None,
        )
        if saved and saved[0].rng_state is not None:
            restore_rng(rng, saved[0].rng_state)
        self._rng = rng
        self._pending: list[Envelope] = saved[1] if saved else []
        self.published: list[Envelope] = []
        """Every event the broker confirmed, in order."""
        self.refused_commands: list[str] = []
        """Why each command that could not be read or applied was dropped."""
        self._lock = asyncio.Lock()
        self._bus: WarehouseBus | None = None
        self._jobs: list[asyncio.Task[None]] = []

    # --- lifecycle ----------------------------------------------------------------------------

    async def start(self, amqp_url: str) -> None:
        self._bus = WarehouseBus(amqp_url, queue=self.config.queue, prefetch=self.config.prefetch)
        await self._bus.open(self._on_command)
        async with self._lock:
            await self._publish_pending()  # left over from before a restart
        self._every(self.config.tick_interval_s, self._warehouse.due_work)
        if self.config.snapshot_interval_s is not None:
            self._every(self.config.snapshot_interval_s, self._warehouse.snapshot)
        if self.config.random_adjustment_interval_s is not None:
            self._every(self.config.random_adjustment_interval_s, self._warehouse.random_adjustment)
        log.info("wms.started", facilities=[str(f) for f in self.config.facilities])

    async def stop(self) -> None:
        for job in self._jobs:
            job.cancel()
        for job in self._jobs:
            with contextlib.suppress(asyncio.CancelledError):
                await job
        self._jobs.clear()
        async with self._lock:
            with contextlib.suppress(Exception):  # kept for the next start if a state file is set
                await asyncio.wait_for(self._publish_pending(), STOP_FLUSH_TIMEOUT_S)
        if self._bus is not None:
            await self._bus.close()
            self._bus = None

    # --- inspection ---------------------------------------------------------------------------

    @property
    def orders(self) -> Mapping[str, WarehouseOrder]:
        """By `shop/ref`."""
        return self._warehouse.state.orders

    def order(self, ref: str, shop: str | None = None) -> WarehouseOrder:
        return self._warehouse.order(shop or self._default_shop(), ref)

    @property
    def shipments(self) -> list[WmsShipmentConfirmed]:
        return [
            e.data_as(WmsShipmentConfirmed)
            for e in self.published
            if e.type == "wms.shipment.confirmed"
        ]

    @property
    def unconfirmed(self) -> int:
        """Events decided but not yet confirmed by the broker."""
        return len(self._pending)

    def items(self, shop: str | None = None) -> dict[str, WmsItemUpsert]:
        """The items the warehouse holds for the shop now (learned from `wms.item.upsert`),
        by SKU."""
        held = self._warehouse.items.held(shop or self._default_shop())
        return {item.sku: item for item in held}

    def stock(self, sku: str, facility: Facility | None = None) -> StockLevel:
        return self._warehouse.state.stock[str(facility or self._only_facility())][sku]

    # --- triggers (each publishes what it causes before returning, or on start if stopped) -----

    async def ship_now(self, ref: str, shop: str | None = None) -> list[Envelope]:
        shop = shop or self._default_shop()
        return await self._act(lambda now: self._warehouse.ship_now(shop, ref, now))

    async def cancel_now(
        self, ref: str, reason: CancelReason = "out_of_stock", shop: str | None = None
    ) -> list[Envelope]:
        shop = shop or self._default_shop()
        return await self._act(lambda now: self._warehouse.cancel_on_own(shop, ref, now, reason))

    def answer_changes(self, answering: bool) -> None:
        """From now on, answer reduces and cancels (True) or take them in silently (False)."""
        self._warehouse.answers_changes = answering

    async def start_picking(self, ref: str, shop: str | None = None) -> None:
        """Picking of the order's next shipment starts now: a reduce is refused from here on."""
        shop = shop or self._default_shop()

        def begin(now: datetime) -> list[Envelope]:
            self._warehouse.start_picking(shop, ref, now)
            return []  # nothing in the contract says picking started

        await self._act(begin)

    async def publish_snapshot(self, facility: Facility | None = None) -> list[Envelope]:
        return await self._act(lambda now: self._warehouse.snapshot(now, facility))

    async def adjust(
        self, sku: str, *, available: int, on_hand: int, facility: Facility | None = None
    ) -> list[Envelope]:
        where = facility or self._only_facility()
        return await self._act(
            lambda now: self._warehouse.adjust(
                where, sku, now, available=available, on_hand=on_hand
            )
        )

    # --- internals ----------------------------------------------------------------------------

    async def _on_command(self, message: AbstractIncomingMessage) -> None:
        command = await self._read(message)
        if command is None:
            return
        async with self._lock:
            try:
                events = self._warehouse.handle(command, _now())
            except Exception as error:  # a bug here must not loop the command forever
                log.exception("wms.command_failed", message_id=message.message_id)
                await self._refuse(message, f"{type(error).__name__}: {error}")
                return
            self._decide(events)
        log.info(
            "wms.command_handled",
            message_type=command.type,
            message_id=str(command.id),
            correlation_id=str(command.correlation_id),
            answers=[event.type for event in events],
        )
        try:
            async with self._lock:
                await self._publish_pending()
            await message.ack()
        except Exception as error:
            log.warning("wms.answer_not_confirmed", message_id=message.message_id, error=str(error))
            await asyncio.sleep(REDELIVERY_PAUSE_S)
            with contextlib.suppress(Exception):  # the channel may be gone: redelivered anyway
                await message.nack(requeue=True)

    async def _read(self, message: AbstractIncomingMessage) -> Envelope | None:
        try:
            command = parse_envelope(message.body)
            if spec_for(command.type).direction != "command":
                raise ContractError(f"{command.type} is not a command")
        except ContractError as error:
            # A warehouse cannot answer what it cannot read; the log names the message.
            log.error("wms.command_invalid", message_id=message.message_id, reason=str(error))
            await self._refuse(message, str(error))
            return None
        return command

    async def _refuse(self, message: AbstractIncomingMessage, reason: str) -> None:
        self.refused_commands.append(reason)
        await message.reject(requeue=False)

    async def _act(self, decide: Callable[[datetime], list[Envelope]]) -> list[Envelope]:
        async with self._lock:
            quiet_changes = self._warehouse.quiet_changes
            events = decide(_now())
            # Saved only when something changed: events came out, or a change that publishes
            # nothing (picking started). An idle tick does not rewrite the state file.
            if events or self._warehouse.quiet_changes != quiet_changes:
                self._decide(events)
            await self._publish_pending()
        return events

    def _decide(self, events: list[Envelope]) -> None:
        self._pending.extend(events)
        self._save()

    async def _publish_pending(self) -> None:
        if not self._pending or self._bus is None:
            # Stopped: the warehouse keeps working offline (a shipment, its own cancel); what it
            # decided is kept and goes out first on the next start.
            return
        # One at a time, each confirmed before the next: the project sees events in the order
        # the warehouse decided them (accepted before shipped).
        while self._pending:
            envelope = self._pending[0]
            await self._bus.publish(envelope)
            self._pending.pop(0)
            self.published.append(envelope)
            log.debug(
                "wms.event_published",
                message_type=envelope.type,
                message_id=str(envelope.id),
                correlation_id=str(envelope.correlation_id),
            )
        self._save()

    def _save(self) -> None:
        if self.config.state_file is None:
            return
        self._warehouse.state.rng_state = capture_rng(self._rng)
        persistence.save(self.config.state_file, self._warehouse.state, self._pending)

    def _every(self, interval_s: float, decide: Callable[[datetime], list[Envelope]]) -> None:
        async def loop() -> None:
            while True:
                await asyncio.sleep(interval_s)
                try:
                    await self._act(decide)
                except Exception as error:  # the next round retries what is still pending
                    log.warning("wms.job_failed", job=decide.__name__, error=str(error))

        self._jobs.append(asyncio.create_task(loop(), name=f"wms-sim:{decide.__name__}"))

    def _default_shop(self) -> str:
        shops = {facility.shop for facility in self.config.facilities}
        if len(shops) != 1:
            raise ValueError("facilities of several shops configured: say which shop")
        return shops.pop()

    def _only_facility(self) -> Facility:
        facilities = self.config.facilities
        if len(facilities) != 1:
            raise ValueError("several facilities configured: say which")
        return facilities[0]


def _now() -> datetime:
    return datetime.now(UTC)
