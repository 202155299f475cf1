"""Where the read-only Shopify reference data (schema, captures, samples) lives.

The data sits in `shared/`, a sibling of the repository root (the folder with
uv.lock). `SHIPBRIDGE_SHARED_DIR` overrides that, e.g. in CI or a container.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["schema_path", "shared_dir", "shopify_dir"]

SHARED_DIR_ENV = "SHIPBRIDGE_SHARED_DIR"
SCHEMA_FILE = "admin-2026-07.graphql"


def _repo_root() -> Path:
    for folder in Path(__file__).resolve().parents:
        if (folder / "uv.lock").is_file():
            return folder
    raise FileNotFoundError(
        f"no repository root (a folder with uv.lock) above {__file__}; set {SHARED_DIR_ENV}"
    )


def shared_dir() -> Path:
    """The `shared/` folder: $SHIPBRIDGE_SHARED_DIR, else `<repo root>/../shared`."""
    override = os.environ.get(SHARED_DIR_ENV)
    if override:
        return Path(override)
    return (_repo_root() / ".." / "shared").resolve()


def shopify_dir() -> Path:
    return shared_dir() / "shopify"


def schema_path() -> Path:
    """The Shopify Admin GraphQL schema every operation must validate against."""
    return shopify_dir() / SCHEMA_FILE
