"""The operator status server (port 8090): one JSON document and one page over all services."""

import hmac
import html
import os
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

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


async def status(request: web.Request) -> web.Response:
    return web.json_response(await collect(request.app[URLS]))


def _render(doc: dict[str, Any]) -> str:
    rows = []
    # Problems first: down, not ready, or holding dead letters.
    ordered = sorted(
        doc["services"].items(), key=lambda kv: (kv[1].get("up") and kv[1].get("database"), kv[0])
    )
    for name, s in ordered:
        backlog = s.get("backlog", {})
        state = (
            "down"
            if not s.get("up")
            else ("ready" if s.get("database") and s.get("broker") else "not ready")
        )
        rows.append(
            f"<tr class='{'bad' if state != 'ready' else 'ok'}'><td>{html.escape(name)}</td>"
            f"<td>{state}</td><td>{backlog.get('queue_depth', '')}</td>"
            f"<td>{backlog.get('outbox_pending', '')}</td>"
            f"<td>{s.get('dead_letters', {}).get('open', '')}</td>"
            f"<td>{html.escape(str(s.get('error', '')))}</td></tr>"
        )
    verdict = "healthy" if doc["healthy"] else "needs attention"
    return (
        "<!doctype html><html><head><meta charset='utf-8'><meta http-equiv='refresh' content='5'>"
        "<title>shipbridge status</title><style>body{font:14px system-ui;margin:2em}"
        "td,th{padding:4px 10px;text-align:left}.bad{background:#fdd}.ok{background:#efe}"
        "</style></head><body>"
        f"<h1>shipbridge: {verdict}</h1><table><tr><th>service</th><th>state</th>"
        "<th>queue</th><th>outbox</th><th>dead letters</th><th>error</th></tr>"
        + "".join(rows)
        + "</table></body></html>"
    )


async def page(request: web.Request) -> web.Response:
    return web.Response(text=_render(await collect(request.app[URLS])), content_type="text/html")


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
