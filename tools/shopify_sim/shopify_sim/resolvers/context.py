"""What every resolver gets as `info.context`: the shop and an outbox of events."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from graphql import GraphQLResolveInfo

from shopify_sim.events import ShopEvent
from shopify_sim.protected_data import FULL_ACCESS, AppAccess
from shopify_sim.state.models import Order
from shopify_sim.state.repository import ShopState
from shopify_sim.webhook_payloads import order_body

if TYPE_CHECKING:
    from shopify_sim.bulk_runner import BulkRunner

# Who is calling. The app under test calls with the shop's access token; everything else (the
# control plane's unmetered GraphQL: order generators, test setup, the merchant's admin) is
# another app. Fulfillment services belong to the app that created them.
THE_APP = "app"
OTHER_APP = "other-app"


@dataclass
class RequestContext:
    shop: ShopState
    events: list[ShopEvent] = field(default_factory=list)
    # What the requesting app may read (protected customer data); see protected_data.py.
    access: AppAccess = FULL_ACCESS
    app: str = OTHER_APP
    # Runs bulk operations in the background (None: bulkOperationRunQuery is unavailable).
    bulk: BulkRunner | None = None

    def emit_order(self, order: Order, *topics: str) -> None:
        """Queue webhooks for an order change; one event id for the whole action."""
        body = order_body(self.shop, order)
        now = self.shop.now()
        first = ShopEvent(self.shop.domain, topics[0], body, now)
        self.events.append(first)
        for topic in topics[1:]:
            self.events.append(
                ShopEvent(self.shop.domain, topic, body, now, event_id=first.event_id)
            )


def context_of(info: GraphQLResolveInfo) -> RequestContext:
    context = info.context
    assert isinstance(context, RequestContext)
    return context
