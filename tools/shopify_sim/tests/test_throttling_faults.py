"""THROTTLED when the bucket is drained, and injected faults."""

from __future__ import annotations

import asyncio

from shopify_sim.throttle import PLANS, LeakyBucket

QUERY = "query Probe { shop { name } }"


async def test_drained_bucket_answers_throttled_and_counts_it(world):
    runtime = world.sim.simulator.gateway.shop_runtime(world.shop)
    # A stopped clock: on a busy machine the real one refills a point before the query lands.
    runtime.bucket = bucket = LeakyBucket(PLANS["standard"], clock=lambda: 0.0)
    while bucket.try_consume(500):
        pass
    body = await world.gql(QUERY)
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "THROTTLED"
    stats = await world.sim.stats(world.domain)
    assert stats["throttled"] == 1
    assert stats["requests_by_operation"] == {"Probe": 1}


async def test_throttled_storm_then_recovery(world):
    await world.sim.admin("POST", "/faults", {"throttle_seconds": 30})
    assert (await world.gql(QUERY))["errors"][0]["extensions"]["code"] == "THROTTLED"
    await world.sim.admin("DELETE", "/faults")
    assert (await world.gql(QUERY))["data"]["shop"]["name"]


async def test_injected_5xx_and_429(world):
    url, headers = world.sim.graphql_url(), {"X-Shopify-Access-Token": world.token}
    await world.sim.admin("POST", "/faults", {"server_error_fraction": 1.0})
    async with world.sim.session.post(url, json={"query": QUERY}, headers=headers) as response:
        assert response.status == 503
    await world.sim.admin(
        "POST",
        "/faults",
        {"server_error_fraction": 0.0, "too_many_requests_fraction": 1.0, "retry_after_seconds": 2},
    )
    async with world.sim.session.post(url, json={"query": QUERY}, headers=headers) as response:
        assert response.status == 429
        assert response.headers["Retry-After"] == "2"
    stats = await world.sim.stats(world.domain)
    assert stats["injected_faults"] == {"server_error": 1, "too_many_requests": 1}


async def test_lost_and_delayed_answers_come_after_the_request_ran(world):
    url, headers = world.sim.graphql_url(), {"X-Shopify-Access-Token": world.token}
    await world.sim.admin("POST", "/faults", {"lost_answer_fraction": 1.0})
    async with world.sim.session.post(url, json={"query": QUERY}, headers=headers) as response:
        assert response.status == 504
    stats = await world.sim.stats(world.domain)
    # It ran and was charged: only the answer is missing.
    assert stats["requests_by_operation"] == {"Probe": 1}
    assert stats["cost_spent"] == 1
    assert stats["injected_faults"] == {"lost_answer": 1}

    await world.sim.admin(
        "POST", "/faults", {"lost_answer_fraction": 0.0, "answer_delay_seconds": 0.3}
    )
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert (await world.gql(QUERY))["data"]["shop"]["name"]
    assert loop.time() - started >= 0.3
