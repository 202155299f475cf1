"""`make run`: migrate, then start the Shopify simulator and every service as child processes,
and set up a demo shop whose orders flow in through signed webhooks: to WH1, a merchant-managed
location, and to WH2, a fulfillment service whose requests the project accepts or rejects.
The warehouse learns its items from the shop's catalog (inventory-sync's first full sync, at
start): the orders start once that sync is done (catalog_ready.py), so none is refused as an
unknown SKU.

Logs go to .run/logs/<process>.log (JSON lines); the terminal shows where everything is and a
one-line summary of the status page every few seconds. Ctrl-C stops the children we started, by
PID, gracefully (SIGTERM), and waits for them.
"""

import asyncio
import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from devstack import fulfillment_service
from devstack.broker import prepare_broker, queues_of
from devstack.catalog_ready import wait_for_catalog
from devstack.demo import DEMO_SHOP, create_demo_shop, demo_environment, start_order_stream
from devstack.fulfillment_service import SERVICE_FACILITY, SERVICE_NAME
from devstack.preflight import missing
from devstack.status_line import summary_line
from devstack.warehouse import FACILITIES, LOOK_ALIKES, MAX_ON_HAND
from service_runtime import RuntimeSettings, ServiceDefinition, ServiceRuntime
from service_runtime.logging import configure_logging
from storage.bootstrap import recreate_database
from storage.dsn import with_database
from wms_sim.config import SimConfig as WmsConfig

ROOT = Path(__file__).resolve().parents[3]
LOGS = ROOT / ".run" / "logs"


@dataclass(frozen=True)
class Process:
    name: str
    module: str
    port: int
    args: tuple[str, ...] = ()


SERVICES = [
    Process("webhook-gateway", "webhook_gateway", 8080),
    Process("order-intake", "order_intake", 8081),
    Process("fulfillment-sync", "fulfillment_sync", 8082),
    Process("inventory-sync", "inventory_sync", 8083),
    Process("cancellation", "cancellation", 8084),
    Process("operator-status", "operator_status", 8090),
]
SIMULATOR = Process("shopify-sim", "shopify_sim", 8700, ("serve", "--port", "8700"))
# The simulator keeps no state between runs: each run is a new shop (ids and order names start
# again), so the services get a database as new as it, unless DATABASE_URL says otherwise.
DEMO_DATABASE = "shipbridge_demo"
WAREHOUSE_STATE = ROOT / ".run" / "wms-sim-state.json"
"""Earlier runs kept the WMS simulator's state here: removed on a fresh start."""
SIMULATOR_URL = f"http://127.0.0.1:{SIMULATOR.port}"
GATEWAY_WEBHOOKS = "http://127.0.0.1:8080/webhooks/shopify"
INVENTORY_STATUS = "http://127.0.0.1:8083/status"
CATALOG_TIMEOUT_S = 300.0
"""How long the orders wait for the first catalog sync before they start anyway."""


def warehouse(amqp_url: str) -> Process:
    """The WMS simulator: it speaks only AMQP (no port), has no catalog of its own and learns
    the demo shop's items from `wms.item.upsert`, receiving 0..MAX_ON_HAND units of each into WH1
    and WH2 (and rejecting the look-alikes of warehouse.py, whose barcode it already holds),
    picks each order for 3 seconds (a cancellation asked meanwhile is refused), ships it 5 to 20
    seconds after accepting it, and sends its full stock every 2 minutes. No `--state-file`: it
    rewrites the whole warehouse on every command, which made learning 2,000 items take minutes,
    and each run is a new shop anyway (an earlier run's file is removed on start)."""
    facilities = [arg for code in FACILITIES for arg in ("--facility", code)]
    return Process("wms-sim", "wms_sim", 0, (
        "--amqp-url", amqp_url, "--shop", DEMO_SHOP, *facilities, "--catalog-from-items",
        "--min-quantity", "0", "--max-quantity", str(MAX_ON_HAND),
        "--ship-delay", "5", "20", "--picking-time", "3", "--snapshot-interval", "120",
    ))  # fmt: skip


def definitions() -> list[ServiceDefinition[Any]]:
    # Any: each service has its own dependencies type; migrating and listing routes use none.
    from cancellation.app import DEFINITION as cancellation
    from fulfillment_sync.app import DEFINITION as fulfillment_sync
    from inventory_sync.app import DEFINITION as inventory_sync
    from order_intake.app import DEFINITION as order_intake
    from webhook_gateway.app import DEFINITION as webhook_gateway

    return [webhook_gateway, order_intake, fulfillment_sync, inventory_sync, cancellation]


async def migrate_all(settings: RuntimeSettings, *, fresh: bool) -> None:
    """Every service's migrations, then its queues and bindings (broker.py); `fresh`: the queues
    are emptied of an earlier run's messages, the WMS simulator's too."""
    topologies = []
    for definition in definitions():
        runtime = ServiceRuntime(definition, settings)
        await runtime.migrate()
        topologies.append(runtime.topology)
    stale = [q for t in topologies for q in queues_of(t)] + [WmsConfig().queue] if fresh else []
    thrown = await prepare_broker(settings.amqp_url, topologies, stale)
    if thrown:
        print(f"emptied the demo's queues of {thrown} messages of an earlier run")


async def start(proc: Process, env: dict[str, str]) -> asyncio.subprocess.Process:
    LOGS.mkdir(parents=True, exist_ok=True)
    log = (LOGS / f"{proc.name}.log").open("ab")
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", proc.module, *proc.args,
        stdout=log, stderr=asyncio.subprocess.STDOUT, env=env,
    )  # fmt: skip


async def wait_until_answering(url: str, timeout_s: float = 60) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    async with aiohttp.ClientSession() as session:
        while True:
            try:
                async with session.get(url) as resp:
                    if resp.status < 500:
                        return
            except aiohttp.ClientError:
                pass
            if loop.time() > deadline:
                raise TimeoutError(f"{url} did not answer within {timeout_s:.0f} s")
            await asyncio.sleep(0.5)


async def summary(port: int) -> str:
    headers = {}
    if token := os.environ.get("OPS_TOKEN"):
        headers["Authorization"] = f"Bearer {token}"
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=3)) as session,
            session.get(f"http://127.0.0.1:{port}/status", headers=headers) as resp,
        ):
            doc = await resp.json()
    except Exception as exc:
        return f"status page not answering yet ({type(exc).__name__})"
    return summary_line(doc)


async def start_service_demo(stop: asyncio.Event) -> tuple[str, asyncio.Task[None] | None]:
    """WH2's side of the demo, once order-intake has registered the service: stock its location,
    send it orders, and ask for a cancellation now and then. Answers what to print about it."""
    try:
        location = await fulfillment_service.wait_for_registration(SIMULATOR_URL)
    except TimeoutError as exc:
        # The status page shows the missing service; WH1's half of the demo still runs.
        return f"{exc}: no orders for {SERVICE_FACILITY}", None
    await fulfillment_service.stock_service_location(SIMULATOR_URL, location)
    rate = float(os.environ.get("DEMO_SERVICE_ORDERS_PER_SECOND", "0.25"))
    await fulfillment_service.start_service_orders(SIMULATOR_URL, location, rate)
    every = float(os.environ.get("DEMO_CANCELLATION_REQUEST_INTERVAL_S", "20"))
    task = None
    if every > 0:
        task = asyncio.create_task(
            fulfillment_service.cancellation_requests(SIMULATOR_URL, location, every, stop)
        )
    cancelling = f", a cancellation request every {every:g} s" if every > 0 else ""
    return f"{rate} orders/s at {location} ({SERVICE_NAME!r}){cancelling}", task


async def stop_all(children: dict[str, asyncio.subprocess.Process]) -> None:
    for child in children.values():
        if child.returncode is None:
            child.send_signal(signal.SIGTERM)
    await asyncio.gather(*(c.wait() for c in children.values()))


async def main() -> int:
    settings = RuntimeSettings()
    configure_logging("devstack", "WARNING")
    problems = missing(settings.database_url, settings.amqp_url)
    if problems:
        print("Cannot start: a dependency is missing.\n\n" + "\n\n".join(problems), file=sys.stderr)
        return 1
    fresh = "DATABASE_URL" not in os.environ
    if fresh:
        settings = settings.model_copy(
            update={"database_url": with_database(settings.database_url, DEMO_DATABASE)}
        )
        await recreate_database(settings.database_url)
        WAREHOUSE_STATE.unlink(missing_ok=True)
        print(f"fresh demo database {DEMO_DATABASE} (set DATABASE_URL to keep your own)")
    print("applying migrations, declaring queues ...", flush=True)
    # Only the default local broker is emptied: one named by AMQP_URL may hold someone's work.
    await migrate_all(settings, fresh=fresh and "AMQP_URL" not in os.environ)
    env = {
        **demo_environment(ROOT / "shops.dev.toml", SIMULATOR_URL, GATEWAY_WEBHOOKS),
        **os.environ,
        "DATABASE_URL": settings.database_url, "AUTO_MIGRATE": "false",
    }  # fmt: skip
    children: dict[str, asyncio.subprocess.Process] = {}
    merchant: asyncio.Task[None] | None = None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        print("starting the Shopify simulator (it builds the real Admin schema) ...", flush=True)
        children[SIMULATOR.name] = await start(SIMULATOR, env)
        await wait_until_answering(f"{SIMULATOR_URL}/_sim/faults")
        await create_demo_shop(SIMULATOR_URL, GATEWAY_WEBHOOKS)
        for proc in [*SERVICES, warehouse(settings.amqp_url)]:
            children[proc.name] = await start(proc, env)
        await wait_until_answering("http://127.0.0.1:8080/health")
        print("waiting for the warehouse to learn the catalog (inventory-sync's first "
              "sync) ...", flush=True)  # fmt: skip
        catalog = await wait_for_catalog(
            INVENTORY_STATUS, DEMO_SHOP, LOOK_ALIKES, CATALOG_TIMEOUT_S, stop
        )
        if not catalog.ready(LOOK_ALIKES):
            print(f"orders start anyway ({catalog}): some may be refused", flush=True)
        await asyncio.sleep(2)  # order-intake hears of the rejected items just after
        rate = float(os.environ.get("DEMO_ORDERS_PER_SECOND", "0.5"))
        await start_order_stream(SIMULATOR_URL, rate)
        print(f"waiting for order-intake to register {SERVICE_NAME!r} ...", flush=True)
        service_demo, merchant = await start_service_demo(stop)
    except (TimeoutError, RuntimeError, aiohttp.ClientError) as exc:
        print(f"start-up failed: {exc}; see {LOGS}", file=sys.stderr)
        await stop_all(children)
        return 1

    print(f"started {len(children)} processes; logs in {LOGS}")
    for p in SERVICES:
        print(f"  {p.name:<17} http://127.0.0.1:{p.port}/status   (pid {children[p.name].pid})")
    print(
        f"  {SIMULATOR.name:<17} {SIMULATOR_URL}/_sim/shops/{DEMO_SHOP}   "
        f"(pid {children[SIMULATOR.name].pid}): {rate} orders/s as signed webhooks"
    )
    print(f"  {SERVICE_FACILITY + ' (service)':<17} {service_demo}")
    print(
        f"  {'wms-sim':<17} the warehouse on wms.commands / wms.events   "
        f"(pid {children['wms-sim'].pid}): {catalog}"
    )
    print("status page: http://127.0.0.1:8090/   Ctrl-C stops everything.\n", flush=True)

    while not stop.is_set():
        for name, child in children.items():
            if child.returncode is not None:
                print(f"{name} exited with {child.returncode}; see {LOGS / (name + '.log')}")
                stop.set()
        try:
            await asyncio.wait_for(stop.wait(), 5)
        except TimeoutError:
            print(await summary(8090), flush=True)
    print("stopping ...", flush=True)
    await stop_all(children)
    if merchant is not None:
        await merchant
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
