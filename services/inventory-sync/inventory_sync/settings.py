"""inventory-sync's own tunables, from INVENTORY_SYNC_* environment variables."""

import math
from datetime import time

from pydantic_settings import BaseSettings, SettingsConfigDict

from work_queue import BackoffPolicy


class InventorySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="INVENTORY_SYNC_", env_file=None, extra="ignore")

    shopify_max_attempts: int = 5
    """Attempts of one Shopify request inside the client (THROTTLED, 429, 5xx, network)."""
    push_batch_size: int = 250
    """Quantities per inventorySetQuantities (Shopify's maximum: one call costs the same)."""
    push_concurrency: int = 2
    """Batches in flight per location while the shop's bucket has room (see pusher.py)."""
    push_headroom_calls: int = 4
    """Calls' worth of points the bucket must hold for a second call to overlap the first."""
    push_lease_s: float = 120.0
    """A batch claimed by a process that died is sent again (same key) after this."""
    push_retry_base_s: float = 1.0
    push_retry_max_s: float = 60.0
    realtime_coalesce_ms: int = 200
    """Adjustments to one facility arriving within this window go out as one push."""
    plan_chunk_size: int = 10_000
    """SKUs decided per round trip when a snapshot or full sync is planned (bounds memory)."""
    snapshot_timeout_s: float = 3600.0
    """A snapshot still missing parts this long after its first part is reported incomplete."""
    catalog_max_age_h: float = 24.0
    """A snapshot re-reads the Shopify catalog of its location first when it is older."""
    in_flight_max_age_h: float = 72.0
    """A WMS order never answered stops counting as in flight after this (shown on /status)."""
    placement_hold_minutes: float = 30.0
    """How long an order placed in Shopify but not yet sent to the WMS holds its units."""
    daily_timezone: str = "UTC"
    """The zone of the shops' `daily_at` times."""
    feeds_refresh_s: float = 30.0
    """How often each process reloads the fulfillment service registrations even when no
    NOTIFY says one changed (a lost notification delays a registration by at most this)."""
    schedule_check_s: float = 30.0
    idle_poll_s: float = 1.0
    """Fallback wake-up of the workers when no NOTIFY arrives."""
    job_max_attempts: int = 5
    """Runs of a job before it is failed (a job that cannot succeed is failed at once)."""
    job_retry_base_s: float = 5.0
    retention_days: int = 14
    """Finished jobs, answered WMS orders and old snapshots are kept this long."""

    # --- the catalog as WMS items (items.py, item_reads.py, bulk_sync.py) ---
    catalog_read_batch: int = 50
    """Products per `nodes(ids:)` read after products/create|update webhooks."""
    catalog_read_lease_s: float = 120.0
    catalog_read_retry_base_s: float = 1.0
    catalog_read_retry_max_s: float = 300.0
    catalog_daily_at: time = time(3, 0)
    """When each shop's catalog is reconciled in full every day (bulk operation), in
    `daily_timezone`; a shop never synced is synced at start."""
    catalog_sync_chunk: int = 1000
    """Variants written, and SKUs decided, per transaction of a full sync (bounds memory)."""
    catalog_sync_poll_s: float = 10.0
    """How often a running bulk operation is polled when no bulk_operations/finish arrives."""
    catalog_sync_timeout_s: float = 6 * 3600.0
    """A bulk operation not finished after this is given up on (the sync is retried)."""
    catalog_sync_max_attempts: int = 5
    catalog_sync_retry_base_s: float = 30.0
    catalog_sync_retry_max_s: float = 1800.0

    @property
    def catalog_read_backoff(self) -> BackoffPolicy:
        """A product read that failed is read again for ever, at a capped pace."""
        return BackoffPolicy(self.catalog_read_retry_base_s, self.catalog_read_retry_max_s)

    @property
    def catalog_sync_backoff(self) -> BackoffPolicy:
        """A failed full sync (a FAILED bulk operation, Shopify unavailable) runs again after a
        doubling delay, `catalog_sync_max_attempts` runs in all."""
        return BackoffPolicy(
            self.catalog_sync_retry_base_s,
            self.catalog_sync_retry_max_s,
            self.catalog_sync_max_attempts,
        )

    @property
    def push_backoff(self) -> BackoffPolicy:
        """A batch Shopify could not take is resent (same key) for ever, at a capped pace."""
        return BackoffPolicy(self.push_retry_base_s, self.push_retry_max_s)

    @property
    def job_backoff(self) -> BackoffPolicy:
        """A failed job runs again after a doubling delay, `job_max_attempts` runs in all."""
        return BackoffPolicy(self.job_retry_base_s, math.inf, self.job_max_attempts)
