"""fulfillment-sync's own tunables, from FULFILLMENT_SYNC_* environment variables."""

from pydantic_settings import BaseSettings, SettingsConfigDict

from work_queue import BackoffPolicy


class FulfillmentSyncSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FULFILLMENT_SYNC_", env_file=None, extra="ignore")

    shopify_max_attempts: int = 5
    """Attempts of one Shopify request inside the client (THROTTLED, 429, refused connection;
    fulfillmentCreate is never repeated by the client after an answer that may hide a success)."""
    shopify_concurrency: int = 16
    """Shipments of one shop in flight at once: enough to keep the shop's bucket busy while
    others wait for their answer, few enough that none waits long for its turn."""
    awaiting_order_minutes: float = 30.0
    """How long a shipment waits for order-intake's `orders.wms_order.sent` of its WMS order
    before it fails as an unknown order."""
    hold_recheck_s: float = 300.0
    """How often a shipment whose fulfillment order is on hold in Shopify looks again."""
    acceptance_recheck_base_s: float = 2.0
    acceptance_recheck_max_s: float = 60.0
    """A shipment at a fulfillment service whose request is not accepted in Shopify yet looks
    again after base * 2^checks, at most max: the fulfillment follows the accept within that."""
    retry_base_s: float = 1.0
    retry_max_s: float = 300.0
    """Backoff after a failed attempt (Shopify unavailable): base * 2^failures, capped."""
    lease_s: float = 60.0
    """A claimed shipment belongs to its worker this long, renewed while it works; a crashed
    worker's shipments are taken over (and checked against Shopify first) after it runs out."""
    claim_batch_size: int = 200
    idle_poll_s: float = 1.0
    """Fallback wake-up of the worker when no NOTIFY arrives."""
    expiry_check_s: float = 5.0
    """How often shipments waiting for their order are checked for having waited too long."""

    @property
    def retry_policy(self) -> BackoffPolicy:
        """When a shipment Shopify could not take is due again: never given up, since what
        failed is Shopify or the network, not the shipment."""
        return BackoffPolicy(self.retry_base_s, self.retry_max_s)

    @property
    def acceptance_policy(self) -> BackoffPolicy:
        """When a shipment waiting for its fulfillment request to be accepted looks again: for
        ever (order-intake accepts once the WMS has, and the WMS shipped it), at a capped pace."""
        return BackoffPolicy(self.acceptance_recheck_base_s, self.acceptance_recheck_max_s)
