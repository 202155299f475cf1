"""Transaction-scoped locks on things a service works on (an order, a WMS order).

Advisory locks are database-wide and every service shares one database, so each key is taken in
the namespace of the connection's schema: two services locking the same order do not wait on
each other, only two transactions of the same service do.
"""

from collections.abc import Sequence

from storage.types import Connection


async def lock_until_commit(conn: Connection, keys: Sequence[str]) -> None:
    """Lock `keys` until the transaction ends; taken in hash order, so two transactions locking
    overlapping sets cannot deadlock."""
    await conn.execute(
        """
        SELECT pg_advisory_xact_lock(hashtext(current_schema()), k)
        FROM (SELECT DISTINCT hashtext(key) AS k FROM unnest($1::text[]) key ORDER BY k) l
        """,
        list(keys),
    )
