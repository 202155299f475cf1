"""The consuming side of the messaging benchmark, run as its own process (as a consuming service
is in production). Prints "ready" once consuming, then "done <cpu seconds>" when N messages are
handled: the process's CPU time between the two, the consuming side's cost of the N messages.

    python -m bench.pipeline_consumer raw <amqp_url> <n>
    python -m bench.pipeline_consumer shipbridge <amqp_url> <n> <admin_dsn> <role_prefix>
"""

import asyncio
import sys
import time

import aio_pika
import uvloop

from bench.pipeline_services import RAW_QUEUE, consumer_definition
from service_runtime.logging import configure_logging
from testkit.plugin import IsolatedDatabase
from testkit.probe import eventually
from testkit.services import running_service


async def raw(amqp_url: str, n: int) -> None:
    conn = await aio_pika.connect(amqp_url)
    channel = await conn.channel()
    await channel.set_qos(prefetch_count=300)
    queue = await channel.declare_queue(
        RAW_QUEUE, durable=True, arguments={"x-queue-type": "quorum"}
    )
    done = asyncio.Event()
    received = 0

    async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        nonlocal received
        await message.ack()
        received += 1
        if received == n:
            done.set()

    await queue.consume(on_message)
    print("ready", flush=True)
    cpu_at_ready = time.process_time()
    await done.wait()
    print(f"done {time.process_time() - cpu_at_ready:.6f}", flush=True)
    await conn.close()


async def shipbridge(amqp_url: str, n: int, admin_dsn: str, role_prefix: str) -> None:
    db = IsolatedDatabase(admin_dsn, role_prefix)
    async with running_service(consumer_definition(), db, amqp_url, log_level="WARNING") as svc:
        print("ready", flush=True)
        cpu_at_ready = time.process_time()

        async def all_handled() -> bool:
            return bool(await svc.pool.fetchval("SELECT count(*) FROM inbox") >= n)

        await eventually(all_handled, timeout_s=600, interval_s=0.02)
        effects = await svc.pool.fetchval("SELECT count(*) FROM effects")
        assert effects == n, f"{effects} effects for {n} messages"
        print(f"done {time.process_time() - cpu_at_ready:.6f}", flush=True)


if __name__ == "__main__":
    configure_logging("bench-consumer", "WARNING")
    kind, amqp_url, count, *rest = sys.argv[1:]
    if kind == "raw":
        uvloop.run(raw(amqp_url, int(count)))
    else:
        uvloop.run(shipbridge(amqp_url, int(count), *rest))
