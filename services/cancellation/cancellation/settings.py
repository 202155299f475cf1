"""cancellation's own tunables, from CANCELLATION_* environment variables."""

from pydantic_settings import BaseSettings, SettingsConfigDict

from work_queue import BackoffPolicy


class CancellationSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CANCELLATION_", env_file=None, extra="ignore")

    shopify_max_attempts: int = 5
    """Attempts of one Shopify request inside the client (THROTTLED, 429, 5xx, network)."""
    worker_batch_size: int = 20
    """Warehouse cancellations leased per round of the Shopify worker."""
    worker_idle_poll_s: float = 2.0
    """Fallback wake-up of the worker when no NOTIFY arrives (e.g. for a retry coming due)."""
    lease_s: float = 120.0
    """How long a leased row is left to a worker that may have crashed."""
    retry_base_s: float = 2.0
    retry_max_s: float = 300.0
    max_attempts: int = 8
    """Failed rounds with Shopify (unreachable, errors) before a cancellation is marked failed."""
    confirm_delay_s: float = 2.0
    """After Shopify took an orderCancel (a job), how long before the order is read back."""
    max_confirmations: int = 10
    """Read-backs finding the order not yet cancelled before the cancellation is marked failed."""

    @property
    def retry_policy(self) -> BackoffPolicy:
        """When a warehouse cancellation is due again after a failed round with Shopify."""
        return BackoffPolicy(self.retry_base_s, self.retry_max_s, self.max_attempts)
