"""A stand-in for the Shopify Admin API: executes the real schema, costs, throttling, webhooks out, faults."""
