"""Settings of one simulator process."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from shopify_admin.reference import shared_dir

DEFAULT_PORT = 8700
API_VERSION = "2026-07"


@dataclass(frozen=True)
class SimConfig:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    shared_dir: Path = field(default_factory=shared_dir)
    api_version: str = API_VERSION
    # Shopify retries a failed webhook 8 times over ~4 hours; tests shrink that.
    webhook_retry_scale: float = 1.0
    webhook_connect_timeout: float = 1.0
    webhook_total_timeout: float = 5.0
    random_seed: int | None = None
    # Bulk operations: objects written per second (Shopify's pace varies; fast enough by
    # default that 100,000 variants finish in a few seconds), root objects rendered per step,
    # and how many query operations may run at once per shop (1: the 2026-07 reference's
    # rule; the bulk operations guide allows 5 from 2026-01).
    bulk_objects_per_second: float = 100_000.0
    bulk_page_size: int = 2000
    bulk_query_concurrency: int = 1
    # Where the simulator is reached (the bulk result URL); None: the origin the app called.
    public_url: str | None = None
