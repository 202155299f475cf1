"""Receives Shopify webhooks, verifies, deduplicates, makes them durable."""
