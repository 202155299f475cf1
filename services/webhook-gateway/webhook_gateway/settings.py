"""The gateway's own settings (environment variables), beside the runtime's common ones."""

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

MIB = 1024 * 1024


class GatewaySettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore")

    shops_config: Path | None = None
    """SHOPS_CONFIG; unset: `shops.toml` in the working directory (shop_config's default)."""
    webhook_max_bytes: int = MIB
    """Larger bodies get 413. Shopify's order bodies are tens of KiB."""
    webhook_retention_days: float = 7.0
    """Delivery records older than this are purged; a repeat after that would be re-published."""
    webhook_purge_interval_s: float = 3600.0
