"""pytest fixtures for tests that run the Shopify simulator (registered in the root conftest)."""

import pytest

from shopify_sim.config import SimConfig
from shopify_sim.schema_runtime import SchemaRuntime


@pytest.fixture(scope="session")
def schema_runtime() -> SchemaRuntime:
    """The real 2026-07 Admin schema, executable; building it takes ~2.5 s, so once a session."""
    return SchemaRuntime.from_shared_dir(SimConfig().shared_dir)
