"""Outbox -> relay -> RabbitMQ -> consumer -> inbox, against raw aio-pika in the same run.

Baseline: publish N persistent messages with publisher confirms (in windows, as a fast raw
publisher would) and consume them with acks, nothing else. Subject: the same N messages written
to the outbox in producer transactions, relayed, consumed through the idempotent consumer (inbox
row + handler row per message, committed before the ack). Both are timed from the first publish
(or outbox write) to the last message handled.
"""

import asyncio
import time
from dataclasses import dataclass

import aio_pika

from bench.infra import Scratch, scratch
from testkit.probe import ProbeBehaviour, accepted, eventually, probe_definition, send
from testkit.services import running_service

MESSAGES = 20_000
PRODUCER_BATCH = 500
WINDOW = 1_000


@dataclass(frozen=True)
class Result:
    messages: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.messages / self.seconds


async def raw_aio_pika(amqp_url: str, n: int) -> Result:
    conn = await aio_pika.connect(amqp_url)
    pub = await conn.channel(publisher_confirms=True)
    sub = await conn.channel()
    await sub.set_qos(prefetch_count=100)
    queue = await sub.declare_queue(
        "raw-baseline", durable=True, arguments={"x-queue-type": "quorum"}
    )
    body = accepted("#raw").to_json()
    done = asyncio.Event()
    received = 0

    async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        nonlocal received
        await message.ack()
        received += 1
        if received == n:
            done.set()

    await queue.consume(on_message)
    started = time.perf_counter()
    for offset in range(0, n, WINDOW):
        await asyncio.gather(
            *(
                pub.default_exchange.publish(
                    aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                    routing_key="raw-baseline",
                )
                for _ in range(min(WINDOW, n - offset))
            )
        )
    await done.wait()
    elapsed = time.perf_counter() - started
    await conn.close()
    return Result(n, elapsed)


async def through_outbox_and_inbox(where: Scratch, n: int) -> Result:
    async with running_service(
        probe_definition(ProbeBehaviour()), where.database, where.amqp_url, log_level="WARNING"
    ) as svc:
        envelopes = [accepted(f"#{i}") for i in range(n)]
        started = time.perf_counter()
        for offset in range(0, n, PRODUCER_BATCH):
            await send(svc, envelopes[offset : offset + PRODUCER_BATCH])

        async def all_handled() -> bool:
            return bool(await svc.pool.fetchval("SELECT count(*) FROM inbox") >= n)

        await eventually(all_handled, timeout_s=600, interval_s=0.02)
        elapsed = time.perf_counter() - started
        effects = await svc.pool.fetchval("SELECT count(*) FROM effects")
        assert effects == n, f"{effects} effects for {n} messages"
    return Result(n, elapsed)


async def run(messages: int = MESSAGES) -> dict[str, float]:
    async with scratch() as where:
        raw = await raw_aio_pika(where.amqp_url, messages)
        ours = await through_outbox_and_inbox(where, messages)
    ratio = ours.rate / raw.rate
    print("messaging pipeline (outbox -> relay -> RabbitMQ -> consumer -> inbox)")
    print(
        f"  baseline raw aio-pika publish+confirm, consume+ack: {raw.rate:8.0f} msg/s "
        f"({raw.messages} in {raw.seconds:.2f} s)"
    )
    print(
        f"  shipbridge outbox + inbox, exactly-once effects:    {ours.rate:8.0f} msg/s "
        f"({ours.messages} in {ours.seconds:.2f} s)"
    )
    print(f"  ratio: {ratio:.2f}   targets: >= 1500 msg/s and >= 0.50 of baseline")
    return {"raw_rate": raw.rate, "rate": ours.rate, "ratio": ratio}
