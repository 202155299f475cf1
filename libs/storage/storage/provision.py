"""Give a service its own schema and its own login role that can touch nothing else.

Run with the admin DSN (a superuser or a role with CREATEROLE and CREATE on the database). The
schema is owned by the service role, so the service has every right inside it and, because no
other role is granted USAGE, no other service can even see its tables. Idempotent: safe to run on
every start.
"""

from dataclasses import dataclass

import asyncpg
import structlog

from storage.dsn import database_name, with_credentials

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class ServiceDatabase:
    """Where one service keeps its state."""

    schema: str
    role: str
    password: str | None = None

    def dsn(self, admin_dsn: str) -> str:
        return with_credentials(admin_dsn, self.role, self.password)


def _ident(name: str) -> str:
    # Role and schema names come from our own configuration, but quoting keeps odd prefixes safe.
    return '"' + name.replace('"', '""') + '"'


async def provision(admin_dsn: str, target: ServiceDatabase) -> None:
    conn = await asyncpg.connect(admin_dsn)
    try:
        # Serialise concurrent provisioning (several services starting at once) on one lock.
        await conn.execute("SELECT pg_advisory_lock(hashtext('shipbridge.provision'))")
        role, schema = _ident(target.role), _ident(target.schema)
        exists = await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", target.role)
        if not exists:
            await conn.execute(f"CREATE ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE")
        if target.password:
            # ALTER ROLE does not take bind parameters; quote the literal ourselves.
            literal = "'" + target.password.replace("'", "''") + "'"
            await conn.execute(f"ALTER ROLE {role} PASSWORD {literal}")
        await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema} AUTHORIZATION {role}")
        await conn.execute(f"ALTER SCHEMA {schema} OWNER TO {role}")
        # Nothing in `public` for anyone but the owner: a service must not park tables there.
        await conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
        db = _ident(database_name(admin_dsn))
        await conn.execute(f"GRANT CONNECT ON DATABASE {db} TO {role}")
        await conn.execute(f"ALTER ROLE {role} SET search_path = {schema}")
        log.info("storage.provisioned", schema=target.schema, role=target.role)
    finally:
        await conn.execute("SELECT pg_advisory_unlock(hashtext('shipbridge.provision'))")
        await conn.close()
