"""The message table: what a service receives, checked when it is declared."""

from typing import Any, cast

import pytest
from pydantic import BaseModel

from contracts import (
    INTERNAL_EVENTS,
    WMS_EVENTS,
    ContractError,
    ShopifyWebhook,
    WmsOrderAccepted,
    WmsOrderRejected,
    new_envelope,
)
from messaging import MessageContext, Routes, Subscription, on
from storage import Connection


async def on_accepted(accepted: WmsOrderAccepted, ctx: MessageContext[Any]) -> None:
    ctx.deps.append(accepted.wms_order_ref)


async def on_webhook(webhook: ShopifyWebhook, ctx: MessageContext[Any]) -> None:
    ctx.deps.append(webhook.topic)


def test_bindings_are_exactly_the_routed_types_on_their_exchanges() -> None:
    routes = Routes(
        on(WmsOrderAccepted, on_accepted),
        on(ShopifyWebhook, on_webhook, "shopify.webhook.orders.create"),
    )
    assert list(routes) == ["shopify.webhook.orders.create", "wms.order.accepted"]
    assert routes.subscriptions == [
        Subscription(INTERNAL_EVENTS, "shopify.webhook.orders.create"),
        Subscription(WMS_EVENTS, "wms.order.accepted"),
    ]
    assert routes.route_for("wms.order.rejected") is None


async def test_the_handler_gets_the_payload_typed_and_the_services_deps() -> None:
    seen: list[str] = []
    route = Routes(on(WmsOrderAccepted, on_accepted)).route_for("wms.order.accepted")
    assert route is not None
    envelope = new_envelope(
        "wms.order.accepted", {"wms_order_ref": "#1001"}, shop="a.myshopify.com"
    )
    no_connection = cast(Connection, None)  # this handler never touches it
    await route(envelope, MessageContext(envelope, no_connection, attempt=0, deps=seen))
    assert seen == ["#1001"]


def test_a_type_routed_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="routed twice"):
        Routes(on(WmsOrderAccepted, on_accepted), on(WmsOrderAccepted, on_accepted))


def test_a_payload_shared_by_several_types_must_name_them() -> None:
    with pytest.raises(ContractError, match="name the ones to handle"):
        on(ShopifyWebhook, on_webhook)


def test_a_type_carrying_another_payload_is_refused() -> None:
    async def on_rejected(rejected: WmsOrderRejected, ctx: MessageContext[Any]) -> None: ...

    with pytest.raises(ContractError, match="carries WmsOrderAccepted, not WmsOrderRejected"):
        on(WmsOrderRejected, on_rejected, "wms.order.accepted")


def test_a_handler_declared_for_another_payload_is_refused() -> None:
    misrouted: Any = on_accepted  # the misuse under test, past mypy
    with pytest.raises(TypeError, match=r"takes .*WmsOrderAccepted.* but is routed WmsOrderReje"):
        on(WmsOrderRejected, misrouted)


def test_an_unknown_type_is_refused() -> None:
    class Teleport(BaseModel):
        to: str

    async def on_teleport(teleport: Teleport, ctx: MessageContext[Any]) -> None: ...

    with pytest.raises(ContractError, match="unknown message type"):
        on(Teleport, on_teleport, "wms.order.teleport")
