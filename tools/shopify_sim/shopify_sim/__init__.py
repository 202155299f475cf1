"""A stand-in for the Shopify Admin API.

Executes the real schema, with costs, throttling, webhooks out and faults.
"""
