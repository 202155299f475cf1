import pytest

from contracts import (
    INTERNAL_EVENTS,
    MESSAGES,
    SUBSCRIBED_TOPICS,
    WMS_COMMANDS,
    WMS_EVENTS,
    ContractError,
    ShopifyWebhook,
    spec_for,
    webhook_message_type,
)

EXCHANGE_OF_DIRECTION = {"command": WMS_COMMANDS, "event": WMS_EVENTS, "internal": INTERNAL_EVENTS}


def test_spec_section_3_messages_are_registered_on_their_exchange() -> None:
    commands = {t for t, spec in MESSAGES.items() if spec.exchange == WMS_COMMANDS}
    events = {t for t, spec in MESSAGES.items() if spec.exchange == WMS_EVENTS}

    assert commands == {
        "wms.order.create",
        "wms.order.cancel",
        "wms.order.hold",
        "wms.order.release",
        "wms.order.update",
        "wms.order.reduce",
        "wms.item.upsert",
        "wms.item.discontinued",
    }
    assert events == {
        "wms.order.accepted",
        "wms.order.rejected",
        "wms.shipment.confirmed",
        "wms.order.cancel_result",
        "wms.order.reduce_result",
        "wms.order.cancelled",
        "wms.inventory.snapshot",
        "wms.inventory.adjusted",
        "wms.item.rejected",
    }


def test_each_spec_is_keyed_by_its_type_and_sits_on_its_directions_exchange() -> None:
    for message_type, spec in MESSAGES.items():
        assert spec.type == message_type
        assert spec.exchange == EXCHANGE_OF_DIRECTION[spec.direction]
        assert spec.version == 1
        assert spec.summary


def test_every_subscribed_webhook_topic_has_an_internal_message() -> None:
    assert SUBSCRIBED_TOPICS == (
        "orders/create",
        "orders/paid",
        "orders/updated",
        "orders/cancelled",
        "orders/edited",
        "fulfillment_orders/moved",
        "fulfillment_orders/split",
        "fulfillment_orders/merged",
        "fulfillment_orders/placed_on_hold",
        "fulfillment_orders/hold_released",
        "fulfillment_orders/fulfillment_request_submitted",
        "fulfillment_orders/cancellation_request_submitted",
        "fulfillment_orders/cancelled",
        "products/create",
        "products/update",
        "products/delete",
        "bulk_operations/finish",
        "app/uninstalled",
        "customers/data_request",
        "customers/redact",
        "shop/redact",
    )
    webhooks = {t for t, spec in MESSAGES.items() if spec.payload is ShopifyWebhook}

    assert webhooks == {webhook_message_type(topic) for topic in SUBSCRIBED_TOPICS}
    assert all(MESSAGES[t].exchange == INTERNAL_EVENTS for t in webhooks)
    assert webhook_message_type("customers/data_request") == (
        "shopify.webhook.customers.data_request"
    )


def test_unsubscribed_topic_has_no_message_type() -> None:
    with pytest.raises(ContractError, match="not a subscribed webhook topic: 'orders/delete'"):
        webhook_message_type("orders/delete")


def test_spec_for_unknown_type() -> None:
    assert spec_for("wms.order.create").exchange == WMS_COMMANDS
    with pytest.raises(ContractError) as unknown:
        spec_for("wms.order.teleport")
    assert unknown.value.reason == "unknown message type 'wms.order.teleport'"


def test_registry_is_read_only() -> None:
    with pytest.raises(TypeError):
        # Writing is the misuse under test: the mapping must refuse it at run time too.
        MESSAGES["x"] = MESSAGES["wms.order.create"]  # type: ignore[index]
