"""The words `/claude tools`, `/claude thinking` and the App Home use for features. Pure."""

from __future__ import annotations

from bot.core.features import FEATURES, Features, Layer

LAYERS: dict[Layer, str] = {
    "channel": "chosen for this channel",
    "workspace": "the workspace's setting",
    "default": "off unless turned on",
}


def _limit(name: str, features: Features, default_uses: int) -> str:
    if not FEATURES[name].limited:
        return ""
    uses = features.max_uses.get(name, default_uses)
    return f" Up to {uses} use{'' if uses == 1 else 's'} per answer."


def features_shown(features: Features, *, default_uses: int) -> str:
    """`/claude tools`: each feature's state in this channel, and why."""
    lines = ["*Tools and thinking in this channel*"]
    for name, feature in FEATURES.items():
        state = "*on*" if features.enabled(name) else "off"
        layer = LAYERS[features.layers.get(name, "default")]
        lines.append(
            f"• {feature.title} (`/claude {feature.command}`): {state} — {layer}."
            + _limit(name, features, default_uses)
        )
    lines.append("Turn one on or off here with `/claude tools web on|off` or `/claude thinking on|off`.")
    lines.append("Slack search is set for the whole workspace, by admins: `/claude tools slack on|off`.")
    return "\n".join(lines)


def workspace_features(features: Features, *, default_uses: int) -> str:
    """The App Home line: what every channel gets unless it chose otherwise."""
    lines = []
    for name, feature in FEATURES.items():
        state = "on" if features.enabled(name) else "off"
        lines.append(f"{feature.title}: *{state}* by default." + _limit(name, features, default_uses))
    lines.append("Channels may choose for themselves with `/claude tools` and `/claude thinking`.")
    return "\n".join(lines)


def feature_saved(name: str, *, on: bool, workspace: bool) -> str:
    feature = FEATURES[name]
    where = "in this channel"
    if workspace:
        where = "in every channel" if feature.workspace_only else "in every channel without its own choice"
    state = "on" if on else "off"
    note = f" {feature.what}" if on else ""
    return f"Done. {feature.title} is {state} {where} from the next message on.{note}"


def feature_removed(name: str, *, workspace: bool, removed: bool) -> str:
    title = FEATURES[name].title
    if not removed:
        where = "The workspace has" if workspace else "This channel has"
        return f"{where} no setting of its own for {title.lower()}; nothing to reset."
    if workspace:
        if FEATURES[name].workspace_only:
            return f"Done. {title} is back to off."
        return f"Done. {title} is back to off for channels without their own choice."
    return f"Done. This channel follows the workspace's setting for {title.lower()} again."


def limit_saved(name: str, uses: int) -> str:
    plural = "" if uses == 1 else "s"
    return f"Done. {FEATURES[name].title}: up to {uses} use{plural} per answer in this workspace."
