"""What counts as personal data in a message, and that scrubbing keeps messages usable."""

import json

from contracts import WmsOrderCreate
from messaging.personal_data import REDACTED, erase_from_text, scrub
from shopify_admin.compliance import customer_request
from shopify_admin.reference import shopify_dir

WEBHOOKS = shopify_dir() / "webhooks"
# The person in Shopify's own order sample: customer, billing and shipping address.
SAMPLE_PERSON = (
    "jon@example.com",
    "john@example.com",
    "Steve Shipper",
    "123 Shipping Street",
    "555-555-SHIP",
    "Shippington",
    "40003",
    "Shipping Company",
    "123 Elm St.",
    "K2H7A8",
    "123-123-1234",
    "Smith",
)


def test_a_shopify_order_webhook_keeps_its_ids_and_lines_but_no_trace_of_the_person() -> None:
    order = json.loads((WEBHOOKS / "orders__create.json").read_text())

    result = scrub(order)

    text = json.dumps(result.document)
    assert [value for value in SAMPLE_PERSON if value in text] == []
    kept = result.document
    assert (kept["id"], kept["admin_graphql_api_id"], kept["name"]) == (
        order["id"],
        order["admin_graphql_api_id"],
        "#9999",
    )
    assert kept["shipping_address"]["country_code"] == "US"
    assert kept["shipping_address"]["province_code"] == "KY"
    assert [line["sku"] for line in kept["line_items"]] == [
        line["sku"] for line in order["line_items"]
    ]
    assert kept["customer"]["id"] == order["customer"]["id"]
    found = dict(result.found)
    assert found["$.shipping_address.address1"] == "123 Shipping Street"
    assert found["$.email"] == "jon@example.com"
    assert found["$.customer.email"] == "john@example.com"


def test_a_scrubbed_wms_order_still_satisfies_its_contract() -> None:
    create = {
        "wms_order_ref": "#1001",
        "shopify_order_id": "gid://shopify/Order/1",
        "shopify_order_name": "#1001",
        "fulfillment_order_id": "gid://shopify/FulfillmentOrder/1",
        "facility": "WH1",
        "placed_at": "2026-11-22T09:59:58Z",
        "on_hold": False,
        "cash_on_delivery": False,
        "shipping_method": {"code": "standard", "title": "Standard"},
        "ship_to": {"name": "Sam Buyer", "address1": "1 Main St", "city": "Toronto",
                    "province_code": "ON", "postal_code": "M5H 2M9", "country_code": "CA",
                    "phone": "+1 416 555 0100", "email": "sam@example.com"},
        "note": "ring twice, ask for Sam",
        "lines": [{"line_ref": "gid://shopify/FulfillmentOrderLineItem/1", "sku": "A",
                   "quantity": 1, "title": "Mug"}],
    }  # fmt: skip

    scrubbed = scrub(create)

    model = WmsOrderCreate.model_validate(scrubbed.document)
    assert model.ship_to.name == REDACTED
    assert model.ship_to.country_code == "CA"
    assert model.note == REDACTED
    assert "Sam" not in json.dumps(scrubbed.document)
    assert scrub(scrubbed.document).found == [], "scrubbing twice finds nothing new"


def test_values_found_are_erased_from_free_text_longest_first() -> None:
    text = "invalid ship_to: '1 Main St, Toronto' for Sam Buyer (Toronto)"
    assert erase_from_text(text, ["Toronto", "1 Main St, Toronto", "Sam Buyer", "ON"]) == (
        f"invalid ship_to: '{REDACTED}' for {REDACTED} ({REDACTED})"
    )


def test_compliance_bodies_name_the_customer_and_their_orders_as_gids() -> None:
    redact = customer_request(json.loads((WEBHOOKS / "customers__redact.json").read_text()))
    assert redact.order_gids == (
        "gid://shopify/Order/299938",
        "gid://shopify/Order/280263",
        "gid://shopify/Order/220458",
    )
    assert redact.contacts == ("john@example.com", "555-625-1199")
    assert redact.data_request_id is None
    request = customer_request(json.loads((WEBHOOKS / "customers__data_request.json").read_text()))
    assert (request.customer_id, request.data_request_id) == (191167, "9999")
