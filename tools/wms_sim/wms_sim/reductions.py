"""Which lines of an order a `wms.order.reduce` takes units from, or why it cannot.

All or nothing (SPEC section 3, `wms.order.reduce_result`): every line asked for must be found
on the order and still hold its units, or nothing is taken and the refusal names the first line
that fails. A line is found by its `line_ref`; when the order has no line of that ref (Shopify
gives fulfillment order lines new ids when it splits or moves them), by its SKU, taking from the
order's lines of that SKU in order.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from contracts import ReduceLine
from wms_sim.state import OrderLineState, WarehouseOrder

Holding = Callable[[OrderLineState], int]
"""The units of a line a reduce may still take (those not shipped, and not taken before)."""


class CannotReduce(ValueError):
    """The reduce cannot be applied as asked; the message is the refusal's reason."""


@dataclass(frozen=True)
class Take:
    line: OrderLineState
    units: int


def plan_reduction(
    order: WarehouseOrder, lines: Sequence[ReduceLine], holding: Holding
) -> list[Take]:
    """The units to take from each order line, or `CannotReduce`."""
    left = {id(line): holding(line) for line in order.lines}
    takes: list[Take] = []
    by_ref = {line.line_ref: line for line in order.lines}
    # Lines named by ref first: a SKU fallback must not take the units a named line needs.
    named = [asked for asked in lines if asked.line_ref in by_ref]
    unnamed = [asked for asked in lines if asked.line_ref not in by_ref]
    for asked in named:
        line = by_ref[asked.line_ref]
        if line.sku != asked.sku:
            raise CannotReduce(f"line {asked.line_ref} is SKU {line.sku}, not {asked.sku}")
        if left[id(line)] < asked.quantity:
            raise CannotReduce(
                f"line {asked.line_ref} ({asked.sku}) holds {left[id(line)]} units, "
                f"cannot take out {asked.quantity}"
            )
        left[id(line)] -= asked.quantity
        takes.append(Take(line, asked.quantity))
    for asked in unnamed:
        same_sku = [line for line in order.lines if line.sku == asked.sku]
        if not same_sku:
            raise CannotReduce(
                f"order {order.ref} has no line {asked.line_ref} and no line of SKU {asked.sku}"
            )
        held = sum(left[id(line)] for line in same_sku)
        if held < asked.quantity:
            raise CannotReduce(
                f"SKU {asked.sku} holds {held} units on order {order.ref}, "
                f"cannot take out {asked.quantity}"
            )
        wanted = asked.quantity
        for line in same_sku:
            units = min(wanted, left[id(line)])
            if units:
                left[id(line)] -= units
                takes.append(Take(line, units))
                wanted -= units
    return takes
