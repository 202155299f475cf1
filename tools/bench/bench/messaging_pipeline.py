"""Outbox -> relay -> RabbitMQ -> consumer -> inbox, against raw aio-pika in the same run.

Both are arranged as they are deployed: the publishing side in this process, the consuming side
in a process of its own (bench/pipeline_consumer.py), so each side has its own interpreter.

Baseline: publish N persistent messages with publisher confirms (in windows, as a fast raw
publisher would) to a quorum queue and consume them with acks, nothing else. Subject: a producing
service writes the same N messages to its outbox in transactions of 500; its relay publishes them;
the consuming service handles each through the idempotent consumer (inbox row + handler row,
committed before the ack). Both are timed from the first publish (or outbox write) to the
consumer's "done".
"""

import asyncio
import sys
import time
from dataclasses import dataclass

import aio_pika

from bench.infra import Scratch, scratch
from bench.pipeline_services import RAW_QUEUE, producer_definition
from testkit.probe import accepted, send
from testkit.services import running_service

MESSAGES = 20_000
PRODUCER_BATCH = 500
WINDOW = 1_000


@dataclass(frozen=True)
class Result:
    messages: int
    seconds: float
    consumer_cpu_s: float
    """CPU time of the consuming process while it handled the messages."""

    @property
    def cpu_us_per_message(self) -> float:
        return self.consumer_cpu_s / self.messages * 1e6

    @property
    def rate(self) -> float:
        return self.messages / self.seconds


async def _consumer(*args: str) -> asyncio.subprocess.Process:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.pipeline_consumer", *args, stdout=asyncio.subprocess.PIPE
    )
    assert proc.stdout is not None
    ready = await asyncio.wait_for(proc.stdout.readline(), 120)
    if ready.strip() != b"ready":
        raise RuntimeError(f"consumer did not start: {ready!r}")
    return proc


async def _finished(proc: asyncio.subprocess.Process) -> float:
    """Waits for the consumer's "done"; returns the CPU seconds it spent consuming."""
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), 600)
    word, _, cpu = line.decode().strip().partition(" ")
    if word != "done":
        raise RuntimeError(f"consumer failed: {line!r}")
    await proc.wait()
    return float(cpu)


async def raw_aio_pika(amqp_url: str, n: int) -> Result:
    conn = await aio_pika.connect(amqp_url)
    channel = await conn.channel(publisher_confirms=True)
    await channel.declare_queue(RAW_QUEUE, durable=True, arguments={"x-queue-type": "quorum"})
    consumer = await _consumer("raw", amqp_url, str(n))
    body = accepted("#raw").to_json()
    started = time.perf_counter()
    for offset in range(0, n, WINDOW):
        await asyncio.gather(
            *(
                channel.default_exchange.publish(
                    aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                    routing_key=RAW_QUEUE,
                )
                for _ in range(min(WINDOW, n - offset))
            )
        )
    cpu = await _finished(consumer)
    elapsed = time.perf_counter() - started
    await conn.close()
    return Result(n, elapsed, cpu)


async def through_outbox_and_inbox(where: Scratch, n: int) -> Result:
    db = where.database
    consumer = await _consumer("shipbridge", where.amqp_url, str(n), db.admin_dsn, db.role_prefix)
    async with running_service(
        producer_definition(), db, where.amqp_url, log_level="WARNING"
    ) as producer:
        envelopes = [accepted(f"#{i}") for i in range(n)]
        started = time.perf_counter()
        for offset in range(0, n, PRODUCER_BATCH):
            await send(producer, envelopes[offset : offset + PRODUCER_BATCH])
        cpu = await _finished(consumer)
        elapsed = time.perf_counter() - started
    return Result(n, elapsed, cpu)


async def run(messages: int = MESSAGES) -> dict[str, float]:
    async with scratch() as where:
        raw = await raw_aio_pika(where.amqp_url, messages)
        ours = await through_outbox_and_inbox(where, messages)
    ratio = ours.rate / raw.rate
    print("messaging pipeline (outbox -> relay -> RabbitMQ -> consumer -> inbox)")
    print(
        f"  baseline raw aio-pika publish+confirm, consume+ack:  {raw.rate:8.0f} msg/s "
        f"({raw.messages} in {raw.seconds:.2f} s)"
    )
    print(
        f"  shipbridge outbox + inbox, each effect exactly once: {ours.rate:8.0f} msg/s "
        f"({ours.messages} in {ours.seconds:.2f} s)"
    )
    print(f"  ratio: {ratio:.2f}   targets: >= 1500 msg/s and >= 0.50 of baseline")
    print(
        f"  consuming process CPU per message: raw {raw.cpu_us_per_message:.0f} us, "
        f"shipbridge {ours.cpu_us_per_message:.0f} us "
        f"(ratio {ours.cpu_us_per_message / raw.cpu_us_per_message:.2f})"
    )
    return {
        "raw_rate": raw.rate,
        "rate": ours.rate,
        "ratio": ratio,
        "consumer_cpu_us_per_message": ours.cpu_us_per_message,
    }
