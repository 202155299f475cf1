"""`python -m wms_sim`: run the simulated warehouse until Ctrl-C / SIGTERM."""

import argparse
import asyncio
import os
import signal
from pathlib import Path

import structlog

from service_runtime.logging import configure_logging
from wms_sim.config import DEFAULT_SHOP, Facility, GeneratedCatalog, LearnedCatalog, SimConfig
from wms_sim.simulator import WmsSimulator

log = structlog.get_logger(__name__)

DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"


def _seconds_or_off(text: str) -> float | None:
    """`0` (or `off`) switches a schedule off."""
    if text.lower() == "off":
        return None
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be >= 0")
    return value or None


def parser() -> argparse.ArgumentParser:
    defaults = SimConfig()
    generated = GeneratedCatalog()
    p = argparse.ArgumentParser(
        prog="wms_sim", description="A simulated warehouse speaking SPEC section 3 over RabbitMQ."
    )
    p.add_argument("--amqp-url", default=os.environ.get("AMQP_URL", DEFAULT_AMQP_URL))
    p.add_argument("--shop", default=DEFAULT_SHOP, help="shop of facilities given without one")
    p.add_argument(
        "--facility",
        action="append",
        metavar="[SHOP:]CODE",
        help="a facility (repeatable); default WH1 for --shop",
    )
    source = p.add_mutually_exclusive_group()
    source.add_argument("--catalog", type=Path, help='JSON {"WH1": {"SKU": on_hand, ...}, ...}')
    source.add_argument(
        "--catalog-from-items",
        action="store_true",
        help="know only the items sent as wms.item.upsert, each received with "
        "--min-quantity..--max-quantity units when first learned",
    )
    p.add_argument("--products", type=int, default=generated.products)
    p.add_argument("--variants-per-product", type=int, default=generated.variants_per_product)
    p.add_argument("--min-quantity", type=int, default=generated.min_quantity)
    p.add_argument("--max-quantity", type=int, default=generated.max_quantity)
    p.add_argument(
        "--only-listed-skus",
        action="store_true",
        help="reject SKUs shaped like the Shopify simulator's but not generated",
    )
    p.add_argument("--seed", type=int, help="reproducible run (default: a new one each time)")
    p.add_argument(
        "--ship-delay",
        type=float,
        nargs=2,
        metavar=("MIN_S", "MAX_S"),
        default=defaults.ship_delay_s,
    )
    p.add_argument("--no-auto-ship", action="store_true", help="never ship by itself")
    p.add_argument("--split-probability", type=float, default=defaults.split_probability)
    p.add_argument("--own-cancel-probability", type=float, default=defaults.own_cancel_probability)
    p.add_argument(
        "--picking-time",
        type=float,
        default=defaults.picking_s,
        metavar="SECONDS",
        help="picking before each shipment leaves; a reduce is refused once picking started",
    )
    p.add_argument(
        "--ignore-changes",
        action="store_true",
        help="never answer wms.order.reduce or wms.order.cancel (to test the project's timeouts)",
    )
    p.add_argument("--snapshot-items-per-part", type=int, default=defaults.snapshot_items_per_part)
    p.add_argument(
        "--snapshot-interval",
        type=_seconds_or_off,
        default=defaults.snapshot_interval_s,
        help="seconds between full snapshots; 0 = off",
    )
    p.add_argument(
        "--adjustment-interval",
        type=_seconds_or_off,
        default=defaults.random_adjustment_interval_s,
        help="seconds between random stock recounts; 0 = off",
    )
    p.add_argument(
        "--no-adjustment-feed", action="store_true", help="no wms.inventory.adjusted on changes"
    )
    p.add_argument("--queue", default=defaults.queue)
    p.add_argument("--prefetch", type=int, default=defaults.prefetch)
    p.add_argument("--state-file", type=Path, help="keep the warehouse across restarts")
    p.add_argument("--log-level", default=os.environ.get("LOG_LEVEL", "INFO"))
    return p


def config_from_args(args: argparse.Namespace) -> SimConfig:
    facilities = tuple(Facility.parse(text, args.shop) for text in args.facility or ["WH1"])
    catalog: GeneratedCatalog | LearnedCatalog | Path = args.catalog or GeneratedCatalog(
        products=args.products,
        variants_per_product=args.variants_per_product,
        min_quantity=args.min_quantity,
        max_quantity=args.max_quantity,
        accept_pattern=not args.only_listed_skus,
    )
    if args.catalog_from_items:
        catalog = LearnedCatalog(min_quantity=args.min_quantity, max_quantity=args.max_quantity)
    return SimConfig(
        facilities=facilities,
        catalog=catalog,
        seed=args.seed,
        ship_delay_s=None if args.no_auto_ship else tuple(args.ship_delay),
        split_probability=args.split_probability,
        own_cancel_probability=args.own_cancel_probability,
        picking_s=args.picking_time,
        answer_changes=not args.ignore_changes,
        snapshot_items_per_part=args.snapshot_items_per_part,
        snapshot_interval_s=args.snapshot_interval,
        random_adjustment_interval_s=args.adjustment_interval,
        adjustment_feed=not args.no_adjustment_feed,
        queue=args.queue,
        prefetch=args.prefetch,
        state_file=args.state_file,
    )


async def run(config: SimConfig, amqp_url: str) -> None:
    simulator = WmsSimulator(config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await simulator.start(amqp_url)
    try:
        await stop.wait()
    finally:
        log.info("wms.stopping")
        await simulator.stop()


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    configure_logging("wms-sim", args.log_level)
    asyncio.run(run(config_from_args(args), args.amqp_url))
