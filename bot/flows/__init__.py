"""What the bot does with an event once a listener has it: a conversational turn, `/claude`, the
App Home, and what they share for the life of the process. Flows use the edges (Slack, Claude,
store, files, process) and the core; listeners and the runtime use flows."""
