"""Messaging runtime: topology, transactional outbox relay, idempotent consumer, retries, dead letters."""
