"""`python -m shopify_sim <cmd>`: serve, or drive a running simulator's control plane."""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from typing import Any
from urllib.parse import quote

import aiohttp
import uvloop
from aiohttp import web

from shopify_sim.app import create_app
from shopify_sim.config import DEFAULT_PORT, SimConfig


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="shopify_sim")
    parser.add_argument(
        "--url", default=f"http://127.0.0.1:{DEFAULT_PORT}", help="simulator base URL"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the simulator")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT)
    serve.add_argument("--webhook-retry-scale", type=float, default=1.0)
    shop = commands.add_parser("create-shop")
    shop.add_argument("--shop", required=True)
    shop.add_argument("--token", required=True)
    shop.add_argument("--secret", required=True)
    shop.add_argument("--plan", default="standard")
    shop.add_argument(
        "--withhold-customer-data",
        action="store_true",
        help="withhold protected customer data from the app (a custom app on the Basic plan)",
    )
    seed = commands.add_parser("seed")
    seed.add_argument("--shop", required=True)
    seed.add_argument("--products", type=int, default=2000)
    seed.add_argument("--locations", nargs="+", default=["Warehouse East", "Warehouse West"])
    seed.add_argument(
        "--catalog",
        help="JSON file: a list of {sku, title, barcode?, grams?, price?, stock?: {location: n}}",
    )
    orders = commands.add_parser("orders", help="generate an order stream")
    orders.add_argument("--shop", required=True)
    orders.add_argument("--rate", type=float, default=5.0)
    orders.add_argument("--duration", type=float, default=60.0)
    orders.add_argument("--high-risk-fraction", type=float, default=0.0)
    orders.add_argument(
        "--location",
        help="ship every line from this location (name or GID), e.g. a fulfillment service's",
    )
    settings = commands.add_parser(
        "settings",
        help="set a shop's simulator settings (JSON object): auto_request_fulfillment (submit "
        "the fulfillment request of a paid order's FOs at fulfillment-service locations, as a "
        "merchant's Flow workflow would), cancellation_accepted_status (CLOSED|CANCELLED), "
        "callback_url_hosts (hosts a service's callbackUrl may use; null: any)",
    )
    settings.add_argument("--shop", required=True)
    settings.add_argument("settings", help="e.g. '{\"auto_request_fulfillment\": true}'")
    stock = commands.add_parser(
        "stock", help="stock every variant (or --sku ...) at a location, e.g. a service's"
    )
    stock.add_argument("--shop", required=True)
    stock.add_argument("--location", required=True, help="location name or GID")
    stock.add_argument("--available", type=int, default=100)
    stock.add_argument("--sku", action="append", dest="skus")
    faults = commands.add_parser("faults", help="set fault injection (JSON object of settings)")
    faults.add_argument("settings", help="e.g. '{\"server_error_fraction\": 0.1}'")
    controls = commands.add_parser("webhooks", help="set delivery controls (JSON object)")
    controls.add_argument("settings")
    state = commands.add_parser(
        "state",
        help="print state: orders|fulfillment_orders|fulfillment_services|fulfillments|inventory|"
        "webhooks",
    )
    state.add_argument("--shop", required=True)
    state.add_argument("what")
    return parser


async def _call(url: str, method: str, path: str, body: Any = None) -> Any:
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, url + path, json=body) as response,
    ):
        if response.status >= 400:
            raise SystemExit(f"{method} {path}: {response.status} {await response.text()}")
        return await response.json()


async def _orders(args: argparse.Namespace) -> None:
    path = f"/_sim/shops/{args.shop}/order_stream"
    await _call(
        args.url,
        "POST",
        path,
        {
            "rate": args.rate,
            "duration": args.duration,
            "high_risk_fraction": args.high_risk_fraction,
            **({"location": args.location} if args.location else {}),
        },
    )
    started = time.monotonic()
    while True:
        await asyncio.sleep(1.0)
        status = await _call(args.url, "GET", path)
        print(
            f"\r{time.monotonic() - started:6.0f}s "
            f"created={status['created']} failed={status['failed']}",
            end="",
            flush=True,
        )
        if status["done"]:
            print()
            return


def _seed_body(args: argparse.Namespace) -> dict[str, Any]:
    body: dict[str, Any] = {"products": args.products, "locations": args.locations}
    if args.catalog:
        with open(args.catalog, encoding="utf-8") as handle:
            body["catalog"] = json.load(handle)
    return body


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    if args.command == "serve":
        config = SimConfig(
            host=args.host, port=args.port, webhook_retry_scale=args.webhook_retry_scale
        )
        # uvloop, as the services run: the simulator shares their cores in demos and benchmarks.
        web.run_app(
            create_app(config),
            host=config.host,
            port=config.port,
            access_log=None,
            loop=uvloop.new_event_loop(),
        )
        return
    calls: dict[str, Any] = {
        "create-shop": lambda: _call(
            args.url,
            "POST",
            "/_sim/shops",
            {
                "domain": args.shop,
                "access_token": args.token,
                "client_secret": args.secret,
                "plan": args.plan,
                "protected_customer_data": not args.withhold_customer_data,
            },
        ),
        "seed": lambda: _call(
            args.url,
            "POST",
            f"/_sim/shops/{args.shop}/seed",
            _seed_body(args),
        ),
        "orders": lambda: _orders(args),
        "faults": lambda: _call(args.url, "POST", "/_sim/faults", json.loads(args.settings)),
        "webhooks": lambda: _call(
            args.url, "POST", "/_sim/webhooks/controls", json.loads(args.settings)
        ),
        "state": lambda: _call(args.url, "GET", f"/_sim/shops/{args.shop}/state/{args.what}"),
        "settings": lambda: _call(
            args.url, "POST", f"/_sim/shops/{args.shop}/settings", json.loads(args.settings)
        ),
        "stock": lambda: _call(
            args.url,
            "POST",
            f"/_sim/shops/{args.shop}/locations/{quote(args.location, safe='')}/stock",
            {"available": args.available, **({"skus": args.skus} if args.skus else {})},
        ),
    }
    result = asyncio.run(calls[args.command]())
    if result is not None:
        print(json.dumps(result, indent=2))
