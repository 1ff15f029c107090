"""The NCA adapter against a local fake NCA: the JSON report validates against its
schema and is exactly what is sent, with the bearer token; answers become replies and
errors retryable or not; the production environment needs a URL and a token."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from safeguard.config import Settings
from safeguard.errors import BadRequest, ConfigError
from safeguard.reporting.adapter import AuthorityError, Case, CaseFile, IpEvent, Provider
from safeguard.reporting.authorities import configured_authorities
from safeguard.reporting.nca import NCA_SCHEMA, TEST_URL, NcaAuthority, validate_report
from tests.fakes.nca_server import FakeNca, start_fake_nca

AT = datetime(2026, 11, 25, 12, 30, tzinfo=UTC)
CASE = Case(
    item_id="item-1",
    incident_at=AT,
    provider=Provider("Example Ltd", "Sam Safety", "safety@example.org", "+44 20 7946 0000", "GB"),
    reported_user_id="user-7",
    content_id="post-1",
    ip_events=(IpEvent("2001:db8::7", 443, AT),),
    files=(
        CaseFile(
            evidence_id="e-1",
            file_name="beach.jpg",
            media_type="image",
            md5="a" * 32,
            sha1="b" * 40,
            sha256="c" * 64,
            uploaded_at=AT,
            classification="A1",
            annotations=("infant",),
            hashes={"md5": "a" * 32, "pdq": "d" * 64},
            exif={"Make": "Camera Co"},
            url="https://platform.example/p/1",
        ),
    ),
    moderator="mo",
    confirmed_at=AT,
    summary="confirmed by a moderator",
)


@pytest.fixture
def fake() -> Iterator[FakeNca]:
    running = start_fake_nca()
    yield running
    running.stop()


def test_the_report_validates_and_is_what_is_sent(fake: FakeNca) -> None:
    nca = NcaAuthority(url=fake.url, token="test-token")
    payload = nca.payload(CASE)
    document = json.loads(payload)
    assert validate_report(payload).provider.name == "Example Ltd"
    assert document["environment"] == "test"
    assert document["users"] == [
        {
            "identifiers": ["user-7"],
            "ip_addresses": [
                {
                    "address": "2001:db8::7",
                    "port": 443,
                    "at": "2026-11-25T12:30:00Z",
                    "event": "Upload",
                }
            ],
        }
    ]
    [content] = document["content"]
    assert content["hashes"] == {
        "md5": "a" * 32,
        "sha1": "b" * 40,
        "sha256": "c" * 64,
        "pdq": "d" * 64,
        "other": {},
    }
    assert content["urls"] == ["https://platform.example/p/1"]
    assert content["exif"] == {"Make": "Camera Co"} and content["content_id"] == "post-1"
    assert document["declaration"]["true_and_complete"] is True
    assert "true and complete" in document["declaration"]["statement"]
    assert "mo" not in json.dumps(document["provider"])
    assert set(NCA_SCHEMA["required"]) >= {"provider", "content", "declaration", "users"}

    reply = nca.submit(payload)
    assert reply.value == "NCA-0001" and reply.status_code == 201
    [sent] = fake.reports()
    assert sent.body == payload.encode()
    assert sent.headers["Authorization"] == "Bearer test-token"
    assert sent.headers["Content-Type"] == "application/json"
    assert nca.finish("NCA-0001").status_code == 200
    assert nca.retract("NCA-0001").status_code == 200
    assert fake.received[-1].path == "/v1/reports/NCA-0001/withdrawal"


def test_invalid_reports_are_refused_before_sending(fake: FakeNca) -> None:
    nca = NcaAuthority(url=fake.url, token="test-token")
    document = json.loads(nca.payload(CASE))
    document["content"][0]["hashes"]["md5"] = "not a hash"
    with pytest.raises(BadRequest, match=r"content\.0\.hashes\.md5"):
        nca.submit(json.dumps(document))
    del document["declaration"]
    with pytest.raises(BadRequest):
        validate_report(json.dumps(document))
    assert fake.received == []


def test_answers_become_retryable_or_final_errors(fake: FakeNca) -> None:
    payload = NcaAuthority(url=fake.url, token="test-token").payload(CASE)
    fake.failures.extend([503, 400])
    nca = NcaAuthority(url=fake.url, token="test-token")
    with pytest.raises(AuthorityError) as unavailable:
        nca.submit(payload)
    assert unavailable.value.retryable and unavailable.value.status_code == 503
    with pytest.raises(AuthorityError) as refused:
        nca.submit(payload)
    assert not refused.value.retryable
    with pytest.raises(AuthorityError) as unauthorised:
        NcaAuthority(url=fake.url, token="wrong").submit(payload)
    assert unauthorised.value.status_code == 401 and not unauthorised.value.retryable
    assert "wrong" not in str(unauthorised.value)
    with pytest.raises(AuthorityError) as unreachable:
        NcaAuthority(url="http://127.0.0.1:9/v1/reports").submit(payload)
    assert unreachable.value.retryable


def test_settings_choose_the_environment_and_the_jurisdictions(tmp_path: object) -> None:
    base = {
        "SAFEGUARD_DATA_DIR": str(tmp_path),
        "SAFEGUARD_PROVIDER_NAME": "Example Ltd",
        "SAFEGUARD_PROVIDER_CONTACT_NAME": "Sam Safety",
        "SAFEGUARD_PROVIDER_CONTACT_EMAIL": "safety@example.org",
    }
    assert configured_authorities(Settings.from_env(base)) == {}
    uk = Settings.from_env(base | {"SAFEGUARD_REPORT_JURISDICTIONS": "uk"})
    [nca] = configured_authorities(uk).values()
    assert isinstance(nca, NcaAuthority)
    assert nca.environment == "test" and nca.url == TEST_URL and nca.sends_files is False
    production = base | {
        "SAFEGUARD_REPORT_JURISDICTIONS": "uk",
        "SAFEGUARD_NCA_ENVIRONMENT": "production",
    }
    with pytest.raises(ConfigError, match="SAFEGUARD_NCA_URL"):
        configured_authorities(Settings.from_env(production))
    with pytest.raises(ConfigError, match="unknown"):
        Settings.from_env(base | {"SAFEGUARD_REPORT_JURISDICTIONS": "fr"})
    with pytest.raises(ConfigError, match="SAFEGUARD_PROVIDER_NAME"):
        configured_authorities(
            Settings.from_env({"SAFEGUARD_REPORT_JURISDICTIONS": "uk", "SAFEGUARD_DATA_DIR": "x"})
        )
    assert "tok" not in repr(Settings.from_env(base | {"SAFEGUARD_NCA_TOKEN": "tok-secret"}))
