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
    webhook_callback_url: str | None = None
    """WEBHOOK_CALLBACK_URL: this gateway's public `POST /webhooks/shopify` address, the one
    subscriptions point to. Unset: subscriptions are checked on request but never healed."""
    webhook_heal_interval_s: float = 3600.0
    """How often every shop's subscriptions are listed and the missing ones re-created."""
    personal_data_retention_days: float = 90.0
    """Exported customers' data requests are forgotten this long after the export."""
