"""Pure decisions of the simulator: Shopify's rules, no I/O and no state mutation."""
