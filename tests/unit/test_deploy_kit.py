"""The deployment kit in deploy/ agrees with the service: its settings are real, its
proxy's limits sit above Safeguard's own, its commands exist."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from typer.testing import CliRunner

from safeguard.cli.main import app
from safeguard.config import Role, Settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
COMPOSE = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
NGINX = (DEPLOY / "nginx.conf").read_text()


def service_settings(name: str) -> Settings:
    """The settings a compose service's process would read (its variables substituted)."""
    environment = {
        key: str(value).replace("${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}", "pw")
        for key, value in COMPOSE["services"][name]["environment"].items()
    }
    return Settings.from_env(environment)


def test_compose_runs_postgresql_two_api_processes_and_one_for_the_ui_and_work() -> None:
    services = COMPOSE["services"]
    assert {"postgres", "migrate", "api", "ui-worker", "proxy"} <= set(services)
    assert services["api"]["deploy"]["replicas"] == 2
    api, rest = service_settings("api"), service_settings("ui-worker")
    assert api.roles == {Role.API} and rest.roles == {Role.UI, Role.WORKER}
    for settings in (api, rest):
        assert settings.database_url.startswith("postgresql+psycopg://safeguard:pw@postgres:5432/")
        assert not settings.auto_migrate  # the migrate service upgrades once, first
        assert settings.evidence_key_file is not None and settings.secure_cookies
    assert services["migrate"]["command"] == ["safeguard", "db", "upgrade"]


def test_the_proxy_lets_through_what_safeguard_accepts_and_waits_for_its_answers() -> None:
    defaults = Settings.from_env({})
    body_cap = re.search(r"client_max_body_size (\d+)m;", NGINX)
    assert body_cap and int(body_cap[1]) << 20 > defaults.max_video_bytes
    read_timeout = re.search(r"proxy_read_timeout (\d+)s;", NGINX)
    assert read_timeout and int(read_timeout[1]) > defaults.request_time_limit_seconds
    assert "proxy_request_buffering off;" in NGINX and "ssl_certificate " in NGINX


def test_the_commands_the_kit_runs_exist() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert 'CMD ["safeguard", "serve", "--workers", "2"]' in dockerfile
    assert "-c requirements.lock" in dockerfile
    runner = CliRunner()
    assert "--workers" in runner.invoke(app, ["serve", "--help"]).output
    for command in (["db", "upgrade"], ["db", "backup"], ["db", "restore"]):
        assert runner.invoke(app, [*command, "--help"]).exit_code == 0
