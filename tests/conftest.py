"""Fixtures of the cross-service tests: the Shopify schema once per session, and `order_flow`."""

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from functools import partial
from pathlib import Path

import pytest

from shopify_sim.schema_runtime import SchemaRuntime
from testkit.plugin import IsolatedDatabase

from .e2e_support import OrderFlow, running_order_flow

StartOrderFlow = Callable[..., AbstractAsyncContextManager[OrderFlow]]
"""`async with order_flow(download_mode=..., services_amqp_url=...) as flow:`"""


@pytest.fixture
def order_flow(
    isolated_database: IsolatedDatabase,
    isolated_vhost: str,
    schema_runtime: SchemaRuntime,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> StartOrderFlow:
    return partial(
        running_order_flow, isolated_database, isolated_vhost, schema_runtime, tmp_path, monkeypatch
    )
