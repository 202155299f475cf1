"""Turns Shopify orders into WMS orders."""
