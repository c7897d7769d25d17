"""Slack tokens encrypted at rest: Fernet (AES-128-CBC + HMAC-SHA256) with keys from the
environment, several at once so a key can be rotated without a moment when some row is unreadable.

A stored value is either a Slack token in clear (`xoxb-…`, from before encryption, or kept plain on
purpose) or a Fernet token, which always starts with the same characters: version byte 0x80 and
a 64-bit timestamp whose high bytes are zero for millennia, base64url-encoded. Slack tokens never
start that way, so each row says which it is and a migration can run any number of times.
"""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

ENCRYPTED_PREFIX = "gAAAAA"

KEY_HELP = (
    'make one with: python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
)


class UndecryptableToken(Exception):
    """No configured key opens this value: it was encrypted with a key since removed."""


def parse_keys(value: str) -> list[str]:
    """Comma-separated keys, newest first; raises ValueError naming the bad one (never its text)."""
    keys = [key.strip() for key in value.split(",") if key.strip()]
    if not keys:
        raise ValueError(f"give at least one key ({KEY_HELP})")
    for number, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except ValueError:
            raise ValueError(
                f"key {number} of {len(keys)} is not a Fernet key, 32 url-safe base64-encoded bytes "
                f"({KEY_HELP})"
            ) from None
    return keys


def is_encrypted(stored: str) -> bool:
    return stored.startswith(ENCRYPTED_PREFIX)


class TokenCipher:
    """Encrypts with the first (newest) key; decrypts with any."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("a TokenCipher needs at least one key")
        self._newest = Fernet(keys[0])
        self._all = MultiFernet([Fernet(key) for key in keys])

    def encrypt(self, token: str) -> str:
        return self._all.encrypt(token.encode()).decode()

    def decrypt(self, stored: str) -> str:
        """The token; a value stored in clear is returned as it is."""
        if not is_encrypted(stored):
            return stored
        try:
            return self._all.decrypt(stored.encode()).decode()
        except InvalidToken:
            raise UndecryptableToken from None

    def is_current(self, stored: str) -> bool:
        """Encrypted with the newest key: nothing left to migrate."""
        if not is_encrypted(stored):
            return False
        try:
            self._newest.decrypt(stored.encode())
        except InvalidToken:
            return False
        return True

    def reseal(self, stored: str) -> str:
        """`stored` (clear, or under any key) encrypted with the newest key."""
        return self.encrypt(self.decrypt(stored))
