"""The Python client's retries and errors, against httpx's MockTransport: what is retried
(and how often, after how long), what is never sent twice, and how error answers become
typed exceptions carrying the problem."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from safeguard.client import (
    AsyncClient,
    AuthError,
    Client,
    Conflict,
    ContentTooLarge,
    InvalidRequest,
    NotFound,
    RateLimited,
    RetryPolicy,
    SafeguardError,
    ServerError,
    ServiceUnavailable,
    Unauthorized,
)
from safeguard.client import async_ as async_module
from safeguard.client import sync as sync_module
from safeguard.client.retries import retry_after

BASE = "http://safeguard.test"
NO_JITTER = RetryPolicy(retries=3, backoff=0.5, max_backoff=8.0, jitter=False)
BANK = {
    "id": "b1",
    "name": "known",
    "action": "block",
    "kind": "list",
    "thresholds": {"pdq": 31},
    "created_at": "2026-11-26T08:00:00+00:00",
    "entries": 0,
    "enabled_entries": 0,
}
SCREENING = {"screening_id": "s1", "decision": "allow", "matches": [], "signals": {}}
PROBLEM_TYPE = "https://safeguard.example/problems/"

Handler = Callable[[httpx.Request], httpx.Response]


def problem(status: int, slug: str, headers: dict[str, str] | None = None) -> httpx.Response:
    body = {"type": PROBLEM_TYPE + slug, "title": slug, "status": status, "detail": f"{slug}!"}
    return httpx.Response(
        status, json=body, headers={"content-type": "application/problem+json", **(headers or {})}
    )


class Script:
    """Answers requests in turn from a list (a response, or an exception to raise) and
    keeps what was sent."""

    def __init__(self, *outcomes: httpx.Response | Exception) -> None:
        self.outcomes = list(outcomes)
        self.requests: list[httpx.Request] = []
        self.bodies: list[bytes] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        self.bodies.append(request.read())
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The waits between attempts, recorded instead of slept (sync and async)."""
    waited: list[float] = []

    async def async_sleep(seconds: float) -> None:
        waited.append(seconds)

    monkeypatch.setattr(sync_module.time, "sleep", waited.append)
    monkeypatch.setattr(async_module.asyncio, "sleep", async_sleep)
    return waited


def client(script: Handler, retry: RetryPolicy = NO_JITTER, key: str | None = "sg_key") -> Client:
    return Client(BASE, key, retry=retry, transport=httpx.MockTransport(script))


def test_a_read_is_retried_on_503_after_the_retry_after_it_asks(sleeps: list[float]) -> None:
    script = Script(
        problem(503, "database-unavailable", {"Retry-After": "5"}),
        problem(503, "database-unavailable", {"Retry-After": "0"}),
        httpx.Response(200, json=BANK),
    )
    bank = client(script).get_bank("known")
    assert bank.name == "known" and bank.thresholds == {"pdq": 31}
    assert len(script.requests) == 3 and sleeps == [5.0, 0.0]


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_retries_back_off_exponentially_and_stop_after_the_bound(
    status: int, sleeps: list[float]
) -> None:
    script = Script(*[problem(status, "busy") for _ in range(4)])
    with pytest.raises(SafeguardError) as raised:
        client(script).list_banks()
    assert raised.value.status == status
    assert len(script.requests) == 4 and sleeps == [0.5, 1.0, 2.0]


def test_backoff_is_capped_and_jittered_below_the_cap() -> None:
    policy = RetryPolicy(retries=10, backoff=1.0, max_backoff=4.0)
    busy = problem(502, "bad-gateway")
    delays = [policy.delay(attempt, busy, idempotent=True) for attempt in range(10)]
    assert all(d is not None and 0 <= d <= 4.0 for d in delays)
    steady = RetryPolicy(retries=10, backoff=1.0, max_backoff=4.0, jitter=False)
    assert [steady.delay(n, busy, idempotent=True) for n in range(4)] == [1.0, 2.0, 4.0, 4.0]


def test_a_retry_after_longer_than_the_policy_waits_for_is_raised_at_once(
    sleeps: list[float],
) -> None:
    script = Script(problem(429, "too-many-attempts", {"Retry-After": "3600"}))
    with pytest.raises(RateLimited) as raised:
        client(script).list_banks()
    assert raised.value.retry_after == 3600.0 and len(script.requests) == 1 and sleeps == []


def test_retry_after_as_an_http_date() -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    seconds = retry_after(httpx.Response(503, headers={"Retry-After": later}))
    assert seconds is not None and 25 <= seconds <= 30
    past = format_datetime(datetime.now(UTC) - timedelta(hours=1), usegmt=True)
    assert retry_after(httpx.Response(503, headers={"Retry-After": past})) == 0.0
    for unreadable in ("soon", "nan", ""):
        assert retry_after(httpx.Response(503, headers={"Retry-After": unreadable})) is None


def test_a_screening_is_never_sent_twice(sleeps: list[float]) -> None:
    """The API takes no idempotency key: a second copy would be a second screening."""
    for failure in (
        problem(503, "database-unavailable", {"Retry-After": "1"}),
        problem(502, "bad-gateway"),
        httpx.ReadTimeout("timed out"),
        httpx.RemoteProtocolError("connection closed"),
    ):
        script = Script(failure, httpx.Response(200, json=SCREENING))
        with pytest.raises((SafeguardError, httpx.TransportError)):
            client(script).screen(b"\xff\xd8 image", content_id="post-1")
        assert len(script.requests) == 1, failure
    assert sleeps == []


def test_any_request_is_retried_when_it_never_left(sleeps: list[float]) -> None:
    script = Script(
        httpx.ConnectError("refused"),
        httpx.ConnectTimeout("no answer to the handshake"),
        httpx.Response(200, json=SCREENING),
    )
    screening = client(script).screen(b"image bytes", text="hello")
    assert screening.decision == "allow" and len(script.requests) == 3 and sleeps == [0.5, 1.0]


def test_a_read_is_retried_after_a_timeout_and_the_error_raised_when_retries_run_out(
    sleeps: list[float],
) -> None:
    script = Script(httpx.ReadTimeout("slow"), httpx.Response(200, json={"banks": [BANK]}))
    assert [b.name for b in client(script).list_banks()] == ["known"]
    failing = Script(*[httpx.ReadTimeout("slow") for _ in range(2)])
    with pytest.raises(httpx.ReadTimeout):
        client(failing, RetryPolicy(retries=1, jitter=False)).list_banks()
    assert len(failing.requests) == 2


def test_no_retries_with_a_policy_of_none(sleeps: list[float]) -> None:
    script = Script(problem(503, "database-unavailable"))
    with pytest.raises(ServiceUnavailable):
        client(script, RetryPolicy(retries=0)).health()
    assert len(script.requests) == 1 and sleeps == []


def test_operations_made_idempotent_are_retried_with_their_whole_body(
    sleeps: list[float],
) -> None:
    """Enabling an entry, importing a list (adds only what is missing) and checking an
    image (stores nothing) are retried; an upload's file is read again from its start."""
    entry = {
        "id": 7,
        "bank": "known",
        "content_item_id": 3,
        "signal_type": "md5",
        "value": "0" * 32,
        "external_id": None,
        "labels": [],
        "source": None,
        "enabled": False,
        "created_at": "2026-11-26T08:00:00Z",
    }
    script = Script(problem(503, "x"), httpx.Response(200, json=entry))
    assert client(script).set_entry_enabled("known", 7, False).enabled is False
    assert [json.loads(b) for b in script.bodies] == [{"enabled": False}] * 2
    imported = Script(
        problem(502, "x"), httpx.Response(200, json={"added": 1, "already_present": 0})
    )
    assert client(imported).import_list("known", "md5,abc\n").added == 1
    assert imported.bodies == [b"md5,abc\n"] * 2
    checked = Script(
        problem(503, "x"),
        httpx.Response(200, json={"action": "show", "scores": {}, "classifier": "nudenet"}),
    )
    photo = io.BytesIO(b"PHOTO-BYTES")
    assert client(checked).check_image(photo, locale="en-GB").action == "show"
    assert all(b"PHOTO-BYTES" in body and b"en-GB" in body for body in checked.bodies)


def test_the_async_client_retries_the_same_way(sleeps: list[float]) -> None:
    script = Script(
        problem(503, "database-unavailable", {"Retry-After": "2"}),
        httpx.Response(200, json=BANK),
    )
    posted = Script(problem(503, "database-unavailable"), httpx.Response(201, json=BANK))

    async def run() -> None:
        transport = httpx.MockTransport(script)
        async with AsyncClient(BASE, "sg_key", retry=NO_JITTER, transport=transport) as api:
            assert (await api.get_bank("known")).name == "known"
        once = AsyncClient(BASE, "sg_key", transport=httpx.MockTransport(posted))
        with pytest.raises(ServiceUnavailable):
            await once.create_bank("known")
        await once.aclose()

    asyncio.run(run())
    assert len(script.requests) == 2 and sleeps == [2.0] and len(posted.requests) == 1


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, InvalidRequest),
        (401, Unauthorized),
        (403, AuthError),
        (404, NotFound),
        (409, Conflict),
        (413, ContentTooLarge),
        (422, InvalidRequest),
        (500, ServerError),
    ],
)
def test_problem_answers_become_exceptions_of_their_status(
    status: int, cls: type[SafeguardError]
) -> None:
    script = Script(problem(status, "some-problem"))
    with pytest.raises(cls) as raised:
        client(script, RetryPolicy(retries=0)).get_bank("known")
    error = raised.value
    assert (error.status, error.type, error.title) == (
        status,
        PROBLEM_TYPE + "some-problem",
        "some-problem",
    )
    assert error.detail == "some-problem!" and error.problem["status"] == status
    assert str(error) == f"{status} some-problem: some-problem!"


def test_a_validation_problem_keeps_its_errors() -> None:
    body = {
        "type": PROBLEM_TYPE + "validation-error",
        "title": "Invalid request",
        "status": 422,
        "detail": "body.name: too long",
        "errors": [{"loc": ["body", "name"], "msg": "too long"}],
    }
    script = Script(
        httpx.Response(422, json=body, headers={"content-type": "application/problem+json"})
    )
    with pytest.raises(InvalidRequest) as raised:
        client(script).create_bank("x" * 500)
    assert raised.value.problem["errors"] == [{"loc": ["body", "name"], "msg": "too long"}]


def test_an_answer_that_is_no_problem_is_still_a_typed_error(sleeps: list[float]) -> None:
    """A proxy's HTML page, or a JSON body that is no object."""
    html = httpx.Response(
        502, text="<html>Bad Gateway</html>", headers={"content-type": "text/html"}
    )
    with pytest.raises(ServerError) as raised:
        client(Script(html), RetryPolicy(retries=0)).health()
    error = raised.value
    assert (error.type, error.title, error.detail) == (
        "about:blank",
        "Bad Gateway",
        "<html>Bad Gateway</html>",
    )
    assert error.problem["status"] == 502
    listed = httpx.Response(404, json=["not", "a", "problem"])
    with pytest.raises(NotFound) as missing:
        client(Script(listed)).get_bank("gone")
    assert missing.value.title == "Not Found" and missing.value.type == "about:blank"


def test_requests_carry_the_key_and_quoted_path_parameters() -> None:
    script = Script(
        httpx.Response(204),
        httpx.Response(200, json={"status": "ok", "version": "0.1.0", "index": {}}),
    )
    api = client(script)
    assert api.disconnect("user/1", "a b") is None
    assert api.health().status == "ok"
    assert script.requests[0].url.raw_path == b"/v1/accounts/user%2F1/connections/a%20b"
    assert script.requests[0].headers["authorization"] == "Bearer sg_key"
    anonymous = Script(httpx.Response(200, json={"status": "ok", "version": "0.1.0", "index": {}}))
    client(anonymous, key=None).health()
    assert "authorization" not in anonymous.requests[0].headers


def test_a_given_httpx_client_is_used_and_left_open() -> None:
    script = Script(httpx.Response(200, json={"banks": []}))
    http = httpx.Client(transport=httpx.MockTransport(script))
    with Client(BASE + "/", "sg_key", http_client=http) as api:
        assert api.list_banks() == []
    assert str(script.requests[0].url) == BASE + "/v1/banks" and not http.is_closed
    http.close()
