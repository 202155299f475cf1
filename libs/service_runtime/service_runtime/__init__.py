"""Service runtime: settings, JSON logging with correlation ids, ops HTTP server, lifecycle."""
