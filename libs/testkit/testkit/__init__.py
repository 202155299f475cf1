"""Test fixtures: isolated Postgres databases and RabbitMQ vhosts, TCP fault proxy."""
