"""Turns WMS shipments into Shopify fulfillments."""
