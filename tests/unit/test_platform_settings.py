"""The platform plug-ins' settings: off unless given, checked at start."""

from __future__ import annotations

import pytest

from safeguard.config import Settings
from safeguard.errors import ConfigError

MASTODON = {
    "SAFEGUARD_MASTODON_URL": "https://mastodon.example/",
    "SAFEGUARD_MASTODON_WEBHOOK_SECRET": "secret",
    "SAFEGUARD_MASTODON_TOKEN": "token",
}


def test_every_plug_in_is_off_by_default() -> None:
    settings = Settings.from_env({})
    assert not settings.pictrs_enabled
    assert settings.matrix_homeserver_url is None and settings.mastodon_url is None
    assert settings.platform_review == "reject"


def test_mastodon_settings_are_read_and_kept_out_of_repr() -> None:
    env = MASTODON | {"SAFEGUARD_MASTODON_MEDIA_HOSTS": "Files.Example, cdn.example:8443"}
    settings = Settings.from_env(env)
    assert settings.mastodon_url == "https://mastodon.example"
    assert settings.mastodon_media_hosts == ("files.example", "cdn.example:8443")
    assert "secret" not in repr(settings) and "token" not in repr(settings)


@pytest.mark.parametrize(
    "env",
    [
        {"SAFEGUARD_MASTODON_URL": "https://mastodon.example"},  # no secret nor token
        MASTODON | {"SAFEGUARD_MASTODON_URL": "mastodon.example"},  # no scheme
        MASTODON | {"SAFEGUARD_MASTODON_REPORT_CATEGORY": "csam"},
        {"SAFEGUARD_MATRIX_HOMESERVER_URL": "ftp://synapse"},
        {"SAFEGUARD_PLATFORM_REVIEW": "maybe"},
    ],
)
def test_bad_plug_in_settings_stop_the_start(env: dict[str, str]) -> None:
    with pytest.raises(ConfigError):
        Settings.from_env(env)
