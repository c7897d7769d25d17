"""Claude in Slack threads."""
