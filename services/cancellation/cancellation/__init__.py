"""Cancellations between Shopify and the WMS, and restock."""
