"""The top: the command line, the HTTP / Socket Mode server, and `app`, which builds the Bolt app
and wires the listeners to the flows."""
