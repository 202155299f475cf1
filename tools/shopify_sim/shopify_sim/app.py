"""HTTP wiring: the Admin GraphQL endpoint and the /_sim/ control plane."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from aiohttp import web

from shopify_sim.admin import SIMULATOR_KEY, routes
from shopify_sim.config import SimConfig
from shopify_sim.schema_runtime import SchemaRuntime
from shopify_sim.simulator import Simulator


async def graphql_endpoint(request: web.Request) -> web.Response:
    simulator = request.app[SIMULATOR_KEY]
    if simulator.config.public_url is None:
        # Bulk result URLs point where the app reached the simulator.
        simulator.bulk.base_url = str(request.url.origin())
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = None
    reply = await simulator.gateway.handle(request.headers.get("X-Shopify-Access-Token"), body)
    return web.json_response(reply.body, status=reply.status, headers=reply.headers)


async def health(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def create_app(
    config: SimConfig | None = None, runtime: SchemaRuntime | None = None
) -> web.Application:
    """The simulator as an aiohttp application. Pass `runtime` to reuse a built schema."""
    simulator = Simulator.build(config or SimConfig(), runtime)
    app = web.Application(client_max_size=16 * 1024 * 1024)
    app[SIMULATOR_KEY] = simulator
    app.router.add_post("/admin/api/{version}/graphql.json", graphql_endpoint)
    app.router.add_get("/health", health)
    app.add_routes(routes)

    async def lifecycle(_app: web.Application) -> AsyncIterator[None]:
        await simulator.dispatcher.start()
        yield
        await simulator.close()

    app.cleanup_ctx.append(lifecycle)
    return app
