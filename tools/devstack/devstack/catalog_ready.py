"""`make run` sends orders only once the warehouse has learned the demo shop's catalog.

inventory-sync runs the shop's first full catalog sync (a bulk operation) when it starts and
sends every item to the WMS; an order sent before then would be rejected as an unknown SKU. So
devstack reads inventory-sync's /status until the first sync is done and the warehouse's answers
have come back (the items it rejects are listed as findings), then starts the order streams.
"""

import asyncio
import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp


@dataclass(frozen=True)
class CatalogProgress:
    sync_state: str | None
    """The newest full sync's state (queued, running, ..., done, failed); None: none yet."""
    items_sent: int
    rejected: int
    """SKUs the WMS rejected, as inventory-sync has recorded them."""

    def ready(self, expected_rejections: int) -> bool:
        return self.sync_state == "done" and self.rejected >= expected_rejections

    def __str__(self) -> str:
        return (
            f"first catalog sync {self.sync_state or 'not started'}, {self.items_sent} items "
            f"sent, {self.rejected} rejected by the WMS"
        )


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def catalog_progress(status: Mapping[str, Any], shop: str) -> CatalogProgress:
    """The shop's catalog as inventory-sync's /status shows it (pure; tolerant of a section not
    filled in yet)."""
    shops = _dict(status.get("catalog")).get("shops")
    for entry in map(_dict, shops if isinstance(shops, list) else []):
        if entry.get("shop") != shop:
            continue
        syncs = entry.get("syncs")
        newest = _dict(syncs[0]) if isinstance(syncs, list) and syncs else {}
        rejected = _dict(_dict(entry.get("findings")).get("rejected_by_wms")).get("total")
        sent = entry.get("items_sent")
        return CatalogProgress(
            sync_state=newest.get("state"),
            items_sent=sent if isinstance(sent, int) else 0,
            rejected=rejected if isinstance(rejected, int) else 0,
        )
    return CatalogProgress(None, 0, 0)


async def wait_for_catalog(
    status_url: str,
    shop: str,
    expected_rejections: int,
    timeout_s: float,
    stop: asyncio.Event,
    every_s: float = 2.0,
) -> CatalogProgress:
    """Poll until the first sync is done and the expected rejections are back, `timeout_s`
    passed or `stop` is set; answers the last progress seen (the caller says what it means)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    progress = CatalogProgress(None, 0, 0)
    shown = ""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
        while not stop.is_set() and loop.time() < deadline:
            try:
                async with session.get(status_url) as resp:
                    progress = catalog_progress(await resp.json(), shop)
            except (aiohttp.ClientError, TimeoutError, ValueError):
                pass  # not answering yet
            if progress.ready(expected_rejections):
                return progress
            if str(progress) != shown:
                shown = str(progress)
                print(f"  ... {shown}", flush=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every_s)
    return progress
