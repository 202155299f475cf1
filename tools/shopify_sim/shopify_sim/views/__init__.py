"""State records rendered as dicts with the Admin schema's field names.

graphql-core's default resolver reads a dict key per field and calls it when
it is callable (with `info` and the field's arguments), so relations and
connections are lambdas: nothing is built unless the query asks for it.
"""
