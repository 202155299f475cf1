"""The Shopify Admin GraphQL client: one per shop.

It reserves throttle budget before each request, sends it, feeds the
response's cost figures back to the throttle, and retries what is worth
retrying (see `retry.py` for the decisions, `throttle.py` for the budget).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
from collections.abc import Mapping
from types import TracebackType
from typing import Any

import aiohttp
import structlog

from shopify_admin.cost_estimates import RequestedCostEstimates, default_estimates
from shopify_admin.errors import ShopifyError, ShopifyUnavailable
from shopify_admin.metering import record_request
from shopify_admin.operations import Operation
from shopify_admin.results import MutationResult
from shopify_admin.retry import (
    BackoffPolicy,
    Outcome,
    Success,
    Transient,
    classify,
    retry_delay,
)
from shopify_admin.throttle import (
    QueryCost,
    Reservation,
    ShopThrottle,
    Sleep,
    ThrottleRegistry,
    default_registry,
)

__all__ = ["DEFAULT_API_VERSION", "ShopifyClient"]

DEFAULT_API_VERSION = "2026-07"
DEFAULT_TIMEOUT = aiohttp.ClientTimeout(total=30, connect=5)

_log = structlog.get_logger("shopify_admin.client")


class ShopifyClient:
    """Admin GraphQL for one shop.

    `admin_url` replaces `https://{shop}` (e.g. a simulator at
    http://127.0.0.1:8700); it may contain `{shop}`. Without `session` the
    client opens its own and closes it in `close()`. `throttles`, `estimates`,
    `sleep` and `rng` are injectable so tests control time and jitter.
    """

    def __init__(
        self,
        shop: str,
        access_token: str,
        *,
        api_version: str = DEFAULT_API_VERSION,
        admin_url: str | None = None,
        session: aiohttp.ClientSession | None = None,
        max_attempts: int = 5,
        backoff: BackoffPolicy | None = None,
        timeout: aiohttp.ClientTimeout = DEFAULT_TIMEOUT,
        throttles: ThrottleRegistry | None = None,
        estimates: RequestedCostEstimates | None = None,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.shop = shop
        self.api_version = api_version
        base = (admin_url or f"https://{shop}").rstrip("/").replace("{shop}", shop)
        self.url = f"{base}/admin/api/{api_version}/graphql.json"
        self.max_attempts = max_attempts
        self._headers = {
            "X-Shopify-Access-Token": access_token,
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        self._session = session
        self._owns_session = session is None
        self._timeout = timeout
        self._backoff = backoff or BackoffPolicy()
        self._throttle: ShopThrottle = (throttles or default_registry()).for_shop(shop)
        self._estimates = estimates or default_estimates()
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._log = _log.bind(shop=shop)

    @classmethod
    def from_env(cls, shop: str, access_token: str, **options: Any) -> ShopifyClient:
        """A client honouring SHOPIFY_API_VERSION and SHOPIFY_ADMIN_URL."""
        options.setdefault(
            "api_version", os.environ.get("SHOPIFY_API_VERSION") or DEFAULT_API_VERSION
        )
        options.setdefault("admin_url", os.environ.get("SHOPIFY_ADMIN_URL") or None)
        return cls(shop, access_token, **options)

    async def __aenter__(self) -> ShopifyClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None

    def _client_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    async def execute(
        self, operation: Operation, variables: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Run `operation` and return its `data`.

        Raises ShopifyGraphQLError (not retryable), ShopifyAuthError,
        ShopifyRequestError, or ShopifyUnavailable once retries are spent or
        not allowed for this operation.
        """
        sent_variables = operation.variables(variables)
        body = json.dumps(
            {
                "query": operation.document,
                "variables": sent_variables,
                "operationName": operation.name,
            }
        ).encode()
        log = self._log.bind(operation=operation.name)
        may_have_executed = False
        last_reason = ""
        for attempt in range(1, self.max_attempts + 1):
            estimate = self._estimates.estimate(operation, sent_variables)
            reservation = await self._throttle.reserve(estimate)
            outcome = await self._attempt(operation, sent_variables, body, reservation)
            if isinstance(outcome, Success):
                return outcome.data
            if isinstance(outcome, ShopifyError):
                log.warning("shopify.request_failed", error=str(outcome), attempt=attempt)
                raise outcome
            last_reason = outcome.reason
            may_have_executed = may_have_executed or not outcome.not_executed
            if not (outcome.not_executed or operation.retry_safe):
                log.warning("shopify.not_retried", reason=outcome.reason, attempt=attempt)
                raise ShopifyUnavailable(
                    operation.name, attempt, outcome.reason, may_have_executed=True
                )
            if attempt < self.max_attempts:
                delay = retry_delay(self._backoff, attempt, self._rng, outcome)
                log.info("shopify.retry", reason=outcome.reason, attempt=attempt, delay=delay)
                await self._sleep(delay)
        log.warning("shopify.unavailable", reason=last_reason, attempts=self.max_attempts)
        raise ShopifyUnavailable(
            operation.name, self.max_attempts, last_reason, may_have_executed=may_have_executed
        )

    async def execute_mutation(
        self, operation: Operation, variables: Mapping[str, Any] | None = None
    ) -> MutationResult:
        """Run a mutation; its userErrors come back in the result, not as an exception."""
        if operation.kind != "mutation":
            raise ValueError(f"{operation.name} is a {operation.kind}, not a mutation")
        return MutationResult.from_data(await self.execute(operation, variables))

    async def _attempt(
        self,
        operation: Operation,
        variables: Mapping[str, Any],
        body: bytes,
        reservation: Reservation,
    ) -> Outcome:
        """One HTTP round trip; always settles the throttle reservation."""
        cost: QueryCost | None = None
        outcome: Outcome
        try:
            async with self._client_session().post(
                self.url, data=body, headers=self._headers, timeout=self._timeout
            ) as response:
                raw = await response.read()
                status, headers = response.status, response.headers
            text = raw.decode("utf-8", errors="replace")
            parsed = _parse_json(text)
            cost = QueryCost.from_body(parsed)
            outcome = classify(operation.name, status, headers, parsed, text)
        except aiohttp.ClientConnectorError as exc:
            outcome = Transient(f"connection failed: {type(exc).__name__}", not_executed=True)
        except (aiohttp.ClientError, TimeoutError) as exc:
            outcome = Transient(f"network error: {type(exc).__name__}", not_executed=False)
        except BaseException:
            # Cancelled mid-flight: the request may have run; keep the budget honest.
            self._settle(reservation, None, None)
            raise
        self._settle(reservation, cost, outcome)
        record_request(_points_charged(cost, outcome, reservation))
        if cost is not None and cost.requested is not None:
            self._estimates.learn(operation, variables, cost.requested)
        self._log.debug(
            "shopify.response",
            operation=operation.name,
            requested_cost=cost.requested if cost else None,
            actual_cost=cost.actual if cost else None,
        )
        return outcome

    def _settle(
        self, reservation: Reservation, cost: QueryCost | None, outcome: Outcome | None
    ) -> None:
        if cost is not None and cost.throttle_status is not None:
            self._throttle.settle(reservation, status=cost.throttle_status, charged=0)
        elif cost is not None and cost.actual is not None:
            self._throttle.settle(reservation, status=None, charged=cost.actual)
        elif isinstance(outcome, Transient) and outcome.not_executed:
            self._throttle.settle(reservation, status=None, charged=0)
        else:
            # Unknown (cancelled, 5xx, timeout): assume it ran at full cost.
            self._throttle.settle(reservation, status=None, charged=reservation.cost)


def _points_charged(cost: QueryCost | None, outcome: Outcome, reservation: Reservation) -> int:
    """What one request cost, for metering: Shopify's actual figure when it gave one."""
    if cost is not None and cost.actual is not None:
        return int(cost.actual)
    if isinstance(outcome, Transient) and outcome.not_executed:
        return 0
    return (
        int(cost.requested)
        if cost is not None and cost.requested is not None
        else int(reservation.cost)
    )


def _parse_json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None
