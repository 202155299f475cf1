"""Personal data inside messages a service still holds: finding it, and erasing it.

Every service keeps message bodies in two tables of its own schema: `outbox` (until published)
and `dead_letters` (until replayed). A Shopify order webhook or a `wms.order.create` kept there
names a customer, so a redaction or the retention purge must reach them too. Each service calls
these functions for its own schema, from its own handler of the compliance webhooks.

`scrub` is the one definition of "personal data" in a JSON document: everything inside an
address or customer object (but the country and the ids, which identify no one), and a few
fields anywhere (email, phone, note, names, browser IP). Strings become "[redacted]" rather
than disappearing, so a scrubbed message still validates against its contract and can still be
published or replayed: consumers of webhooks need only the order id.
"""

import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from contracts import order_correlation_id
from storage import Connection

REDACTED = "[redacted]"

# Objects that describe a person or where they live: every value inside is personal...
PERSON_OBJECTS = frozenset(
    {
        "customer",
        "billing_address",
        "shipping_address",
        "ship_to",
        "bill_to",
        "destination",
        "default_address",
        "addresses",
        "client_details",
        "note_attributes",
    }
)
# ... but for these, which say which record or which country, not who.
_IMPERSONAL_INSIDE = frozenset(
    {
        "id",
        "admin_graphql_api_id",
        "country",
        "country_code",
        "country_name",
        "province",
        "province_code",
        "currency",
        "state",
        "created_at",
        "updated_at",
    }
)
# Personal wherever they appear.
PERSONAL_FIELDS = frozenset(
    {"email", "contact_email", "phone", "note", "first_name", "last_name", "browser_ip"}
)


@dataclass(frozen=True)
class Scrubbed:
    document: Any
    found: list[tuple[str, Any]]
    """(JSON path, original value) of every value replaced: what a data export shows."""


def scrub(document: Any) -> Scrubbed:
    """The document with its personal data replaced, and what was replaced."""
    found: list[tuple[str, Any]] = []
    return Scrubbed(_walk(document, "$", False, found), found)


def _walk(value: Any, path: str, personal: bool, found: list[tuple[str, Any]]) -> Any:
    if isinstance(value, dict):
        return {
            key: item
            if personal and key in _IMPERSONAL_INSIDE
            else _walk(
                item,
                f"{path}.{key}",
                personal or key in PERSON_OBJECTS or key in PERSONAL_FIELDS,
                found,
            )
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_walk(item, f"{path}[{i}]", personal, found) for i, item in enumerate(value)]
    if not personal or value is None or isinstance(value, bool) or value == REDACTED:
        return value
    if isinstance(value, str) and not value:
        return value
    found.append((path, value))
    # Numbers inside an address are coordinates: no stand-in keeps their meaning.
    return REDACTED if isinstance(value, str) else None


def erase_from_text(text: str, values: Iterable[Any]) -> str:
    """`text` (an error message, a header) with each of the personal `values` replaced."""
    # Longest first, so a value inside another (a city inside an address line) cannot leave
    # the rest of the longer one behind. Very short values would match innocent text.
    for value in sorted({v for v in values if isinstance(v, str) and len(v) > 2}, key=len)[::-1]:
        text = text.replace(value, REDACTED)
    return text


# --- the messages a service holds -----------------------------------------------------------


@dataclass(frozen=True)
class HeldMessage:
    table: str
    """"outbox" or "dead_letters"."""
    id: int
    message_type: str | None
    found: list[tuple[str, Any]]

    def as_json(self) -> dict[str, Any]:
        return {"kept_in": self.table, "type": self.message_type, "personal_data": dict(self.found)}


@dataclass(frozen=True)
class MessageSelection:
    """Which held messages are about the data subject: one shop, and either some orders (by
    their correlation ids) and contact strings, or (`whole_shop`) everything of the shop."""

    shop: str
    correlation_ids: Collection[str] = ()
    contacts: Collection[str] = ()
    whole_shop: bool = False

    @classmethod
    def about_orders(
        cls, shop: str, order_gids: Iterable[str], contacts: Collection[str] = ()
    ) -> "MessageSelection":
        """Messages about these orders (every message about an order carries its correlation
        id), or naming one of these contact strings."""
        return cls(
            shop,
            correlation_ids={str(order_correlation_id(shop, gid)) for gid in order_gids},
            contacts=contacts,
        )

    def matches(self, correlation_id: str | None, envelope: dict[str, Any], raw: bytes) -> bool:
        if envelope.get("shop") != self.shop:
            return False
        if self.whole_shop or (
            correlation_id is not None and correlation_id in self.correlation_ids
        ):
            return True
        return any(contact.encode() in raw for contact in self.contacts)


_TABLES = ("outbox", "dead_letters")


async def _selected(
    conn: Connection, selection: MessageSelection
) -> list[tuple[str, int, str | None, bytes, dict[str, Any]]]:
    rows: list[tuple[str, int, str | None, bytes, dict[str, Any]]] = []
    for table in _TABLES:
        for r in await conn.fetch(
            f"SELECT id, message_type, correlation_id, body FROM {table} ORDER BY id"
        ):
            envelope = _envelope(r["body"])
            if envelope is not None and selection.matches(r["correlation_id"], envelope, r["body"]):
                rows.append((table, r["id"], r["message_type"], r["body"], envelope))
    return rows


def _envelope(body: bytes) -> dict[str, Any] | None:
    try:
        parsed = json.loads(body)
    except ValueError:
        return None  # not JSON: not one of our envelopes, so not about a shop's customer
    return parsed if isinstance(parsed, dict) else None


async def personal_data_in_messages(
    conn: Connection, selection: MessageSelection
) -> list[HeldMessage]:
    """The held messages of the selection that carry personal data, with that data."""
    held = []
    for table, row_id, message_type, _, envelope in await _selected(conn, selection):
        found = scrub(envelope.get("data")).found
        if found:
            held.append(HeldMessage(table, row_id, message_type, found))
    return held


async def erase_personal_data_in_messages(conn: Connection, selection: MessageSelection) -> int:
    """Scrub the selected outbox rows and dead letters in place; returns how many changed."""
    changed = 0
    for table, row_id, _, _, envelope in await _selected(conn, selection):
        changed += await _scrub_row(conn, table, row_id, envelope)
    return changed


async def erase_personal_data_in_old_dead_letters(conn: Connection, older_than_days: float) -> int:
    """Retention: dead letters waiting longer than this keep their shape, not the person."""
    changed = 0
    rows = await conn.fetch(
        "SELECT id, body FROM dead_letters "
        "WHERE dead_at < now() - make_interval(secs => $1::float8 * 86400)",
        older_than_days,
    )
    for r in rows:
        envelope = _envelope(r["body"])
        if envelope is not None:
            changed += await _scrub_row(conn, "dead_letters", r["id"], envelope)
    return changed


async def _scrub_row(conn: Connection, table: str, row_id: int, envelope: dict[str, Any]) -> bool:
    scrubbed = scrub(envelope.get("data"))
    if not scrubbed.found:
        return False
    body = json.dumps({**envelope, "data": scrubbed.document}).encode()
    if table == "outbox":
        await conn.execute("UPDATE outbox SET body = $2 WHERE id = $1", row_id, body)
        return True
    # A dead letter's reason and headers (the last error) may quote the body.
    values = [value for _, value in scrubbed.found]
    row = await conn.fetchrow("SELECT reason, headers FROM dead_letters WHERE id = $1", row_id)
    assert row is not None  # selected in this transaction
    await conn.execute(
        "UPDATE dead_letters SET body = $2, reason = $3, headers = $4 WHERE id = $1",
        row_id,
        body,
        erase_from_text(row["reason"], values),
        _erase_from_json(row["headers"], values),
    )
    return True


def _erase_from_json(document: Any, values: Iterable[Any]) -> Any:
    erased = erase_from_text(json.dumps(document, ensure_ascii=False), values)
    try:
        return json.loads(erased)
    except ValueError:
        return {}  # a value spanned the JSON's own syntax: nothing of it is worth keeping
