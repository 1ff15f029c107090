"""Exchanges against local fakes of their sources (never a real service): incremental
fetches, updates and removals, failures and crashes in the middle of a fetch, bad pages
rejected whole, and the matcher seeing what a fetch added. Each test runs on SQLite and
PostgreSQL, in one database per backend migrated once for the module (each test names
its own banks and exchanges)."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from safeguard.banks import catalog
from safeguard.banks.models import BankSpec
from safeguard.cli import context
from safeguard.cli.main import app
from safeguard.errors import ConfigError, Conflict
from safeguard.exchanges import apply, runner, service
from safeguard.exchanges.base import ExchangeAdapter, ExchangeFailed, ExchangeRefused
from safeguard.exchanges.hma import HmaExchange
from safeguard.exchanges.ncmec import PRODUCTION_URL, TEST_URL, NcmecExchange
from safeguard.exchanges.ncmec_client import NcmecHashClient, format_time
from safeguard.exchanges.runner import fetch_exchange
from safeguard.exchanges.worker import ExchangeFetcher
from safeguard.screening.service import Requester, Screener
from safeguard.store.db import Database
from safeguard.store.migrate import upgrade
from safeguard.store.models import Exchange, utcnow
from tests.conftest import postgres_database
from tests.fakes import hma_server, ncmec_hash_server
from tests.fakes.ncmec_hash_server import (
    PASSWORD,
    REASON,
    USERNAME,
    FakeEntry,
    FakeNcmecHashes,
)

NOW = 1_800_000_000
WHO = Requester("tests", "exchange")
Held = set[tuple[str, str, str | None, tuple[str, ...]]]


def md5(seed: str) -> str:
    return hashlib.md5(seed.encode()).hexdigest()


def pdq(seed: str) -> str:
    """A plausible PDQ hash (about half its bits set)."""
    return hashlib.sha256(seed.encode()).hexdigest()


class Clock:
    def __init__(self) -> None:
        self.now = float(NOW)

    def __call__(self) -> float:
        return self.now


def held(db: Database, bank: str) -> Held:
    """(signal type, value, external id, labels) of the bank's enabled entries."""
    entries = catalog.list_entries(db, bank, limit=10_000)
    return {(e.signal_type, e.value, e.external_id, e.labels) for e in entries if e.enabled}


def make_bank(db: Database, name: str) -> str:
    catalog.create_bank(db, BankSpec(name), "tests")
    return name


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def migrated_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A database migrated once for the module (migrating takes seconds)."""
    sqlite = f"sqlite:///{tmp_path_factory.mktemp('exchanges') / 'safeguard.db'}"
    for url in [sqlite] if request.param == "sqlite" else postgres_database():
        upgrade(url)
        yield url


@pytest.fixture
def database_url(migrated_url: str) -> str:
    """Overrides conftest's: the ``db`` fixture opens the module's database."""
    return migrated_url


@pytest.fixture
def ncmec(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeNcmecHashes]:
    monkeypatch.setenv("TEST_NCMEC_USER", USERNAME)
    monkeypatch.setenv("TEST_NCMEC_PASSWORD", PASSWORD)
    with ncmec_hash_server.running(FakeNcmecHashes(page_size=2)) as fake:
        yield fake


def add_ncmec(db: Database, fake: FakeNcmecHashes, name: str, bank: str) -> None:
    settings = {
        "base_url": fake.url,
        "username_env": "TEST_NCMEC_USER",
        "password_env": "TEST_NCMEC_PASSWORD",
    }
    service.add_exchange(db, name, "ncmec", bank, settings)


def image(
    number: int, classification: str = "A1", at: int = NOW - 1000, seed: str = "image"
) -> FakeEntry:
    seed = f"{seed}-{number}"
    return FakeEntry(
        42,
        f"e{number:02}",
        "image",
        at + number,
        classification,
        {"md5": md5(seed), "pdq": pdq(seed)},
    )


def expected(db_name: str, entries: list[FakeEntry]) -> Held:
    """What a bank holds once it has every entry (the fakes' entries are images)."""
    return {
        (kind, value, f"{db_name}:{e.member_id}-{e.entry_id}", (e.classification or "",))
        for e in entries
        for kind, value in e.fingerprints.items()
    }


def test_ncmec_fetches_incrementally_with_updates_removals_and_the_matcher(
    db: Database, ncmec: FakeNcmecHashes
) -> None:
    clock = Clock()
    adapters: dict[str, ExchangeAdapter] = {"ncmec": NcmecExchange(clock)}
    bank = make_bank(db, "ncmec-list")
    add_ncmec(db, ncmec, "ncmec-test", bank)
    first = [image(n) for n in range(1, 5)]
    for entry in first:
        ncmec.put(entry)
    video = FakeEntry(43, "v1", "video", NOW - 900, "B2", {"md5": md5("video"), "tmk_pdqf": "/x"})
    video.fingerprints["videntifier"] = "abc"
    ncmec.put(video)

    result = fetch_exchange(db, "ncmec-test", adapters=adapters)
    assert (result.pages, result.error) == (3, None)
    assert (result.counts.added, result.counts.skipped) == (9, 2)  # linked TMK, videntifier
    video_held = ("video_md5", md5("video"), "ncmec-test:43-v1", ("B2",))
    assert held(db, bank) == expected("ncmec-test", first) | {video_held}
    screener = Screener(db, 50)
    assert screener.lookup({"pdq": pdq("image-2")}, WHO).decision.value == "block"

    # Nothing new: one request for the range since the last fetch's end, nothing applied.
    clock.now += 100
    ncmec.requests.clear()
    again = fetch_exchange(db, "ncmec-test", adapters=adapters)
    assert (again.pages, again.counts.added, again.counts.removed) == (1, 0, 0)
    assert len(ncmec.requests) == 1
    assert format_time(NOW - 6).replace(":", "%3A") in ncmec.requests[0]

    # A new entry, a changed one and a deleted one: only they are fetched.
    clock.now += 100
    changed = image(1, "A2", at=NOW + 110)
    changed.fingerprints["md5"] = md5("image-1-recut")
    ncmec.put(changed)
    ncmec.delete(42, "e02", NOW + 120)
    ncmec.put(image(9, at=NOW + 130))
    changes = fetch_exchange(db, "ncmec-test", adapters=adapters)
    assert changes.error is None
    assert (changes.counts.added, changes.counts.updated, changes.counts.removed) == (3, 1, 3)
    now_held = expected("ncmec-test", [changed, first[2], first[3], image(9, at=NOW + 130)])
    assert held(db, bank) == now_held | {video_held}
    assert screener.lookup({"pdq": pdq("image-2")}, WHO).decision.value == "allow"
    assert screener.lookup({"md5": md5("image-1")}, WHO).decision.value == "allow"
    assert screener.lookup({"pdq": pdq("image-9")}, WHO).decision.value == "block"

    view = service.get_exchange(db, "ncmec-test")
    assert (view.state, view.last_error, view.fetching) == ("ok", None, False)
    assert [f.added for f in view.fetches] == [3, 0, 9]


def test_ncmec_resumes_after_failures_crashes_and_bad_pages_without_duplicates(
    db: Database, ncmec: FakeNcmecHashes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ten entries in five pages; the fetch is stopped at a new point each time, and ends
    with the bank an uninterrupted fetch makes."""
    adapters: dict[str, ExchangeAdapter] = {"ncmec": NcmecExchange(Clock())}
    bank = make_bank(db, "resumed-list")
    add_ncmec(db, ncmec, "resumed", bank)
    entries = [image(n, seed="resumed") for n in range(1, 11)]
    for entry in entries:
        ncmec.put(entry)
    bad = image(7, seed="resumed")
    bad.fingerprints["md5"] = "not-an-md5"
    ncmec.put(bad)

    def pages(*numbers: int) -> Held:
        return expected(
            "resumed", [e for e in entries if (int(e.entry_id[1:]) + 1) // 2 in numbers]
        )

    # A server error on the second page: the first stays applied.
    ncmec.fail = {2: 500}
    result = fetch_exchange(db, "resumed", adapters=adapters)
    assert (result.pages, result.error) == (1, "NCMEC answered HTTP 500 to /hashsharing/v2/entries")
    assert held(db, bank) == pages(1)
    view = service.get_exchange(db, "resumed")
    assert (view.state, view.last_error) == ("failed", result.error)
    assert "start=3" in (view.checkpoint or {})["next"]

    # A malformed page: nothing of it is applied.
    ncmec.malformed = {3}
    result = fetch_exchange(db, "resumed", adapters=adapters)
    assert result.pages == 0
    assert "not well-formed" in (result.error or "")
    assert held(db, bank) == pages(1)

    # A crash while page 3 is being written: page 2 is kept, page 3 is not half-applied.
    real = apply.apply_page
    calls: list[int] = []

    def crashing(*args: object) -> object:
        counts = real(*args)  # type: ignore[arg-type]
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("power cut")
        return counts

    monkeypatch.setattr(runner, "apply_page", crashing)
    with pytest.raises(RuntimeError):
        fetch_exchange(db, "resumed", adapters=adapters)
    monkeypatch.setattr(runner, "apply_page", real)
    assert held(db, bank) == pages(1, 2)
    assert service.get_exchange(db, "resumed").last_error == "internal error (RuntimeError)"

    # A process that died holding the lease: others wait until it runs out.
    with db.session() as session:
        taken = update(Exchange).where(Exchange.name == "resumed")
        session.execute(taken.values(lease_owner="gone", lease_until=utcnow() + timedelta(hours=1)))
    with pytest.raises(Conflict):
        fetch_exchange(db, "resumed", adapters=adapters)
    with db.session() as session:
        session.execute(taken.values(lease_until=utcnow() - timedelta(seconds=1)))

    # A value that is not an MD5 rejects its whole page (e07 with e08).
    result = fetch_exchange(db, "resumed", adapters=adapters)
    assert result.pages == 1
    assert "record '42-e07' (md5)" in (result.error or "")
    assert held(db, bank) == pages(1, 2, 3)

    # Corrected at the source: the fetch ends where an uninterrupted one does.
    ncmec.put(image(7, seed="resumed"))
    result = fetch_exchange(db, "resumed", adapters=adapters)
    assert result.error is None
    assert held(db, bank) == pages(1, 2, 3, 4, 5) == expected("resumed", entries)
    assert len(catalog.list_entries(db, bank, limit=100)) == 20  # no duplicates

    clean = make_bank(db, "clean")
    add_ncmec(db, ncmec, "ncmec-clean", clean)
    assert fetch_exchange(db, "ncmec-clean", adapters=adapters).pages == 5
    stripped = {(k, v, labels) for k, v, _, labels in held(db, bank)}
    assert stripped == {(k, v, labels) for k, v, _, labels in held(db, clean)}


def test_local_files_apply_rows_gone_as_removals_and_refuse_bad_rows(
    db: Database, tmp_path: Path
) -> None:
    bank = make_bank(db, "local")
    path = tmp_path / "list.csv"
    path.write_text(
        "signal_type,signal_value,external_id,labels\n"
        f"md5,{md5('a')},item-1,A1;review\n"
        f"pdq,{pdq('b')},,\n"
        f"tmk,{md5('c')}\n"
    )
    service.add_exchange(db, "csv", "local_file", bank, {"path": str(path)})
    result = fetch_exchange(db, "csv")
    assert (result.pages, result.counts.added, result.counts.skipped) == (1, 2, 1)
    assert held(db, bank) == {
        ("md5", md5("a"), "csv:item-1", ("A1", "review")),
        ("pdq", pdq("b"), None, ()),
    }
    assert fetch_exchange(db, "csv").pages == 0  # unchanged: not even read

    path.write_text(f"md5,{md5('a')},item-1,A1\nmd5,{md5('d')}\n")
    result = fetch_exchange(db, "csv")
    assert (result.counts.added, result.counts.updated, result.counts.removed) == (1, 1, 1)
    assert held(db, bank) == {("md5", md5("a"), "csv:item-1", ("A1",)), ("md5", md5("d"), None, ())}

    path.write_text(f"md5,{md5('e')}\nmd5\n")
    result = fetch_exchange(db, "csv")
    assert (
        result.error
        == "line 2: expected 2 to 4 fields (signal_type,signal_value[,external_id,labels]), got 1"
    )
    assert len(held(db, bank)) == 2
    assert service.get_exchange(db, "csv").state == "failed"

    # A python-threatexchange signal file, fetched by the scheduled worker.
    signals = tmp_path / "signals.txt"
    signals.write_text(f"pdq {pdq('f')}\nvideo_md5 {md5('g')}\nraw_text hello\n")
    service.add_exchange(
        db, "ptx", "local_file", bank, {"path": str(signals), "format": "threatexchange"}
    )
    ExchangeFetcher(db, timedelta(hours=1)).run_pass(threading.Event())
    assert {("pdq", pdq("f"), None, ()), ("video_md5", md5("g"), None, ())} <= held(db, bank)
    assert service.get_exchange(db, "ptx").fetches[0].skipped == 1


def test_hma_peer_bank_is_mirrored_as_a_snapshot(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    adapters: dict[str, ExchangeAdapter] = {"hma": HmaExchange(Clock(), page_size=2)}
    bank = make_bank(db, "from-peer")
    monkeypatch.setenv("TEST_HMA_TOKEN", hma_server.TOKEN)
    with hma_server.running(hma_server.FakeHma(token=hma_server.TOKEN)) as peer:
        peer.put(1, {"pdq": pdq("p1"), "video_md5": md5("v1")})
        peer.put(2, {"pdq": pdq("p2")})
        peer.put(3, {"pdq": pdq("p3")}, disable_until_ts=0)  # disabled there
        peer.put(4, {"photo_md5_legacy": md5("x")})
        settings = {"base_url": peer.url, "bank": peer.bank, "token_env": "TEST_HMA_TOKEN"}
        service.add_exchange(db, "peer", "hma", bank, settings)

        peer.fail = {2: 503}
        result = fetch_exchange(db, "peer", adapters=adapters)
        assert result.error == "the HMA peer answered HTTP 503 to /c/bank/PEER_BANK/export"
        assert held(db, bank) == set()  # a snapshot is applied whole or not at all

        result = fetch_exchange(db, "peer", adapters=adapters)
        assert (result.counts.added, result.counts.skipped) == (3, 1)
        assert held(db, bank) == {
            ("pdq", pdq("p1"), "peer:1", ()),
            ("video_md5", md5("v1"), "peer:1", ()),
            ("pdq", pdq("p2"), "peer:2", ()),
        }
        assert fetch_exchange(db, "peer", adapters=adapters).counts.added == 0

        del peer.content[2]
        peer.put(1, {"pdq": pdq("p1")})
        result = fetch_exchange(db, "peer", adapters=adapters)
        assert (result.counts.removed, result.counts.updated) == (2, 1)
        assert held(db, bank) == {("pdq", pdq("p1"), "peer:1", ())}

        peer.malformed = {peer.exports + 1}
        peer.put(5, {"pdq": pdq("p5")})
        assert "other than JSON" in (fetch_exchange(db, "peer", adapters=adapters).error or "")
        assert held(db, bank) == {("pdq", pdq("p1"), "peer:1", ())}


def test_settings_are_checked_and_never_hold_credentials(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SAFEGUARD_NCMEC_HASH_USERNAME", raising=False)  # never NCMEC itself
    bank = make_bank(db, "checked")
    with pytest.raises(ConfigError, match="password_env"):
        service.add_exchange(db, "a", "ncmec", bank, {"password": "hunter2"})
    with pytest.raises(ConfigError, match="production"):
        service.add_exchange(db, "a", "ncmec", bank, {"base_url": PRODUCTION_URL})
    with pytest.raises(ConfigError, match="no setting 'url'"):
        service.add_exchange(db, "a", "hma", bank, {"url": "http://peer", "bank": "B"})
    with pytest.raises(ConfigError, match="unknown exchange adapter"):
        service.add_exchange(db, "a", "lantern", bank, {})
    with pytest.raises(ConfigError, match="must be a guid"):
        service.add_exchange(db, "a", "ncmec", bank, {"negative_reasons": {"PDQ": "other"}})
    test = service.add_exchange(db, "test", "ncmec", bank, {})
    assert test.config["base_url"] == TEST_URL
    assert (test.config["feedback"], test.config["negative_reasons"]) == (True, {})
    live = service.add_exchange(db, "live", "ncmec", bank, {"environment": "production"})
    assert (live.config["base_url"], live.config["feedback"]) == (PRODUCTION_URL, False)
    reasons = {"default": REASON.upper(), "pdq": REASON}
    live = service.configure_exchange(db, "live", {"feedback": True, "negative_reasons": reasons})
    assert live.config["negative_reasons"] == {"default": REASON, "PDQ": REASON}
    assert (live.config["feedback"], live.config["environment"]) == (True, "production")
    result = fetch_exchange(db, "test")  # no credentials in the environment: nothing is sent
    assert (
        result.error
        == "environment variable SAFEGUARD_NCMEC_HASH_USERNAME (username_env) is not set"
    )


def test_ncmec_client_status_and_feedback(ncmec: FakeNcmecHashes) -> None:
    ncmec.put(image(1))
    with NcmecHashClient(ncmec.url, USERNAME, PASSWORD) as client:
        assert client.status() == 7
        client.send_feedback(42, "e01", "md5", affirmative=True)
        client.send_feedback(42, "e01", "pdq", affirmative=False, reason_guid=REASON)
        with pytest.raises(ExchangeRefused, match="HTTP 400"):  # a reason NCMEC does not list
            client.send_feedback(42, "e01", "pdq", affirmative=False, reason_guid="0123-abcd")
        with pytest.raises(ExchangeRefused, match="HTTP 404"):
            client.send_feedback(42, "e99", "md5", affirmative=True)
        ncmec.feedback_fail = [503]
        with pytest.raises(ExchangeFailed, match="HTTP 503") as failed:
            client.send_feedback(42, "e01", "md5", affirmative=True)
        assert not isinstance(failed.value, ExchangeRefused)  # retried, not given up
    (first, up), (second, down) = ncmec.feedback[:2]
    assert first == "/v2/entries/42/e01/MD5/feedback"
    assert b"<affirmative" in up
    assert second == "/v2/entries/42/e01/PDQ/feedback"
    assert f"<negative><reasonIds><guid>{REASON}</guid>".encode() in down
    assert [(o.fingerprint, o.vote) for o in ncmec.opinions] == [
        ("MD5", "affirmative"),
        ("PDQ", "negative"),
    ]


def test_cli_adds_fetches_and_shows_an_exchange(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(context, "database", lambda: db)
    bank = make_bank(db, "cli")
    path = tmp_path / "list.csv"
    path.write_text(f"md5,{md5('cli')}\n")
    cli = CliRunner()
    added = cli.invoke(
        app,
        [
            "exchange",
            "add",
            "file",
            "--adapter",
            "local_file",
            "--bank",
            bank,
            "--set",
            f"path={path}",
        ],
    )
    assert added.exit_code == 0, added.output
    fetched = cli.invoke(app, ["exchange", "fetch", "file"])
    assert fetched.exit_code == 0, fetched.output
    assert '"added": 1' in fetched.output
    shown = cli.invoke(app, ["exchange", "status"])
    assert '"state": "ok"' in shown.output
    assert '"sha256": "' in shown.output
