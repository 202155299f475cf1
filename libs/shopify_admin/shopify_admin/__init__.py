"""Shopify Admin GraphQL client with cost-aware throttling, webhook verification, cost model."""
