"""Collecting every service's /status; a service that does not answer is shown as down."""

import asyncio
import os
from collections.abc import Mapping
from typing import Any

import aiohttp

DEFAULT_SERVICES = {
    "webhook-gateway": "http://127.0.0.1:8080",
    "order-intake": "http://127.0.0.1:8081",
    "fulfillment-sync": "http://127.0.0.1:8082",
    "inventory-sync": "http://127.0.0.1:8083",
    "cancellation": "http://127.0.0.1:8084",
}


def url_variable(service: str) -> str:
    """The environment variable that overrides a service's base URL."""
    return f"STATUS_{service.upper().replace('-', '_')}_URL"


def service_urls(env: Mapping[str, str] = os.environ) -> dict[str, str]:
    """Base URLs of the services; STATUS_<SERVICE>_URL overrides one (e.g. in docker-compose)."""
    return {name: env.get(url_variable(name), url) for name, url in DEFAULT_SERVICES.items()}


async def collect_one(session: aiohttp.ClientSession, name: str, base: str) -> dict[str, Any]:
    try:
        async with session.get(f"{base}/status") as resp:
            body: dict[str, Any] = await resp.json()
        body["up"] = True
        return body
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        # A service that does not answer is shown as down, never left out.
        return {"service": name, "up": False, "error": f"{type(exc).__name__}: {exc}"}


async def collect(urls: Mapping[str, str], timeout_s: float = 3.0) -> dict[str, dict[str, Any]]:
    """Every service's /status section, fetched at once, by service name."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout_s)) as session:
        results = await asyncio.gather(
            *(collect_one(session, name, base) for name, base in urls.items())
        )
    return dict(zip(urls, results, strict=True))
