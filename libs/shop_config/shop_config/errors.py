"""The one error a bad shops configuration raises, so callers catch a single type."""


class ShopConfigError(ValueError):
    """The shops configuration (or its secrets) is invalid; the message names file, shop, field."""
