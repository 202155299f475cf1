"""Answering Shopify's requests to a facility connected as a fulfillment service: pure, no I/O.

At a fulfillment service's location the merchant *asks*: a fulfillment order (FO) is sent to the
WMS only once its request status is SUBMITTED (domain.sendable_fulfillment_orders), and the
service answers each request:

- a fulfillment request is accepted once the WMS accepted the order (never before), rejected when
  the WMS rejected it or when the order failed our filters or checks (with the reason), and left
  waiting while the WMS has not answered or a fraud-risk hold stands;
- a cancellation request becomes a cancel (or, if part has shipped, a reduce) of the WMS order
  (`cancellation_requested` feeds reconcile, which plans it); it is accepted once the warehouse
  confirmed, rejected with the warehouse's reason when it refused.

Answers are a function of the state read from Shopify and what the WMS said, not of the events
that led there, so a trigger arriving twice owes the same answer twice, which the answer queue
collapses (one pending answer per FO), and an answer Shopify has already applied is refused by
it (the FO left the state the answer is for), never applied twice.

A merchant who re-requests fulfillment after our rejection (the FO is SUBMITTED again) has the
rejected WMS order sent again under its ref, as an operator's re-sync would (`with_rerequests`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from shop_config import ShopConfig

if TYPE_CHECKING:
    from order_intake.domain import Decision, FulfillmentOrder, Order, SentFulfillmentOrder

AnswerKind = Literal[
    "accept_fulfillment", "reject_fulfillment", "accept_cancellation", "reject_cancellation"
]
RejectionReason = Literal[
    "INCORRECT_ADDRESS",
    "INVENTORY_OUT_OF_STOCK",
    "INELIGIBLE_PRODUCT",
    "UNDELIVERABLE_DESTINATION",
    "INTERNATIONAL_SHIPPING_UNAVAILABLE",
    "INCORRECT_PRODUCT_INFO",
    "MISSING_CUSTOMS_INFO",
    "INVALID_SKU",
    "PAYMENT_DECLINED",
    "PACKAGE_PREFERENCE_NOT_SET",
    "INVALID_CONTACT_INFORMATION",
    "ORDER_TOO_LARGE",
    "MERCHANT_BLOCKED_OR_SUSPENDED",
    "OTHER",
]
"""Shopify's FulfillmentOrderRejectionReason."""

MESSAGE_MAX_LENGTH = 500
"""Our cap on an answer's message: what the merchant reads in the admin, not a log."""

# Words of a rejection (ours or the warehouse's, free text) -> Shopify's closest reason; the
# message always carries the words themselves. First match wins.
_REASON_WORDS: tuple[tuple[re.Pattern[str], RejectionReason], ...] = (
    (re.compile(r"\bsku\b|unknown item|not (?:a )?known item", re.I), "INVALID_SKU"),
    (re.compile(r"out of stock|no stock|insufficient stock|inventory", re.I),
     "INVENTORY_OUT_OF_STOCK"),
    (re.compile(r"undeliverable", re.I), "UNDELIVERABLE_DESTINATION"),
    (re.compile(r"international|ships to|country", re.I), "INTERNATIONAL_SHIPPING_UNAVAILABLE"),
    (re.compile(r"address|postal code|city", re.I), "INCORRECT_ADDRESS"),
    (re.compile(r"customs|hs code|harmoni[sz]ed", re.I), "MISSING_CUSTOMS_INFO"),
    (re.compile(r"too large|too many", re.I), "ORDER_TOO_LARGE"),
    (re.compile(r"phone|e-?mail|contact", re.I), "INVALID_CONTACT_INFORMATION"),
)  # fmt: skip


@dataclass(frozen=True)
class RequestAnswer:
    """One answer owed to Shopify for a request on one FO."""

    fulfillment_order_id: str
    kind: AnswerKind
    message: str
    reason: RejectionReason | None = None
    """For `reject_fulfillment` only."""
    wms_order_ref: str | None = None
    as_of: datetime | None = None
    """The FO's `updatedAt` in the read that owed it: the same answer given after that was
    given to this request already (the read was made before it landed)."""


def rejection_reason(text: str | None) -> RejectionReason:
    for pattern, reason in _REASON_WORDS:
        if text and pattern.search(text):
            return reason
    return "OTHER"


def _message(text: str) -> str:
    return text if len(text) <= MESSAGE_MAX_LENGTH else text[: MESSAGE_MAX_LENGTH - 1] + "…"


def _service_facility(fo: FulfillmentOrder, shop: ShopConfig) -> str | None:
    facility = shop.facility_for(fo.location_id) if fo.location_id else None
    return facility if facility is not None and shop.is_service_facility(facility) else None


def cancellation_requested(order: Order, shop: ShopConfig) -> frozenset[str]:
    """FOs at a fulfillment service whose cancellation the merchant requested."""
    return frozenset(
        fo.id
        for fo in order.fulfillment_orders
        if fo.request_status == "CANCELLATION_REQUESTED" and _service_facility(fo, shop)
    )


def with_rerequests(
    order: Order, shop: ShopConfig, sent: Sequence[SentFulfillmentOrder]
) -> Sequence[SentFulfillmentOrder]:
    """`sent`, with a WMS order whose rejection Shopify was told, and whose FO the merchant
    requested again since (the FO changed after our answer), marked to be sent again."""
    # Requested since we answered: a read made before our rejection landed still shows the
    # first request SUBMITTED, with the FO unchanged since.
    submitted = {
        fo.id: fo.updated_at
        for fo in order.fulfillment_orders
        if fo.request_status == "SUBMITTED" and _service_facility(fo, shop)
    }
    if not submitted:
        return sent
    return [
        replace(w, resend_requested=True)
        if w.wms_state == "rejected"
        and w.request_answered == "rejected"
        and _after(submitted.get(w.fulfillment_order_id), w.request_answered_at)
        else w
        for w in sent
    ]


def _after(changed: datetime | None, answered: datetime | None) -> bool:
    return changed is not None and (answered is None or changed > answered)


def answer_to_wms(fo_id: str, wms_order_ref: str, rejected_because: str | None) -> RequestAnswer:
    """The fulfillment request's answer as the WMS answered its order: accepted, or rejected
    with its reason (None: it accepted)."""
    if rejected_because is None:
        return RequestAnswer(
            fo_id,
            "accept_fulfillment",
            _message(f"Accepted by the warehouse as {wms_order_ref}"),
            wms_order_ref=wms_order_ref,
        )
    said = rejected_because or "no reason given"
    return RequestAnswer(
        fo_id,
        "reject_fulfillment",
        _message(f"The warehouse rejected the order: {said}"),
        rejection_reason(said),
        wms_order_ref,
    )


def answers_owed(
    order: Order,
    shop: ShopConfig,
    sent: Sequence[SentFulfillmentOrder],
    decision: Decision,
) -> tuple[RequestAnswer, ...]:
    """What Shopify must be told now about the requests on this order's FOs at fulfillment
    services, given the decision just made about it."""
    if order.cancelled_at is not None:
        return ()
    answers: list[RequestAnswer] = []
    for fo in order.fulfillment_orders:
        facility = _service_facility(fo, shop)
        if facility is None:
            continue
        mine = [w for w in sent if w.fulfillment_order_id == fo.id and w.sent.facility == facility]
        answer = None
        if fo.request_status == "SUBMITTED":
            answer = _fulfillment_answer(fo, mine, decision)
        elif fo.request_status == "CANCELLATION_REQUESTED":
            answer = _cancellation_answer(fo, mine, decision)
        if answer is not None:
            answers.append(replace(answer, as_of=fo.updated_at))
    return tuple(answers)


def _fulfillment_answer(
    fo: FulfillmentOrder, mine: Sequence[SentFulfillmentOrder], decision: Decision
) -> RequestAnswer | None:
    if any(create.fulfillment_order_id == fo.id for create in decision.creates):
        return None  # just sent (or sent again): the WMS answers first
    live = [w for w in mine if not w.cancelled and not w.resend_requested]
    rejected = [w for w in live if w.wms_state == "rejected"]
    if rejected:
        return answer_to_wms(fo.id, rejected[0].wms_order_ref, rejected[0].wms_reason or "")
    if live:
        if all(w.wms_state == "accepted" for w in live):
            return answer_to_wms(fo.id, live[0].wms_order_ref, None)
        return None  # waiting for the WMS's answer
    if decision.state in ("filtered", "rejected_by_checks"):
        said = decision.reason or decision.state
        return RequestAnswer(
            fo.id,
            "reject_fulfillment",
            _message(f"Not sent to the warehouse: {said}"),
            rejection_reason(said) if decision.state == "rejected_by_checks" else "OTHER",
        )
    return None  # held for fraud risk, or waiting for changes to other WMS orders


def _cancellation_answer(
    fo: FulfillmentOrder, mine: Sequence[SentFulfillmentOrder], decision: Decision
) -> RequestAnswer | None:
    refs = {w.wms_order_ref for w in mine}
    asked_now = {c.wms_order_ref for c in decision.cancels} | {
        r.wms_order_ref for r in decision.reduces
    }
    if refs & asked_now or any(w.pending is not None for w in mine):
        return None  # the warehouse has not answered the cancel yet
    refused = [w for w in mine if w.refused is not None]
    if refused:
        w = refused[0]
        assert w.refused is not None
        said = w.refused.reason or "no reason given"
        return RequestAnswer(
            fo.id,
            "reject_cancellation",
            _message(f"The warehouse could not cancel {w.wms_order_ref}: {said}"),
            wms_order_ref=w.wms_order_ref,
        )
    cancelled = [w for w in mine if w.cancelled]
    if cancelled:
        message = f"Cancelled at the warehouse ({cancelled[0].wms_order_ref})"
    elif mine:
        message = "Taken out of the warehouse's order"
    else:
        message = "Nothing of it was sent to the warehouse"
    return RequestAnswer(
        fo.id,
        "accept_cancellation",
        _message(message),
        wms_order_ref=mine[0].wms_order_ref if mine else None,
    )
