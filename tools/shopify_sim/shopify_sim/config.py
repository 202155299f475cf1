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
