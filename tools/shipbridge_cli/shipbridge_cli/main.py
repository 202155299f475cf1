"""`shipbridge`: the operators' command line (SPEC section 4).

    shipbridge status [--json]
    shipbridge orders resync <shop> <order name>
    shipbridge orders download <shop> --since <time> [--until <time>]
    shipbridge dead-letters list <service> [--all]
    shipbridge dead-letters replay <service> (<id>... | --all)
    shipbridge inventory full-sync <shop> <facility>
    shipbridge catalog sync <shop>
    shipbridge catalog problems [--shop <shop>]
    shipbridge webhooks check|repair <shop>
    shipbridge privacy requests [--all]
    shipbridge privacy export <shop> <request id> [--output FILE]
    shipbridge fulfillment-services list
    shipbridge fulfillment-services register <shop> <facility>
    shipbridge fulfillment-services delete <shop> <facility> [--destination-location GID]
                                           [--inventory-action TRANSFER|KEEP|DELETE]
    shipbridge fulfillment-services requests

Exit status: 0 done (or healthy), 1 failed (or something needs attention), 2 bad arguments
(including an unknown shop, facility or service), 3 a service could not be reached.
"""

import argparse
import asyncio
import os
import sys
from collections.abc import Mapping, Sequence
from typing import NoReturn

from rich.console import Console
from rich.markup import escape

from operator_status.sources import DEFAULT_SERVICES
from shipbridge_cli import commands
from shipbridge_cli.services import BAD_ARGUMENTS, CliError, Services


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so `run` decides what is printed."""

    def error(self, message: str) -> NoReturn:
        raise CliError(f"{self.prog}: {message}\n{self.format_usage().strip()}", BAD_ARGUMENTS)


def parser() -> argparse.ArgumentParser:
    root = _Parser(prog="shipbridge", description="Operate the Shopify-warehouse integration.")
    sub = root.add_subparsers(dest="group", required=True, parser_class=_Parser)

    status = sub.add_parser("status", help="what needs attention, per service and shop")
    status.add_argument("--json", action="store_true", help="the status document as JSON")
    status.set_defaults(command=commands.status)

    orders = sub.add_parser("orders", help="re-sync one order, or download a time window")
    orders_sub = orders.add_subparsers(dest="action", required=True, parser_class=_Parser)
    resync = orders_sub.add_parser("resync", help="read one order again and apply it")
    resync.add_argument("shop", help="e.g. example.myshopify.com")
    resync.add_argument("name", help="the order's name, e.g. #1001")
    resync.set_defaults(command=commands.orders_resync)
    download = orders_sub.add_parser("download", help="apply every order updated in a window")
    download.add_argument("shop")
    download.add_argument("--since", type=commands.timestamp, required=True,
                          help="2026-11-01 (midnight UTC) or 2026-11-01T08:00:00Z")  # fmt: skip
    download.add_argument("--until", type=commands.timestamp, help="default: now")
    download.set_defaults(command=commands.orders_download)

    dead = sub.add_parser("dead-letters", help="messages a service could not handle")
    dead_sub = dead.add_subparsers(dest="action", required=True, parser_class=_Parser)
    listing = dead_sub.add_parser("list", help="open dead letters of a service")
    listing.add_argument("service", help=", ".join(DEFAULT_SERVICES))
    listing.add_argument("--all", action="store_true", help="also those already replayed")
    listing.set_defaults(command=commands.dead_letters_list)
    replay = dead_sub.add_parser("replay", help="put dead letters back on the service's queue")
    replay.add_argument("service", help=", ".join(DEFAULT_SERVICES))
    replay.add_argument("ids", type=int, nargs="*", help="dead letter ids (see list)")
    replay.add_argument("--all", action="store_true", help="every open dead letter")
    replay.set_defaults(command=commands.dead_letters_replay)

    inventory = sub.add_parser("inventory", help="stock from the warehouse to Shopify")
    inventory_sub = inventory.add_subparsers(dest="action", required=True, parser_class=_Parser)
    full = inventory_sub.add_parser("full-sync", help="compare and set a facility's every SKU")
    full.add_argument("shop")
    full.add_argument("facility", help="a facility of the shop's [shops.inventory]")
    full.set_defaults(command=commands.inventory_full_sync)

    catalog = sub.add_parser("catalog", help="the shop's products as the warehouse's items")
    catalog_sub = catalog.add_subparsers(dest="action", required=True, parser_class=_Parser)
    catalog_sync = catalog_sub.add_parser(
        "sync", help="send the whole catalog's differences to the warehouse (bulk operation)"
    )
    catalog_sync.add_argument("shop")
    catalog_sync.set_defaults(command=commands.catalog_sync)
    catalog_problems = catalog_sub.add_parser(
        "problems", help="duplicate or missing SKUs, items the warehouse rejected, failed syncs"
    )
    catalog_problems.add_argument("--shop", help="only this shop")
    catalog_problems.set_defaults(command=commands.catalog_problems)

    webhooks = sub.add_parser("webhooks", help="the shop's webhook subscriptions")
    webhooks.add_argument("action", choices=("check", "repair"))
    webhooks.add_argument("shop")
    webhooks.set_defaults(command=commands.webhooks)

    privacy = sub.add_parser("privacy", help="customers' data requests")
    privacy_sub = privacy.add_subparsers(dest="action", required=True, parser_class=_Parser)
    requests = privacy_sub.add_parser("requests", help="data requests waiting for an export")
    requests.add_argument("--all", action="store_true", help="also those already exported")
    requests.set_defaults(command=commands.privacy_requests)
    export = privacy_sub.add_parser("export", help="write the data a request asks for")
    export.add_argument("shop")
    export.add_argument("request_id")
    export.add_argument("--output", help="default: data-request-<shop>-<id>.json")
    export.set_defaults(command=commands.privacy_export)

    services = sub.add_parser(
        "fulfillment-services", help="facilities connected as Shopify fulfillment services"
    )
    services_sub = services.add_subparsers(dest="action", required=True, parser_class=_Parser)
    listed = services_sub.add_parser("list", help="each service's state and location per shop")
    listed.set_defaults(command=commands.fulfillment_services_list)
    register = services_sub.add_parser(
        "register", help="create or update the facility's service now (undoes a delete)"
    )
    register.add_argument("shop")
    register.add_argument("facility", help="a fulfillment_service facility of the shop")
    register.set_defaults(command=commands.fulfillment_services_register)
    delete = services_sub.add_parser(
        "delete", help="delete the facility's service in Shopify; it stays deleted"
    )
    delete.add_argument("shop")
    delete.add_argument("facility", help="a fulfillment_service facility of the shop")
    delete.add_argument("--destination-location", metavar="GID",
                        help="an active merchant-managed location to take the service's "
                             "inventory and commitments (TRANSFER)")  # fmt: skip
    delete.add_argument("--inventory-action", type=str.upper,
                        choices=("TRANSFER", "KEEP", "DELETE"),
                        help="TRANSFER with --destination-location (its default), else KEEP: "
                             "the location stays, merchant-managed, with its stock; DELETE: "
                             "the location and its inventory go")  # fmt: skip
    delete.set_defaults(command=commands.fulfillment_services_delete)
    requests_list = services_sub.add_parser(
        "requests", help="fulfillment and cancellation requests an operator should see"
    )
    requests_list.set_defaults(command=commands.fulfillment_services_requests)
    return root


async def run(
    argv: Sequence[str],
    env: Mapping[str, str] | None = None,
    console: Console | None = None,
    poll_interval_s: float = 0.5,
) -> int:
    """Run one command; returns the exit status. Errors are printed, never raised."""
    out = console or Console()
    try:
        args = parser().parse_args(list(argv))
        environment = os.environ if env is None else env
        ctx = commands.Context(out, environment, Services(environment), poll_interval_s)
        status: int = await args.command(ctx, args)
        return status
    except CliError as exc:
        out.print(f"[red]error:[/] {escape(str(exc))}", highlight=False)
        return exc.exit_status


def main() -> None:
    if len(sys.argv) == 1:
        sys.argv.append("--help")
    try:
        sys.exit(asyncio.run(run(sys.argv[1:])))
    except KeyboardInterrupt:
        sys.exit(130)
