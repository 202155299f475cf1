"""Storage runtime: asyncpg pools, per-service schema, role and migrations."""
