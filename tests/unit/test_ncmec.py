"""The NCMEC CyberTipline adapter against a local fake server (never the real API)."""

from __future__ import annotations

import hashlib
import io
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from PIL import Image

from safeguard.config import Settings
from safeguard.errors import BadRequest, ConfigError
from safeguard.reporting.adapter import (
    Authority,
    AuthorityError,
    Case,
    CaseFile,
    IpEvent,
    Provider,
)
from safeguard.reporting.ncmec import (
    INCIDENT_TYPE,
    PRODUCTION_URL,
    TEST_URL,
    NcmecAuthority,
    from_settings,
    validate,
)
from tests.fakes.ncmec_server import PASSWORD, USERNAME, FakeNcmec, running

AT = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def tiny_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (30, 120, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


CONTENT = tiny_png()


def case_file(content: bytes = CONTENT, **changes: object) -> CaseFile:
    file = CaseFile(
        evidence_id="ev-1",
        file_name="upload.png",
        media_type="image/png",
        md5=hashlib.md5(content).hexdigest(),
        sha1=hashlib.sha1(content).hexdigest(),
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_at=AT,
        classification="B2",
        annotations=("potential_meme",),
        hashes={"pdq": "ab" * 32},
        ip_event=IpEvent(address="192.0.2.10", port=51234, at=AT),
    )
    return replace(file, **changes)  # type: ignore[arg-type]


def make_case(**changes: object) -> Case:
    case = Case(
        item_id="item-1",
        incident_at=AT,
        provider=Provider(
            name="Example Photos",
            contact_name="Dana Example",
            contact_email="safety@example.org",
            contact_phone="+44 20 7946 0000",
            country="GB",
        ),
        reported_user_id="user-42",
        content_id="content-7",
        ip_events=(IpEvent(address="192.0.2.10", port=51234, at=AT),),
        files=(case_file(),),
        moderator="mod-1",
        confirmed_at=AT,
        summary="Matched a bank entry; confirmed by a moderator.",
    )
    return replace(case, **changes)  # type: ignore[arg-type]


@pytest.fixture
def fake() -> Iterator[FakeNcmec]:
    with running() as server:
        yield server


def authority(fake: FakeNcmec, **kwargs: object) -> NcmecAuthority:
    options: dict[str, object] = {
        "username": USERNAME,
        "password": PASSWORD,
        "base_url": fake.url,
        "timeout": 2.0,
    }
    options.update(kwargs)
    return NcmecAuthority(**options)  # type: ignore[arg-type]


def test_full_flow_submit_upload_describe_finish(fake: FakeNcmec) -> None:
    ncmec = authority(fake)
    case = make_case()
    payload = ncmec.payload(case)
    root = ET.fromstring(payload)
    assert root.findtext("incidentSummary/incidentType") == INCIDENT_TYPE
    assert root.findtext("incidentSummary/incidentDateTime") == "2026-11-20T09:30:00Z"
    assert root.findtext("reporter/reportingPerson/firstName") == "Dana"
    assert root.findtext("reporter/reportingPerson/lastName") == "Example"
    assert root.findtext("reporter/reportingPerson/email") == "safety@example.org"
    assert root.findtext("personOrUserReported/espIdentifier") == "user-42"
    assert root.findtext("personOrUserReported/ipCaptureEvent/ipAddress") == "192.0.2.10"
    assert root.findtext("personOrUserReported/ipCaptureEvent/port") == "51234"
    assert root.find("fileDetails") is None  # files go one by one

    submitted = ncmec.submit(payload)
    assert submitted.status_code == 200 and submitted.value is not None
    report_id = submitted.value
    assert fake.reports[report_id].xml == payload

    file = case.files[0]
    uploaded = ncmec.upload(report_id, file, CONTENT)
    assert uploaded.value is not None
    stored = fake.reports[report_id].files[uploaded.value]
    assert stored.md5 == file.md5 and stored.name == "upload.png"

    described = ncmec.describe(report_id, uploaded.value, file)
    assert described.status_code == 200
    details = ET.fromstring(stored.details or "")
    assert details.findtext("originalFileName") == "upload.png"
    assert details.findtext("industryClassification") == "B2"
    assert details.find("fileAnnotations/potentialMeme") is not None
    hashes = {e.get("hashType"): e.text for e in details.findall("originalFileHash")}
    assert hashes["MD5"] == file.md5 and hashes["SHA1"] == file.sha1
    assert details.findtext("ipCaptureEvent/eventName") == "Upload"

    finished = ncmec.finish(report_id)
    assert finished.value == report_id
    assert fake.reports[report_id].state == "finished"
    assert all(r.authorized for r in fake.received)
    ncmec.close()


def test_retract_an_open_report(fake: FakeNcmec) -> None:
    ncmec = authority(fake)
    report_id = ncmec.submit(ncmec.payload(make_case())).value
    assert report_id is not None
    assert ncmec.retract(report_id).status_code == 200
    assert fake.reports[report_id].state == "retracted"
    with pytest.raises(AuthorityError) as raised:  # a retracted report cannot be finished
        ncmec.finish(report_id)
    assert not raised.value.retryable and "2000" in raised.value.detail


def test_status_checks_credentials(fake: FakeNcmec) -> None:
    assert authority(fake).status().detail == f"Remote User : {USERNAME}"


def test_invalid_payload_is_refused_before_sending(fake: FakeNcmec) -> None:
    ncmec = authority(fake)
    no_email = make_case(provider=Provider(name="X", contact_name="A B", contact_email=""))
    with pytest.raises(BadRequest) as raised:
        ncmec.payload(no_email)
    assert "email" in raised.value.detail and "\n" not in raised.value.detail
    with pytest.raises(BadRequest):
        ncmec.payload(make_case(ip_events=(IpEvent("192.0.2.1", None, AT, event="Chat"),)))
    with pytest.raises(BadRequest):
        ncmec.payload(make_case(ip_events=(IpEvent("not-an-ip", None, AT),)))
    with pytest.raises(BadRequest):  # a hand-edited payload missing its incident summary
        ncmec.submit("<report><reporter/></report>")
    with pytest.raises(BadRequest):
        ncmec.describe("1000", "file-1", case_file(classification="C3"))
    with pytest.raises(BadRequest):
        ncmec.describe("1000", "file-1", case_file(md5="not hex"))
    assert fake.received == []


def test_schema_refuses_missing_required_fields() -> None:
    with pytest.raises(BadRequest, match="incidentDateTime"):
        validate(
            f"<report><incidentSummary><incidentType>{INCIDENT_TYPE}</incidentType>"
            "</incidentSummary><reporter><reportingPerson><email>a@b.org</email>"
            "</reportingPerson></reporter></report>",
            "report",
        )
    with pytest.raises(BadRequest, match="not well-formed"):
        validate("<report>", "report")


def test_server_errors_and_timeouts_are_retryable(fake: FakeNcmec) -> None:
    ncmec = authority(fake)
    report_id = ncmec.submit(ncmec.payload(make_case())).value
    assert report_id is not None
    file = case_file()
    fake.fail_upload[2] = 500
    first = ncmec.upload(report_id, file, CONTENT)
    with pytest.raises(AuthorityError) as raised:
        ncmec.upload(report_id, file, CONTENT)
    assert raised.value.retryable and raised.value.status_code == 500
    assert raised.value.step == "upload"
    assert first.value is not None
    fake.delay["finish"] = 1.5
    with pytest.raises(AuthorityError) as timed_out:
        authority(fake, timeout=0.5).finish(report_id)
    assert timed_out.value.retryable and timed_out.value.status_code is None
    fake.delay.clear()
    fake.fail["finish"] = 503
    with pytest.raises(AuthorityError) as unavailable:
        ncmec.finish(report_id)
    assert unavailable.value.retryable


def test_errors_never_carry_file_content(fake: FakeNcmec) -> None:
    ncmec = authority(fake)
    marker = b"CONTENT-MARKER-" + CONTENT
    fake.fail["upload"] = 500
    with pytest.raises(AuthorityError) as raised:
        ncmec.upload("1000", case_file(marker), marker)
    assert "CONTENT-MARKER" not in str(raised.value)


def test_client_errors_and_response_codes_are_not_retryable(fake: FakeNcmec) -> None:
    ncmec = authority(fake)
    fake.fail["submit"] = 400
    with pytest.raises(AuthorityError) as bad:
        ncmec.submit(ncmec.payload(make_case()))
    assert not bad.value.retryable and bad.value.status_code == 400
    fake.fail.clear()
    fake.response_code["submit"] = 4100
    with pytest.raises(AuthorityError) as coded:
        ncmec.submit(ncmec.payload(make_case()))
    assert not coded.value.retryable and "responseCode 4100" in coded.value.detail


def test_unreachable_server_is_retryable() -> None:
    ncmec = NcmecAuthority(
        username="u", password="p", base_url="http://127.0.0.1:9/ispws", timeout=1.0
    )
    with pytest.raises(AuthorityError) as raised:
        ncmec.status()
    assert raised.value.retryable


def test_bad_credentials_are_refused(fake: FakeNcmec) -> None:
    ncmec = authority(fake, password="wrong")
    with pytest.raises(AuthorityError) as raised:
        ncmec.submit(ncmec.payload(make_case()))
    assert raised.value.status_code == 401 and not raised.value.retryable
    assert "credentials" in raised.value.detail
    assert fake.reports == {}
    assert [r.authorized for r in fake.received] == [False]


def test_default_environment_is_test_and_production_only_when_configured() -> None:
    settings = Settings.from_env({"SAFEGUARD_NCMEC_USERNAME": "u", "SAFEGUARD_NCMEC_PASSWORD": "p"})
    test = from_settings(settings)
    assert test.environment == "test" and test.base_url == TEST_URL
    assert test.configured and test.name == "ncmec" and test.sends_files

    production = from_settings(
        Settings.from_env(
            {
                "SAFEGUARD_NCMEC_ENVIRONMENT": "production",
                "SAFEGUARD_NCMEC_USERNAME": "u",
                "SAFEGUARD_NCMEC_PASSWORD": "p",
            }
        )
    )
    assert production.environment == "production" and production.base_url == PRODUCTION_URL

    with pytest.raises(ConfigError):  # the production URL without the production environment
        from_settings(Settings.from_env({"SAFEGUARD_NCMEC_URL": PRODUCTION_URL + "/"}))
    with pytest.raises(ConfigError):
        Settings.from_env({"SAFEGUARD_NCMEC_ENVIRONMENT": "staging"})
    assert "ncmec_password" not in repr(settings)  # the password is not shown


def test_missing_credentials_fail_only_when_reporting() -> None:
    ncmec = from_settings(Settings.from_env({}))
    assert not ncmec.configured
    payload = ncmec.payload(make_case())  # building the preview still works
    with pytest.raises(ConfigError, match="SAFEGUARD_NCMEC_USERNAME"):
        ncmec.submit(payload)


def test_url_override_points_at_the_fake(fake: FakeNcmec) -> None:
    env = {
        "SAFEGUARD_NCMEC_URL": fake.url,
        "SAFEGUARD_NCMEC_USERNAME": USERNAME,
        "SAFEGUARD_NCMEC_PASSWORD": PASSWORD,
    }
    ncmec = from_settings(Settings.from_env(env))
    assert ncmec.environment == "test"
    assert ncmec.submit(ncmec.payload(make_case())).value in fake.reports


def test_case_without_user_or_ip_still_makes_a_report() -> None:
    ncmec = NcmecAuthority(username=None, password=None)
    payload = ncmec.payload(make_case(reported_user_id=None, ip_events=()))
    assert ET.fromstring(payload).find("personOrUserReported") is None


def test_implements_the_authority_protocol() -> None:
    adapter: Authority = NcmecAuthority(username=None, password=None)  # checked by mypy
    assert adapter.name == "ncmec" and adapter.environment == "test"
    assert "password" not in repr(adapter)
