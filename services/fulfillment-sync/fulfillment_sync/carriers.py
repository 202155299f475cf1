"""The WMS's carrier name -> the tracking company name Shopify knows.

Shopify builds tracking links (and, for integrated carriers, follows delivery) only for company
names written exactly as in its list ("capitalization matters": FulfillmentTrackingInput.company
in the 2026-07 schema). Warehouses write "Fedex", "FEDEX" or "Federal Express"; this maps such
spellings to Shopify's. A name that matches nothing is passed through as the WMS wrote it:
Shopify accepts any company, it just cannot link it.
"""

import re

# The carriers warehouses here ship with, spelt as in Shopify's list of supported tracking
# companies (FulfillmentTrackingInfo, 2026-07). Not the whole list: adding a name is one line.
KNOWN_CARRIERS = (
    "4PX",
    "Amazon",
    "An Post",
    "APC",
    "Asendia USA",
    "Australia Post",
    "BPost",
    "Canada Post",
    "Canpar",
    "China Post",
    "Chronopost",
    "Colissimo",
    "Correios",
    "Correos",
    "Deutsche Post",
    "DHL eCommerce",
    "DHL eCommerce Asia",
    "DHL Express",
    "DPD",
    "DPD Local",
    "DPD UK",
    "Estes",
    "Evri",
    "FedEx",
    "GLS",
    "Israel Post",
    "Japan Post (EN)",
    "Lasership",
    "Mondial Relay",
    "New Zealand Post",
    "OnTrac",
    "Packeta",
    "Poste Italiane",
    "PostNL",
    "PostNord DK",
    "PostNord NO",
    "PostNord SE",
    "Purolator",
    "Royal Mail",
    "Sendle",
    "SF Express",
    "Singapore Post",
    "StarTrack",
    "Swiss Post",
    "TNT",
    "UPS",
    "USPS",
    "XPO Logistics",
    "YunExpress",
)

# Other names warehouses use for the same carriers.
_ALIASES = {
    "Federal Express": "FedEx",
    "FedEx Ground": "FedEx",
    "United Parcel Service": "UPS",
    "UPS Ground": "UPS",
    "United States Postal Service": "USPS",
    "US Postal Service": "USPS",
    "U.S. Mail": "USPS",
    # A bare "DHL" is the express courier: DHL eCommerce parcels are labelled as such.
    "DHL": "DHL Express",
    "DHL Worldwide Express": "DHL Express",
    "Postes Canada": "Canada Post",
    "Hermes UK": "Evri",
    "Royal Mail Tracked": "Royal Mail",
}


def _key(name: str) -> str:
    # "Fed-Ex", "fed ex" and "FEDEX" are one carrier: compare letters and digits only.
    return re.sub(r"[^0-9a-z]", "", name.casefold())


_BY_KEY = {
    **{_key(alias): known for alias, known in _ALIASES.items()},
    **{_key(known): known for known in KNOWN_CARRIERS},
}


def shopify_carrier(wms_carrier: str) -> str | None:
    """Shopify's spelling of the carrier, the WMS's own name if Shopify has none, None if blank."""
    name = " ".join(wms_carrier.split())
    if not name:
        return None
    return _BY_KEY.get(_key(name), name)
