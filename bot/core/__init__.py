"""The pure core: Slack messages into Messages API parameters, text splitting and escaping, budgets
and rules as plain functions. Nothing here does I/O or imports a layer above it
(tests/test_layers.py checks)."""
