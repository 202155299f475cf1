"""order-intake's own tunables, from ORDER_INTAKE_* environment variables."""

from pydantic_settings import BaseSettings, SettingsConfigDict

from work_queue import BackoffPolicy


class IntakeSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ORDER_INTAKE_", env_file=None, extra="ignore")

    shopify_max_attempts: int = 5
    """Attempts of one Shopify request inside the client (THROTTLED, 429, 5xx, network)."""
    sync_batch_size: int = 100
    """Order ids per `nodes(ids:)` read; Shopify prices the read the same for 1 or 250 ids."""
    sync_concurrency: int = 4
    """Batches in flight at once (read from Shopify, or being written)."""
    sync_max_attempts: int = 8
    """Failed reads of one order before it is marked failed (visible on /status)."""
    sync_retry_base_s: float = 2.0
    sync_retry_max_s: float = 300.0
    """A failed read is due again after base * 2^(attempt - 1) seconds, at most this long."""
    sync_idle_poll_s: float = 1.0
    """Fallback wake-up of the sync worker when no NOTIFY arrives."""
    sync_lease_s: float = 120.0
    poll_overlap_s: float = 120.0
    """Each poll re-reads this much before the watermark: Shopify's updated_at index lags."""
    poll_check_interval_s: float = 5.0
    wms_answer_timeout_s: float = 900.0
    """A reduce or cancel the WMS has not answered for this long is shown as an operator problem
    (SPEC section 3: a command never answered is never silence)."""

    answer_batch_size: int = 50
    """Answers to fulfillment-service requests claimed per round."""
    answer_concurrency: int = 8
    """Answers in flight at once (the shop's client paces them to its rate budget)."""
    answer_lease_s: float = 120.0
    answer_retry_base_s: float = 2.0
    answer_retry_max_s: float = 300.0
    answer_max_attempts: int = 12
    """An answer Shopify kept failing to take (unreachable, not refused) this often is failed,
    shown on /status; a new decision owing it revives it."""
    request_scan_interval_s: float = 300.0
    """How often every fulfillment-service facility's requests are read, whatever notifications
    came (Shopify's delivery is not guaranteed)."""
    scan_lease_s: float = 120.0
    registration_interval_s: float = 600.0
    """How often every fulfillment-service facility's service is checked in each shop (found,
    created or updated); also once at start (fulfillment_services.py)."""

    @property
    def answer_backoff(self) -> BackoffPolicy:
        return BackoffPolicy(
            self.answer_retry_base_s, self.answer_retry_max_s, self.answer_max_attempts
        )

    @property
    def sync_backoff(self) -> BackoffPolicy:
        """When a failed read of an order is due again, and when it is given up."""
        return BackoffPolicy(self.sync_retry_base_s, self.sync_retry_max_s, self.sync_max_attempts)
