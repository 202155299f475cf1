"""What each command does: check its arguments, call the services, show the answer.

Every command is `async (Context, argparse.Namespace) -> int` (the exit status).
"""

import argparse
import asyncio
import json
import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from operator_status.overview import catalog_problems as catalog_findings
from operator_status.overview import overview
from operator_status.sources import DEFAULT_SERVICES, collect
from shipbridge_cli.services import BAD_ARGUMENTS, FAILED, UNREACHABLE, CliError, Services
from shipbridge_cli.views import rows_table, show_problem, show_status
from shop_config import ShopConfig, ShopConfigError, load_shops

RUNNING_STATES = frozenset({"queued", "pending", "running", "pushing"})
SUCCESS_STATES = frozenset({"done", "completed", "succeeded", "finished"})


@dataclass
class Context:
    console: Console
    env: Mapping[str, str]
    services: Services
    poll_interval_s: float = 0.5

    def shop(self, domain: str) -> ShopConfig:
        """The shop from the shops configuration (SHOPS_CONFIG), or a clear error."""
        try:
            shops = load_shops(env=self.env)
        except ShopConfigError as exc:
            raise CliError(f"cannot read the shops configuration: {exc}", BAD_ARGUMENTS) from None
        shop = shops.get(domain)
        if shop is None:
            known = ", ".join(shops.domains) or "none"
            raise CliError(f"unknown shop {domain}; configured: {known}", BAD_ARGUMENTS)
        return shop


Command = Callable[[Context, argparse.Namespace], Awaitable[int]]


def timestamp(value: str) -> datetime:
    """An argparse type: ISO 8601 with a timezone, or a date (midnight UTC)."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a date or ISO 8601 time (e.g. 2026-11-01 or 2026-11-01T08:00Z)"
        ) from None
    if parsed.tzinfo is None:
        if len(value) > 10:
            raise argparse.ArgumentTypeError(f"{value!r} needs a timezone (e.g. Z or +01:00)")
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


# --- status -----------------------------------------------------------------------------------


async def status(ctx: Context, args: argparse.Namespace) -> int:
    doc = overview(await collect(ctx.services.urls))
    if args.json:
        ctx.console.print_json(json.dumps(doc, default=str))
    else:
        show_status(ctx.console, doc)
    return 0 if doc["healthy"] else FAILED


# --- orders -----------------------------------------------------------------------------------


async def orders_resync(ctx: Context, args: argparse.Namespace) -> int:
    shop = ctx.shop(args.shop).domain
    answer = await ctx.services.call(
        "order-intake", "POST", "/orders/resync", {"shop": shop, "name": args.name}
    )
    created = answer.get("created") or []
    line = f"{answer['order']} ({answer['order_id']}): {answer['state']}"
    if answer.get("reason"):
        line += f", {answer['reason']}"
    if created:
        line += f"; sent to the warehouse as {', '.join(created)}"
    ctx.console.print(line)
    return 0


async def orders_download(ctx: Context, args: argparse.Namespace) -> int:
    shop = ctx.shop(args.shop).domain
    if args.until is not None and args.until < args.since:
        raise CliError("--until is before --since", BAD_ARGUMENTS)
    window = {"shop": shop, "since": args.since.isoformat()}
    if args.until is not None:
        window["until"] = args.until.isoformat()
    job = await ctx.services.call("order-intake", "POST", "/orders/downloads", window)

    def describe(job: Mapping[str, Any]) -> str:
        return (
            f"{job['orders_seen']} orders read, {job['wms_orders_created']} sent to the warehouse"
        )

    with _progress(ctx.console) as progress:
        task = progress.add_task(f"downloading {shop}", total=1.0)
        while job["state"] in RUNNING_STATES:
            progress.update(task, completed=job["progress"], description=describe(job))
            await asyncio.sleep(ctx.poll_interval_s)
            job = await ctx.services.call(
                "order-intake", "GET", f"/orders/downloads/{job['job_id']}"
            )
        progress.update(task, completed=job["progress"], description=describe(job))
    if job["state"] != "done":
        raise CliError(f"download failed after {describe(job)}: {job.get('error')}")
    ctx.console.print(f"download of {shop} done: {describe(job)}, {job['stale_skipped']} stale")
    return 0


# --- dead letters -----------------------------------------------------------------------------


async def dead_letters_list(ctx: Context, args: argparse.Namespace) -> int:
    service = Services.check_name(args.service)
    query = "?include_replayed=1" if args.all else ""
    answer = await ctx.services.call(service, "GET", f"/dead-letters{query}")
    rows = answer["dead_letters"]
    if not rows:
        ctx.console.print(f"{service}: no dead letters")
        return 0
    shown = [
        {k: row.get(k) for k in ("id", "type", "reason", "attempts", "dead_at", "replayed_at")}
        for row in rows
    ]
    ctx.console.print(rows_table(shown, title=f"{service}: {len(rows)} dead letters"))
    return 0


async def dead_letters_replay(ctx: Context, args: argparse.Namespace) -> int:
    service = Services.check_name(args.service)
    if bool(args.ids) == bool(args.all):
        raise CliError("give dead letter ids, or --all (not both)", BAD_ARGUMENTS)
    body = {"all": True} if args.all else {"ids": args.ids}
    answer = await ctx.services.call(service, "POST", "/dead-letters/replay", body)
    replayed = answer["replayed"]
    missing = sorted(set(args.ids or []) - set(replayed))
    ctx.console.print(
        f"{service}: replayed {len(replayed)} dead letters"
        + (f" ({', '.join(map(str, replayed))})" if replayed else "")
    )
    if missing:
        raise CliError(f"not replayed (unknown or already replayed): {missing}")
    return 0


# --- inventory --------------------------------------------------------------------------------


async def inventory_full_sync(ctx: Context, args: argparse.Namespace) -> int:
    shop = ctx.shop(args.shop)
    if args.facility not in shop.inventory:
        feeds = ", ".join(shop.inventory) or "none"
        raise CliError(
            f"{shop.domain} has no inventory feed from facility {args.facility}; "
            f"configured: {feeds}",
            BAD_ARGUMENTS,
        )
    body = {"shop": shop.domain, "facility": args.facility}
    job = await ctx.services.call("inventory-sync", "POST", "/inventory/full-sync", body)
    with _progress(ctx.console) as progress:
        task = progress.add_task(f"full sync {shop.domain} {args.facility}", total=None)
        while True:
            done, total, description = _full_sync_progress(job)
            progress.update(task, completed=done, total=total, description=description)
            if job.get("state") not in RUNNING_STATES:
                break
            await asyncio.sleep(ctx.poll_interval_s)
            job = await ctx.services.call(
                "inventory-sync", "GET", f"/inventory/full-sync/{job['job_id']}"
            )
    if job.get("state") not in SUCCESS_STATES:
        raise CliError(f"full sync {job.get('state')}: {job.get('error') or job.get('note')}")
    ctx.console.print(
        f"full sync of {args.facility} into {shop.domain} done: {_full_sync_progress(job)[2]}"
    )
    return 0


def _full_sync_progress(job: Mapping[str, Any]) -> tuple[int, int | None, str]:
    """(done, total or None while unknown, description) of an inventory-sync job: it first
    compares every SKU, then pushes the changes; the bar counts the changes pushed."""
    counts = job.get("progress") or {}
    changes = counts.get("changes") or 0
    settled = changes - (counts.get("remaining") or 0)
    phase = job.get("phase") or job.get("state")
    description = (
        f"{phase}: {counts.get('skus_considered', 0)} SKUs compared, {changes} to change, "
        f"{counts.get('pushed', 0)} pushed, {counts.get('already_right', 0)} already right, "
        f"{counts.get('push_failed', 0)} failed"
    )
    known = job.get("state") in ("pushing", *SUCCESS_STATES)
    return settled, (changes if known else None), description


# --- catalog ----------------------------------------------------------------------------------


async def catalog_sync(ctx: Context, args: argparse.Namespace) -> int:
    """A full catalog sync of the shop (inventory-sync's bulk operation), followed to its end."""
    shop = ctx.shop(args.shop).domain
    job = await ctx.services.call("inventory-sync", "POST", "/catalog/sync", {"shop": shop})
    with _progress(ctx.console) as progress:
        task = progress.add_task(f"catalog sync {shop}", total=None)
        while True:
            progress.update(task, description=_catalog_sync_progress(job))
            if job.get("state") not in RUNNING_STATES:
                break
            await asyncio.sleep(ctx.poll_interval_s)
            job = await ctx.services.call("inventory-sync", "GET", f"/catalog/sync/{job['job_id']}")
        if job.get("state") in SUCCESS_STATES:
            progress.update(task, total=1, completed=1)
    if job.get("state") not in SUCCESS_STATES:
        raise CliError(
            f"catalog sync of {shop} {job.get('state')}: {job.get('error') or 'no reason given'}"
        )
    ctx.console.print(f"catalog sync of {shop} done: {_catalog_counts(job)}")
    return 0


def _catalog_counts(job: Mapping[str, Any]) -> str:
    # inventory-sync nests the counts under `progress`; read them at the top level too.
    counts = {**job, **(job.get("progress") or {})}
    return (
        f"{counts.get('lines_read') or 0} lines read, {counts.get('items_sent') or 0} items sent, "
        f"{counts.get('discontinued') or 0} discontinued"
    )


def _catalog_sync_progress(job: Mapping[str, Any]) -> str:
    """The progress line: phase (or state), the bulk operation's status, the counts."""
    phase = job.get("phase") or job.get("state")
    bulk = job.get("bulk_operation") or {}
    status = f" (bulk operation {bulk['status']})" if bulk.get("status") else ""
    retry = job.get("next_attempt_at")
    waiting = f", retrying at {retry}" if job.get("state") == "queued" and retry else ""
    return f"{phase}{status}: {_catalog_counts(job)}{waiting}"


async def catalog_problems(ctx: Context, args: argparse.Namespace) -> int:
    """What inventory-sync found wrong with the shops' catalogs, with the products to fix."""
    section = await ctx.services.call("inventory-sync", "GET", "/status")
    catalog = section.get("catalog") if isinstance(section, Mapping) else None
    if not isinstance(catalog, Mapping):
        ctx.console.print("inventory-sync reports no catalog (its catalog flow is not running)")
        return 0
    if args.shop is not None:
        shop = ctx.shop(args.shop).domain
        shops = [e for e in catalog.get("shops") or [] if e.get("shop") == shop]
        catalog = {**catalog, "shops": shops}
    problems = catalog_findings("inventory-sync", {"catalog": catalog})
    if not problems:
        ctx.console.print("no catalog problems")
        return 0
    for problem in problems:
        show_problem(ctx.console, problem.as_json())
    return FAILED


# --- webhook subscriptions --------------------------------------------------------------------


async def webhooks(ctx: Context, args: argparse.Namespace) -> int:
    shop = ctx.shop(args.shop).domain
    path = f"/webhooks/subscriptions/{shop}"
    if args.action == "repair":
        answer = await ctx.services.call("webhook-gateway", "POST", f"{path}/repair")
    else:
        answer = await ctx.services.call("webhook-gateway", "GET", path)
    ctx.console.print(rows_table([{k: v for k, v in answer.items() if k != "shop"}], title=shop))
    if answer.get("error"):
        raise CliError(f"{shop}: {answer['error']}")
    if args.action == "repair":
        created = answer.get("created_by_last_repair") or []
        ctx.console.print(f"re-created: {', '.join(created) or 'nothing was missing'}")
    return 0 if answer.get("healthy") else FAILED


# --- privacy ----------------------------------------------------------------------------------


async def privacy_requests(ctx: Context, args: argparse.Namespace) -> int:
    query = "" if args.all else "?open=1"
    answer = await ctx.services.call("webhook-gateway", "GET", f"/privacy/data-requests{query}")
    rows = answer["data_requests"]
    if not rows:
        ctx.console.print("no customer data requests" + ("" if args.all else " to export"))
        return 0
    ctx.console.print(rows_table(rows, title="customer data requests"))
    return 0


async def privacy_export(ctx: Context, args: argparse.Namespace) -> int:
    shop = ctx.shop(args.shop).domain
    request = await ctx.services.call(
        "webhook-gateway", "GET", f"/privacy/data-requests/{shop}/{args.request_id}"
    )
    body = {"shop": shop, "order_ids": request["order_ids"]}
    parts: dict[str, Any] = {}
    unreachable: dict[str, str] = {}
    for service in DEFAULT_SERVICES:
        # Each service answers for its own tables; one without the endpoint holds nothing.
        try:
            part = await ctx.services.call(
                service, "POST", "/privacy/export", body, missing_ok=True
            )
        except CliError as exc:
            if exc.exit_status != UNREACHABLE:
                raise
            unreachable[service] = str(exc)
            continue
        if part is not None:
            parts[service] = {k: v for k, v in part.items() if k != "service"}
    export = {
        "shop": shop,
        "data_request_id": args.request_id,
        "shopify_customer_id": request["customer_id"],
        "orders": request["order_ids"],
        "generated_at": datetime.now(UTC).isoformat(),
        "held_by": parts,
        "incomplete": unreachable,
    }
    output = Path(args.output or f"data-request-{shop}-{args.request_id}.json")
    await asyncio.to_thread(_write_private, output, json.dumps(export, indent=2, default=str))
    if unreachable:
        raise CliError(
            f"export written to {output} but INCOMPLETE, not marked as done: "
            + "; ".join(unreachable.values())
        )
    await ctx.services.call(
        "webhook-gateway", "POST", f"/privacy/data-requests/{shop}/{args.request_id}/exported"
    )
    ctx.console.print(f"export of data request {args.request_id} written to {output}")
    return 0


# --- fulfillment services ---------------------------------------------------------------------

_SERVICE_COLUMNS = ("shop", "facility", "name", "state", "service_id", "location_id",
                    "last_checked_at", "problem")  # fmt: skip


async def fulfillment_services_list(ctx: Context, args: argparse.Namespace) -> int:
    """Exit status 1 when a configured service is missing, failing or deleted by an operator."""
    answer = await ctx.services.call("order-intake", "GET", "/fulfillment-services")
    services = answer["fulfillment_services"]
    if not services:
        ctx.console.print("no facility is connected as a fulfillment service")
        return 0
    rows = [{k: s.get(k) for k in _SERVICE_COLUMNS} for s in services]
    ctx.console.print(rows_table(rows, title="fulfillment services"))
    return FAILED if any(s.get("problem") for s in services) else 0


def _service_facility(ctx: Context, domain: str, facility: str) -> str:
    shop = ctx.shop(domain)
    if facility not in shop.service_facilities:
        known = ", ".join(shop.service_facilities) or "none"
        raise CliError(
            f"{shop.domain} has no fulfillment service facility {facility}; configured: {known}",
            BAD_ARGUMENTS,
        )
    return shop.domain


def _describe_service(entry: Mapping[str, Any]) -> str:
    where = f"{entry['facility']} in {entry['shop']}"
    if entry["state"] == "registered":
        line = f"{where}: registered as {entry['service_id']}, location {entry['location_id']}"
    else:
        line = f"{where}: {str(entry['state']).replace('_', ' ')}"
    if entry.get("problem"):
        line += f" ({entry['problem']})"
    return line


async def fulfillment_services_register(ctx: Context, args: argparse.Namespace) -> int:
    shop = _service_facility(ctx, args.shop, args.facility)
    answer = await ctx.services.call(
        "order-intake", "POST", f"/fulfillment-services/{shop}/{args.facility}/register"
    )
    ctx.console.print(_describe_service(answer))
    return 0 if answer["state"] == "registered" and not answer.get("problem") else FAILED


async def fulfillment_services_delete(ctx: Context, args: argparse.Namespace) -> int:
    shop = _service_facility(ctx, args.shop, args.facility)
    action = args.inventory_action or ("TRANSFER" if args.destination_location else "KEEP")
    if action == "TRANSFER" and not args.destination_location:
        raise CliError(
            "--inventory-action TRANSFER needs --destination-location (an active "
            "merchant-managed location)",
            BAD_ARGUMENTS,
        )
    if action != "TRANSFER" and args.destination_location:
        raise CliError("--destination-location goes only with TRANSFER", BAD_ARGUMENTS)
    body: dict[str, Any] = {"inventory_action": action}
    if args.destination_location:
        body["destination_location_id"] = args.destination_location
    answer = await ctx.services.call(
        "order-intake", "POST", f"/fulfillment-services/{shop}/{args.facility}/delete", body
    )
    deleted = answer.get("deleted_service_id")
    if deleted:
        ctx.console.print(
            f"deleted {deleted} from {shop} (inventory: {answer.get('inventory_action')})"
        )
    else:
        ctx.console.print(f"{shop} had no fulfillment service for {args.facility}: nothing deleted")
    ctx.console.print(
        f"{args.facility} stays deleted until `shipbridge fulfillment-services register "
        f"{shop} {args.facility}` (or take it out of the shops file)"
    )
    return 0


_REQUEST_GROUPS = (
    ("waiting_for_wms", "waiting for the warehouse's answer"),
    ("rejected", "fulfillment requests rejected"),
    ("refused_cancellations", "cancellation requests the warehouse refused"),
    ("failed_answers", "answers Shopify did not take"),
)


async def fulfillment_services_requests(ctx: Context, args: argparse.Namespace) -> int:
    """Exit status 1 when requests were rejected or refused, or an answer failed."""
    status = await ctx.services.call("order-intake", "GET", "/status")
    section = status.get("fulfillment_requests") if isinstance(status, dict) else None
    if not isinstance(section, dict):
        ctx.console.print("order-intake reports no fulfillment requests")
        return 0
    shown = False
    for group, title in _REQUEST_GROUPS:
        rows = [row for row in section.get(group) or [] if isinstance(row, dict)]
        if not rows:
            continue
        count = section.get(f"{group}_count")
        heading = f"{count if isinstance(count, int) else len(rows)} {title}"
        ctx.console.print(rows_table(rows, title=heading))
        shown = True
    if not shown:
        ctx.console.print("no fulfillment requests waiting, rejected or refused")
    attention = any(section.get(group) for group, _ in _REQUEST_GROUPS[1:])
    return FAILED if attention else 0


def _write_private(path: Path, text: str) -> None:
    """Personal data: readable by the operator only, from the moment the file exists."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(text + "\n")
    os.chmod(path, 0o600)  # an existing file keeps its mode through O_TRUNC


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )
