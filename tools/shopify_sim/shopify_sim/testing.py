"""Run the simulator inside a test: `async with running_simulator() as sim: ...`, and receive
the webhooks it sends: `async with webhook_receiver() as receiver: ...` (subscribe to
`receiver.url`).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote

import aiohttp
from aiohttp import web

from shopify_sim.admin import SIMULATOR_KEY
from shopify_sim.app import create_app
from shopify_sim.config import SimConfig
from shopify_sim.schema_runtime import SchemaRuntime
from shopify_sim.simulator import Simulator
from shopify_sim.state.repository import ShopState

Json = dict[str, Any]

# What a shippable order carries unless a test says otherwise.
SHIPPING_ADDRESS = {
    "firstName": "Sam",
    "lastName": "Buyer",
    "address1": "1 Main St",
    "city": "Toronto",
    "provinceCode": "ON",
    "countryCode": "CA",
    "zip": "M5H 2M9",
}
STANDARD_SHIPPING = {
    "title": "Standard",
    "code": "standard",
    "source": "shopify",
    "priceSet": {"shopMoney": {"amount": "5.00", "currencyCode": "USD"}},
}
# (sku, quantity) or (sku, quantity, location name or GID that ships the line)
OrderLine = tuple[str, int] | tuple[str, int, str]


@dataclass
class SimulatorHandle:
    base_url: str
    simulator: Simulator
    session: aiohttp.ClientSession

    def graphql_url(self, version: str = "2026-07") -> str:
        return f"{self.base_url}/admin/api/{version}/graphql.json"

    async def graphql(self, access_token: str, query: str, variables: Json | None = None) -> Json:
        """The app's view: metered, faults applied, exactly what a client sees."""
        async with self.session.post(
            self.graphql_url(),
            json={"query": query, "variables": variables},
            headers={"X-Shopify-Access-Token": access_token},
        ) as response:
            body: Json = await response.json()
            return body

    async def admin(self, method: str, path: str, body: Json | None = None) -> Any:
        async with self.session.request(
            method, f"{self.base_url}/_sim{path}", json=body
        ) as response:
            if response.status >= 400:
                raise AssertionError(f"{method} {path}: {response.status} {await response.text()}")
            return await response.json()

    async def create_shop(
        self,
        domain: str,
        access_token: str,
        client_secret: str = "secret",
        plan: str = "standard",
        locations: tuple[str, ...] = ("Shop location",),
        protected_customer_data: bool = True,
    ) -> Json:
        created: Json = await self.admin(
            "POST",
            "/shops",
            {
                "domain": domain,
                "access_token": access_token,
                "client_secret": client_secret,
                "plan": plan,
                "locations": list(locations),
                "protected_customer_data": protected_customer_data,
            },
        )
        return created

    async def allow_protected_customer_data(self, domain: str, allowed: bool) -> Json:
        """False: Shopify withholds customers' names, emails and addresses from the app."""
        answer: Json = await self.admin(
            "POST", f"/shops/{domain}/protected_customer_data", {"allowed": allowed}
        )
        return answer

    async def seed(self, domain: str, **plan: Any) -> Json:
        counts: Json = await self.admin("POST", f"/shops/{domain}/seed", plan)
        return counts

    async def run_as_storefront(
        self, domain: str, query: str, variables: Json | None = None
    ) -> Json:
        """Unmetered GraphQL (setup work that must not drain the app's bucket)."""
        result: Json = await self.admin(
            "POST", f"/shops/{domain}/graphql", {"query": query, "variables": variables}
        )
        return result

    async def create_order(self, domain: str, lines: Sequence[OrderLine], **order: Any) -> Json:
        """A paid, shippable order through orderCreate; returns {id, name}.

        `order` fields override the defaults (address, shipping line, email, web source);
        `lineItems=` replaces the lines built from `lines` (e.g. for custom lines).
        """
        shop = self.simulator.store.shop(domain)
        line_inputs = [_line_input(shop, *line) for line in lines]
        options = order.pop("options", {"inventoryBehaviour": "DECREMENT_IGNORING_POLICY"})
        payload = {
            "financialStatus": "PAID",
            "lineItems": line_inputs,
            "shippingAddress": SHIPPING_ADDRESS,
            "shippingLines": [STANDARD_SHIPPING],
            "email": "sam@example.com",
            "sourceName": "web",
            **order,
        }
        from shopify_sim.order_stream import ORDER_CREATE

        result = await self.run_as_storefront(
            domain, ORDER_CREATE, {"order": payload, "options": options}
        )
        created = result["data"]["orderCreate"]
        assert not created["userErrors"], created["userErrors"]
        order_json: Json = created["order"]
        return order_json

    async def state(self, domain: str, what: str, **query: str) -> Any:
        path = f"/shops/{domain}/state/{what}"
        if query:
            path += "?" + "&".join(f"{k}={v}" for k, v in query.items())
        return await self.admin("GET", path)

    async def settings(self, domain: str, **settings: Any) -> Json:
        """A shop's simulator settings (auto_request_fulfillment, cancellation_accepted_status,
        callback_url_hosts); the settings after the change."""
        answer: Json = await self.admin("POST", f"/shops/{domain}/settings", settings)
        return answer

    async def stock(
        self, domain: str, location: str, available: int = 100, skus: Sequence[str] | None = None
    ) -> Json:
        """Stock every variant (or `skus`) at a location (name or GID) with `available` units."""
        body: Json = {"available": available}
        if skus is not None:
            body["skus"] = list(skus)
        answer: Json = await self.admin(
            "POST", f"/shops/{domain}/locations/{quote(location, safe='')}/stock", body
        )
        return answer

    async def stats(self, domain: str) -> Json:
        result: Json = await self.admin("GET", f"/shops/{domain}/stats")
        return result


@asynccontextmanager
async def running_simulator(
    config: SimConfig | None = None, runtime: SchemaRuntime | None = None
) -> AsyncIterator[SimulatorHandle]:
    """Start the simulator on 127.0.0.1 with a free port; stop it on exit."""
    app = create_app(replace(config or SimConfig(), port=0), runtime)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        async with aiohttp.ClientSession() as session:
            yield SimulatorHandle(f"http://127.0.0.1:{port}", app[SIMULATOR_KEY], session)
    finally:
        await runner.cleanup()


@dataclass
class WebhookReceiver:
    """An app's webhook endpoint: what the simulator delivered to `url`, in arrival order."""

    url: str
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    """(headers, raw body): the body as signed, to verify the HMAC."""
    failures_left: int = 0
    """Answer this many deliveries 500 (unrecorded) before accepting again, to see retries."""
    notifications: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    """POSTs to `<callback_url>/fulfillment_order_notification`, as received (headers, raw body);
    `failures_left` applies to them too."""

    @property
    def callback_url(self) -> str:
        """A fulfillment service's callbackUrl that lands its notifications in `notifications`."""
        return self.url.removesuffix("/webhooks") + "/fulfillment-service"

    def bodies(self, topic: str) -> list[Json]:
        """The parsed payloads of one topic (e.g. "orders/create")."""
        return [json.loads(body) for h, body in self.received if h["X-Shopify-Topic"] == topic]


@asynccontextmanager
async def webhook_receiver() -> AsyncIterator[WebhookReceiver]:
    """A receiver on 127.0.0.1 with a free port; stopped on exit."""
    receiver = WebhookReceiver(url="")

    async def deliver(request: web.Request) -> web.Response:
        body = await request.read()
        if receiver.failures_left:
            receiver.failures_left -= 1
            return web.Response(status=500)
        receiver.received.append((dict(request.headers), body))
        return web.Response(status=200)

    async def notify(request: web.Request) -> web.Response:
        body = await request.read()
        if receiver.failures_left:
            receiver.failures_left -= 1
            return web.Response(status=500)
        receiver.notifications.append((dict(request.headers), body))
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post("/webhooks", deliver)
    app.router.add_post("/fulfillment-service/fulfillment_order_notification", notify)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        receiver.url = f"http://127.0.0.1:{runner.addresses[0][1]}/webhooks"
        yield receiver
    finally:
        await runner.cleanup()


def _line_input(shop: ShopState, sku: str, quantity: int, location: str | None = None) -> Json:
    line: Json = {
        "variantId": f"gid://shopify/ProductVariant/{shop.variants_by_sku[sku].id}",
        "quantity": quantity,
    }
    if location is not None:
        if not location.startswith("gid://"):
            found = next(loc for loc in shop.locations.values() if loc.name == location)
            location = f"gid://shopify/Location/{found.id}"
        # The simulator's documented way to pick the location that ships a line.
        line["properties"] = [{"name": "_location", "value": location}]
    return line
