"""Pending work kept in a Postgres table: the one shape, and the SQL that leases and retries it.

Every service's work against Shopify or the WMS (orders to read, shipments to fulfil,
cancellations to make, stock to push, jobs to run) is a row of a table with these columns besides
its own key and payload:

    attempts         int          NOT NULL DEFAULT 0      -- failed attempts so far
    next_attempt_at  timestamptz  NOT NULL DEFAULT now()  -- not due before
    lease_until      timestamptz                          -- a worker holds it until then
    last_error       text                                 -- why the last attempt failed

(`attempts` and `last_error` may carry another name where the table had one first; see
WorkTable.) A row is **due** when it is workable (the table's own condition, e.g. its state),
its `next_attempt_at` has passed, and no live lease holds it. A worker:

1. **claims** due rows in a short transaction (FOR UPDATE SKIP LOCKED, so two workers never take
   the same row) by setting a lease, and commits before calling anyone: the lease is the intent;
2. does the work with no transaction open, **extending** the leases it holds while it works;
3. records the outcome: done (the table's own statement: delete it, or move it on), or
   **retry_later** (attempts + 1, the error, due again after the BackoffPolicy's delay, or given
   up when the policy says so).

A worker that dies holds nothing for longer than the lease: its rows become due again. Writers of
new work call **wake** in their transaction, so a waiting worker starts at commit (NOTIFY)
instead of at its next idle poll.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from storage import Connection

Key = tuple[Any, ...]


@dataclass(frozen=True)
class WorkTable:
    name: str
    key: Mapping[str, str]
    """The key columns and their Postgres types, e.g. {"shop": "text", "order_gid": "text"}."""
    channel: str
    """The NOTIFY channel its workers wait on."""
    workable: str = "TRUE"
    """SQL over the row, `{t}` standing for its alias: rows that can still be worked at all,
    e.g. "{t}.state IN ('pending', 'submitted')"."""
    gave_up: Mapping[str, str] = field(default_factory=dict)
    """Column -> SQL value for a row whose policy says stop, e.g. {"state": "'failed'"}."""
    attempts: str = "attempts"
    last_error: str = "last_error"
    _key_columns: tuple[str, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_key_columns", tuple(self.key))

    # --- SQL pieces ----------------------------------------------------------------------------

    def workable_as(self, alias: str) -> str:
        """The table's `workable` condition over the row aliased `alias`."""
        return f"({self.workable.replace('{t}', alias)})"

    def due(self, alias: str) -> str:
        """The condition of a due row, for a claim's own candidate query."""
        return (
            f"{self.workable_as(alias)} AND {alias}.next_attempt_at <= now() "
            f"AND ({alias}.lease_until IS NULL OR {alias}.lease_until < now())"
        )

    def _join(self, left: str, right: str) -> str:
        return " AND ".join(f"{left}.{c} = {right}.{c}" for c in self._key_columns)

    def _unnest(self, first_key_parameter: int, *leading: tuple[str, str]) -> str:
        """The keys as rows `k`; `leading` (name, type) columns come first, from parameters
        $1, $2, ... before the key's."""
        columns = [*leading, *self.key.items()]
        parameters = [*range(1, len(leading) + 1)]
        parameters += range(first_key_parameter, first_key_parameter + len(self.key))
        arrays = ", ".join(
            f"${n}::{kind}[]" for n, (_, kind) in zip(parameters, columns, strict=True)
        )
        return f"unnest({arrays}) AS k({', '.join(name for name, _ in columns)})"

    def _columns(self, keys: Sequence[Key]) -> list[list[Any]]:
        return [[key[i] for key in keys] for i in range(len(self._key_columns))]

    # --- claiming ------------------------------------------------------------------------------

    async def claim(
        self,
        conn: Connection,
        *,
        limit: int,
        lease_s: float,
        where: str = "TRUE",
        order_by: str = "next_attempt_at",
        args: Sequence[Any] = (),
        also_set: str = "",
        returning: str = "w.*",
    ) -> list[Any]:
        """Lease up to `limit` due rows, in `order_by` order. `where` narrows the candidates
        (SQL over the table aliased `c`, its parameters `args` numbered from $3); `also_set`
        adds assignments to the claimed rows (aliased `w`)."""
        candidates = f"""
            SELECT {", ".join(f"c.{k}" for k in self._key_columns)} FROM {self.name} c
            WHERE {self.due("c")} AND ({where})
            ORDER BY {order_by}
            LIMIT $2
            FOR UPDATE OF c SKIP LOCKED
        """
        return await self.claim_from(
            conn, candidates, limit, *args, lease_s=lease_s, also_set=also_set,
            returning=returning,
        )  # fmt: skip

    async def claim_from(
        self,
        conn: Connection,
        candidates: str,
        *args: Any,
        lease_s: float,
        also_set: str = "",
        returning: str = "w.*",
        recheck: bool = False,
    ) -> list[Any]:
        """Lease the rows a query of the caller's chooses: `candidates` selects the key columns
        (read as `due.<key>`; other columns it selects can be returned), its parameters numbered
        from $2. For claims no plain filter can say (per-shop windows, joins).

        Two workers must not take one row: either the candidates lock their rows (FOR UPDATE
        ... SKIP LOCKED, with `self.due(alias)`), or the caller serialises its claims (e.g. an
        advisory lock) and sets `recheck`, which leases a candidate only if it is still due as
        it is at the update: what a claim that finished just before left behind."""
        extra = f", {also_set}" if also_set else ""
        still_due = f" AND {self.due('w')}" if recheck else ""
        return list(
            await conn.fetch(
                f"""
                UPDATE {self.name} w
                SET lease_until = now() + make_interval(secs => $1::float8){extra}
                FROM ({candidates}) due
                WHERE {self._join("w", "due")}{still_due}
                RETURNING {returning}
                """,
                lease_s,
                *args,
            )
        )

    async def extend(
        self, conn: Connection, keys: Sequence[Key], lease_s: float, *, where: str = "TRUE"
    ) -> None:
        """Keep the leases a live worker holds: only a dead worker's leases run out."""
        if not keys:
            return
        first = 2
        await conn.execute(
            f"""
            UPDATE {self.name} w SET lease_until = now() + make_interval(secs => $1::float8)
            FROM {self._unnest(first)}
            WHERE {self._join("w", "k")} AND w.lease_until IS NOT NULL AND ({where})
            """,
            lease_s,
            *self._columns(keys),
        )

    # --- outcomes ------------------------------------------------------------------------------

    async def retry_later(
        self,
        conn: Connection,
        keys: Sequence[Key],
        error: str | Sequence[str],
        delay_s: float | Sequence[float | None] | None,
        *,
        also_set: str = "",
        where: str = "TRUE",
    ) -> None:
        """A failed attempt: count it, keep why, and let the rows be due again after `delay_s`
        (None: the policy gave up; the table's `gave_up` assignments apply). `error` and
        `delay_s` are one for all keys, or one per key. `where` (SQL over the row, aliased `w`)
        leaves alone rows that moved on meanwhile, e.g. settled by another worker after this
        one's lease ran out."""
        if not keys:
            return
        errors = [error] * len(keys) if isinstance(error, str) else list(error)
        delays = list(delay_s) if isinstance(delay_s, Sequence) else [delay_s] * len(keys)
        if not len(errors) == len(delays) == len(keys):
            raise ValueError("one error and one delay for all keys, or one of each per key")
        extra = f", {also_set}" if also_set else ""
        gave_up = "".join(
            f", {column} = CASE WHEN k.delay_s IS NULL THEN {value} ELSE w.{column} END"
            for column, value in self.gave_up.items()
        )
        await conn.execute(
            f"""
            UPDATE {self.name} w
            SET {self.attempts} = w.{self.attempts} + 1, {self.last_error} = k.error,
                lease_until = NULL,
                next_attempt_at = now() + make_interval(secs => coalesce(k.delay_s, 0))
                {gave_up}{extra}
            FROM {self._unnest(3, ("error", "text"), ("delay_s", "float8"))}
            WHERE {self._join("w", "k")} AND ({where})
            """,
            [e[:1000] for e in errors],
            delays,
            *self._columns(keys),
        )

    async def release(self, conn: Connection, keys: Sequence[Key]) -> None:
        """Give rows back without counting an attempt (e.g. their work moved on meanwhile)."""
        if not keys:
            return
        await conn.execute(
            f"UPDATE {self.name} w SET lease_until = NULL FROM {self._unnest(1)} "
            f"WHERE {self._join('w', 'k')}",
            *self._columns(keys),
        )

    async def wake(self, conn: Connection) -> None:
        """Wake the table's workers at commit (nothing is sent if the transaction rolls back)."""
        await conn.execute(f"NOTIFY {self.channel}")

    # --- for /status ---------------------------------------------------------------------------

    async def summary(self, conn: Connection) -> dict[str, Any]:
        """How much work there is: due now, held by a worker, waiting for a retry, and the age
        of the oldest due row in seconds."""
        row = await conn.fetchrow(
            f"""
            SELECT
              count(*) FILTER (WHERE {self.due("t")}) AS due,
              count(*) FILTER (WHERE {self.workable_as("t")}
                               AND t.lease_until >= now()) AS leased,
              count(*) FILTER (WHERE {self.workable_as("t")}
                               AND t.next_attempt_at > now()
                               AND (t.lease_until IS NULL OR t.lease_until < now())) AS waiting,
              extract(epoch FROM now() - min(t.next_attempt_at)
                      FILTER (WHERE {self.due("t")}))::float8 AS oldest_due_s
            FROM {self.name} t
            """
        )
        assert row is not None  # an aggregate always returns its row
        oldest = row["oldest_due_s"]
        return {
            "due": row["due"],
            "leased": row["leased"],
            "waiting_to_retry": row["waiting"],
            "oldest_due_s": None if oldest is None else round(oldest, 1),
        }
