"""Signed Shopify webhooks into the gateway (verified, durable before 200) vs a bare aiohttp 200.

Both servers run as their own process, as in production, and are driven by the same load
generator in this process (bench.http_load): CONCURRENCY keep-alive connections sending a bounded
number of orders/create deliveries, each with a new webhook id, over loopback. Reported: the
rate of each, their ratio, p50/p99 latency at full load, and p99 at a fixed 1,000/s offered
(open loop: latency counted from the intended send time, so a stall is not hidden).
Also reported: each server's CPU time per request at full load, read from /proc. On a shared,
noisy machine rates swing with the neighbours; CPU per request is the steadier way to compare
two versions of the gateway. Afterwards the gateway's table must hold exactly the deliveries it
answered 200 for.
"""

import asyncio
import contextlib
import dataclasses
import os
import socket
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import asyncpg
import uvloop
from aiohttp import web

from bench.http_load import Connections, post_request
from bench.infra import Scratch, scratch
from webhook_gateway.app import WEBHOOK_PATH
from webhook_gateway.testing import sample, signed_headers, write_shops_file

REQUESTS = 10_000
WARMUP = 1_000
CONCURRENCY = 32
PACED_RATE = 1_000
PACED_SECONDS = 3


@dataclass(frozen=True)
class Run:
    requests: int
    seconds: float
    latencies_s: list[float]
    failures: int
    server_cpu_s: float = 0.0
    client_cpu_s: float = 0.0

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    @property
    def cpu_ms_per_request(self) -> float:
        return 1000 * self.server_cpu_s / self.requests

    @property
    def client_cpu_ms_per_request(self) -> float:
        return 1000 * self.client_cpu_s / self.requests

    def percentile_ms(self, p: float) -> float:
        return statistics.quantiles(self.latencies_s, n=1000)[int(p * 10) - 1] * 1000


class Target:
    """A server under load: where to send, and each request's bytes (a new webhook id each)."""

    def __init__(self, url: str, body: bytes) -> None:
        self.url = url
        self.body = body
        self._headers = {**signed_headers(body), "Content-Type": "application/json"}

    def request(self) -> bytes:
        headers = {**self._headers, "X-Shopify-Webhook-Id": str(uuid.uuid4())}
        return post_request(self.url, headers, self.body)


async def closed_loop(target: Target, requests: int, concurrency: int) -> Run:
    latencies: list[float] = []
    failures = 0
    remaining = requests
    pool = Connections(target.url)

    async def worker() -> None:
        nonlocal remaining, failures
        while remaining > 0:
            remaining -= 1
            started = time.perf_counter()
            ok = await pool.send(target.request()) == 200
            latencies.append(time.perf_counter() - started)
            failures += not ok

    try:
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    finally:
        pool.close()
    return Run(requests, elapsed, latencies, failures)


async def open_loop(target: Target, rate: int, seconds: int) -> Run:
    """Requests at fixed intended times, whatever the server does: latency from intended time."""
    latencies: list[float] = []
    failures = 0
    total = rate * seconds
    pool = Connections(target.url)
    # Warm, as after the full-load run: the server's cost of accepting a burst of new
    # connections at the start is not latency at a steady 1,000/s. More open if needed.
    await pool.open(CONCURRENCY)

    async def one(intended: float) -> None:
        nonlocal failures
        await asyncio.sleep(max(0.0, intended - time.perf_counter()))
        ok = await pool.send(target.request()) == 200
        latencies.append(time.perf_counter() - intended)
        failures += not ok

    try:
        start = time.perf_counter() + 0.1
        await asyncio.gather(*(one(start + i / rate) for i in range(total)))
        elapsed = time.perf_counter() - start
    finally:
        pool.close()
    return Run(total, elapsed, latencies, failures)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_status_mb(pid: int, key: str) -> float:
    """A size line of /proc/<pid>/status (VmRSS, VmHWM, ...) in MB; nan when absent."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.asynccontextmanager
async def process(
    args: list[str], env: Mapping[str, str], ready_url: str
) -> AsyncIterator[asyncio.subprocess.Process]:
    """A child process, started, waited on until `ready_url` answers 200, stopped by its PID.

    Yields the child (e.g. to read its peak memory from /proc)."""
    child = await asyncio.create_subprocess_exec(
        sys.executable, *args, env={**os.environ, **env}, stdout=asyncio.subprocess.DEVNULL
    )
    try:
        async with aiohttp.ClientSession() as http:
            deadline = time.monotonic() + 30
            while True:
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(ready_url) as resp:
                        if resp.status == 200:
                            break
                if child.returncode is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{args} did not become ready")
                await asyncio.sleep(0.1)
        yield child
    finally:
        if child.returncode is None:
            child.terminate()
            await child.wait()


def gateway_env(where: Scratch, shops_file: Path, port: int) -> dict[str, str]:
    secrets = write_shops_file(shops_file)
    return {
        **secrets,
        "DATABASE_URL": where.database.admin_dsn,
        "AMQP_URL": where.amqp_url,
        "DB_ROLE_PREFIX": where.database.role_prefix,
        "SHOPS_CONFIG": str(shops_file),
        "WEBHOOK_GATEWAY_PORT": str(port),
        "LOG_LEVEL": "WARNING",
    }


async def stored_deliveries(where: Scratch) -> int:
    conn = await asyncpg.connect(where.database.admin_dsn)
    try:
        count: int = await conn.fetchval("SELECT count(*) FROM webhook_gateway.deliveries")
        return count
    finally:
        await conn.close()


async def measure(target: Target, server_pid: int) -> tuple[Run, Run]:
    await closed_loop(target, WARMUP, CONCURRENCY)
    server_before, client_before = cpu_seconds(server_pid), cpu_seconds(os.getpid())
    full = await closed_loop(target, REQUESTS, CONCURRENCY)
    full = dataclasses.replace(
        full,
        server_cpu_s=cpu_seconds(server_pid) - server_before,
        client_cpu_s=cpu_seconds(os.getpid()) - client_before,
    )
    paced = await open_loop(target, PACED_RATE, PACED_SECONDS)
    return full, paced


async def run() -> dict[str, float]:
    body = sample("orders/create")
    async with scratch() as where:
        bare_port, gateway_port = free_port(), free_port()
        bare_url = f"http://127.0.0.1:{bare_port}"
        async with process(["-m", "bench.webhook_ingest", str(bare_port)], {}, bare_url) as child:
            bare, bare_paced = await measure(Target(bare_url + WEBHOOK_PATH, body), child.pid)
        with tempfile.TemporaryDirectory() as folder:
            env = gateway_env(where, Path(folder) / "shops.toml", gateway_port)
            gateway_url = f"http://127.0.0.1:{gateway_port}"
            async with process(["-m", "webhook_gateway"], env, gateway_url + "/ready") as child:
                ours, ours_paced = await measure(
                    Target(gateway_url + WEBHOOK_PATH, body), child.pid
                )
        accepted = WARMUP + REQUESTS + PACED_RATE * PACED_SECONDS
        durable = await stored_deliveries(where)
    failures = ours.failures + ours_paced.failures
    assert failures == 0, f"{failures} webhooks not answered 200"
    assert durable == accepted, f"{durable} deliveries stored for {accepted} answered 200"
    ratio = ours.rate / bare.rate
    print(f"webhook ingest (signed orders/create, {len(body)} bytes, {CONCURRENCY} connections)")
    for name, full, paced in (
        ("baseline bare aiohttp 200         ", bare, bare_paced),
        ("gateway verified, durable, outbox ", ours, ours_paced),
    ):
        print(
            f"  {name}: {full.rate:6.0f}/s  p50 {full.percentile_ms(50):5.1f} ms"
            f"  p99 {full.percentile_ms(99):5.1f} ms   p99 at {PACED_RATE}/s offered:"
            f" {paced.percentile_ms(99):5.1f} ms   CPU {full.cpu_ms_per_request:.3f} ms/request"
            f" (load generator {full.client_cpu_ms_per_request:.3f})"
        )
    print(
        f"  ratio: {ratio:.2f}   stored {durable}/{accepted}   targets: >= 2000/s, >= 0.35 of "
        f"baseline, p99 < 50 ms at {PACED_RATE}/s"
    )
    return {
        "bare_rate": bare.rate,
        "rate": ours.rate,
        "ratio": ratio,
        "p50_ms": ours.percentile_ms(50),
        "p99_ms": ours.percentile_ms(99),
        "paced_p99_ms": ours_paced.percentile_ms(99),
        "bare_paced_p99_ms": bare_paced.percentile_ms(99),
        "cpu_ms_per_request": ours.cpu_ms_per_request,
        "bare_cpu_ms_per_request": bare.cpu_ms_per_request,
    }


def serve_bare(port: int) -> None:
    """The baseline: read the body, answer 200, nothing else."""

    async def accept(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(body=b'{"status": "accepted"}', content_type="application/json")

    async def ready(_: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post(WEBHOOK_PATH, accept)
    app.router.add_get("/", ready)
    # The same event loop as the services, so the baseline is not handicapped.
    web.run_app(
        app, host="127.0.0.1", port=port, access_log=None, print=None, loop=uvloop.new_event_loop()
    )


if __name__ == "__main__":
    serve_bare(int(sys.argv[1]))
