"""What bulkOperationRunQuery accepts, and how a result becomes Shopify's JSONL lines.

Pure: a parsed document and the schema in, a plan or userErrors out; an execution result in,
JSONL objects out. The rules are the bulk operations guide's "operation restrictions": at least
one connection, at most five, nested at most two deep, no top-level `node`/`nodes`, and a parent
of a nested connection must select `id` (its lines are linked to it by `__parentId`).
Messages Shopify does not document verbatim are the simulator's wording.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
    parse,
    validate,
)

from shopify_sim.domain.user_errors import UserError, user_error

MAX_CONNECTIONS = 5
MAX_NESTING = 2
# Relay plumbing between a connection and its nodes; not part of a JSONL object's path.
_PLUMBING = ("edges", "node", "nodes")

Path = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class BulkPlan:
    """An accepted bulk query: its document, and the response paths that are connections
    (aliases, relay plumbing left out), the root one first."""

    document: DocumentNode
    root_field: str
    root_is_connection: bool
    connection_paths: frozenset[Path]


def _invalid(message: str) -> list[UserError]:
    return [user_error(["query"], message, "INVALID")]


def plan_bulk_query(schema: GraphQLSchema, query: str) -> BulkPlan | list[UserError]:
    try:
        document = parse(query)
    except GraphQLError as error:
        return _invalid(f"Invalid bulk query: {error.message}")
    errors = validate(schema, document)
    if errors:
        return _invalid(f"Invalid bulk query: {errors[0].message}")
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if len(operations) != 1 or operations[0].operation is not OperationType.QUERY:
        return _invalid("Bulk queries must contain exactly one query operation.")
    if operations[0].variable_definitions:
        return _invalid("Bulk queries cannot use variables.")
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    roots = list(_fields(operations[0].selection_set, fragments))
    if len(roots) != 1:
        return _invalid("Bulk queries must contain exactly one top-level field.")
    root = roots[0]
    if root.name.value in ("node", "nodes"):
        return _invalid("Bulk queries cannot contain a top level `node` or `nodes` field.")
    query_type = schema.query_type
    assert query_type is not None
    walker = _Walker(schema, fragments)
    walker.walk(root, query_type, (), depth=0, parent_selects_id=True)
    if walker.error:
        return _invalid(walker.error)
    if not walker.paths:
        return _invalid("Bulk queries must contain at least one connection.")
    if len(walker.paths) > MAX_CONNECTIONS:
        return _invalid(f"Bulk queries cannot contain more than {MAX_CONNECTIONS} connections.")
    key = root.alias.value if root.alias else root.name.value
    return BulkPlan(
        document=document,
        root_field=key,
        root_is_connection=(key,) in walker.paths,
        connection_paths=frozenset(walker.paths),
    )


def _fields(
    selection_set: SelectionSetNode | None, fragments: dict[str, FragmentDefinitionNode]
) -> Iterator[FieldNode]:
    """The fields of a selection set, fragments spread in place."""
    if selection_set is None:
        return
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            yield selection
        elif isinstance(selection, InlineFragmentNode):
            yield from _fields(selection.selection_set, fragments)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                yield from _fields(fragment.selection_set, fragments)


class _Walker:
    def __init__(self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode]):
        self.schema = schema
        self.fragments = fragments
        self.paths: list[Path] = []
        self.error: str | None = None

    def walk(
        self,
        field: FieldNode,
        parent: GraphQLObjectType,
        path: Path,
        depth: int,
        parent_selects_id: bool,
    ) -> None:
        definition = parent.fields.get(field.name.value)
        if definition is None or self.error:
            return
        named = get_named_type(definition.type)
        key = field.alias.value if field.alias else field.name.value
        here = (*path, key)
        if named.name.endswith("Connection"):
            depth += 1
            self.paths.append(here)
            if depth > MAX_NESTING:
                self.error = (
                    "Bulk queries cannot contain connections with a nesting depth greater "
                    f"than {MAX_NESTING}. Connection field: '{field.name.value}'"
                )
                return
            if depth > 1 and not parent_selects_id:
                self.error = (
                    "The parent 'node' field for a nested connection must select the 'id' "
                    "field without an alias and must be of 'ID' return type. Connection "
                    f"field: '{field.name.value}'"
                )
                return
            node_type = self._node_type(named)
            if node_type is None:
                return
            node_fields = list(self._node_selections(field))
            selects_id = any(f.name.value == "id" and f.alias is None for f in node_fields)
            for child in node_fields:
                self.walk(child, node_type, here, depth, selects_id)
            return
        if isinstance(named, GraphQLObjectType):
            children = list(_fields(field.selection_set, self.fragments))
            selects_id = any(f.name.value == "id" and f.alias is None for f in children)
            for child in children:
                self.walk(child, named, here, depth, selects_id)

    def _node_type(self, connection: Any) -> GraphQLObjectType | None:
        nodes = getattr(connection, "fields", {}).get("nodes")
        if nodes is None:
            return None
        named = get_named_type(nodes.type)
        return named if isinstance(named, GraphQLObjectType) else None

    def _node_selections(self, connection_field: FieldNode) -> Iterator[FieldNode]:
        for plumbing in _fields(connection_field.selection_set, self.fragments):
            if plumbing.name.value == "nodes":
                yield from _fields(plumbing.selection_set, self.fragments)
            elif plumbing.name.value == "edges":
                for edge_field in _fields(plumbing.selection_set, self.fragments):
                    if edge_field.name.value == "node":
                        yield from _fields(edge_field.selection_set, self.fragments)


# --- JSONL -------------------------------------------------------------------------------


def connection_nodes(value: Any) -> list[dict[str, Any]]:
    """The nodes of a connection result, selected as `edges { node }` or `nodes`."""
    if not isinstance(value, dict):
        return []
    if isinstance(value.get("nodes"), list):
        return [n for n in value["nodes"] if isinstance(n, dict)]
    edges = value.get("edges")
    if isinstance(edges, list):
        return [e["node"] for e in edges if isinstance(e, dict) and isinstance(e.get("node"), dict)]
    return []


def jsonl_objects(plan: BulkPlan, root_value: Any) -> Iterator[tuple[dict[str, Any], bool]]:
    """(line object, is a root object) for one execution result of the root field.

    Every node of a connection is a line of its own; a node of a nested connection carries
    `__parentId`, the id of the node it hangs under, and is left out of its parent's line.
    The parent's line comes first (groupObjects: false makes no promise about order; this
    order is one Shopify also produces).
    """
    root_path: Path = (plan.root_field,)
    if plan.root_is_connection:
        for node in connection_nodes(root_value):
            yield from _node_lines(plan, node, root_path, None, is_root=True)
    elif isinstance(root_value, dict):
        yield from _node_lines(plan, root_value, root_path, None, is_root=True)


def _node_lines(
    plan: BulkPlan, node: dict[str, Any], path: Path, parent_id: Any, *, is_root: bool
) -> Iterator[tuple[dict[str, Any], bool]]:
    children: list[tuple[Path, Any]] = []
    line = _strip(plan, node, path, children)
    if parent_id is not None:
        line["__parentId"] = parent_id
    yield line, is_root
    for child_path, value in children:
        for child in connection_nodes(value):
            yield from _node_lines(plan, child, child_path, node.get("id"), is_root=False)


def _strip(
    plan: BulkPlan, value: dict[str, Any], path: Path, children: list[tuple[Path, Any]]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, item in value.items():
        here = (*path, key)
        if here in plan.connection_paths:
            children.append((here, item))
        elif isinstance(item, dict):
            out[key] = _strip(plan, item, here, children)
        else:
            out[key] = item
    return out
