"""The Python client covers the API: every /v1/ operation of the OpenAPI description has
a client method (a new endpoint without one fails here), every method names an operation
that exists, and the client loads nothing of the service."""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from safeguard.api.app import create_app
from safeguard.client import ENDPOINTS, AsyncClient, Client
from safeguard.config import Settings

ROOT = Path(__file__).resolve().parents[2]
CLIENT_DOCS = ROOT / "docs" / "client.md"
OUTSIDE_V1 = {("GET", "/metrics")}
"""Operations outside /v1/ the client covers too."""


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("openapi")
    document: dict[str, Any] = create_app(
        Settings.from_env({"SAFEGUARD_DATA_DIR": str(folder)})
    ).openapi()
    return document


def api_operations(spec: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method.upper(), path): operation
        for path, item in spec["paths"].items()
        if path.startswith("/v1/") or (path in {p for _, p in OUTSIDE_V1})
        for method, operation in item.items()
    }


def test_every_v1_operation_has_a_client_method(spec: dict[str, Any]) -> None:
    covered = {(e.method, e.path) for e in ENDPOINTS.values()}
    missing = sorted(set(api_operations(spec)) - covered)
    assert not missing, f"operations without a client method: {missing}"


def test_every_client_method_names_an_operation_and_its_path_parameters(
    spec: dict[str, Any],
) -> None:
    operations = api_operations(spec)
    for name, endpoint in ENDPOINTS.items():
        operation = operations.get((endpoint.method, endpoint.path))
        assert operation is not None, f"{name}: no {endpoint.method} {endpoint.path}"
        in_path = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
        assert in_path == set(_placeholders(endpoint.path)), name
        assert endpoint.idempotent or endpoint.method in ("POST", "PATCH"), name


def test_both_clients_offer_every_method_with_the_same_signature() -> None:
    sync_client, async_client = Client("http://test"), AsyncClient("http://test")
    for name in ENDPOINTS:
        sync_method, async_method = getattr(sync_client, name), getattr(async_client, name)
        assert inspect.signature(sync_method) == inspect.signature(async_method), name
        assert sync_method.__doc__ == async_method.__doc__ and sync_method.__name__ == name


def test_the_client_loads_nothing_of_the_service() -> None:
    """A platform installs the package to call a remote service: importing the client
    must not import the server's modules or frameworks."""
    probe = (
        "import sys, safeguard.client\n"
        "server = ('fastapi', 'starlette', 'sqlalchemy', 'uvicorn', 'numpy')\n"
        "loaded = [m for m in sys.modules if m.split('.')[0] in server\n"
        "          or (m.startswith('safeguard.') and not m.startswith('safeguard.client'))]\n"
        "print(sorted(loaded))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert result.stdout.strip() == "[]"


def _placeholders(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{")]


def test_the_docs_list_every_method_and_its_operation() -> None:
    rows = re.findall(r"^\| `(\w+)` \| `(\w+) (\S+)`", CLIENT_DOCS.read_text(), re.MULTILINE)
    documented = {name: (method, path) for name, method, path in rows}
    assert documented == {name: (e.method, e.path) for name, e in ENDPOINTS.items()}
