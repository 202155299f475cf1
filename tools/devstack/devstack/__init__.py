"""Starts the whole system locally (services and simulators) for `make run`."""
