"""``safeguard backfill`` on a real local Ray cluster: a folder, a moto S3 server and a URL
list are screened into the audit log and review queue, each item exactly once, across
reruns and crashes."""

from __future__ import annotations

import json
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest
import ray
from moto.server import ThreadedMotoServer
from PIL import Image
from sqlalchemy import func, select

from safeguard.banks import catalog
from safeguard.banks.models import BankSpec, entries_of
from safeguard.cli import context
from safeguard.cli.main import main
from safeguard.config import Settings
from safeguard.errors import BadRequest
from safeguard.scale import backfill_store
from safeguard.scale.backfill import Options, backfill
from safeguard.scale.backfill_sources import Bucket, Source, UrlList, open_source
from safeguard.screening.signals import content_signals
from safeguard.services import Services
from safeguard.store.models import BackfillItem, BackfillRun, ReviewItemScreening, Screening
from tests.conftest import DATABASES, fresh_database, jpeg_bytes, png_bytes, synthetic_photo

BANKED = synthetic_photo(7)
UNRELATED = range(20, 24)
CAP = 300_000  # bytes: the upload cap of these tests


@pytest.fixture(scope="module")
def cluster() -> Iterator[None]:
    """One local Ray for the module (its workers get the fake AWS credentials)."""
    with pytest.MonkeyPatch.context() as env:
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
            env.setenv(name, "testing")
        env.setenv("AWS_DEFAULT_REGION", "us-east-1")
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
        try:
            yield
        finally:
            ray.shutdown()


def media() -> dict[str, bytes]:
    """Three copies of the banked image (the same file, re-encoded, resized), unrelated
    photos and one corrupt file, by name."""
    files = {
        "banked.jpg": jpeg_bytes(BANKED),
        "copies/reencoded.jpg": jpeg_bytes(BANKED, quality=60),
        "copies/smaller.png": png_bytes(BANKED.resize((240, 180))),
        "corrupt.jpg": b"\xff\xd8\xff\xe0 not an image at all",
    }
    files |= {f"other/p{seed}.jpg": jpeg_bytes(synthetic_photo(seed)) for seed in UNRELATED}
    return files


def folder_of(root: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return root


def services_on(url: str, folder: Path) -> Services:
    """Services on ``url``, with the small cap and the bank ``known`` holding BANKED."""
    env = {
        "SAFEGUARD_DATA_DIR": str(folder / "data"),
        "SAFEGUARD_DATABASE_URL": url,
        "SAFEGUARD_MAX_UPLOAD_BYTES": str(CAP),
        "SAFEGUARD_MAX_VIDEO_BYTES": str(CAP),
    }
    services = Services(Settings.from_env(env))
    catalog.create_bank(services.db, BankSpec("known"), "tests")
    catalog.create_bank(services.db, BankSpec("other"), "tests")
    signals = content_signals(jpeg_bytes(BANKED), services.limits, views=False)
    entries, _ = entries_of(signals, source="tests", item_key="banked", min_quality=50)
    catalog.add_entries(services.db, "known", entries, "tests")
    return services


def services_of(request: pytest.FixtureRequest, kind: str, folder: Path) -> Iterator[Services]:
    for url in fresh_database(request, kind, folder):
        running = services_on(url, folder)
        yield running
        running.close()


@pytest.fixture
def services(cluster: None, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Services]:
    """Services on SQLite."""
    yield from services_of(request, "sqlite", tmp_path)


@pytest.fixture(params=DATABASES)
def any_services(
    cluster: None, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Services]:
    """Services on SQLite, and on PostgreSQL when a server is configured."""
    yield from services_of(request, request.param, tmp_path)


def run(services: Services, source: Source, **options: Any) -> dict[str, Any]:
    batch_size = options.pop("batch_size", 3)
    chosen = Options(batch_size=batch_size, **options)
    return backfill(services.db, services.screener, services.limits, source, chosen)


def screenings(services: Services) -> list[tuple[str | None, str]]:
    """(content id, decision) of every backfill screening in the audit log."""
    with services.db.read_session() as session:
        query = select(Screening.content_id, Screening.decision).where(
            Screening.source == backfill_store.SOURCE
        )
        return [(content_id, decision) for content_id, decision in session.execute(query)]


def test_a_folder_is_screened_into_the_audit_log_and_review_queue_once(
    services: Services, tmp_path: Path
) -> None:
    source = open_source(str(folder_of(tmp_path / "media", media())))
    first = run(services, source)
    assert (first["listed"], first["skipped"], first["scanned"]) == (8, 0, 8)
    assert (first["blocked"], first["review"], first["allowed"]) == (3, 0, 4)
    assert first["errors"] == {"undecodable-media": 1}
    assert (first["state"], first["resumed"]) == ("done", False)
    recorded = screenings(services)
    assert sorted(d for _, d in recorded) == ["allow"] * 4 + ["block"] * 3
    with services.db.read_session() as session:
        blocked = set(session.scalars(select(Screening.id).where(Screening.decision == "block")))
        queued = set(session.scalars(select(ReviewItemScreening.screening_id)))
        run_row = session.get_one(BackfillRun, first["run_id"])
        assert (run_row.state, run_row.counts) == ("done", first)
    assert blocked == queued

    second = run(services, source)
    assert (second["skipped"], second["scanned"], second["blocked"], second["allowed"]) == (
        7,
        1,
        0,
        0,
    )
    assert second["errors"] == {"undecodable-media": 1}  # bad items are tried again
    assert screenings(services) == recorded


def test_bank_restricts_matching_and_makes_other_items(services: Services, tmp_path: Path) -> None:
    source = open_source(str(folder_of(tmp_path / "media", media())))
    only_other = run(services, source, banks=("other",))
    assert (only_other["blocked"], only_other["allowed"]) == (0, 7)
    assert run(services, source, banks=("known",))["blocked"] == 3


def crash_on_call(number: int, calls: list[int], real: Callable[..., Any]) -> Callable[..., Any]:
    """``real``, except that its call ``number`` (counting from 1) fails."""

    def maybe_failing(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == number:
            raise RuntimeError("injected crash")
        return real(*args, **kwargs)

    return maybe_failing


def test_runs_stopped_anywhere_resume_and_decide_each_item_once(
    any_services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = any_services
    source = open_source(str(folder_of(tmp_path / "media", media())))
    # A crash while screening the 4th item: 3 decided and recorded, 1 claimed, unscreened.
    with monkeypatch.context() as patch:
        patch.setattr(services.screener, "screen", crash_on_call(4, [], services.screener.screen))
        with pytest.raises(RuntimeError):
            run(services, source)
    assert len(screenings(services)) == 3
    with services.db.read_session() as session:
        assert session.scalars(select(BackfillRun.state)).one() == "failed"
    # A crash between the 2nd batch's screenings and their recording in the checkpoint.
    with monkeypatch.context() as patch:
        patch.setattr(backfill_store, "record", crash_on_call(1, [], backfill_store.record))
        with pytest.raises(RuntimeError):
            run(services, source)
    stopped = len(screenings(services))
    assert stopped > 3

    last = run(services, source)
    assert last["resumed"] is True
    assert last["recovered"] == stopped - 3  # screened before the crash, not again
    assert last["skipped"] + last["scanned"] == 8
    recorded = screenings(services)
    assert len(recorded) == 7 == len({content_id for content_id, _ in recorded})
    assert sorted(d for _, d in recorded) == ["allow"] * 4 + ["block"] * 3
    with services.db.read_session() as session:
        items = session.execute(select(BackfillItem.state, BackfillItem.screening_id)).all()
        runs = session.scalar(select(func.count()).select_from(BackfillRun))
        every = set(session.scalars(select(Screening.id)))
    assert sorted(state for state, _ in items) == ["decided"] * 7 and runs == 1
    assert {screening_id for _, screening_id in items} == every


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_an_s3_bucket_is_screened(services: Services) -> None:
    port = free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    moto.start()
    try:
        endpoint = f"http://127.0.0.1:{port}"
        s3 = boto3.client("s3", endpoint_url=endpoint)
        s3.create_bucket(Bucket="uploads")
        for name, data in media().items():
            s3.put_object(Bucket="uploads", Key=f"2026/{name}", Body=data)
        s3.put_object(Bucket="uploads", Key="elsewhere/banked.jpg", Body=jpeg_bytes(BANKED))
        source = open_source("s3://uploads/2026/", endpoint_url=endpoint)
        assert source == Bucket("uploads", "2026/", endpoint)
        first = run(services, source)
        assert (first["listed"], first["blocked"], first["allowed"]) == (8, 3, 4)
        assert first["errors"] == {"undecodable-media": 1}
        s3.put_object(Bucket="uploads", Key="2026/other/p20.jpg", Body=jpeg_bytes(BANKED))
        again = run(services, source)  # a changed object is another item
        assert (again["skipped"], again["scanned"], again["blocked"]) == (6, 2, 1)
    finally:
        moto.stop()


@pytest.fixture
def web(tmp_path: Path) -> Iterator[str]:
    """A local HTTP server of ``tmp_path / "site"``: its base URL."""
    site = tmp_path / "site"
    site.mkdir()
    handler = partial(SimpleHTTPRequestHandler, directory=str(site))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_url_list_is_screened_with_the_cap(services: Services, tmp_path: Path, web: str) -> None:
    site = folder_of(tmp_path / "site", media())
    noise = Image.effect_noise((1200, 1200), 100).convert("RGB")
    (site / "large.png").write_bytes(png_bytes(noise))
    assert (site / "large.png").stat().st_size > CAP
    names = [*media(), "large.png", "missing.jpg"]
    listing = tmp_path / "urls.txt"
    listing.write_text("# uploads\n\n" + "".join(f"{web}/{name}\n" for name in names))
    source = open_source(str(listing), seconds=10)
    assert isinstance(source, UrlList)
    summary = run(services, source)
    assert (summary["listed"], summary["blocked"], summary["allowed"]) == (10, 3, 4)
    assert summary["errors"] == {"content-too-large": 1, "unreadable": 1, "undecodable-media": 1}


def test_a_url_list_with_another_scheme_is_refused(tmp_path: Path) -> None:
    listing = tmp_path / "urls.txt"
    listing.write_text("https://example.test/a.jpg\nfile:///etc/hostname\n")
    with pytest.raises(BadRequest, match="line 2: not an http"):
        list(open_source(str(listing)).listing())


def safeguard(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run ``safeguard ARGS`` in this process, on the module's Ray (a process of its own
    would start Ray workers anew): exit status, stdout, stderr."""
    with pytest.MonkeyPatch.context() as patch, pytest.raises(SystemExit) as ended:
        patch.setattr(sys, "argv", ["safeguard", *args])
        main()
    out, err = capsys.readouterr()
    return int(ended.value.code or 0), out, err


def test_the_cli_prints_a_summary_and_refuses_bad_input(
    services: Services,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(context, "services", lambda: services)
    folder = str(folder_of(tmp_path / "media", media()))
    status, out, _ = safeguard(capsys, "backfill", folder, "--bank", "known", "--batch-size", "2")
    summary = json.loads(out)
    assert (status, summary["blocked"], summary["allowed"], summary["errors"]) == (
        0,
        3,
        4,
        {"undecodable-media": 1},
    )
    status, _, err = safeguard(
        capsys, "backfill", folder, "--resume", summary["run_id"], "--bank", "other"
    )
    assert status == 2 and err.startswith("safeguard: error: backfill run ")
    status, _, err = safeguard(capsys, "backfill", str(tmp_path / "nowhere"))
    assert status == 2 and "no such folder" in err
