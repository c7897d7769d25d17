"""The Slack edge: listeners, thread history, names, the reply writer."""
