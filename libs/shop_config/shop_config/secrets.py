"""Where each shop's secrets come from: the environment first, then the secrets file.

Secrets never live in the shops file, which is meant to be committed and reviewed.
"""

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from shop_config.errors import ShopConfigError
from shop_config.models import ShopSecrets
from shop_config.validation import describe

SECRET_FIELDS: tuple[str, ...] = tuple(ShopSecrets.model_fields)
SECRETS_FILE_ENV = "SHOPS_SECRETS_FILE"


def env_key(domain: str) -> str:
    """`demo-store.myshopify.com` -> `DEMO_STORE`: the middle of SHOPIFY_<KEY>_CLIENT_SECRET."""
    return domain.split(".", 1)[0].upper().replace("-", "_")


def env_name(domain: str, secret_field: str) -> str:
    return f"SHOPIFY_{env_key(domain)}_{secret_field.upper()}"


def read_secrets_file(path: Path, domains: set[str]) -> dict[str, dict[str, Any]]:
    """The secrets file's entries by shop domain, each checked for unknown keys and shops."""
    document = _read_toml(path)
    entries: dict[str, dict[str, Any]] = {}
    for domain, entry in document.items():
        if domain not in domains:
            # A typo here would leave the real shop without secrets: say so instead.
            raise ShopConfigError(f"{path}: shop {domain} is not in the shops configuration")
        if not isinstance(entry, dict):
            raise ShopConfigError(f"{path}: shop {domain}: expected a table of secrets")
        entries[domain] = entry
    return entries


def resolve_secrets(
    domain: str, from_file: Mapping[str, Any], env: Mapping[str, str], *, source: str
) -> ShopSecrets:
    """The shop's secrets: each one from its environment variable if set, else from the file."""
    values = dict(from_file)
    for field in SECRET_FIELDS:
        if value := env.get(env_name(domain, field), "").strip():
            values[field] = value
    try:
        return ShopSecrets.model_validate(values)
    except ValidationError as error:
        # describe() never echoes input values, so a malformed secret is not printed.
        raise ShopConfigError(f"{source}: shop {domain}: {describe(error)}") from None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as file:
            return tomllib.load(file)
    except FileNotFoundError:
        raise ShopConfigError(f"secrets file not found: {path} (from {SECRETS_FILE_ENV})") from None
    except tomllib.TOMLDecodeError as error:
        raise ShopConfigError(f"{path}: not valid TOML: {error}") from None
