"""Property-based tests of the API from its own OpenAPI description (schemathesis): a real
server on SQLite, a key of every scope, and generated requests, valid and not, that never
answer 500 and answer a documented status, content type and body; every error of
Safeguard's own API is problem+json.

The HMA-compatible API (``/hma``) answers HMA's error shape, described as such. The Matrix
content scanner API (``/_matrix``) answers Matrix's, which the description leaves out: it
is only held to answering without a server error. Requests whose head is over uvicorn's
16 KiB are not sent: the server drops them before Safeguard sees them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from hypothesis import assume, settings
from schemathesis import Case
from schemathesis.config import SchemathesisConfig
from schemathesis.openapi import from_dict

from safeguard.api.app import create_app
from safeguard.config import Settings
from tests.conftest import fresh_database
from tests.integration.server import Server, environment, start_server

PROBLEM_MEDIA_TYPE = "application/problem+json"
OWN_ERROR_SHAPES = ("/hma/", "/_matrix/")
MAX_HEAD_BYTES = 16 * 1024  # h11's default, which uvicorn keeps
CONFIG = {
    "generation": {"max-examples": 6, "no-shrink": True},
    "phases": {"coverage": {"enabled": False}},
    "checks": {
        "enabled": False,
        "not_a_server_error": {"enabled": True},
        "status_code_conformance": {"enabled": True},
        "content_type_conformance": {"enabled": True},
        "response_schema_conformance": {"enabled": True},
    },
    "operations": [
        {
            "include-path-regex": "^/_matrix/",
            "checks": {"enabled": False, "not_a_server_error": {"enabled": True}},
        },
        {
            # schemathesis 4.32 misreads the OpenAPI 3.1 ``prefixItems`` of the answer.
            "include-path": "/hma/m/compare",
            "checks": {"response_schema_conformance": {"enabled": False}},
        },
    ],
}

# The description the server serves, built in process (it needs no database): schemathesis
# loads a schema at collection, before any fixture has started the server.
schema = from_dict(
    create_app(Settings.from_env({})).openapi(), config=SchemathesisConfig.from_dict(CONFIG)
)


@pytest.fixture(scope="module")
def api_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """A server on a fresh SQLite database, without a request rate per key."""
    folder = tmp_path_factory.mktemp("schemathesis")
    for url in fresh_database(request, "sqlite", folder):
        running = start_server(
            environment(folder / "data", url, SAFEGUARD_KEY_REQUESTS_PER_SECOND="0")
        )
        try:
            yield running
        finally:
            running.stop()


def head_bytes(case: Case[Any], base_url: str, headers: dict[str, str]) -> int:
    """The size of the request line and headers the case is sent with."""
    sent = case.as_transport_kwargs(base_url=base_url, headers=headers)
    request = requests.Request(
        sent["method"], sent["url"], params=sent.get("params"), headers=sent.get("headers")
    ).prepare()
    return len(request.url or "") + sum(len(k) + len(v) + 4 for k, v in request.headers.items())


@schema.parametrize()
@settings(deadline=None)
def test_generated_requests(case: Case[Any], api_server: Server) -> None:
    headers = {"Authorization": f"Bearer {api_server.key}"}
    assume(head_bytes(case, api_server.base_url, headers) < MAX_HEAD_BYTES)
    response = case.call_and_validate(base_url=api_server.base_url, headers=headers)
    if response.status_code >= 400 and not case.path.startswith(OWN_ERROR_SHAPES):
        content_type = response.headers.get("content-type", [""])[0]
        assert content_type.startswith(PROBLEM_MEDIA_TYPE), response.text[:300]


@pytest.mark.parametrize(
    ("path", "media_type"),
    [("/v1/banks", PROBLEM_MEDIA_TYPE), ("/hma/c/banks", "application/json")],
)
def test_json_body_that_is_not_utf8_is_a_documented_400(
    api_server: Server, path: str, media_type: str
) -> None:
    """Found by the tests above: answered as a problem on HMA's routes, undescribed on ours."""
    response = api_server.client.post(
        path, content=b'{"name": "\xff"}', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith(media_type)
    operation = schema.raw_schema["paths"][path]["post"]
    assert media_type in operation["responses"]["400"]["content"]
