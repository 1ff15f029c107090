"""A process serves the roles it is given: the API, the moderator UI, background work."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from safeguard.api.app import create_app
from safeguard.config import Role, Settings
from safeguard.errors import ConfigError


def settings(tmp_path: Path, roles: str) -> Settings:
    env = {
        "SAFEGUARD_DATA_DIR": str(tmp_path),
        "SAFEGUARD_DATABASE_URL": f"sqlite:///{tmp_path / 'safeguard.db'}",
        "SAFEGUARD_ROLES": roles,
    }
    return Settings.from_env(env)


def test_roles_are_parsed_and_default_to_all(tmp_path: Path) -> None:
    assert settings(tmp_path, "").roles == frozenset(Role)
    assert settings(tmp_path, " UI, worker ").roles == {Role.UI, Role.WORKER}
    with pytest.raises(ConfigError, match="SAFEGUARD_ROLES: unknown matcher"):
        settings(tmp_path, "api,matcher")


def test_a_ui_process_serves_no_api_and_needs_no_index(tmp_path: Path) -> None:
    with TestClient(create_app(settings(tmp_path, "ui"))) as client:
        assert client.get("/ui/login").status_code == 200
        assert client.get("/v1/banks").status_code == 404
        assert client.get("/v1/ready").json() == {
            "status": "ready",
            "change_seq": None,
            "index": {},
        }


def test_an_api_process_serves_no_ui(tmp_path: Path) -> None:
    with TestClient(create_app(settings(tmp_path, "api"))) as client:
        assert client.get("/ui/login").status_code == 404
        assert client.get("/v1/banks").status_code == 401  # there, behind a key
        assert client.get("/v1/ready").json()["change_seq"] == 0
