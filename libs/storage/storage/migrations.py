"""Plain-SQL migrations, applied in order and recorded in the service's own schema.

A service's migrations come from several sources (the messaging runtime's tables, then the
service's own), each a folder of `NNNN_name.sql` files. Versions are recorded as
`<source>/<file>` so two sources may both have a `0001_...`.
"""

from dataclasses import dataclass
from pathlib import Path

import asyncpg
import structlog

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class MigrationSource:
    name: str
    directory: Path

    def files(self) -> list[Path]:
        return sorted(self.directory.glob("*.sql"))


async def apply_migrations(dsn: str, schema: str, sources: list[MigrationSource]) -> list[str]:
    """Apply what is missing, each file in its own transaction; returns the versions applied.

    Connects as the service role itself, so every object it creates belongs to the service.
    """
    conn = await asyncpg.connect(dsn, server_settings={"search_path": schema})
    applied_now: list[str] = []
    try:
        # Two replicas starting together must not both run the same migration.
        await conn.execute("SELECT pg_advisory_lock(hashtext($1))", f"migrate:{schema}")
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations")}
        for source in sources:
            for path in source.files():
                version = f"{source.name}/{path.name}"
                if version in done:
                    continue
                async with conn.transaction():
                    await conn.execute(path.read_text())
                    await conn.execute(
                        "INSERT INTO schema_migrations (version) VALUES ($1)", version
                    )
                applied_now.append(version)
                log.info("storage.migration_applied", schema=schema, version=version)
    finally:
        await conn.execute("SELECT pg_advisory_unlock(hashtext($1))", f"migrate:{schema}")
        await conn.close()
    return applied_now
