"""Each service reaches Postgres as a role of its own that can touch only its own schema."""

from pathlib import Path

import asyncpg
import pytest

from storage import MigrationSource, ServiceDatabase, apply_migrations, create_pool, provision
from storage.locks import lock_until_commit
from testkit.plugin import IsolatedDatabase


async def _setup(db: IsolatedDatabase, service: str, tmp_path: Path) -> ServiceDatabase:
    target = ServiceDatabase(schema=service, role=db.role_prefix + service)
    await provision(db.admin_dsn, target)
    migrations = tmp_path / service
    migrations.mkdir()
    (migrations / "0001_orders.sql").write_text(
        "CREATE TABLE orders (id int PRIMARY KEY, customer_email text);"
        "INSERT INTO orders VALUES (1, 'someone@example.com');"
    )
    await apply_migrations(
        target.dsn(db.admin_dsn), service, [MigrationSource(service, migrations)]
    )
    return target


async def test_a_service_cannot_read_or_write_another_services_schema(
    isolated_database: IsolatedDatabase, tmp_path: Path
) -> None:
    intake = await _setup(isolated_database, "order_intake", tmp_path)
    await _setup(isolated_database, "fulfillment_sync", tmp_path)

    conn = await asyncpg.connect(intake.dsn(isolated_database.admin_dsn))
    try:
        assert await conn.fetchval("SELECT count(*) FROM orders") == 1  # its own, unqualified
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.fetch("SELECT * FROM fulfillment_sync.orders")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("INSERT INTO fulfillment_sync.orders VALUES (2, 'x')")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("CREATE TABLE public.smuggled (id int)")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("CREATE ROLE escalate")
    finally:
        await conn.close()


async def test_provisioning_and_migrations_are_idempotent(
    isolated_database: IsolatedDatabase, tmp_path: Path
) -> None:
    target = await _setup(isolated_database, "cancellation", tmp_path)
    await provision(isolated_database.admin_dsn, target)  # again: no error
    source = MigrationSource("cancellation", tmp_path / "cancellation")
    dsn = target.dsn(isolated_database.admin_dsn)
    assert await apply_migrations(dsn, "cancellation", [source]) == []
    (source.directory / "0002_more.sql").write_text("ALTER TABLE orders ADD COLUMN note text;")
    assert await apply_migrations(dsn, "cancellation", [source]) == ["cancellation/0002_more.sql"]
    conn = await asyncpg.connect(dsn)
    try:
        owner = await conn.fetchval(
            "SELECT tableowner FROM pg_tables WHERE schemaname = 'cancellation' "
            "AND tablename = 'orders'"
        )
        assert owner == target.role  # objects belong to the service, not the admin
    finally:
        await conn.close()


async def test_a_failing_migration_leaves_nothing_half_applied(
    isolated_database: IsolatedDatabase, tmp_path: Path
) -> None:
    target = await _setup(isolated_database, "inventory_sync", tmp_path)
    source = MigrationSource("inventory_sync", tmp_path / "inventory_sync")
    (source.directory / "0002_broken.sql").write_text(
        "CREATE TABLE levels (sku text); SELECT no_such_function();"
    )
    dsn = target.dsn(isolated_database.admin_dsn)
    with pytest.raises(asyncpg.UndefinedFunctionError):
        await apply_migrations(dsn, "inventory_sync", [source])
    conn = await asyncpg.connect(dsn)
    try:
        assert await conn.fetchval("SELECT to_regclass('levels')") is None
        versions = await conn.fetch("SELECT version FROM schema_migrations")
        assert [v["version"] for v in versions] == ["inventory_sync/0001_orders.sql"]
    finally:
        await conn.close()


async def test_work_locks_hold_within_a_service_and_not_across_services(
    isolated_database: IsolatedDatabase, tmp_path: Path
) -> None:
    intake = await _setup(isolated_database, "order_intake", tmp_path)
    fulfilment = await _setup(isolated_database, "fulfillment_sync", tmp_path)
    intake_pool = await create_pool(intake.dsn(isolated_database.admin_dsn), "order_intake")
    fulfilment_pool = await create_pool(
        fulfilment.dsn(isolated_database.admin_dsn), "fulfillment_sync"
    )
    try:
        async with intake_pool.acquire() as holder, holder.transaction():
            await lock_until_commit(holder, ["shop|gid://shopify/Order/1"])
            async with fulfilment_pool.acquire() as other_service, other_service.transaction():
                await other_service.execute("SET LOCAL lock_timeout = '200ms'")
                await lock_until_commit(other_service, ["shop|gid://shopify/Order/1"])
            async with intake_pool.acquire() as same_service, same_service.transaction():
                await same_service.execute("SET LOCAL lock_timeout = '200ms'")
                await lock_until_commit(same_service, ["shop|gid://shopify/Order/2"])
                with pytest.raises(asyncpg.LockNotAvailableError):
                    await lock_until_commit(same_service, ["shop|gid://shopify/Order/1"])
    finally:
        await intake_pool.close()
        await fulfilment_pool.close()
