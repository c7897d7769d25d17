"""OAuth: `oauth.v2.access` for installs and for refreshing rotating tokens."""

from __future__ import annotations

import secrets

from bot.fakes.slack.protocol import BOT_SCOPES, JSON, _SlackError
from bot.fakes.slack.workspace import SlackWorkspace


class OAuth(SlackWorkspace):
    """Installs and token rotation, as Slack hands them out."""

    def _rotating(self, team: str) -> JSON:
        """With rotation on, a new expiring token and refresh token (which override the install's)."""
        if not self.token_rotation:
            return {}
        token, refresh = f"xoxe.xoxb-{team}-{secrets.token_hex(6)}", f"xoxe-1-{secrets.token_hex(12)}"
        self._tokens[token] = team
        self._refresh_tokens[refresh] = team
        return {"access_token": token, "refresh_token": refresh, "expires_in": self.token_lifetime}

    def _refresh(self, refresh_token: str) -> JSON:
        if refresh_token not in self._refresh_tokens:
            raise _SlackError("invalid_refresh_token")
        team = self._refresh_tokens[refresh_token]
        if team is None:
            self.refused_refreshes += 1
            raise _SlackError("invalid_refresh_token")
        self._refresh_tokens[refresh_token] = None
        self.refreshes.append(team)
        return {
            "ok": True,
            "app_id": self.app_id,
            "token_type": "bot",
            "scope": BOT_SCOPES,
            "bot_user_id": self.bot_user_id,
            "team": {"id": team},
            **self._rotating(team),
        }

    def _oauth_v2_access(self, params: JSON, team: str) -> JSON:
        if params.get("client_id") != self.client_id:
            raise _SlackError("invalid_client_id")
        if params.get("client_secret") != self.client_secret:
            raise _SlackError("bad_client_secret")
        if params.get("grant_type") == "refresh_token":
            return self._refresh(str(params.get("refresh_token") or ""))
        installed = self.oauth_codes.pop(str(params.get("code") or ""), None)
        if installed is None:
            raise _SlackError("invalid_code")
        token = f"xoxb-installed-{installed}"
        self._tokens[token] = installed
        return {
            **self._rotating(installed),
            "ok": True,
            "app_id": self.app_id,
            "authed_user": {"id": self.installer_user_id},
            "scope": BOT_SCOPES,
            "token_type": "bot",
            "access_token": token,
            "bot_user_id": self.bot_user_id,
            "team": {"id": installed, "name": self.team_name if installed == self.team_id else installed},
            "enterprise": None,
            "is_enterprise_install": False,
        }
