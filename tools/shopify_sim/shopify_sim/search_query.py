"""Shopify's search syntax (`updated_at:>'2026-01-01T00:00:00Z' sku:ABC-1`) as data.

Only conjunctions of `field:value` terms are understood, which is what the
project sends; anything else is ignored, as Shopify ignores unknown filters.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_TERM = re.compile(r"""(?P<field>[A-Za-z_]+):(?P<op>>=|<=|>|<|=)?(?P<value>'[^']*'|"[^"]*"|\S+)""")


@dataclass(frozen=True, slots=True)
class Term:
    field: str
    op: str  # one of = > >= < <=
    value: str


def parse(query: str | None) -> list[Term]:
    if not query:
        return []
    terms = []
    for match in _TERM.finditer(query):
        value = match["value"]
        if value[:1] in "'\"" and value[-1:] == value[:1]:
            value = value[1:-1]
        terms.append(Term(match["field"].lower(), match["op"] or "=", value))
    return terms


def compare(left: Any, op: str, right: Any) -> bool:
    if op == ">":
        return bool(left > right)
    if op == ">=":
        return bool(left >= right)
    if op == "<":
        return bool(left < right)
    if op == "<=":
        return bool(left <= right)
    return bool(left == right)


Predicate = Callable[[Any], bool]


def matcher(terms: list[Term], fields: dict[str, Callable[[Any, Term], bool]]) -> Predicate:
    """A predicate that is true when every understood term matches."""
    checks = [(fields[t.field], t) for t in terms if t.field in fields]

    def matches(item: Any) -> bool:
        return all(check(item, term) for check, term in checks)

    return matches
