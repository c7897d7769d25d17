import pytest
from cryptography.fernet import Fernet

from bot.process.config import ConfigError, load_settings
from bot.store.token_cipher import TokenCipher, UndecryptableToken, is_encrypted


def test_a_token_round_trips_and_clear_values_read_as_they_are() -> None:
    cipher = TokenCipher([Fernet.generate_key().decode()])
    sealed = cipher.encrypt("xoxe.xoxb-1-abc")
    assert is_encrypted(sealed) and "xox" not in sealed
    assert cipher.decrypt(sealed) == "xoxe.xoxb-1-abc"
    assert cipher.decrypt("xoxb-from-before-encryption") == "xoxb-from-before-encryption"
    assert not cipher.is_current("xoxb-from-before-encryption")


def test_the_newest_key_encrypts_and_older_ones_still_decrypt() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    under_old = TokenCipher([old]).encrypt("xoxb-1")
    both = TokenCipher([new, old])
    assert both.decrypt(under_old) == "xoxb-1" and not both.is_current(under_old)
    resealed = both.reseal(under_old)
    assert both.is_current(resealed) and TokenCipher([new]).decrypt(resealed) == "xoxb-1"
    with pytest.raises(UndecryptableToken):
        TokenCipher([old]).decrypt(resealed)


def test_a_malformed_key_is_named_by_position_never_quoted() -> None:
    good = Fernet.generate_key().decode()
    with pytest.raises(ConfigError, match="TOKEN_ENCRYPTION_KEYS is not valid: key 2 of 2") as refused:
        load_settings(_env_file=None, token_encryption_keys=f"{good},not-a-key-secret")
    assert "not-a-key-secret" not in str(refused.value) and good not in str(refused.value)
