"""Finding strings anywhere in a database: every schema, every table, every column that can
hold text (text, varchar, json, jsonb, arrays, bytea). For privacy tests: after a redaction,
no trace of the person may be left, in whichever service's schema it was."""

from dataclasses import dataclass

import asyncpg

_TEXTUAL = ("text", "character varying", "character", "json", "jsonb", "ARRAY", "bytea")


@dataclass(frozen=True)
class Trace:
    schema: str
    table: str
    column: str
    needle: str
    rows: int


async def traces(admin_dsn: str, needles: tuple[str, ...]) -> list[Trace]:
    """Where each needle occurs (case-insensitively), as the superuser sees the database."""
    conn = await asyncpg.connect(admin_dsn)
    try:
        columns = await conn.fetch(
            """
            SELECT c.table_schema, c.table_name, c.column_name, c.data_type
            FROM information_schema.columns c
            JOIN information_schema.tables t
              ON t.table_schema = c.table_schema AND t.table_name = c.table_name
            WHERE t.table_type = 'BASE TABLE'
              AND c.table_schema NOT IN ('pg_catalog', 'information_schema')
              AND c.table_schema NOT LIKE 'pg_toast%'
              AND c.data_type = ANY($1::text[])
            ORDER BY 1, 2, 3
            """,
            list(_TEXTUAL),
        )
        found: list[Trace] = []
        for column in columns:
            schema, table, name = (
                column["table_schema"],
                column["table_name"],
                column["column_name"],
            )
            # bytea (message bodies) as escaped text: ASCII stays as it is, and bytes that are not
            # UTF-8 cannot make the search fail.
            as_text = (
                f"encode(\"{name}\", 'escape')"
                if column["data_type"] == "bytea"
                else f'"{name}"::text'
            )
            for needle in needles:
                rows = await conn.fetchval(
                    f'SELECT count(*) FROM "{schema}"."{table}" '
                    f"WHERE strpos(lower({as_text}), lower($1)) > 0",
                    needle,
                )
                if rows:
                    found.append(Trace(schema, table, name, needle, rows))
        return found
    finally:
        await conn.close()
