"""Turns WMS stock into Shopify inventory levels."""
