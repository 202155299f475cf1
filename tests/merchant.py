"""What a merchant does to an order in Shopify's admin after it reached the warehouse.

Each action is the Admin GraphQL mutation Shopify's own admin sends, run on the simulator
outside the app's rate budget (the merchant's clicks do not cost the app points); Shopify then
sends its webhooks to the gateway as for any change.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from shopify_sim.testing import SimulatorHandle

Json = dict[str, Any]

_FO_FIELDS = "id status assignedLocation { location { id } } lineItems(first: 250) { nodes { id remainingQuantity totalQuantity lineItem { id sku } } }"  # noqa: E501

MOVE = f"""
mutation MerchantMove($id: ID!, $newLocationId: ID!, $lines: [FulfillmentOrderLineItemInput!]) {{
  fulfillmentOrderMove(id: $id, newLocationId: $newLocationId, fulfillmentOrderLineItems: $lines) {{
    movedFulfillmentOrder {{ {_FO_FIELDS} }}
    originalFulfillmentOrder {{ {_FO_FIELDS} }}
    userErrors {{ field message }}
  }}
}}"""

SPLIT = f"""
mutation MerchantSplit($splits: [FulfillmentOrderSplitInput!]!) {{
  fulfillmentOrderSplit(fulfillmentOrderSplits: $splits) {{
    fulfillmentOrderSplits {{
      fulfillmentOrder {{ {_FO_FIELDS} }}
      remainingFulfillmentOrder {{ {_FO_FIELDS} }}
    }}
    userErrors {{ field message code }}
  }}
}}"""

MERGE = f"""
mutation MerchantMerge($inputs: [FulfillmentOrderMergeInput!]!) {{
  fulfillmentOrderMerge(fulfillmentOrderMergeInputs: $inputs) {{
    fulfillmentOrderMerges {{ fulfillmentOrder {{ {_FO_FIELDS} }} }}
    userErrors {{ field message code }}
  }}
}}"""

HOLD = f"""
mutation MerchantHold($id: ID!, $hold: FulfillmentOrderHoldInput!) {{
  fulfillmentOrderHold(id: $id, fulfillmentHold: $hold) {{
    fulfillmentOrder {{ {_FO_FIELDS} }}
    remainingFulfillmentOrder {{ {_FO_FIELDS} }}
    userErrors {{ field message code }}
  }}
}}"""

RELEASE = """
mutation MerchantRelease($id: ID!) {
  fulfillmentOrderReleaseHold(id: $id) {
    fulfillmentOrder { id status }
    userErrors { field message code }
  }
}"""

EDIT_BEGIN = """
mutation MerchantEditBegin($id: ID!) {
  orderEditBegin(id: $id) {
    calculatedOrder {
      id
      lineItems(first: 250) { nodes { id quantity sku } }
    }
    userErrors { field message }
  }
}"""

EDIT_SET_QUANTITY = """
mutation MerchantEditSetQuantity($id: ID!, $lineItemId: ID!, $quantity: Int!) {
  orderEditSetQuantity(id: $id, lineItemId: $lineItemId, quantity: $quantity, restock: true) {
    calculatedOrder { id }
    userErrors { field message }
  }
}"""

EDIT_ADD_VARIANT = """
mutation MerchantEditAddVariant($id: ID!, $variantId: ID!, $quantity: Int!, $locationId: ID) {
  orderEditAddVariant(
    id: $id, variantId: $variantId, quantity: $quantity, locationId: $locationId
  ) {
    calculatedOrder { id }
    userErrors { field message }
  }
}"""

EDIT_COMMIT = """
mutation MerchantEditCommit($id: ID!) {
  orderEditCommit(id: $id, notifyCustomer: false, staffNote: "edited by the merchant") {
    order { id }
    userErrors { field message }
  }
}"""

ORDER_UPDATE = """
mutation MerchantOrderUpdate($input: OrderInput!) {
  orderUpdate(input: $input) {
    order { id }
    userErrors { field message }
  }
}"""

SUBMIT_FULFILLMENT_REQUEST = """
mutation MerchantRequestFulfillment($id: ID!, $message: String) {
  fulfillmentOrderSubmitFulfillmentRequest(id: $id, message: $message, notifyCustomer: false) {
    submittedFulfillmentOrder { id status requestStatus }
    userErrors { field message }
  }
}"""

SUBMIT_CANCELLATION_REQUEST = """
mutation MerchantRequestCancellation($id: ID!, $message: String) {
  fulfillmentOrderSubmitCancellationRequest(id: $id, message: $message) {
    fulfillmentOrder { id status requestStatus }
    userErrors { field message }
  }
}"""


class MerchantActionRefused(AssertionError):
    """Shopify answered the merchant's action with userErrors."""


@dataclass
class Merchant:
    sim: SimulatorHandle
    shop: str

    async def _run(self, document: str, variables: Json, root: str) -> Json:
        answer = await self.sim.run_as_storefront(self.shop, document, variables)
        assert not answer.get("errors"), answer["errors"]
        payload: Json = answer["data"][root]
        if payload["userErrors"]:
            raise MerchantActionRefused(f"{root}: {payload['userErrors']}")
        return payload

    async def move(
        self, fo_gid: str, location_gid: str, lines: Sequence[tuple[str, int]] | None = None
    ) -> Json:
        variables: Json = {"id": fo_gid, "newLocationId": location_gid}
        if lines is not None:
            variables["lines"] = _line_inputs(lines)
        return await self._run(MOVE, variables, "fulfillmentOrderMove")

    async def split(self, fo_gid: str, lines: Sequence[tuple[str, int]]) -> Json:
        splits = [{"fulfillmentOrderId": fo_gid, "fulfillmentOrderLineItems": _line_inputs(lines)}]
        return await self._run(SPLIT, {"splits": splits}, "fulfillmentOrderSplit")

    async def merge(self, fo_gids: Sequence[str]) -> Json:
        intents = [{"fulfillmentOrderId": gid} for gid in fo_gids]
        inputs = [{"mergeIntents": intents}]
        return await self._run(MERGE, {"inputs": inputs}, "fulfillmentOrderMerge")

    async def hold(self, fo_gid: str, lines: Sequence[tuple[str, int]] | None = None) -> Json:
        hold: Json = {"reason": "OTHER", "reasonNotes": "checking with the customer"}
        if lines is not None:
            hold["fulfillmentOrderLineItems"] = _line_inputs(lines)
        return await self._run(HOLD, {"id": fo_gid, "hold": hold}, "fulfillmentOrderHold")

    async def release(self, fo_gid: str) -> Json:
        return await self._run(RELEASE, {"id": fo_gid}, "fulfillmentOrderReleaseHold")

    async def edit_quantities(
        self,
        order_gid: str,
        quantities: dict[str, int],
        add: Sequence[tuple[str, int, str | None]] = (),
    ) -> None:
        """One order edit: set the quantity of lines by SKU, add variants (gid, quantity,
        location gid), commit."""
        begun = await self._run(EDIT_BEGIN, {"id": order_gid}, "orderEditBegin")
        calculated = begun["calculatedOrder"]
        for line in calculated["lineItems"]["nodes"]:
            if line["sku"] in quantities:
                await self._run(
                    EDIT_SET_QUANTITY,
                    {
                        "id": calculated["id"],
                        "lineItemId": line["id"],
                        "quantity": quantities[line["sku"]],
                    },
                    "orderEditSetQuantity",
                )
        for variant_gid, quantity, location_gid in add:
            await self._run(
                EDIT_ADD_VARIANT,
                {
                    "id": calculated["id"],
                    "variantId": variant_gid,
                    "quantity": quantity,
                    "locationId": location_gid,
                },
                "orderEditAddVariant",
            )
        await self._run(EDIT_COMMIT, {"id": calculated["id"]}, "orderEditCommit")

    async def request_fulfillment(self, fo_gid: str, message: str = "please ship") -> Json:
        """Ask the fulfillment service holding the FO to fulfil it."""
        return await self._run(
            SUBMIT_FULFILLMENT_REQUEST,
            {"id": fo_gid, "message": message},
            "fulfillmentOrderSubmitFulfillmentRequest",
        )

    async def request_cancellation(
        self, fo_gid: str, message: str = "customer changed mind"
    ) -> Json:
        return await self._run(
            SUBMIT_CANCELLATION_REQUEST,
            {"id": fo_gid, "message": message},
            "fulfillmentOrderSubmitCancellationRequest",
        )

    async def update_order(self, order_gid: str, **fields: Any) -> None:
        await self._run(ORDER_UPDATE, {"input": {"id": order_gid, **fields}}, "orderUpdate")


def _line_inputs(lines: Sequence[tuple[str, int]]) -> list[Json]:
    return [{"id": gid, "quantity": quantity} for gid, quantity in lines]
