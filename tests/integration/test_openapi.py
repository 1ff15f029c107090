"""The OpenAPI description is a contract: every answer's body, every problem and the API
key are described; the docs page is served from the service's own assets; the API and
the CLI keep to the layering contract (``[tool.importlinter]`` in pyproject.toml)."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from safeguard.api.app import create_app
from safeguard.config import Settings

ROOT = Path(__file__).resolve().parents[2]
PROBLEM_MEDIA_TYPE = "application/problem+json"
TEXT_ANSWERS = {("get", "/v1/banks/{name}/export")}  # CSV, not JSON
ASSET_URL = re.compile(r'<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"')


def fetch(tmp_path: Path, *paths: str) -> list[httpx.Response]:
    """GET each path from an app running in process (no database is needed)."""
    app = create_app(Settings.from_env({"SAFEGUARD_DATA_DIR": str(tmp_path)}))

    async def call() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return [await client.get(path) for path in paths]

    return asyncio.run(call())


@pytest.fixture
def spec(tmp_path: Path) -> dict[str, Any]:
    [response] = fetch(tmp_path, "/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path, operation) of every /v1/ operation."""
    return [
        (method, path, operation)
        for path, item in spec["paths"].items()
        if path.startswith("/v1/")
        for method, operation in item.items()
    ]


def resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        schema = spec["components"]["schemas"][name]
    return schema


def answer_schema(spec: dict[str, Any], operation: dict[str, Any]) -> dict[str, Any]:
    """The resolved JSON schema of the operation's 200 or 201 answer."""
    [status] = [s for s in ("200", "201") if s in operation["responses"]]
    content = operation["responses"][status]["content"]
    return resolve(spec, content["application/json"]["schema"])


def test_every_json_answer_is_described_field_by_field(spec: dict[str, Any]) -> None:
    described = 0
    for method, path, operation in operations(spec):
        if (method, path) in TEXT_ANSWERS or "204" in operation["responses"]:
            continue
        schema = answer_schema(spec, operation)
        assert schema.get("properties"), f"{method.upper()} {path} answers an undescribed body"
        described += 1
    assert described >= 13


@pytest.mark.parametrize("path", ["/v1/screen", "/v1/lookup"])
def test_screening_answers_name_decision_matches_and_signals(
    spec: dict[str, Any], path: str
) -> None:
    schema = answer_schema(spec, spec["paths"][path]["post"])
    assert {"screening_id", "decision", "matches", "signals"} <= set(schema["properties"])
    decision = resolve(spec, schema["properties"]["decision"])
    assert set(decision["enum"]) == {"block", "review", "allow"}
    match = resolve(spec, schema["properties"]["matches"]["items"])
    assert {
        "bank",
        "entry_id",
        "content_item_id",
        "signal_type",
        "distance",
        "effect",
        "view",
        "video",
    } <= set(match["properties"])
    signals = resolve(spec, schema["properties"]["signals"])
    assert set(signals["properties"]) == {
        "md5",
        "video_md5",
        "sha256",
        "pdq",
        "pdq_quality",
        "vpdq",
    }


WITHOUT_KEY = {
    "/v1/health": {"503"},
    "/v1/ready": {"503"},
    # Age-assurance providers sign their callbacks instead (docs/accounts.md).
    "/v1/age-assurance/callbacks/{provider_id}": {"401", "409", "422", "503"},
    # pict-rs cannot send headers: its key is a query parameter (docs/integration.md).
    "/v1/integrations/pict-rs/validate": {"401", "403", "413", "415", "422", "503"},
    # Mastodon signs its webhook deliveries.
    "/v1/integrations/mastodon/webhook": {"401", "422", "502", "503"},
}
"""The operations that take no API key, and the problems each may answer."""


def test_the_api_key_is_a_bearer_scheme_every_protected_operation_uses(
    spec: dict[str, Any],
) -> None:
    schemes = spec["components"]["securitySchemes"]
    [(name, scheme)] = schemes.items()
    assert scheme["type"] == "http" and scheme["scheme"] == "bearer"
    for method, path, operation in operations(spec):
        expected: list[dict[str, list[str]]] = [] if path in WITHOUT_KEY else [{name: []}]
        assert operation.get("security", []) == expected, f"{method.upper()} {path}"


def test_problem_answers_are_described_as_problems(spec: dict[str, Any]) -> None:
    problem = resolve(spec, {"$ref": "#/components/schemas/Problem"})
    assert {"type", "title", "status", "detail", "errors"} <= set(problem["properties"])
    assert set(problem["required"]) == {"type", "title", "status", "detail"}
    for method, path, operation in operations(spec):
        wanted = WITHOUT_KEY.get(path, {"401", "403", "422", "503"})
        responses = operation["responses"]
        assert wanted <= set(responses), f"{method.upper()} {path}"
        for status, response in responses.items():
            if status.startswith(("4", "5")):
                content = response["content"]
                assert list(content) == [PROBLEM_MEDIA_TYPE], f"{method} {path} {status}"
                schema = content[PROBLEM_MEDIA_TYPE]["schema"]
                assert resolve(spec, schema) is problem


def test_hma_operations_take_the_api_key_and_answer_hma_errors(spec: dict[str, Any]) -> None:
    """The HMA-compatible routes answer client errors in HMA's ``{"message"}`` shape
    (docs/hma-compatible-api.md), and a database outage as a problem."""
    hma = [
        (method, path, operation)
        for path, item in spec["paths"].items()
        if path.startswith("/hma/")
        for method, operation in item.items()
    ]
    assert len(hma) >= 16
    error = resolve(spec, {"$ref": "#/components/schemas/HmaError"})
    problem = resolve(spec, {"$ref": "#/components/schemas/Problem"})
    for method, path, operation in hma:
        assert operation["security"] == [{"ApiKey": []}], f"{method.upper()} {path}"
        responses = operation["responses"]
        assert {"401", "403", "422", "503"} <= set(responses), f"{method.upper()} {path}"
        for status, response in responses.items():
            if status.startswith(("4", "5")):
                [(media_type, content)] = response["content"].items()
                expected = (
                    (PROBLEM_MEDIA_TYPE, problem)
                    if status == "503"
                    else ("application/json", error)
                )
                assert (media_type, resolve(spec, content["schema"])) == expected


@pytest.mark.parametrize(
    ("method", "path", "statuses"),
    [
        ("post", "/v1/screen", {"400", "413", "415"}),
        ("get", "/v1/screenings/{screening_id}", {"404"}),
        ("get", "/v1/banks/{name}", {"404"}),
        ("get", "/v1/conversations/{conversation_id}", {"404"}),
        ("post", "/v1/banks", {"409"}),
        ("post", "/v1/banks/{name}/entries", {"404", "409"}),
    ],
)
def test_operation_specific_problems_are_described(
    spec: dict[str, Any], method: str, path: str, statuses: set[str]
) -> None:
    assert statuses <= set(spec["paths"][path][method]["responses"])


def test_docs_page_loads_only_assets_the_service_serves(tmp_path: Path) -> None:
    [page] = fetch(tmp_path, "/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    urls = ASSET_URL.findall(page.text)
    assert len(urls) >= 2  # the script and the stylesheet, at least
    assert not [url for url in urls if url.startswith(("http://", "https://", "//"))]
    assets = fetch(tmp_path, *urls)
    assert [response.status_code for response in assets] == [200] * len(urls)
    assert all(response.content for response in assets)


def test_api_and_cli_keep_the_import_contract() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
