"""What order-intake's message handlers get as `ctx.deps`, built once by its wiring (app.py).

Handlers only record intent in the consumer's transaction (never call Shopify), so all they need
besides the message is the shops file: which shops are served here and how they download orders.
"""

from dataclasses import dataclass

from shop_config import ShopsConfig


@dataclass(frozen=True)
class IntakeDeps:
    shops: ShopsConfig
