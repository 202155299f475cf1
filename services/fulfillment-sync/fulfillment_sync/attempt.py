"""One attempt at turning a claimed shipment into its Shopify fulfillment.

Plan (domain.plan_fulfillment), then, if an earlier attempt may have run, read the fulfillment
order back and judge (domain.judge) before creating; create; on a refusal, read it back to tell
why. At a facility connected as a fulfillment service the refusal may only mean "not accepted
yet" (the shipment overtook order-intake's accept): the shipment waits and is tried again.

Returns what happened as an Outcome for the worker to record: Shopify is called with no
database transaction open, and the outcome is committed afterwards. A crash in between leaves
the shipment `creating`, and the next attempt starts with the read-back.
"""

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from fulfillment_sync.domain import (
    AlreadyFulfilled,
    AwaitingAcceptance,
    CreateNow,
    FulfillmentOrderState,
    FulfillmentRequest,
    Refusal,
    Verdict,
    Wait,
    judge,
    plan_fulfillment,
)
from fulfillment_sync.shopify_fo import parse_fulfillment_order
from fulfillment_sync.store import ClaimedShipment
from shopify_admin import (
    ShopifyAuthError,
    ShopifyGraphQLError,
    ShopifyRequestError,
    ShopifyUnavailable,
)
from shopify_admin.mutations import FulfillmentLine, ShopifyExecutor, create_fulfillment
from shopify_admin.operations import FULFILLMENT_ORDER
from shopify_admin.pagination import GraphQLExecutor


@dataclass(frozen=True)
class Synced:
    """Whether the WMS order is complete with it is decided when it is recorded (the worker), on
    what the WMS order holds then: a reduction may arrive while Shopify is being called."""

    fulfillment_id: str
    request: FulfillmentRequest
    found_existing: bool
    """Not created now: an earlier attempt had created it (its answer was lost)."""


@dataclass(frozen=True)
class Retry:
    """Shopify could not be asked, or its answer was lost: try again later."""

    error: str
    verify_first: bool


@dataclass(frozen=True)
class OnHold:
    reason: str


@dataclass(frozen=True)
class NotAccepted:
    """At a fulfillment service: Shopify will take the fulfillment once the request is
    accepted; nothing was created (the read-back shows none of ours)."""

    reason: str


Outcome = Synced | Retry | OnHold | NotAccepted | Refusal


async def sync_shipment(
    client: ShopifyExecutor,
    claimed: ClaimedShipment,
    shipped_before: Mapping[str, int],
    fulfillments_before: Collection[str],
    *,
    notify_customer: bool,
    at_service: bool = False,
) -> Outcome:
    """`shipped_before`: units this WMS order's synced shipments fulfilled;
    `fulfillments_before`: the fulfillments every synced shipment of its FO made; `at_service`:
    its facility is connected as a fulfillment service."""
    plan = plan_fulfillment(claimed.shipment, claimed.order, shipped_before, claimed.holding)
    if isinstance(plan, Refusal):
        return plan

    def outcome_of(verdict: AlreadyFulfilled | Wait | AwaitingAcceptance | Refusal) -> Outcome:
        if isinstance(verdict, AlreadyFulfilled):
            return Synced(verdict.fulfillment_id, plan, found_existing=True)
        if isinstance(verdict, Wait):
            return OnHold(verdict.reason)
        if isinstance(verdict, AwaitingAcceptance):
            return NotAccepted(verdict.reason)
        return verdict

    async def judged() -> Verdict:
        fo = await read_fulfillment_order(client, plan)
        return judge(fo, plan, fulfillments_before, at_service=at_service)

    try:
        if claimed.verify_first:
            verdict = await judged()
            if not isinstance(verdict, CreateNow):
                return outcome_of(verdict)
        result = await create_fulfillment(
            client,
            {
                plan.fulfillment_order_id: [
                    FulfillmentLine(ln.line_ref, ln.quantity) for ln in plan.lines
                ]
            },
            tracking=plan.tracking,
            notify_customer=notify_customer,
        )
        if result.ok:
            return Synced(result.payload["fulfillment"]["id"], plan, found_existing=False)
        # Refused: the fulfillment order as it stands says why (held, closed, cancelled, ...).
        refused = "; ".join(error.message for error in result.user_errors)
        verdict = await judged()
        if isinstance(verdict, CreateNow):
            return Refusal("refused", f"Shopify refused the fulfillment: {refused}")
        return outcome_of(verdict)
    except ShopifyUnavailable as exc:
        return Retry(str(exc), verify_first=claimed.verify_first or exc.may_have_executed)
    except (ShopifyAuthError, ShopifyRequestError) as exc:
        # Refused at the door (token revoked, shop frozen): nothing ran; it may come back.
        return Retry(str(exc), verify_first=claimed.verify_first)
    except ShopifyGraphQLError as exc:
        # Retrying the same document cannot fix it; an operator retries after a fix.
        return Refusal("refused", f"Shopify answered with errors: {exc}")


async def read_fulfillment_order(
    client: GraphQLExecutor, request: FulfillmentRequest
) -> FulfillmentOrderState | None:
    try:
        data = await client.execute(FULFILLMENT_ORDER, {"id": request.fulfillment_order_id})
    except ShopifyGraphQLError as exc:
        if "RESOURCE_NOT_FOUND" in exc.codes:
            return None
        raise
    return parse_fulfillment_order(data)
