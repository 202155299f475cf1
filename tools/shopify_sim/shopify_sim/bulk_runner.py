"""Bulk query operations in the background: CREATED -> RUNNING -> COMPLETED / FAILED / CANCELED.

The query runs page by page over its root connection (connections.BulkWindow), each page's
lines appended to a JSONL file as they are rendered, at a configurable pace; the file is served
at the operation's `url` (admin.py) and streamed from disk, so 100,000 variants are never held
in memory. When the operation ends, `bulk_operations/finish` is raised.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import structlog
from graphql import ExecutionResult, execute

from shopify_sim.clock import rest_time
from shopify_sim.config import SimConfig
from shopify_sim.connections import BulkWindow, bulk_window
from shopify_sim.domain.bulk_query import BulkPlan, jsonl_objects
from shopify_sim.events import ShopEvent
from shopify_sim.ids import gid
from shopify_sim.protected_data import AppAccess
from shopify_sim.resolvers.context import THE_APP, RequestContext
from shopify_sim.state.models import BulkOperation
from shopify_sim.state.repository import ShopState

log = structlog.get_logger(__name__)

FINISH_TOPIC = "bulk_operations/finish"


class BulkRunner:
    def __init__(
        self,
        config: SimConfig,
        schema: Any,
        publish_events: Callable[[list[ShopEvent]], None],
    ) -> None:
        self.config = config
        self.schema = schema
        self.publish_events = publish_events
        self.objects_per_second = config.bulk_objects_per_second
        self.page_size = config.bulk_page_size
        self.concurrency = config.bulk_query_concurrency
        # The fault knob: this many of the next operations FAIL (INTERNAL_SERVER_ERROR) midway.
        self.fail_next = 0
        self.base_url = config.public_url or f"http://{config.host}:{config.port}"
        self._dir = Path(tempfile.mkdtemp(prefix="shopify-sim-bulk-"))
        # token of a result URL -> the file behind it
        self.files: dict[str, Path] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def controls(self) -> dict[str, Any]:
        return {
            "objects_per_second": self.objects_per_second,
            "page_size": self.page_size,
            "concurrency": self.concurrency,
            "fail_next": self.fail_next,
        }

    def update(self, changes: dict[str, Any]) -> None:
        if "objects_per_second" in changes:
            self.objects_per_second = float(changes["objects_per_second"])
        if "page_size" in changes:
            self.page_size = max(1, int(changes["page_size"]))
        if "concurrency" in changes:
            self.concurrency = max(1, int(changes["concurrency"]))
        if "fail_next" in changes:
            value = changes["fail_next"]
            self.fail_next = int(value)

    def start(self, shop: ShopState, operation: BulkOperation, plan: BulkPlan) -> None:
        fail = self.fail_next > 0
        if fail:
            self.fail_next -= 1
        task = asyncio.get_running_loop().create_task(self._run(shop, operation, plan, fail))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self, limit_seconds: float = 30.0) -> None:
        """Wait until no operation is running (tests)."""
        async with asyncio.timeout(limit_seconds):
            while self._tasks:
                await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        shutil.rmtree(self._dir, ignore_errors=True)

    # --- running ---------------------------------------------------------------------------
    async def _run(
        self, shop: ShopState, operation: BulkOperation, plan: BulkPlan, fail: bool
    ) -> None:
        await asyncio.sleep(0)  # CREATED until the loop turns, as the mutation answered
        if operation.cancel_requested:
            self._finish(shop, operation, "CANCELED", None, None)
            return
        operation.status = "RUNNING"
        token = secrets.token_hex(16)
        path = self._dir / f"{operation.id}-{token}.jsonl"
        window = BulkWindow(size=self.page_size)
        started = time.monotonic()
        outcome, error_code = "COMPLETED", None
        try:
            with path.open("wb") as out:
                while True:
                    if operation.cancel_requested:
                        outcome = "CANCELED"
                        break
                    result = self._page(shop, plan, window)
                    if result.data is None:
                        log.warning(
                            "bulk.page_failed", errors=[str(e) for e in result.errors or []]
                        )
                        outcome, error_code = "FAILED", "INTERNAL_SERVER_ERROR"
                        break
                    for line, is_root in jsonl_objects(plan, result.data.get(plan.root_field)):
                        out.write(json.dumps(line, separators=(",", ":")).encode() + b"\n")
                        operation.object_count += 1
                        operation.root_object_count += is_root
                    window.offset += window.size
                    done = not plan.root_is_connection or window.offset >= window.total
                    # The fault: the operation dies halfway (after its first page at least),
                    # leaving what it wrote as partial data.
                    if fail and (done or window.offset * 2 >= window.total):
                        outcome, error_code = "FAILED", "INTERNAL_SERVER_ERROR"
                        break
                    await self._pace(operation, started)
                    if done:
                        break
        except Exception:
            log.exception("bulk.crashed", operation=operation.id)
            outcome, error_code = "FAILED", "INTERNAL_SERVER_ERROR"
        operation.file_size = path.stat().st_size if operation.object_count else None
        url = None
        if operation.object_count:
            self.files[token] = path
            url = self._url(token, operation)
        else:
            path.unlink(missing_ok=True)
        if outcome == "COMPLETED":
            self._finish(shop, operation, outcome, None, url)
        else:
            operation.partial_data_url = url
            self._finish(shop, operation, outcome, error_code, None)

    def _page(self, shop: ShopState, plan: BulkPlan, window: BulkWindow) -> ExecutionResult:
        context = RequestContext(
            shop, access=AppAccess(customer_data=shop.protected_customer_data), app=THE_APP
        )
        window.root_pending = True
        reset = bulk_window.set(window)
        try:
            result = execute(self.schema, plan.document, context_value=context)
        finally:
            bulk_window.reset(reset)
        assert isinstance(result, ExecutionResult)
        return result

    async def _pace(self, operation: BulkOperation, started: float) -> None:
        due = operation.object_count / self.objects_per_second if self.objects_per_second else 0
        # Always yield: the simulator keeps answering while an operation runs.
        await asyncio.sleep(max(0.0, due - (time.monotonic() - started)))

    def _url(self, token: str, operation: BulkOperation) -> str:
        # Shaped like Shopify's signed storage URL; the token alone grants access.
        signature = secrets.token_hex(32)
        return (
            f"{self.base_url}/_sim/bulk-operation-outputs/{token}/{operation.id}-final"
            f"?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Expires=604800"
            f"&X-Goog-Signature={signature}"
        )

    def _finish(
        self,
        shop: ShopState,
        operation: BulkOperation,
        status: str,
        error_code: str | None,
        url: str | None,
    ) -> None:
        operation.status = status
        operation.error_code = error_code
        operation.url = url
        operation.completed_at = shop.now()
        body = {
            "admin_graphql_api_id": gid("BulkOperation", operation.id),
            "completed_at": rest_time(operation.completed_at),
            "created_at": rest_time(operation.created_at),
            "error_code": error_code.lower() if error_code else None,
            "status": status.lower(),
            "type": operation.type.lower(),
        }
        self.publish_events([ShopEvent(shop.domain, FINISH_TOPIC, body, operation.completed_at)])
