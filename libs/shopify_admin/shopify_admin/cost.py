"""Shopify's calculated query cost for the Admin GraphQL API. Pure: no I/O.

`requested_query_cost` is the static price Shopify asks for before running an
operation (the shop's bucket must hold it); `actual_query_cost` is the price of
what came back, and Shopify refunds the difference.

The rules come from Shopify's rate-limit documentation (scalars and enums 0,
objects 1, connections 2 plus their page, mutations 10, interfaces and unions
the maximum of their possible selections) and were calibrated against the
costs Shopify reported for 261 real queries (shared/shopify/query-costs.jsonl,
254 reproduced exactly) and the request/response captures. What calibration
added to the documented rules:

- a page of n nodes is charged `page_factor(n)` = floor(2·ln n) node prices,
  not n (Shopify's page price grows logarithmically);
- plain lists (`[Fulfillment!]`, `trackingInfo(first:)`) and `nodes(ids:)` cost
  like one record whatever their length;
- money wrappers (`MoneyBag`, `MoneyV2`) are free, like the scalars they wrap;
- a mutation's 10 points cover the records its payload returns directly;
- selecting both `edges { node }` and `nodes` pays for both;
- actual cost: each of a page's n slots costs factor(n)/n node prices and the
  returned nodes pay their share at their own actual price; an empty page is
  not refunded; null records cost nothing; the total is rounded up.

Not modelled (Shopify prices these individually and has changed them over
time): `ordersCount`-style count fields, `refundCreate`, and
`fulfillmentTrackingInfoUpdate` (10 in some captures, 50 in later ones).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum, auto
from fractions import Fraction
from typing import Any, Final

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLUnionType,
    OperationDefinitionNode,
    OperationType,
    SchemaMetaFieldDef,
    TypeMetaFieldDef,
    TypeNameMetaFieldDef,
    get_named_type,
    is_leaf_type,
    parse,
)
from graphql.execution.collect_fields import collect_fields, collect_sub_fields
from graphql.execution.values import get_argument_values, get_variable_values
from graphql.utilities import get_operation_ast

__all__ = [
    "CONNECTION_COST",
    "MIN_QUERY_COST",
    "MUTATION_COST",
    "OBJECT_COST",
    "actual_query_cost",
    "page_factor",
    "requested_query_cost",
]

# One lookup of one record (documented).
OBJECT_COST: Final = 1
# The connection and its edges; the page of nodes is priced on top (documented).
CONNECTION_COST: Final = 2
# Writes load the server more than reads (documented); the price covers the payload
# and the records it returns directly (calibrated: `productCreate { product { id } }` costs 10).
MUTATION_COST: Final = 10
# Shopify never reports less than 1 (calibrated: a `node` lookup of scalars costs 1).
MIN_QUERY_COST: Final = 1
# A connection without `first`/`last` is priced as the largest page Shopify serves.
MAX_PAGE_SIZE: Final = 250
# Money wrappers are embedded in the record that owns them, so Shopify prices them like
# the scalars they wrap (calibrated: selecting `priceSet { shopMoney { amount } }`
# never changes a reported cost).
SCALAR_PRICED_TYPES: Final = frozenset({"MoneyBag", "MoneyV2"})
# The connection fields that carry the page's records.
_NODES_FIELD: Final = "nodes"
_EDGES_FIELD: Final = "edges"
_EDGE_NODE_FIELD: Final = "node"
_TYPENAME_FIELD: Final = "__typename"
_ROOT_META_FIELDS: Final[Mapping[str, GraphQLField]] = {
    "__schema": SchemaMetaFieldDef,
    "__type": TypeMetaFieldDef,
}

Cost = Fraction
_ZERO: Final = Fraction(0)


class _Unknown(Enum):
    """Stands in for the response value when pricing before execution (the worst case)."""

    VALUE = auto()


_WORST_CASE: Final = _Unknown.VALUE
Value = Any  # a JSON value from the response, or `_WORST_CASE`


def page_factor(page_size: int) -> int:
    """How many node prices a page of `page_size` nodes is charged.

    Shopify's page price grows with the logarithm of the page size, not linearly: the
    reported costs fit floor(2·ln n) exactly for every page size in the data (1, 2, 3, 5,
    10, 20, 25, 50, 100, 250), and a page is never cheaper than one node.
    """
    if page_size <= 1:
        return 1
    return max(1, math.floor(2 * math.log(page_size)))


def requested_query_cost(
    schema: GraphQLSchema,
    document: DocumentNode | str,
    variables: Mapping[str, Any] | None = None,
    operation_name: str | None = None,
) -> int:
    """The cost Shopify requests before running the operation: every page assumed full."""
    operation = _Operation.of(schema, document, variables, operation_name)
    return max(MIN_QUERY_COST, math.ceil(operation.price(_WORST_CASE)))


def actual_query_cost(
    schema: GraphQLSchema,
    document: DocumentNode | str,
    variables: Mapping[str, Any] | None,
    data: Mapping[str, Any] | None,
    operation_name: str | None = None,
) -> int:
    """The cost of what the response's `data` holds: pages priced by the nodes they returned."""
    if data is not None and not isinstance(data, Mapping):
        # Most likely `operation_name` and `data` were passed in each other's place.
        raise TypeError(f"data must be the response's data mapping or None, not {data!r}")
    operation = _Operation.of(schema, document, variables, operation_name)
    return max(MIN_QUERY_COST, math.ceil(operation.price(data)))


class _Kind(Enum):
    FREE = auto()  # scalars, enums and scalar-priced objects
    OBJECT = auto()  # one record, or a plain list of records
    CONNECTION = auto()  # a Relay page of records


def _kind_of(field_type: GraphQLOutputType) -> _Kind:
    named = get_named_type(field_type)
    if is_leaf_type(named) or named.name in SCALAR_PRICED_TYPES:
        return _Kind.FREE
    if _is_connection(named):
        return _Kind.CONNECTION
    return _Kind.OBJECT


def _is_connection(named: GraphQLNamedType) -> bool:
    return (
        isinstance(named, GraphQLObjectType)
        and "pageInfo" in named.fields
        and (_NODES_FIELD in named.fields or _EDGES_FIELD in named.fields)
    )


def _response_value(value: Value, key: str) -> Value:
    if value is _WORST_CASE:
        return _WORST_CASE
    return value.get(key) if isinstance(value, Mapping) else None


def _items(value: Value, key: str) -> Sequence[Value]:
    """The list under `key`; before execution, one stand-in item prices the worst case."""
    if value is _WORST_CASE:
        return [_WORST_CASE]
    items = _response_value(value, key)
    return items if isinstance(items, list) else []


def _object_types(schema: GraphQLSchema, named: GraphQLNamedType) -> Sequence[GraphQLObjectType]:
    """The concrete types a value of `named` can have."""
    if isinstance(named, GraphQLInterfaceType | GraphQLUnionType):
        return schema.get_possible_types(named)
    return [named] if isinstance(named, GraphQLObjectType) else []


def _field_definition(
    schema: GraphQLSchema, parent: GraphQLObjectType, name: str
) -> GraphQLField | None:
    if name == _TYPENAME_FIELD:
        return TypeNameMetaFieldDef
    if parent is schema.query_type and name in _ROOT_META_FIELDS:
        return _ROOT_META_FIELDS[name]
    found: GraphQLField | None = parent.fields.get(name)
    return found


def _coerce_variables(
    schema: GraphQLSchema,
    definition: OperationDefinitionNode,
    variables: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """Variables with the operation's defaults filled in, as the server would see them."""
    inputs = dict(variables or {})
    coerced = get_variable_values(schema, definition.variable_definitions or [], inputs)
    # Invalid inputs get the request rejected anyway; price what was sent.
    return inputs if isinstance(coerced, list) else coerced


@dataclass(frozen=True)
class _Operation:
    """One operation of a document, with its fragments and coerced variables."""

    schema: GraphQLSchema
    definition: OperationDefinitionNode
    fragments: dict[str, FragmentDefinitionNode]
    variables: dict[str, Any]
    # Actual pricing visits the same selection once per returned record: collect it once.
    _collected: dict[tuple[str, tuple[int, ...]], dict[str, list[FieldNode]]] = field(
        default_factory=dict, compare=False, repr=False
    )
    _priced: dict[
        tuple[str, tuple[int, ...]], list[tuple[GraphQLObjectType, dict[str, list[FieldNode]]]]
    ] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(
        cls,
        schema: GraphQLSchema,
        document: DocumentNode | str,
        variables: Mapping[str, Any] | None,
        operation_name: str | None,
    ) -> _Operation:
        parsed = parse(document) if isinstance(document, str) else document
        definition = get_operation_ast(parsed, operation_name)
        if definition is None:
            raise ValueError(f"no operation {operation_name!r} in the document")
        fragments = {
            node.name.value: node
            for node in parsed.definitions
            if isinstance(node, FragmentDefinitionNode)
        }
        return cls(schema, definition, fragments, _coerce_variables(schema, definition, variables))

    def price(self, data: Value) -> Cost:
        """The whole operation; `data` is the response's data or `_WORST_CASE`."""
        root = self._root_type()
        fields = collect_fields(
            self.schema, self.fragments, self.variables, root, self.definition.selection_set
        )
        price_root_field = (
            self._mutation_price
            if self.definition.operation == OperationType.MUTATION
            else self._field_price
        )
        return sum(
            (
                price_root_field(nodes, root, _response_value(data, key))
                for key, nodes in fields.items()
            ),
            _ZERO,
        )

    def _root_type(self) -> GraphQLObjectType:
        root = {
            OperationType.QUERY: self.schema.query_type,
            OperationType.MUTATION: self.schema.mutation_type,
            OperationType.SUBSCRIPTION: self.schema.subscription_type,
        }[self.definition.operation]
        if root is None:
            raise ValueError(f"the schema has no {self.definition.operation.value} type")
        return root

    def _sub_fields(
        self, object_type: GraphQLObjectType, nodes: list[FieldNode]
    ) -> dict[str, list[FieldNode]]:
        key = (object_type.name, tuple(id(node) for node in nodes))
        collected = self._collected.get(key)
        if collected is None:
            collected = collect_sub_fields(
                self.schema, self.fragments, self.variables, object_type, nodes
            )
            self._collected[key] = collected
        return collected

    def _mutation_price(
        self, nodes: list[FieldNode], root: GraphQLObjectType, payload: Value
    ) -> Cost:
        total = Fraction(MUTATION_COST)
        field_def = _field_definition(self.schema, root, nodes[0].name.value)
        payload_type = get_named_type(field_def.type) if field_def else None
        if not isinstance(payload_type, GraphQLObjectType):
            return total
        for key, child in self._sub_fields(payload_type, nodes).items():
            total += self._returned_record_price(child, payload_type, _response_value(payload, key))
        return total

    def _returned_record_price(
        self, nodes: list[FieldNode], payload_type: GraphQLObjectType, value: Value
    ) -> Cost:
        """A payload field: the records a mutation returns directly are in its price."""
        field_def = _field_definition(self.schema, payload_type, nodes[0].name.value)
        if field_def is None or value is None:
            return _ZERO
        kind = _kind_of(field_def.type)
        if kind is _Kind.CONNECTION:
            return self._field_price(nodes, payload_type, value)
        if kind is _Kind.OBJECT:
            return self._records_price(nodes, get_named_type(field_def.type), value)
        return _ZERO

    def _field_price(self, nodes: list[FieldNode], parent: GraphQLObjectType, value: Value) -> Cost:
        field_def = _field_definition(self.schema, parent, nodes[0].name.value)
        # Unknown fields are validation's business, not pricing's; null costs nothing.
        if field_def is None or value is None:
            return _ZERO
        kind = _kind_of(field_def.type)
        if kind is _Kind.FREE:
            return _ZERO
        named = get_named_type(field_def.type)
        if kind is _Kind.CONNECTION:
            assert isinstance(named, GraphQLObjectType)
            return self._connection_price(nodes, field_def, named, value)
        return OBJECT_COST + self._records_price(nodes, named, value)

    def _records_price(self, nodes: list[FieldNode], named: GraphQLNamedType, value: Value) -> Cost:
        """One record's sub-selection; for a plain list, its priciest item's.

        Shopify does not scale plain lists by their length (calibrated:
        `trackingInfo(first: 5)` costs 1), so a list is priced like one record.
        """
        if isinstance(value, list):
            return max((self._selection_price(nodes, named, item) for item in value), default=_ZERO)
        return self._selection_price(nodes, named, value)

    def _selection_price(
        self, nodes: list[FieldNode], named: GraphQLNamedType, value: Value
    ) -> Cost:
        """The fields selected on a record; an interface or union costs its priciest type."""
        if value is not _WORST_CASE and not isinstance(value, Mapping):
            return _ZERO
        best = _ZERO
        for object_type, fields in self._priced_types(named, nodes):
            if not _could_be(object_type, fields, value):
                continue
            price = sum(
                (
                    self._field_price(sub, object_type, _response_value(value, key))
                    for key, sub in fields.items()
                ),
                _ZERO,
            )
            best = max(best, price)
        return best

    def _priced_types(
        self, named: GraphQLNamedType, nodes: list[FieldNode]
    ) -> list[tuple[GraphQLObjectType, dict[str, list[FieldNode]]]]:
        """The concrete types of `named` whose selection here has a priced field.

        The others cost nothing whatever the value, so they cannot raise the maximum; leaving
        them out matters for `nodes(ids:)`, whose `Node` has hundreds of possible types.
        """
        key = (named.name, tuple(id(node) for node in nodes))
        priced = self._priced.get(key)
        if priced is None:
            priced = []
            for object_type in _object_types(self.schema, named):
                fields = self._sub_fields(object_type, nodes)
                if any(self._is_priced(object_type, sub) for sub in fields.values()):
                    priced.append((object_type, fields))
            self._priced[key] = priced
        return priced

    def _is_priced(self, parent: GraphQLObjectType, nodes: list[FieldNode]) -> bool:
        field_def = _field_definition(self.schema, parent, nodes[0].name.value)
        return field_def is not None and _kind_of(field_def.type) is not _Kind.FREE

    def _connection_price(
        self,
        nodes: list[FieldNode],
        field_def: GraphQLField,
        connection: GraphQLObjectType,
        value: Value,
    ) -> Cost:
        page_size = self._page_size(nodes[0], field_def)
        returned = [] if value is _WORST_CASE else self._node_prices(nodes, connection, value)
        # Calibrated: Shopify does not refund a page that came back empty.
        if not returned:
            worst_node = sum(self._node_prices(nodes, connection, _WORST_CASE), _ZERO)
            return CONNECTION_COST + page_factor(page_size) * worst_node
        # The page's price is shared equally by its `page_size` slots; each returned
        # node pays its slot's share at its own actual price.
        slot_share = Fraction(page_factor(page_size), max(page_size, 1))
        return CONNECTION_COST + slot_share * sum(returned, _ZERO)

    def _node_prices(
        self, nodes: list[FieldNode], connection: GraphQLObjectType, value: Value
    ) -> list[Cost]:
        """One price per node record: per returned node, or one per part before execution.

        Selecting both `nodes` and `edges { node }` pays for both (calibrated).
        """
        return [
            OBJECT_COST + self._selection_price(node_fields, node_type, record)
            for node_fields, node_type, record in self._page_records(nodes, connection, value)
            if record is not None
        ]

    def _page_records(
        self, nodes: list[FieldNode], connection: GraphQLObjectType, value: Value
    ) -> list[tuple[list[FieldNode], GraphQLNamedType, Value]]:
        records: list[tuple[list[FieldNode], GraphQLNamedType, Value]] = []
        for key, part in self._sub_fields(connection, nodes).items():
            part_field = connection.fields.get(part[0].name.value)
            if part_field is None:
                continue
            part_type = get_named_type(part_field.type)
            if part[0].name.value == _NODES_FIELD:
                records += [(part, part_type, item) for item in _items(value, key)]
            elif part[0].name.value == _EDGES_FIELD and isinstance(part_type, GraphQLObjectType):
                records += self._edge_records(part, part_type, _items(value, key))
        return records

    def _edge_records(
        self, part: list[FieldNode], edge_type: GraphQLObjectType, edges: Sequence[Value]
    ) -> list[tuple[list[FieldNode], GraphQLNamedType, Value]]:
        node_type = get_named_type(edge_type.fields[_EDGE_NODE_FIELD].type)
        return [
            (node_fields, node_type, _response_value(edge, key))
            for edge in edges
            for key, node_fields in self._sub_fields(edge_type, part).items()
            if node_fields[0].name.value == _EDGE_NODE_FIELD
        ]

    def _page_size(self, node: FieldNode, field_def: GraphQLField) -> int:
        try:
            arguments = get_argument_values(field_def, node, self.variables)
        except GraphQLError:
            arguments = {}
        sizes = [
            arguments[name] for name in ("first", "last") if isinstance(arguments.get(name), int)
        ]
        return max(sizes) if sizes else MAX_PAGE_SIZE


def _could_be(
    object_type: GraphQLObjectType, fields: dict[str, list[FieldNode]], value: Value
) -> bool:
    """False when the response's `__typename` names another type."""
    if not isinstance(value, Mapping):
        return True
    return all(
        value.get(key, object_type.name) == object_type.name
        for key, sub in fields.items()
        if sub[0].name.value == _TYPENAME_FIELD
    )
