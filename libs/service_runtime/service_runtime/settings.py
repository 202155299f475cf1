"""Settings every service reads from its environment (SPEC section 1)."""

import os

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class RuntimeSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore")

    # The admin login: used to provision the service's role and schema and nothing else; the
    # service itself connects as its own role (storage.provision).
    database_url: str = "postgresql://postgres@127.0.0.1:5432/shipbridge"
    amqp_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    http_host: str = "127.0.0.1"
    log_level: str = "INFO"
    ops_token: SecretStr | None = None
    db_role_prefix: str = "shipbridge_"
    auto_migrate: bool = True
    prefetch: int = 300
    retry_delays: str = "1,5,30,120"  # seconds per retry tier, then dead letter
    shopify_api_version: str = "2026-07"
    shopify_admin_url: str | None = None

    @property
    def retry_delays_s(self) -> tuple[float, ...]:
        return tuple(float(x) for x in self.retry_delays.split(",") if x.strip())


def service_env(service: str, suffix: str) -> str | None:
    """A per-service variable, e.g. ORDER_INTAKE_PORT or ORDER_INTAKE_DB_PASSWORD."""
    return os.environ.get(f"{service.upper().replace('-', '_')}_{suffix}")
