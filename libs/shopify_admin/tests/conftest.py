import pytest
from graphql import GraphQLSchema, build_schema

from shopify_admin.reference import schema_path


@pytest.fixture(scope="session")
def schema() -> GraphQLSchema:
    """The real Admin API 2026-07 schema; ~2.5 s to build, so once per session."""
    return build_schema(schema_path().read_text(), assume_valid=True)
