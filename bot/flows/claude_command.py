"""What `/claude` does: checks who may, changes or reads the settings, and says so in words.

Listeners call `answer`, `open_editor` and `save_edited`; each answer is a short text for the
person who asked (the listener makes it ephemeral). The rules live in `bot.core.permissions`, the
words in `bot.flows.command_replies` and `bot.core.token_budget`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core import permissions
from bot.core.command_syntax import HELP, MAX_PROMPT_CHARS, Command
from bot.core.model_choice import find
from bot.core.token_budget import format_tokens, summary_line
from bot.flows import command_replies as replies
from bot.flows.feature_admin import HANDLERS as FEATURE_HANDLERS
from bot.flows.shared import Services
from bot.flows.turn_setup import budget_status, model_for
from bot.slack.prompt_modal import MAX_CHARS as EDITOR_MAX_CHARS
from bot.slack.prompt_modal import Target, editor_view
from bot.store import ledger, prompts, workspace_settings
from bot.store.models import utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Caller:
    """Who ran the command, and where."""

    team_id: str
    enterprise_id: str | None
    user_id: str
    channel_id: str


Handler = Callable[[Services, AsyncWebClient, Command, Caller], Awaitable[str]]


async def answer(services: Services, client: AsyncWebClient, command: Command, caller: Caller) -> str:
    if command.kind == "help":
        return HELP
    if command.kind == "invalid":
        return command.text
    refusal = await _refusal(services, client, command, caller)
    if refusal is not None:
        return refusal
    return await HANDLERS[command.kind](services, client, command, caller)


async def open_editor(
    services: Services, client: AsyncWebClient, command: Command, caller: Caller, trigger_id: str
) -> str | None:
    """Open the prompt editor modal; a text to show instead when it can't or mustn't open."""
    refusal = await _refusal(services, client, command, caller)
    if refusal is not None:
        return refusal
    target = Target(None if command.workspace else caller.channel_id)
    current = await _current_prompt(services, caller.team_id, target)
    if current and len(current) > EDITOR_MAX_CHARS:
        flag = " --workspace" if target.workspace else ""
        return (
            f"This prompt is {len(current):,} characters, more than Slack's editor holds "
            f"({EDITOR_MAX_CHARS:,}). See it with `/claude prompt{flag} show`; replace it with "
            f"`/claude prompt{flag} <text>`."
        )
    try:
        await client.views_open(trigger_id=trigger_id, view=editor_view(target, current))
    except SlackApiError as exc:
        log.warning("views.open failed: %s", exc.response.get("error"))
        return "I couldn't open the editor just now. Try again, or use `/claude prompt <text>`."
    return None


async def save_edited(
    services: Services, client: AsyncWebClient, caller: Caller, target: Target, text: str | None
) -> str | None:
    """Save what the editor submitted (empty removes the prompt) for `caller`, whose channel is
    the target's; a reason when that's refused. Checked again here: the person's role or the
    workspace's rule may have changed since the editor opened."""
    kind = "prompt_set" if text else "prompt_reset"
    command = Command(kind, text or "", workspace=target.workspace)
    refusal = await _refusal(services, client, command, caller)
    if refusal is not None:
        return refusal
    await HANDLERS[kind](services, client, command, caller)
    return None


async def _refusal(
    services: Services, client: AsyncWebClient, command: Command, caller: Caller
) -> str | None:
    """Ask Slack who the person is only when the answer matters."""
    workspace = await workspace_settings.workspace(services.db, caller.team_id)
    locked = workspace.channel_prompts_admins_only
    if not permissions.needs_admin(command, channel_locked=locked):
        return None
    admin = await services.roles.is_admin(client, caller.team_id, caller.user_id)
    return permissions.refusal(command, admin=admin, channel_locked=locked)


async def _current_prompt(services: Services, team_id: str, target: Target) -> str | None:
    if target.channel_id is None:
        return (await workspace_settings.workspace(services.db, team_id)).prompt
    row = await prompts.get(services.db, team_id, target.channel_id)
    return row.prompt if row else None


async def _prompt_show(services: Services, _: AsyncWebClient, command: Command, caller: Caller) -> str:
    workspace = await workspace_settings.workspace(services.db, caller.team_id)
    if command.workspace:
        return replies.workspace_prompt_shown(workspace.prompt)
    row = await prompts.get(services.db, caller.team_id, caller.channel_id)
    return replies.prompts_shown(
        channel=row and row.prompt,
        set_by=row and row.set_by,
        set_at=row and row.set_at,
        workspace=workspace.prompt,
    )


async def _prompt_set(services: Services, _: AsyncWebClient, command: Command, caller: Caller) -> str:
    if len(command.text) > MAX_PROMPT_CHARS:
        return (
            f"That prompt is {len(command.text):,} characters; the limit is {MAX_PROMPT_CHARS:,}. "
            "Please shorten it."
        )
    if command.workspace:
        await prompts.set_workspace(
            services.db,
            team_id=caller.team_id,
            prompt=command.text,
            changed_by=caller.user_id,
            enterprise_id=caller.enterprise_id,
        )
    else:
        await prompts.put(
            services.db,
            team_id=caller.team_id,
            channel_id=caller.channel_id,
            prompt=command.text,
            set_by=caller.user_id,
            enterprise_id=caller.enterprise_id,
        )
    return replies.prompt_saved(command.text, workspace=command.workspace)


async def _prompt_reset(services: Services, _: AsyncWebClient, command: Command, caller: Caller) -> str:
    if command.workspace:
        removed = await prompts.set_workspace(
            services.db,
            team_id=caller.team_id,
            prompt=None,
            changed_by=caller.user_id,
            enterprise_id=caller.enterprise_id,
        )
    else:
        removed = await prompts.delete(
            services.db, caller.team_id, caller.channel_id, changed_by=caller.user_id
        )
    return replies.prompt_removed(workspace=command.workspace, removed=removed)


async def _prompt_history(services: Services, _: AsyncWebClient, __: Command, caller: Caller) -> str:
    return replies.history(await prompts.history(services.db, caller.team_id, caller.channel_id))


async def _prompt_lock(services: Services, _: AsyncWebClient, command: Command, caller: Caller) -> str:
    locked = command.text == "on"
    await workspace_settings.update_workspace(
        services.db,
        caller.team_id,
        enterprise_id=caller.enterprise_id,
        updated_by=caller.user_id,
        channel_prompts_admins_only=locked,
    )
    if locked:
        return "Done. Only workspace admins and owners can change channel prompts and models now."
    return "Done. Anyone in a channel can change its prompt and model now."


async def _model_show(services: Services, _: AsyncWebClient, __: Command, caller: Caller) -> str:
    found = await workspace_settings.for_turn(services.db, caller.team_id, caller.channel_id)
    model, source = model_for(services.settings, found)
    return replies.models_shown(model, source, services.settings.allowed_models)


async def _model_set(services: Services, _: AsyncWebClient, command: Command, caller: Caller) -> str:
    allowed = services.settings.allowed_models
    model = find(command.text, allowed)
    if model is None:
        return replies.unknown_model(command.text, allowed)
    if command.workspace:
        await workspace_settings.update_workspace(
            services.db,
            caller.team_id,
            enterprise_id=caller.enterprise_id,
            updated_by=caller.user_id,
            model=model,
        )
    else:
        await workspace_settings.set_channel_model(
            services.db, caller.team_id, caller.channel_id, model=model, set_by=caller.user_id
        )
    return replies.model_saved(model, workspace=command.workspace)


async def _model_reset(services: Services, _: AsyncWebClient, command: Command, caller: Caller) -> str:
    if command.workspace:
        removed = (await workspace_settings.workspace(services.db, caller.team_id)).model is not None
        if removed:
            await workspace_settings.update_workspace(
                services.db,
                caller.team_id,
                enterprise_id=caller.enterprise_id,
                updated_by=caller.user_id,
                model=None,
            )
    else:
        removed = await workspace_settings.reset_channel_model(services.db, caller.team_id, caller.channel_id)
    default = services.settings.claude_model
    return replies.model_removed(default, workspace=command.workspace, removed=removed)


async def _budget_line(services: Services, team_id: str) -> str:
    workspace = await workspace_settings.workspace(services.db, team_id)
    status = await budget_status(
        services, team_id, workspace.monthly_token_budget, workspace.budget_warned_month
    )
    return summary_line(status)


async def _budget_show(services: Services, _: AsyncWebClient, __: Command, caller: Caller) -> str:
    return await _budget_line(services, caller.team_id)


async def _budget_set(services: Services, _: AsyncWebClient, command: Command, caller: Caller) -> str:
    # A new budget earns a new 80 % warning this month.
    await workspace_settings.update_workspace(
        services.db,
        caller.team_id,
        enterprise_id=caller.enterprise_id,
        updated_by=caller.user_id,
        monthly_token_budget=command.tokens,
        budget_warned_month=None,
    )
    if not command.tokens:
        return "Done. This workspace has no monthly token budget now."
    used = await _budget_line(services, caller.team_id)
    return f"Done. This workspace's monthly budget is {format_tokens(command.tokens)} tokens.\n{used}"


async def _budget_reset(services: Services, _: AsyncWebClient, __: Command, caller: Caller) -> str:
    await workspace_settings.update_workspace(
        services.db,
        caller.team_id,
        enterprise_id=caller.enterprise_id,
        updated_by=caller.user_id,
        monthly_token_budget=None,
        budget_warned_month=None,
    )
    return "Done. This workspace follows the bot's default budget again.\n" + await _budget_line(
        services, caller.team_id
    )


async def _usage(services: Services, client: AsyncWebClient, _: Command, caller: Caller) -> str:
    """Admins see the workspace's tokens; everyone else their own."""
    admin = await services.roles.is_admin(client, caller.team_id, caller.user_id)
    user_id = None if admin else caller.user_id
    today = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    periods = []
    for label, days in (("today", 0), ("7 days", 6), ("30 days", 29)):
        rows = await ledger.usage_by_team(
            services.db, since=today - timedelta(days=days), team_id=caller.team_id, user_id=user_id
        )
        periods.append(
            replies.Period(
                label,
                sum(row.requests for row in rows),
                sum(row.total_tokens for row in rows),
                sum(row.web_search_requests for row in rows),
                sum(row.web_fetch_requests for row in rows),
            )
        )
    title = "Claude usage in this workspace" if admin else "Your Claude usage"
    return replies.usage_table(title, periods, await _budget_line(services, caller.team_id))


HANDLERS: dict[str, Handler] = {
    "prompt_show": _prompt_show,
    "prompt_set": _prompt_set,
    "prompt_reset": _prompt_reset,
    "prompt_history": _prompt_history,
    "prompt_lock": _prompt_lock,
    "model_show": _model_show,
    "model_set": _model_set,
    "model_reset": _model_reset,
    "budget_show": _budget_show,
    "budget_set": _budget_set,
    "budget_reset": _budget_reset,
    "usage": _usage,
}
HANDLERS.update(FEATURE_HANDLERS)
