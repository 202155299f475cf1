"""Running a real service runtime inside a test, on an isolated database and vhost."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from service_runtime import RuntimeSettings, ServiceDefinition, ServiceRuntime
from testkit.plugin import IsolatedDatabase


def test_settings(db: IsolatedDatabase, amqp_url: str, **overrides: Any) -> RuntimeSettings:
    values: dict[str, Any] = {
        "database_url": db.admin_dsn,
        "amqp_url": amqp_url,
        "db_role_prefix": db.role_prefix,
        "retry_delays": "0.05,0.1,0.2",
        "ops_token": None,
    }
    values.update(overrides)
    return RuntimeSettings(**values)


@asynccontextmanager
async def running_service(
    definition: ServiceDefinition[Any],
    db: IsolatedDatabase,
    amqp_url: str,
    *,
    port: int = 0,
    **overrides: Any,
) -> AsyncIterator[ServiceRuntime]:
    """`port` 0: any free one (`runtime.port` says which)."""
    runtime = ServiceRuntime(definition, test_settings(db, amqp_url, **overrides), port=port)
    await runtime.start()
    try:
        yield runtime
    finally:
        if runtime.started:
            await runtime.stop()
