"""Load and latency harness: the real bot, as its own process, against the project's fakes.

Run it with `python -m benchmarks` (see benchmarks/README.md).
"""
