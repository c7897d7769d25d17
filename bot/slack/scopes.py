"""The bot scopes the app asks for when installed through OAuth (the manifests list the same)."""

BOT_SCOPES = (
    "app_mentions:read",
    "channels:history",
    "groups:history",
    "im:history",
    "mpim:history",
    "channels:read",
    "groups:read",
    "im:read",
    "mpim:read",
    "chat:write",
    "assistant:write",
    "users:read",
    "files:read",
    "files:write",
    "commands",
    "search:read.public",
    "search:read.private",
    "search:read.im",
    "search:read.mpim",
)
