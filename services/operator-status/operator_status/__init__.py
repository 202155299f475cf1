"""One status page and JSON document over all services."""
