"""`bot sandbox`: the real bot against an embedded Slack workspace, in a local web page.

Someone without a Slack app, tokens or an API key can watch the bot work, and someone tuning
a channel's prompt can try it in private. The bot runs exactly as in production (HTTP mode,
signed events, the real SDKs); only the far ends of its wires are local stand-ins.
"""
