"""The shops configuration (SPEC section 5): which shops, their settings, and their secrets.

`load_shops()` reads the shops file named by SHOPS_CONFIG and each shop's secrets from
SHOPIFY_<KEY>_* environment variables or the file named by SHOPS_SECRETS_FILE.
"""

from shop_config.errors import ShopConfigError
from shop_config.loader import CONFIG_ENV, ShopsConfig, load_shops
from shop_config.models import (
    MAX_ORDER_AGE_DAYS,
    Cancellation,
    Facility,
    Fulfillment,
    InventoryFeed,
    LocationFacility,
    OrderDownload,
    OrderFilters,
    ServiceFacility,
    ShopConfig,
    ShopSecrets,
    WmsOrder,
)
from shop_config.secrets import SECRETS_FILE_ENV, env_key, env_name

__all__ = [
    "CONFIG_ENV",
    "MAX_ORDER_AGE_DAYS",
    "SECRETS_FILE_ENV",
    "Cancellation",
    "Facility",
    "Fulfillment",
    "InventoryFeed",
    "LocationFacility",
    "OrderDownload",
    "OrderFilters",
    "ServiceFacility",
    "ShopConfig",
    "ShopConfigError",
    "ShopSecrets",
    "ShopsConfig",
    "WmsOrder",
    "env_key",
    "env_name",
    "load_shops",
]
