"""Loading the shops file and attaching each shop's secrets: `load_shops()`."""

import os
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from shop_config.errors import ShopConfigError
from shop_config.models import ShopConfig
from shop_config.secrets import (
    SECRETS_FILE_ENV,
    env_name,
    read_secrets_file,
    resolve_secrets,
)
from shop_config.validation import describe

CONFIG_ENV = "SHOPS_CONFIG"
DEFAULT_PATH = "shops.toml"
# Keys that look like credentials: refused anywhere in the shops file, whatever their nesting.
_SECRET_WORDS = ("secret", "token", "password")
# Tables whose keys are data (location GIDs, facility codes), not setting names.
_KEYED_BY_DATA_TABLES = ("locations", "inventory", "facilities")


@dataclass(frozen=True)
class ShopsConfig:
    """Every configured shop, by domain."""

    shops: Mapping[str, ShopConfig]

    def get(self, domain: str) -> ShopConfig | None:
        return self.shops.get(domain.lower())

    @property
    def domains(self) -> tuple[str, ...]:
        return tuple(self.shops)

    def __iter__(self) -> Iterator[ShopConfig]:
        return iter(self.shops.values())

    def __len__(self) -> int:
        return len(self.shops)


def load_shops(path: str | Path | None = None, env: Mapping[str, str] = os.environ) -> ShopsConfig:
    """Read the shops file (`path`, else $SHOPS_CONFIG, else ./shops.toml) and their secrets.

    Raises ShopConfigError naming the file, the shop and the field of the first problem found.
    """
    config_path = Path(path if path is not None else env.get(CONFIG_ENV, DEFAULT_PATH))
    tables = _shop_tables(config_path, _read(config_path))
    shops = {domain: _validate_shop(config_path, domain, table) for domain, table in tables.items()}
    secrets_path = env.get(SECRETS_FILE_ENV, "").strip()
    from_file = read_secrets_file(Path(secrets_path), set(shops)) if secrets_path else {}
    source = secrets_path or "environment"
    return ShopsConfig(
        {
            domain: shop.model_copy(
                update={
                    "secrets": resolve_secrets(
                        domain, from_file.get(domain, {}), env, source=source
                    )
                }
            )
            for domain, shop in shops.items()
        }
    )


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as file:
            return tomllib.load(file)
    except FileNotFoundError:
        raise ShopConfigError(
            f"shops configuration not found: {path} (set {CONFIG_ENV} to its path)"
        ) from None
    except tomllib.TOMLDecodeError as error:
        raise ShopConfigError(f"{path}: not valid TOML: {error}") from None


def _shop_tables(path: Path, document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The `[[shops]]` tables by domain, after the checks that need the raw document."""
    unknown = set(document) - {"shops"}
    if unknown:
        raise ShopConfigError(
            f"{path}: unknown top-level keys {sorted(unknown)}; shops go in [[shops]] tables"
        )
    entries = document.get("shops", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ShopConfigError(f"{path}: `shops` must be a list of [[shops]] tables")
    tables: dict[str, dict[str, Any]] = {}
    for position, table in enumerate(entries, start=1):
        domain = table.get("domain")
        if not isinstance(domain, str) or not domain:
            raise ShopConfigError(f"{path}: shop #{position}: domain: field required")
        _refuse_secrets(path, domain, table)
        if domain in tables:
            raise ShopConfigError(f"{path}: shop {domain} is listed twice")
        tables[domain] = table
    return tables


def _refuse_secrets(path: Path, domain: str, table: Mapping[str, Any], prefix: str = "") -> None:
    for key, value in table.items():
        name = f"{prefix}{key}"
        if prefix.rstrip(".") not in _KEYED_BY_DATA_TABLES and any(
            word in key.lower() for word in _SECRET_WORDS
        ):
            hint = (
                f"set {env_name(domain, key)}"
                if key in ("access_token", "client_secret", "previous_client_secret")
                else "use the environment"
            )
            raise ShopConfigError(
                f"{path}: shop {domain}: {name}: secrets must not be in the shops file; "
                f"{hint} or put it in the file named by {SECRETS_FILE_ENV}"
            )
        if isinstance(value, Mapping):
            _refuse_secrets(path, domain, value, prefix=f"{name}.")


def _validate_shop(path: Path, domain: str, table: dict[str, Any]) -> ShopConfig:
    try:
        return ShopConfig.model_validate(table)
    except ValidationError as error:
        raise ShopConfigError(f"{path}: shop {domain}: {describe(error)}") from None
