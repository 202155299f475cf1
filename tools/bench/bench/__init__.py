"""Benchmarks for `make bench`. Each measures its subject and a baseline side by side, in the same
run on the same machine (this machine is noisy: absolute numbers drift, ratios much less)."""
