"""ShopifyClient against a small Shopify-shaped HTTP server on 127.0.0.1."""

import asyncio
import random
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
import structlog.testing
from aiohttp import web
from aiohttp.test_utils import TestServer

from shopify_admin.client import ShopifyClient
from shopify_admin.cost_estimates import RequestedCostEstimates
from shopify_admin.errors import (
    ShopifyAuthError,
    ShopifyGraphQLError,
    ShopifyUnavailable,
)
from shopify_admin.operations import FULFILLMENT_CREATE, LOCATIONS, Operation
from shopify_admin.retry import BackoffPolicy
from shopify_admin.testing import ManualClock
from shopify_admin.throttle import ThrottleRegistry

SHOP = "example.myshopify.com"
TOKEN = "shpat_test_token"

PROBE = Operation(name="Probe", document="query Probe { shop { id } }", cost=20)


def cost_extension(requested: int, actual: int | None, available: float) -> dict[str, Any]:
    return {
        "cost": {
            "requestedQueryCost": requested,
            "actualQueryCost": actual,
            "throttleStatus": {
                "maximumAvailable": 2000.0,
                "currentlyAvailable": available,
                "restoreRate": 100.0,
            },
        }
    }


def throttled(requested: int, available: float) -> web.Response:
    # Shopify's shape: HTTP 200, no data, actualQueryCost null.
    return web.json_response(
        {
            "errors": [
                {
                    "message": "Throttled",
                    "extensions": {
                        "code": "THROTTLED",
                        "documentation": "https://shopify.dev/api/usage/rate-limits",
                    },
                }
            ],
            "extensions": cost_extension(requested, None, available),
        }
    )


def ok(data: dict[str, Any], requested: int = 20, actual: int = 20) -> web.Response:
    return web.json_response(
        {"data": data, "extensions": cost_extension(requested, actual, 2000 - actual)}
    )


Reply = Callable[[], Awaitable[web.Response]]


@dataclass
class ScriptedShopify:
    """Answers requests with a list of replies, one per request, and records them."""

    replies: list[Reply]
    url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append(
            {
                "path": request.path,
                "token": request.headers.get("X-Shopify-Access-Token"),
                "json": await request.json(),
            }
        )
        reply = self.replies[min(len(self.requests), len(self.replies)) - 1]
        return await reply()


def replying(make_response: Callable[[], web.Response]) -> Reply:
    """A reply building a fresh response each time (aiohttp sends a response once)."""

    async def reply() -> web.Response:
        return make_response()

    return reply


@pytest.fixture
async def start_server() -> AsyncIterator[Callable[[list[Reply]], Awaitable[ScriptedShopify]]]:
    servers: list[TestServer] = []

    async def start(replies: list[Reply]) -> ScriptedShopify:
        shopify = ScriptedShopify(replies)
        app = web.Application()
        app.router.add_post("/admin/api/{version}/graphql.json", shopify.handle)
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        servers.append(server)
        shopify.url = str(server.make_url("")).rstrip("/")
        return shopify

    yield start
    for server in servers:
        await server.close()


@pytest.fixture
def manual() -> ManualClock:
    return ManualClock()


def make_client(
    url: str, manual: ManualClock, *, max_attempts: int = 4, **options: Any
) -> ShopifyClient:
    """A client whose waits all go to `manual` (no real sleeping, no jitter by default)."""
    defaults: dict[str, Any] = {
        "throttles": ThrottleRegistry(clock=manual.clock, sleep=manual.sleep),
        "estimates": RequestedCostEstimates(),
        "backoff": BackoffPolicy(base=0.0, cap=0.0),
        "rng": random.Random(1),
    }
    return ShopifyClient(
        SHOP,
        TOKEN,
        admin_url=url,
        max_attempts=max_attempts,
        sleep=manual.sleep,
        **{**defaults, **options},
    )


async def test_success_sends_token_version_and_operation(start_server, manual) -> None:
    shopify = await start_server([replying(lambda: ok({"shop": {"id": "gid://shopify/Shop/1"}}))])
    async with make_client(shopify.url, manual) as client:
        data = await client.execute(PROBE)
    assert data == {"shop": {"id": "gid://shopify/Shop/1"}}
    (request,) = shopify.requests
    assert request["path"] == "/admin/api/2026-07/graphql.json"
    assert request["token"] == TOKEN
    assert request["json"]["operationName"] == "Probe"
    assert request["json"]["query"] == PROBE.document


async def test_default_variables_are_sent_under_the_callers(start_server, manual) -> None:
    shopify = await start_server([replying(lambda: ok({"locations": {"nodes": []}}))])
    async with make_client(shopify.url, manual) as client:
        await client.execute(LOCATIONS, {"first": 5, "after": "abc"})
    sent = shopify.requests[0]["json"]["variables"]
    assert sent == {"first": 5, "after": "abc", "includeInactive": False}


async def test_throttled_is_retried_once_after_the_bucket_deficit(start_server, manual) -> None:
    shopify = await start_server(
        [
            replying(lambda: throttled(requested=752, available=344)),
            replying(lambda: ok({"shop": {"id": "1"}})),
        ]
    )
    async with make_client(shopify.url, manual) as client:
        assert await client.execute(PROBE) == {"shop": {"id": "1"}}
    assert len(shopify.requests) == 2
    # No jitter configured: the only wait is what the bucket needs for the
    # 752 points Shopify said the query requests: (752 - 344) / 100 s.
    assert sum(manual.sleeps) == pytest.approx(4.08)


async def test_throttled_wait_is_at_least_the_jitter(start_server, manual) -> None:
    shopify = await start_server(
        [
            replying(lambda: throttled(requested=30, available=20)),
            replying(lambda: ok({"shop": {"id": "1"}})),
        ]
    )
    backoff = BackoffPolicy(base=5.0, cap=5.0)
    async with make_client(shopify.url, manual, backoff=backoff) as client:
        await client.execute(PROBE)
    jitter = manual.sleeps[0]
    assert 0.0 <= jitter <= 5.0
    # The bucket needed 0.1 s; whichever is longer of jitter and need is waited.
    assert sum(manual.sleeps) == pytest.approx(max(jitter, 0.1))


async def test_429_honours_retry_after(start_server, manual) -> None:
    too_many = web.Response(status=429, headers={"Retry-After": "1.5"}, text="slow down")
    shopify = await start_server(
        [replying(lambda: too_many), replying(lambda: ok({"shop": {"id": "1"}}))]
    )
    async with make_client(shopify.url, manual) as client:
        await client.execute(PROBE)
    assert len(shopify.requests) == 2
    assert manual.sleeps == [1.5]


async def test_503_is_retried_with_jittered_backoff(start_server, manual) -> None:
    shopify = await start_server(
        [
            replying(lambda: web.Response(status=503)),
            replying(lambda: web.Response(status=503)),
            replying(lambda: ok({"shop": {"id": "1"}})),
        ]
    )
    backoff = BackoffPolicy(base=1.0, cap=10.0)
    async with make_client(shopify.url, manual, backoff=backoff) as client:
        await client.execute(PROBE)
    assert len(shopify.requests) == 3
    first, second = manual.sleeps
    assert 0 <= first <= 1.0 and 0 <= second <= 2.0


async def test_retries_are_bounded(start_server, manual) -> None:
    shopify = await start_server([replying(lambda: web.Response(status=502))])
    async with make_client(shopify.url, manual, max_attempts=3) as client:
        with pytest.raises(ShopifyUnavailable) as raised:
            await client.execute(PROBE)
    assert len(shopify.requests) == 3
    assert raised.value.attempts == 3
    assert raised.value.may_have_executed


async def test_validation_error_is_not_retried(start_server, manual) -> None:
    invalid = web.json_response(
        {
            "errors": [
                {
                    "message": "Field 'nope' doesn't exist on type 'Shop'",
                    "extensions": {"code": "undefinedField"},
                }
            ]
        }
    )
    shopify = await start_server([replying(lambda: invalid)])
    async with make_client(shopify.url, manual) as client:
        with pytest.raises(ShopifyGraphQLError) as raised:
            await client.execute(PROBE)
    assert len(shopify.requests) == 1
    assert raised.value.codes == ["undefinedField"]


async def test_auth_error_is_not_retried(start_server, manual) -> None:
    denied = web.json_response(
        {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"},
        status=401,
    )
    shopify = await start_server([replying(lambda: denied)])
    async with make_client(shopify.url, manual) as client:
        with pytest.raises(ShopifyAuthError):
            await client.execute(PROBE)
    assert len(shopify.requests) == 1


async def test_unsafe_mutation_is_not_repeated_after_an_ambiguous_failure(
    start_server, manual
) -> None:
    shopify = await start_server([replying(lambda: web.Response(status=503))])
    async with make_client(shopify.url, manual) as client:
        with pytest.raises(ShopifyUnavailable) as raised:
            await client.execute(FULFILLMENT_CREATE, {"fulfillment": {}})
    assert len(shopify.requests) == 1
    assert raised.value.may_have_executed


async def test_unsafe_mutation_is_repeated_when_shopify_did_not_run_it(
    start_server, manual
) -> None:
    created = {"fulfillmentCreate": {"fulfillment": {"id": "gid://shopify/Fulfillment/1"}}}
    shopify = await start_server(
        [
            replying(lambda: throttled(requested=11, available=0)),
            replying(lambda: ok(created, 11, 11)),
        ]
    )
    async with make_client(shopify.url, manual) as client:
        result = await client.execute_mutation(FULFILLMENT_CREATE, {"fulfillment": {}})
    assert len(shopify.requests) == 2
    assert result.payload == {"fulfillment": {"id": "gid://shopify/Fulfillment/1"}}
    assert result.ok


async def test_user_errors_are_returned_not_raised(start_server, manual) -> None:
    refused = {
        "fulfillmentCreate": {
            "fulfillment": None,
            "userErrors": [
                {"field": ["fulfillment"], "message": "Fulfillment order does not exist."}
            ],
        }
    }
    shopify = await start_server([replying(lambda: ok(refused, 19, 10))])
    async with make_client(shopify.url, manual) as client:
        result = await client.execute_mutation(FULFILLMENT_CREATE, {"fulfillment": {}})
    assert not result.ok
    assert [e.message for e in result.user_errors] == ["Fulfillment order does not exist."]
    assert len(shopify.requests) == 1


def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_refused_connection_is_retried_even_for_unsafe_mutations(manual) -> None:
    client = make_client(f"http://127.0.0.1:{unused_port()}", manual, max_attempts=3)
    async with client:
        with pytest.raises(ShopifyUnavailable) as raised:
            await client.execute(FULFILLMENT_CREATE, {"fulfillment": {}})
    assert raised.value.attempts == 3
    assert not raised.value.may_have_executed
    assert "connection failed" in raised.value.reason


async def test_timeout_is_retried_for_queries(start_server, manual) -> None:
    async def slow() -> web.Response:
        await asyncio.sleep(1.0)
        return ok({"shop": {"id": "late"}})

    shopify = await start_server([slow, replying(lambda: ok({"shop": {"id": "1"}}))])
    timeout = aiohttp.ClientTimeout(total=0.2)
    async with make_client(shopify.url, manual, timeout=timeout) as client:
        assert await client.execute(PROBE) == {"shop": {"id": "1"}}
    assert len(shopify.requests) == 2


async def test_requested_cost_is_learned_per_page_size(start_server, manual) -> None:
    shopify = await start_server([replying(lambda: ok({"locations": {"nodes": []}}, 52, 3))])
    estimates = RequestedCostEstimates()
    async with make_client(shopify.url, manual, estimates=estimates) as client:
        assert estimates.estimate(LOCATIONS, LOCATIONS.variables()) == LOCATIONS.cost
        await client.execute(LOCATIONS)
    assert estimates.estimate(LOCATIONS, LOCATIONS.variables()) == 52
    assert estimates.estimate(LOCATIONS, LOCATIONS.variables({"first": 7})) == LOCATIONS.cost
    # A different cursor is the same page size.
    assert estimates.estimate(LOCATIONS, LOCATIONS.variables({"after": "x"})) == 52


async def test_two_clients_for_one_shop_share_the_budget(start_server, manual) -> None:
    low = {"data": {"shop": {"id": "1"}}, "extensions": cost_extension(20, 20, 0)}
    shopify = await start_server([replying(lambda: web.json_response(low))])
    registry = ThrottleRegistry(clock=manual.clock, sleep=manual.sleep)
    first = make_client(shopify.url, manual, throttles=registry)
    second = make_client(shopify.url, manual, throttles=registry)
    async with first, second:
        await first.execute(PROBE)
        assert manual.sleeps == []
        # The first client's response said the bucket is empty: the second
        # waits for its 20 points (0.2 s at 100/s) before sending.
        await second.execute(PROBE)
    assert manual.sleeps == [pytest.approx(0.2)]


def test_from_env_reads_version_and_admin_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOPIFY_API_VERSION", "2026-10")
    monkeypatch.setenv("SHOPIFY_ADMIN_URL", "http://127.0.0.1:8700/")
    client = ShopifyClient.from_env(SHOP, TOKEN)
    assert client.url == "http://127.0.0.1:8700/admin/api/2026-10/graphql.json"
    monkeypatch.delenv("SHOPIFY_ADMIN_URL")
    monkeypatch.delenv("SHOPIFY_API_VERSION")
    assert ShopifyClient.from_env(SHOP, TOKEN).url == (
        "https://example.myshopify.com/admin/api/2026-07/graphql.json"
    )


def test_admin_url_may_name_the_shop() -> None:
    client = ShopifyClient(SHOP, TOKEN, admin_url="http://127.0.0.1:8700/shops/{shop}")
    assert client.url == (
        "http://127.0.0.1:8700/shops/example.myshopify.com/admin/api/2026-07/graphql.json"
    )


@dataclass
class LeakyBucketShopify:
    """A real leaky bucket, as Shopify runs one, with small numbers."""

    maximum: float
    restore_rate: float
    query_cost: int
    available: float = 0.0
    updated_at: float = field(default_factory=time.monotonic)
    served: int = 0
    throttled: int = 0

    def __post_init__(self) -> None:
        self.available = self.maximum

    async def handle(self, request: web.Request) -> web.Response:
        await request.read()
        now = time.monotonic()
        self.available = min(
            self.maximum, self.available + (now - self.updated_at) * self.restore_rate
        )
        self.updated_at = now
        if self.available < self.query_cost:
            self.throttled += 1
            body: dict[str, Any] = {
                "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}]
            }
            actual = None
        else:
            self.available -= self.query_cost
            self.served += 1
            body = {"data": {"shop": {"id": "1"}}}
            actual = self.query_cost
        body["extensions"] = {
            "cost": {
                "requestedQueryCost": self.query_cost,
                "actualQueryCost": actual,
                "throttleStatus": {
                    "maximumAvailable": self.maximum,
                    "currentlyAvailable": self.available,
                    "restoreRate": self.restore_rate,
                },
            }
        }
        return web.json_response(body)


async def test_concurrent_callers_wait_instead_of_being_throttled() -> None:
    bucket = LeakyBucketShopify(maximum=100, restore_rate=1000, query_cost=20)
    app = web.Application()
    app.router.add_post("/admin/api/{version}/graphql.json", bucket.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    callers = 40
    try:
        client = ShopifyClient(
            SHOP,
            TOKEN,
            admin_url=str(server.make_url("")).rstrip("/"),
            throttles=ThrottleRegistry(),
            estimates=RequestedCostEstimates(),
        )
        async with client:
            await client.execute(PROBE)  # learn the bucket from the first response
            started = time.monotonic()
            await asyncio.gather(*(client.execute(PROBE) for _ in range(callers)))
            elapsed = time.monotonic() - started
    finally:
        await server.close()
    assert bucket.throttled == 0
    assert bucket.served == callers + 1
    # 40 x 20 points through a bucket holding at most 100 restored at 1000/s:
    # at least (800 - 100) / 1000 s of waiting, and not much more.
    assert 0.6 <= elapsed < 2.0


async def test_logs_carry_no_token_and_no_variables(start_server, manual) -> None:
    shopify = await start_server(
        [
            replying(lambda: web.Response(status=503)),
            replying(lambda: ok({"orders": {"nodes": []}})),
        ]
    )
    secret_email = "ada.lovelace@example.com"
    with structlog.testing.capture_logs() as logs:
        async with make_client(shopify.url, manual) as client:
            await client.execute(PROBE, {"query": f"email:{secret_email}"})
    assert any(entry["event"] == "shopify.retry" for entry in logs)
    assert all(entry.get("shop") == SHOP for entry in logs)
    assert TOKEN not in repr(logs)
    assert secret_email not in repr(logs)
