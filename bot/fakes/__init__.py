"""Stand-ins for Slack's Web API and Anthropic's Messages API that speak the real wire protocols.

They live in the package, not under tests/, because `bot sandbox` runs the real bot against
them for people without a Slack workspace or an API key; the tests and benchmarks use the
same servers.
"""
