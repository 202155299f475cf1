"""One Admin GraphQL request: auth, faults, validation, cost, bucket, execution.

HTTP-free so the same pipeline serves the app's endpoint and the control
plane's unmetered calls (the order generator acts as a storefront, not as the
app under test, so it must not drain the app's bucket).
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from shopify_admin.cost import actual_query_cost, requested_query_cost
from shopify_sim import faults
from shopify_sim.bulk_runner import BulkRunner
from shopify_sim.events import ShopEvent
from shopify_sim.protected_data import FULL_ACCESS, AppAccess
from shopify_sim.resolvers.context import OTHER_APP, THE_APP, RequestContext
from shopify_sim.schema_runtime import PreparedQuery, QueryErrors, SchemaRuntime, operation_name_of
from shopify_sim.state.repository import ShopState, Store
from shopify_sim.stats import ShopStats
from shopify_sim.throttle import (
    PLANS,
    LeakyBucket,
    cost_extension,
    max_cost_exceeded_response,
    throttled_response,
)

Json = dict[str, Any]
MAX_REQUESTED_COST = 1000
INVALID_TOKEN_BODY = {
    "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"
}


# Distinct (document, page sizes) pairs a simulator run sees are few; the bound only guards
# against a client that varies page sizes endlessly.
_REQUESTED_COST_CACHE_SIZE = 10_000


@dataclass(frozen=True, slots=True)
class GatewayReply:
    status: int
    body: Json | None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class ShopRuntime:
    """Per-shop mutable machinery next to the shop's data: its bucket and counters."""

    bucket: LeakyBucket
    stats: ShopStats = field(default_factory=ShopStats)


class Gateway:
    def __init__(
        self,
        runtime: SchemaRuntime,
        store: Store,
        publish_events: Callable[[list[ShopEvent]], None],
        *,
        rng: random.Random | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.runtime = runtime
        self.store = store
        self.publish_events = publish_events
        self.fault_settings = faults.FaultSettings()
        self.rng = rng or random.Random()
        self.monotonic = monotonic
        self._shops: dict[str, ShopRuntime] = {}
        self._requested_costs: dict[tuple[str, str | None, tuple[tuple[str, int], ...]], int] = {}
        # Set by the simulator: runs what bulkOperationRunQuery starts.
        self.bulk_runner: BulkRunner | None = None

    def shop_runtime(self, shop: ShopState) -> ShopRuntime:
        found = self._shops.get(shop.domain)
        if found is None:
            found = ShopRuntime(bucket=LeakyBucket(PLANS[shop.plan], self.monotonic))
            self._shops[shop.domain] = found
        return found

    def set_plan(self, shop: ShopState, plan: str) -> None:
        if plan not in PLANS:
            raise ValueError(f"unknown plan {plan!r}; known: {sorted(PLANS)}")
        shop.plan = plan
        self.shop_runtime(shop).bucket = LeakyBucket(PLANS[plan], self.monotonic)

    def _requested_cost(
        self,
        query: str,
        prepared: PreparedQuery,
        variables: Json | None,
        operation_name: str | None,
    ) -> int:
        """Shopify's requested cost, remembered per document and the variables that change it.

        Only page sizes (`first`/`last`, integers) and `@include`/`@skip` (booleans) enter the
        requested cost; ids and search strings do not. Costing the same order query for every
        request was about half of the simulator's CPU in the pipeline benchmark.
        """
        shape = tuple(sorted((k, v) for k, v in (variables or {}).items() if isinstance(v, int)))
        key = (query, operation_name, shape)
        cost = self._requested_costs.get(key)
        if cost is None:
            cost = requested_query_cost(
                self.runtime.schema, prepared.document, variables, operation_name
            )
            if len(self._requested_costs) < _REQUESTED_COST_CACHE_SIZE:
                self._requested_costs[key] = cost
        return cost

    async def handle(self, token: str | None, body: Json | None) -> GatewayReply:
        shop = self.store.shop_for_token(token)
        if shop is None:
            return GatewayReply(401, INVALID_TOKEN_BODY)
        shop_runtime = self.shop_runtime(shop)
        if self.fault_settings.latency_seconds:
            await asyncio.sleep(self.fault_settings.latency_seconds)
        fault = faults.decide(self.fault_settings, self.monotonic(), self.rng)
        if fault != "none":
            shop_runtime.stats.injected_faults[fault] += 1
        if fault == "server_error":
            return GatewayReply(503, {"errors": "Service Unavailable"})
        if fault == "too_many_requests":
            retry_after = self.fault_settings.retry_after_seconds
            return GatewayReply(429, {"errors": "Throttled"}, {"Retry-After": f"{retry_after:g}"})
        parsed = _parse_body(body)
        if isinstance(parsed, GatewayReply):
            return parsed
        query, variables, requested_name = parsed
        prepared = self.runtime.prepare(query)
        if isinstance(prepared, QueryErrors):
            return GatewayReply(200, {"errors": prepared.errors})
        operation_name = operation_name_of(prepared, requested_name)
        shop_runtime.stats.requests_by_operation[operation_name or "anonymous"] += 1
        requested = self._requested_cost(query, prepared, variables, operation_name)
        bucket = shop_runtime.bucket
        if fault == "throttled":
            shop_runtime.stats.throttled += 1
            return GatewayReply(200, throttled_response(requested, bucket))
        if requested > MAX_REQUESTED_COST:
            shop_runtime.stats.max_cost_exceeded += 1
            return GatewayReply(200, max_cost_exceeded_response(requested))
        if not bucket.try_consume(requested):
            shop_runtime.stats.throttled += 1
            return GatewayReply(200, throttled_response(requested, bucket))
        access = AppAccess(customer_data=shop.protected_customer_data)
        response = self._execute(shop, prepared, variables, operation_name, access, THE_APP)
        actual = actual_query_cost(
            self.runtime.schema, prepared.document, variables, response.get("data"), operation_name
        )
        if requested > actual:
            bucket.refund(requested - actual)
        shop_runtime.stats.cost_spent += actual
        response["extensions"] = {"cost": cost_extension(requested, actual, bucket)}
        if self.fault_settings.answer_delay_seconds:
            await asyncio.sleep(self.fault_settings.answer_delay_seconds)
        if faults.answer_lost(self.fault_settings, self.rng, operation_name):
            shop_runtime.stats.injected_faults["lost_answer"] += 1
            return GatewayReply(504, {"errors": "Gateway Timeout"})
        return GatewayReply(200, response, {"X-Request-Id": str(uuid.uuid4())})

    def run_unmetered(self, shop: ShopState, query: str, variables: Json | None = None) -> Json:
        """Execute as another app would: same schema and state, no bucket, no faults."""
        prepared = self.runtime.prepare(query)
        if isinstance(prepared, QueryErrors):
            return {"errors": prepared.errors}
        return self._execute(shop, prepared, variables, None, FULL_ACCESS, OTHER_APP)

    def _execute(
        self,
        shop: ShopState,
        prepared: PreparedQuery,
        variables: Json | None,
        operation_name: str | None,
        access: AppAccess,
        app: str,
    ) -> Json:
        context = RequestContext(shop, access=access, app=app, bulk=self.bulk_runner)
        response = self.runtime.execute(prepared, variables, operation_name, context)
        if context.events:
            self.publish_events(context.events)
        return response


def _parse_body(body: Json | None) -> tuple[str, Json | None, str | None] | GatewayReply:
    if (
        not isinstance(body, dict)
        or not isinstance(body.get("query"), str)
        or not body["query"].strip()
    ):
        return GatewayReply(400, {"errors": {"query": "Required parameter missing or invalid"}})
    variables = body.get("variables")
    if variables is not None and not isinstance(variables, dict):
        return GatewayReply(400, {"errors": {"variables": "must be an object"}})
    name = body.get("operationName")
    return body["query"], variables, name if isinstance(name, str) and name else None
