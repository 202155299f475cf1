"""Carriers a North American warehouse ships with, and tracking numbers shaped like theirs.

The names are the ones Shopify recognises as tracking companies, so fulfillments made from
these shipments get a carrier link in Shopify too. Check digits follow each carrier's published
scheme where there is one, so a number survives a format validator.
"""

import random
import string
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

TrackingNumberMaker = Callable[[random.Random], str]


@dataclass(frozen=True)
class Carrier:
    name: str
    tracking_url_template: str
    """With `{number}` where the tracking number goes."""
    new_tracking_number: TrackingNumberMaker

    def tracking_url(self, number: str) -> str:
        return self.tracking_url_template.format(number=number)


def _digits(rng: random.Random, count: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(count))


def ups_check_digit(body: str) -> str:
    """UPS 1Z check digit over the 15 characters after `1Z`: letters count as (ord-63) mod 10,
    odd positions once and even positions twice."""
    values = [int(c) if c.isdigit() else (ord(c) - 63) % 10 for c in body]
    total = sum(values[0::2]) + 2 * sum(values[1::2])
    return str((10 - total % 10) % 10)


def _ups(rng: random.Random) -> str:
    shipper = "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(6))
    service = rng.choice(("01", "02", "03", "12", "13"))  # next day, 2nd day, ground, 3 day, saver
    body = shipper + service + _digits(rng, 7)
    return "1Z" + body + ups_check_digit(body)


def gs1_mod10_check_digit(digits: str) -> str:
    """Weights 3,1,3,... from the rightmost digit (USPS IMpb, GS1 serial shipping codes)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return str((10 - total % 10) % 10)


def _usps(rng: random.Random) -> str:
    body = "9400" + "1" + _digits(rng, 16)  # 94001: USPS Tracking, IMpb channel application
    return body + gs1_mod10_check_digit(body)


def fedex_check_digit(digits: str) -> str:
    """FedEx Express 12-digit: weights 1,3,7 from the right, sum mod 11 (10 becomes 0)."""
    weights = (1, 3, 7)
    total = sum(int(d) * weights[i % 3] for i, d in enumerate(reversed(digits)))
    return str(total % 11 % 10)


def _fedex(rng: random.Random) -> str:
    body = rng.choice("4567") + _digits(rng, 10)
    return body + fedex_check_digit(body)


def _dhl_express(rng: random.Random) -> str:
    body = _digits(rng, 9)
    return body + str(int(body) % 7)  # DHL Express waybills check with mod 7


def _canada_post(rng: random.Random) -> str:
    return "7" + _digits(rng, 15)  # 16-digit domestic parcel pin


UPS = Carrier("UPS", "https://www.ups.com/track?tracknum={number}", _ups)
FEDEX = Carrier("FedEx", "https://www.fedex.com/fedextrack/?trknbr={number}", _fedex)
USPS = Carrier("USPS", "https://tools.usps.com/go/TrackConfirmAction?tLabels={number}", _usps)
DHL_EXPRESS = Carrier(
    "DHL Express",
    "https://www.dhl.com/global-en/home/tracking/tracking-express.html?submit=1&tracking-id={number}",
    _dhl_express,
)
CANADA_POST = Carrier(
    "Canada Post",
    "https://www.canadapost-postescanada.ca/track-reperage/en#/search?searchFor={number}",
    _canada_post,
)

# Who a warehouse books, by destination: domestic posts where they exist, couriers everywhere.
_BY_DESTINATION: Mapping[str, Sequence[tuple[Carrier, int]]] = {
    "US": ((USPS, 4), (UPS, 4), (FEDEX, 2)),
    "CA": ((CANADA_POST, 5), (UPS, 3), (FEDEX, 2)),
}
_INTERNATIONAL: Sequence[tuple[Carrier, int]] = ((DHL_EXPRESS, 5), (UPS, 3), (FEDEX, 2))

CARRIERS: tuple[Carrier, ...] = (UPS, FEDEX, USPS, DHL_EXPRESS, CANADA_POST)


def choose_carrier(country_code: str, rng: random.Random) -> Carrier:
    options = _BY_DESTINATION.get(country_code, _INTERNATIONAL)
    carriers = [carrier for carrier, _ in options]
    return rng.choices(carriers, weights=[weight for _, weight in options])[0]
