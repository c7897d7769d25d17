"""The process's own environment, an edge like Slack or the store: settings read from it, and the
logs and metrics written to it."""
