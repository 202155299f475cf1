"""Creating the deployment's database on first start, so a newcomer needs no manual SQL."""

import asyncpg

from storage.dsn import database_name, with_database


async def ensure_database(admin_dsn: str) -> None:
    name = database_name(admin_dsn)
    try:
        conn = await asyncpg.connect(admin_dsn)
        await conn.close()
        return
    except asyncpg.InvalidCatalogNameError:
        pass
    conn = await asyncpg.connect(with_database(admin_dsn, "postgres"))
    try:
        await conn.execute(f'CREATE DATABASE "{name.replace(chr(34), chr(34) * 2)}"')
    except asyncpg.DuplicateDatabaseError:
        pass  # another service created it first
    finally:
        await conn.close()


async def recreate_database(admin_dsn: str) -> None:
    """Drop (disconnecting its sessions) and create the database of `admin_dsn`: for throwaway
    environments only, such as the demo, whose simulated shop starts empty every run."""
    name = database_name(admin_dsn).replace('"', '""')
    conn = await asyncpg.connect(with_database(admin_dsn, "postgres"))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
