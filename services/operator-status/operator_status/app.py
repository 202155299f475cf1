"""The operator status server (port 8090): one JSON document and one page over all services.

`GET /status` is overview.py's document (problems, services, shops, every service's section)
with a top-level `healthy`; `GET /` is the same for people (page.py). Both need
`Authorization: Bearer <OPS_TOKEN>` when OPS_TOKEN is set.
"""

import hmac
import json
import os
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from operator_status.overview import overview
from operator_status.page import render
from operator_status.sources import collect, service_urls

URLS: web.AppKey[dict[str, str]] = web.AppKey("urls")
TOKEN: web.AppKey[str | None] = web.AppKey("token")


@web.middleware
async def bearer_auth(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    token = request.app[TOKEN]
    if token is not None and request.path not in ("/health", "/ready"):
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), token.encode()):
            return web.json_response(
                {"error": "Authorization: Bearer <OPS_TOKEN> required"}, status=401
            )
    return await handler(request)


async def _overview(request: web.Request) -> dict[str, Any]:
    urls: dict[str, str] = request.app[URLS]
    return overview(await collect(urls))


async def status(request: web.Request) -> web.Response:
    doc = {"generated_at": datetime.now(UTC).isoformat(), **await _overview(request)}
    return web.json_response(doc, dumps=lambda obj: json.dumps(obj, default=str))


async def page(request: web.Request) -> web.Response:
    doc = await _overview(request)
    return web.Response(text=render(doc, datetime.now(UTC).isoformat()), content_type="text/html")


async def health(_: web.Request) -> web.Response:
    return web.json_response({"status": "alive"})


async def metrics(_: web.Request) -> web.Response:
    return web.Response(body=generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})


def create_app(urls: dict[str, str] | None = None, token: str | None = None) -> web.Application:
    app = web.Application(middlewares=[bearer_auth])
    app[URLS] = urls if urls is not None else service_urls()
    app[TOKEN] = token
    app.router.add_get("/", page)
    app.router.add_get("/status", status)
    app.router.add_get("/health", health)
    app.router.add_get("/ready", health)  # it has no database or broker of its own
    app.router.add_get("/metrics", metrics)
    return app


def main() -> None:
    from service_runtime.logging import configure_logging

    configure_logging("operator-status", os.environ.get("LOG_LEVEL", "INFO"))
    port = int(os.environ.get("OPERATOR_STATUS_PORT", "8090"))
    web.run_app(
        create_app(token=os.environ.get("OPS_TOKEN") or None),
        host=os.environ.get("HTTP_HOST", "127.0.0.1"),
        port=port,
        print=None,
    )
