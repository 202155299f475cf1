"""The real Admin schema, executed with the simulator's resolvers.

The schema is built once per process (≈2.5 s) and every distinct query text
is parsed and validated once (≈4 ms) and then served from an LRU cache, so a
request costs only execution.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    build_schema,
    execute,
    parse,
    validate,
)

from shopify_sim.resolvers import attach_resolvers
from shopify_sim.resolvers.context import RequestContext
from shopify_sim.resolvers.errors import BareError
from shopify_sim.resolvers.inventory import LocatedError

SCHEMA_FILE = "admin-2026-07.graphql"
Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class PreparedQuery:
    document: DocumentNode
    operation_names: tuple[str | None, ...]
    is_mutation_by_name: dict[str | None, bool]


@dataclass(frozen=True, slots=True)
class QueryErrors:
    """A document Shopify would reject before running it (HTTP 200, errors only)."""

    errors: list[Json]


def load_schema(path: Path) -> GraphQLSchema:
    # assume_valid: the live schema breaks a newer rule about deprecated interface
    # fields that Shopify's own server does not enforce.
    schema = build_schema(path.read_text(encoding="utf-8"), assume_valid=True)
    attach_resolvers(schema)
    return schema


class SchemaRuntime:
    def __init__(self, schema: GraphQLSchema, cache_size: int = 512) -> None:
        self.schema = schema
        self._cache: OrderedDict[str, PreparedQuery | QueryErrors] = OrderedDict()
        self._cache_size = cache_size

    @classmethod
    def from_shared_dir(cls, shared_dir: Path) -> SchemaRuntime:
        return cls(load_schema(shared_dir / "shopify" / SCHEMA_FILE))

    def prepare(self, query: str) -> PreparedQuery | QueryErrors:
        cached = self._cache.get(query)
        if cached is not None:
            self._cache.move_to_end(query)
            return cached
        prepared = self._prepare_uncached(query)
        self._cache[query] = prepared
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return prepared

    def _prepare_uncached(self, query: str) -> PreparedQuery | QueryErrors:
        try:
            document = parse(query)
        except GraphQLError as error:
            return QueryErrors([_format_parse_error(error)])
        errors = validate(self.schema, document)
        if errors:
            return QueryErrors([_format_validation_error(e) for e in errors])
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        return PreparedQuery(
            document=document,
            operation_names=tuple(op.name.value if op.name else None for op in operations),
            is_mutation_by_name={
                (op.name.value if op.name else None): op.operation.value == "mutation"
                for op in operations
            },
        )

    def execute(
        self,
        prepared: PreparedQuery,
        variables: Json | None,
        operation_name: str | None,
        context: RequestContext,
    ) -> Json:
        result = execute(
            self.schema,
            prepared.document,
            context_value=context,
            variable_values=variables,
            operation_name=operation_name,
        )
        # Resolvers are synchronous, so execute() never returns an awaitable.
        assert isinstance(result, ExecutionResult)
        response: Json = {}
        if result.errors:
            response["errors"] = [
                _format_execution_error(e, variable_error=result.data is None)
                for e in result.errors
            ]
        # An error that nulled the whole result during execution still answers `data: null`
        # (an error with a path); a request refused before execution has no `data` at all.
        if result.data is not None or any(e.path for e in result.errors or ()):
            response["data"] = result.data
        return response


def operation_name_of(prepared: PreparedQuery, requested: str | None) -> str | None:
    if requested is not None:
        return requested
    return prepared.operation_names[0] if len(prepared.operation_names) == 1 else None


# --- error shapes ---------------------------------------------------------------------


def _locations(error: GraphQLError) -> list[Json] | None:
    if not error.locations:
        return None
    return [{"line": loc.line, "column": loc.column} for loc in error.locations]


def _format_parse_error(error: GraphQLError) -> Json:
    formatted: Json = {"message": error.message}
    locations = _locations(error)
    if locations:
        formatted["locations"] = locations
    formatted["extensions"] = {"code": "PARSE_ERROR"}
    return formatted


# graphql-core message -> (Shopify's message, code), for the rejections clients actually hit.
_VALIDATION_REWRITES: list[tuple[re.Pattern[str], str, str]] = [
    (
        re.compile(r"Cannot query field '(?P<field>\w+)' on type '(?P<type>\w+)'\..*"),
        "Field '{field}' doesn't exist on type '{type}'",
        "undefinedField",
    ),
    (
        re.compile(r"Unknown argument '(?P<arg>\w+)' on field '(?P<type>\w+)\.(?P<field>\w+)'\..*"),
        "Field '{field}' doesn't accept argument '{arg}'",
        "argumentNotAccepted",
    ),
    (
        re.compile(
            r"Field '(?P<field>\w+)' argument '(?P<arg>\w+)' of type .* is required, "
            r"but it was not "
            r"provided\."
        ),
        "Field '{field}' is missing required arguments: {arg}",
        "missingRequiredArguments",
    ),
    (
        re.compile(r"Variable '\$(?P<var>\w+)' is never used.*"),
        "Variable ${var} is declared by {var} but not used",
        "variableNotUsed",
    ),
    (
        re.compile(r"Unknown type '(?P<type>\w+)'\..*"),
        "No such type {type}, so it can't be a fragment condition",
        "undefinedType",
    ),
]


def _format_validation_error(error: GraphQLError) -> Json:
    message, code = error.message, "GRAPHQL_VALIDATION_FAILED"
    extensions: Json = {}
    for pattern, template, rewrite_code in _VALIDATION_REWRITES:
        match = pattern.fullmatch(error.message)
        if match:
            message, code = template.format(**match.groupdict()), rewrite_code
            extensions.update(
                {
                    k + "Name" if k in ("type", "field") else k: v
                    for k, v in match.groupdict().items()
                }
            )
            break
    formatted: Json = {"message": message}
    locations = _locations(error)
    if locations:
        formatted["locations"] = locations
    formatted["extensions"] = {"code": code, **extensions}
    return formatted


def _format_execution_error(error: GraphQLError, *, variable_error: bool) -> Json:
    original = error.original_error
    formatted: Json = {"message": error.message}
    if isinstance(original, LocatedError):
        formatted["locations"] = original.explicit_locations
    else:
        locations = _locations(error)
        if locations:
            formatted["locations"] = locations
    extensions = dict(error.extensions or {})
    if isinstance(original, BareError):
        if error.path is not None:
            formatted["path"] = list(error.path)
        return formatted
    if variable_error and error.path is None and "code" not in extensions:
        extensions["code"] = "INVALID_VARIABLE"
    elif "code" not in extensions:
        extensions["code"] = "INTERNAL_SERVER_ERROR"
    formatted["extensions"] = extensions
    if error.path is not None:
        formatted["path"] = list(error.path)
    return formatted
