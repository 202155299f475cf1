"""The shops file a test's services read, written from plain data.

    shops_file(tmp_path, env, shop("a.myshopify.com", locations={gid: "WH1"},
                                   fulfillment={"notify_customer": True}))

writes `shops.toml`, points SHOPS_CONFIG at it and gives each shop its secrets in the
environment (SHOPIFY_<KEY>_ACCESS_TOKEN / _CLIENT_SECRET), as a deployment would.
"""

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from shop_config.secrets import env_name

ACCESS_TOKEN = "shpat_test_token"
CLIENT_SECRET = "test_client_secret"


def shop(domain: str, **settings: Any) -> dict[str, Any]:
    """One `[[shops]]` entry: scalars become keys, mappings become `[shops.<name>]` tables
    (nested mappings, `[shops.<name>.<key>]`)."""
    return {"domain": domain, **settings}


def shops_toml(*shops: Mapping[str, Any]) -> str:
    lines: list[str] = []
    for entry in shops:
        lines.append("[[shops]]")
        _table(lines, "shops", entry)
    return "\n".join(lines) + "\n"


def _table(lines: list[str], path: str, table: Mapping[str, Any]) -> None:
    # A table's own keys first: in TOML, keys after a [sub.table] header belong to it.
    subtables = {k: v for k, v in table.items() if isinstance(v, Mapping)}
    lines += [f"{_value(k)} = {_value(v)}" for k, v in table.items() if k not in subtables]
    for name, subtable in subtables.items():
        lines.append(f"[{path}.{_value(name)}]")
        _table(lines, f"{path}.{_value(name)}", subtable)


def shops_file(
    directory: Path,
    env: pytest.MonkeyPatch,
    *shops: Mapping[str, Any],
    access_token: str | None = ACCESS_TOKEN,
    client_secret: str = CLIENT_SECRET,
) -> Path:
    """Write the file, point SHOPS_CONFIG at it, and set every shop's secrets (no access token:
    `access_token=None`)."""
    path = directory / "shops.toml"
    path.write_text(shops_toml(*shops))
    env.setenv("SHOPS_CONFIG", str(path))
    for entry in shops:
        domain = entry["domain"]
        env.setenv(env_name(domain, "client_secret"), client_secret)
        if access_token is None:
            env.delenv(env_name(domain, "access_token"), raising=False)
        else:
            env.setenv(env_name(domain, "access_token"), access_token)
    return path


def _value(value: Any) -> str:
    # TOML's basic strings, booleans, numbers and arrays are JSON's.
    return json.dumps(value)
