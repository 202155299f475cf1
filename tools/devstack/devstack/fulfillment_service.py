"""The demo's second facility, WH2, connected as a Shopify fulfillment service (shops.dev.toml).

devstack does only what the merchant does: order-intake registers the service when it starts,
then the merchant stocks the catalog at the service's location, orders are sent there (the
simulator's `_location` line property), the shop's automation submits each paid order's
fulfillment request (the simulator's `auto_request_fulfillment`), and now and then the merchant
asks to cancel a request the warehouse accepted. Answering the requests is the project's job.
"""

import asyncio
import random
from collections.abc import Mapping, Sequence
from typing import Any

import aiohttp

from devstack.demo import DEMO_SHOP

SERVICE_FACILITY = "WH2"
SERVICE_NAME = "Shipbridge WH2"
"""As in shops.dev.toml: the name order-intake registers, and how the demo finds the service."""

# The merchant's view (any app may read a shop's fulfillment orders); newest first, so a request
# picked for cancellation is likely still before picking in the warehouse.
ACCEPTED_AT_LOCATION = """
query DemoAcceptedRequests($query: String!) {
  fulfillmentOrders(first: 50, query: $query, reverse: true) {
    nodes { id orderName status requestStatus }
  }
}
"""
SUBMIT_CANCELLATION_REQUEST = """
mutation DemoCancellationRequest($id: ID!, $message: String) {
  fulfillmentOrderSubmitCancellationRequest(id: $id, message: $message) {
    fulfillmentOrder { id requestStatus }
    userErrors { field message }
  }
}
"""
CANCELLATION_MESSAGE = "The customer changed their mind (make run demo)"


def service_location(services: Sequence[Mapping[str, Any]], name: str) -> str | None:
    """The location GID of the service named `name` in the simulator's state, once registered."""
    for service in services:
        if service.get("name") == name and service.get("location_id"):
            return str(service["location_id"])
    return None


def location_number(location_gid: str) -> str:
    """`gid://shopify/Location/8000000000004` -> `8000000000004` (for a search query)."""
    return location_gid.rsplit("/", 1)[-1]


def pick_cancellable(
    nodes: Sequence[Mapping[str, Any]], rng: random.Random
) -> Mapping[str, Any] | None:
    """One fulfillment order whose request the service accepted and that has not shipped whole:
    the ones the merchant can ask to cancel (the warehouse cancels it, or refuses once picking
    has started or it has shipped)."""
    open_requests = [
        fo
        for fo in nodes
        if fo.get("requestStatus") == "ACCEPTED" and fo.get("status") == "IN_PROGRESS"
    ]
    return rng.choice(open_requests) if open_requests else None


async def _call(session: aiohttp.ClientSession, method: str, url: str, body: Any = None) -> Any:
    async with session.request(method, url, json=body) as resp:
        if resp.status >= 400:
            raise RuntimeError(f"simulator {method} {url}: {resp.status} {await resp.text()}")
        return await resp.json()


async def wait_for_registration(simulator_url: str, timeout_s: float = 60) -> str:
    """The location Shopify created for the service, once order-intake has registered it."""
    url = f"{simulator_url}/_sim/shops/{DEMO_SHOP}/state/fulfillment_services"
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    async with aiohttp.ClientSession() as session:
        while True:
            location = service_location(await _call(session, "GET", url), SERVICE_NAME)
            if location is not None:
                return location
            if loop.time() > deadline:
                raise TimeoutError(
                    f"order-intake did not register the fulfillment service {SERVICE_NAME!r} "
                    f"within {timeout_s:.0f} s (see order-intake.log)"
                )
            await asyncio.sleep(0.5)


async def stock_service_location(simulator_url: str, location: str) -> int:
    """The merchant stocks the whole catalog at the service's location, with 0 units: the
    warehouse's feed (inventory-sync, the service manages inventory) sets the real numbers.
    Answers how many items were stocked."""
    url = f"{simulator_url}/_sim/shops/{DEMO_SHOP}/locations/{location_number(location)}/stock"
    async with aiohttp.ClientSession() as session:
        result = await _call(session, "POST", url, {"available": 0})
    return int(result["stocked"])


async def start_service_orders(simulator_url: str, location: str, orders_per_second: float) -> None:
    """A stream of paid orders whose every line ships from the service's location; the shop's
    automation submits their fulfillment requests."""
    if orders_per_second <= 0:
        return
    async with aiohttp.ClientSession() as session:
        await _call(session, "POST", f"{simulator_url}/_sim/shops/{DEMO_SHOP}/order_stream", {
            "rate": orders_per_second, "duration": 7 * 24 * 3600, "location": location,
        })  # fmt: skip


async def request_cancellation(
    session: aiohttp.ClientSession, simulator_url: str, location: str, rng: random.Random
) -> str | None:
    """Ask to cancel one accepted request at the location, as the merchant does in the admin
    (unmetered: the merchant's calls do not spend the app's bucket). Answers the order's name, or
    None when there was nothing to cancel."""
    graphql = f"{simulator_url}/_sim/shops/{DEMO_SHOP}/graphql"
    query = f"assigned_location_id:{location_number(location)} status:in_progress"
    found = await _call(session, "POST", graphql, {
        "query": ACCEPTED_AT_LOCATION, "variables": {"query": query},
    })  # fmt: skip
    if found.get("errors"):
        raise RuntimeError(f"reading the service's fulfillment orders: {found['errors']}")
    fo = pick_cancellable(found["data"]["fulfillmentOrders"]["nodes"], rng)
    if fo is None:
        return None
    answer = await _call(session, "POST", graphql, {
        "query": SUBMIT_CANCELLATION_REQUEST,
        "variables": {"id": fo["id"], "message": CANCELLATION_MESSAGE},
    })  # fmt: skip
    payload = (answer.get("data") or {}).get("fulfillmentOrderSubmitCancellationRequest") or {}
    if answer.get("errors") or payload.get("userErrors"):
        # The FO moved on between the read and the request (it shipped): not the demo's business.
        return None
    return str(fo["orderName"])


async def cancellation_requests(
    simulator_url: str, location: str, interval_s: float, stop: asyncio.Event
) -> None:
    """Every `interval_s` seconds, one cancellation request, until `stop` is set."""
    rng = random.Random()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), interval_s)
                return
            except TimeoutError:
                pass
            try:
                name = await request_cancellation(session, simulator_url, location, rng)
            except (aiohttp.ClientError, RuntimeError, TimeoutError) as exc:
                print(f"demo: no cancellation request this time ({exc})", flush=True)
                continue
            if name is not None:
                print(f"demo: the merchant asks {SERVICE_FACILITY} to cancel {name}", flush=True)
