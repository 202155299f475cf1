"""The parts of one running simulator, wired once (the composition root)."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field

from shopify_sim.bulk_runner import BulkRunner
from shopify_sim.config import SimConfig
from shopify_sim.gateway import Gateway
from shopify_sim.order_stream import OrderStream
from shopify_sim.schema_runtime import SchemaRuntime
from shopify_sim.state.repository import Store
from shopify_sim.webhooks_out import WebhookDispatcher


@dataclass
class Simulator:
    config: SimConfig
    store: Store
    runtime: SchemaRuntime
    gateway: Gateway
    dispatcher: WebhookDispatcher
    bulk: BulkRunner
    streams: dict[str, OrderStream] = field(default_factory=dict)
    stream_tasks: set[asyncio.Task[None]] = field(default_factory=set)

    @classmethod
    def build(cls, config: SimConfig, runtime: SchemaRuntime | None = None) -> Simulator:
        rng = random.Random(config.random_seed)
        store = Store()
        dispatcher = WebhookDispatcher(store, config, rng)
        runtime = runtime or SchemaRuntime.from_shared_dir(config.shared_dir)
        gateway = Gateway(runtime, store, dispatcher.publish, rng=rng)
        bulk = BulkRunner(config, runtime.schema, dispatcher.publish)
        gateway.bulk_runner = bulk
        return cls(
            config=config,
            store=store,
            runtime=runtime,
            gateway=gateway,
            dispatcher=dispatcher,
            bulk=bulk,
        )

    async def close(self) -> None:
        for task in list(self.stream_tasks):
            task.cancel()
        await asyncio.gather(*self.stream_tasks, return_exceptions=True)
        await self.bulk.close()
        await self.dispatcher.close()
