"""Storage runtime: one Postgres schema and one least-privilege role per service,
plain-SQL migrations, and asyncpg pools bound to that schema."""

from storage.dsn import with_credentials
from storage.migrations import MigrationSource, apply_migrations
from storage.pool import create_pool
from storage.provision import ServiceDatabase, provision
from storage.types import Connection

__all__ = [
    "Connection",
    "MigrationSource",
    "ServiceDatabase",
    "apply_migrations",
    "create_pool",
    "provision",
    "with_credentials",
]
