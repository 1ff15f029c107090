"""The ThreatExchange and StopNCII adapters against local fakes of their APIs (never the
real services): incremental fetches, withdrawals, unknown types skipped, a failure and a
crash in the middle of a fetch, and bad pages rejected whole. Each test runs on SQLite
and PostgreSQL, in one database per backend migrated once for the module."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy.orm import Session

from safeguard.errors import ConfigError
from safeguard.exchanges import apply, registry, runner, service
from safeguard.exchanges.base import ExchangeAdapter, Page
from safeguard.exchanges.runner import fetch_exchange
from safeguard.exchanges.stopncii import StopNcii
from safeguard.exchanges.threatexchange import DEFAULT_URL, ThreatExchange
from safeguard.store.db import Database
from safeguard.store.models import Bank
from tests.fakes import stopncii_server, threatexchange_server
from tests.fakes.stopncii_server import FakeStopNcii
from tests.fakes.threatexchange_server import FakeThreatExchange, FakeUpdate
from tests.unit.test_exchanges import (  # noqa: F401  (the module's database fixtures)
    NOW,
    Clock,
    Held,
    database_url,
    held,
    make_bank,
    md5,
    migrated_url,
    pdq,
)


@pytest.fixture
def te(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeThreatExchange]:
    monkeypatch.setenv("TEST_TE_TOKEN", threatexchange_server.TOKEN)
    with threatexchange_server.running(FakeThreatExchange(page_size=2)) as fake:
        yield fake


@pytest.fixture
def ncii(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeStopNcii]:
    monkeypatch.setenv("TEST_NCII_SUBSCRIPTION", stopncii_server.SUBSCRIPTION_KEY)
    monkeypatch.setenv("TEST_NCII_FETCH", stopncii_server.FETCH_KEY)
    with stopncii_server.running(FakeStopNcii(page_size=2)) as fake:
        yield fake


def add_te(db: Database, fake: FakeThreatExchange, name: str, bank: str) -> None:
    settings = {
        "base_url": fake.url + threatexchange_server.VERSION,
        "privacy_group": fake.privacy_group,
        "access_token_env": "TEST_TE_TOKEN",
    }
    service.add_exchange(db, name, "fb_threatexchange", bank, settings)


def add_ncii(db: Database, fake: FakeStopNcii, name: str, bank: str) -> None:
    settings = {
        "base_url": fake.url,
        "subscription_key_env": "TEST_NCII_SUBSCRIPTION",
        "fetch_key_env": "TEST_NCII_FETCH",
    }
    service.add_exchange(db, name, "stop_ncii", bank, settings)


def crash_on(number: int) -> Callable[[Session, Bank, str, Page], apply.Counts]:
    """``apply_page``, but the process dies after writing the ``number``-th page of a
    fetch and before committing it."""
    pages = itertools.count(1)

    def apply_then_crash(session: Session, bank: Bank, exchange: str, page: Page) -> apply.Counts:
        counts = apply.apply_page(session, bank, exchange, page)
        if next(pages) == number:
            raise RuntimeError("power cut")
        return counts

    return apply_then_crash


def te_pdq(number: int, seed: str = "te", at: int = NOW - 1000) -> FakeUpdate:
    return FakeUpdate(number, pdq(f"{seed}-{number}"), "HASH_PDQ", at + number, ["csam"])


def te_held(name: str, updates: list[FakeUpdate]) -> Held:
    return {(("pdq", u.indicator, f"{name}:{u.id}", ("csam",))) for u in updates}


def test_threatexchange_fetches_updates_incrementally_maps_types_and_withdraws(
    db: Database, te: FakeThreatExchange
) -> None:
    clock = Clock()
    adapters: dict[str, ExchangeAdapter] = {"fb_threatexchange": ThreatExchange(clock)}
    bank = make_bank(db, "te-list")
    add_te(db, te, "te", bank)
    te.put(te_pdq(1))
    te.put(FakeUpdate(2, md5("photo"), "HASH_MD5", NOW - 990))
    te.put(FakeUpdate(3, md5("clip"), "HASH_MD5", NOW - 980, ["media_type_video"]))
    te.put(FakeUpdate(4, md5("video"), "HASH_VIDEO_MD5", NOW - 970))
    te.put(FakeUpdate(5, "tmk-bytes", "HASH_TMK", NOW - 960))
    te.put(FakeUpdate(6, "https://example.com/x", "URI", NOW - 950))

    result = fetch_exchange(db, "te", adapters=adapters)
    assert (result.pages, result.error) == (3, None)
    assert (result.counts.added, result.counts.skipped) == (4, 2)
    assert held(db, bank) == {
        ("pdq", pdq("te-1"), "te:1", ("csam",)),
        ("md5", md5("photo"), "te:2", ()),
        ("video_md5", md5("clip"), "te:3", ("media_type_video",)),
        ("video_md5", md5("video"), "te:4", ()),
    }
    checkpoint = service.get_exchange(db, "te").checkpoint or {}
    assert checkpoint == {"from": NOW - 6}

    # New and withdrawn indicators: only they are read again.
    clock.now += 100
    te.served.clear()
    te.put(te_pdq(7, at=NOW + 10))
    te.delete(2, NOW + 20)
    changes = fetch_exchange(db, "te", adapters=adapters)
    assert (changes.counts.added, changes.counts.removed, changes.error) == (1, 1, None)
    assert sorted(te.served) == [2, 7]
    assert ("md5", md5("photo"), "te:2", ()) not in held(db, bank)
    assert ("pdq", pdq("te-7"), "te:7", ("csam",)) in held(db, bank)


def test_threatexchange_resumes_mid_range_after_failures_and_crashes_without_duplicates(
    db: Database, te: FakeThreatExchange, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Eight updates in four pages, served by id; the fetch is stopped at a new point
    each time and ends with the bank an uninterrupted fetch makes."""
    adapters: dict[str, ExchangeAdapter] = {"fb_threatexchange": ThreatExchange(Clock())}
    bank = make_bank(db, "te-resumed")
    add_te(db, te, "te-resumed", bank)
    updates = [te_pdq(n, "resumed", at=NOW - 100 * n) for n in range(1, 9)]
    for update in updates:
        te.put(update)

    te.fail = {2: 500}  # a server error on the second page: the first stays applied
    result = fetch_exchange(db, "te-resumed", adapters=adapters)
    assert result.error == "ThreatExchange answered HTTP 500 to /v21.0/1012345678/threat_updates"
    assert held(db, bank) == te_held("te-resumed", updates[:2])
    checkpoint = service.get_exchange(db, "te-resumed").checkpoint or {}
    assert "after=" in checkpoint["next"]
    assert "access_token" not in str(checkpoint)  # the token is never stored

    te.malformed = {3}  # a malformed page: nothing of it is applied
    result = fetch_exchange(db, "te-resumed", adapters=adapters)
    assert (result.pages, result.error) == (0, "ThreatExchange answered something other than JSON")
    assert held(db, bank) == te_held("te-resumed", updates[:2])

    monkeypatch.setattr(runner, "apply_page", crash_on(2))  # while page 3 is written
    with pytest.raises(RuntimeError):
        fetch_exchange(db, "te-resumed", adapters=adapters)
    monkeypatch.setattr(runner, "apply_page", apply.apply_page)
    assert held(db, bank) == te_held("te-resumed", updates[:4])

    te.put(FakeUpdate(7, "not-a-pdq", "HASH_PDQ", NOW - 700))  # rejects its page whole
    result = fetch_exchange(db, "te-resumed", adapters=adapters)
    assert (result.pages, "record '7' (pdq)" in (result.error or "")) == (1, True)
    assert held(db, bank) == te_held("te-resumed", updates[:6])

    te.put(updates[6])  # corrected at the source
    result = fetch_exchange(db, "te-resumed", adapters=adapters)
    assert (result.pages, result.error) == (1, None)
    assert held(db, bank) == te_held("te-resumed", updates)
    clean = make_bank(db, "te-clean")
    add_te(db, te, "te-clean", clean)
    assert fetch_exchange(db, "te-clean", adapters=adapters).counts.added == 8
    assert {e[:2] for e in held(db, bank)} == {e[:2] for e in held(db, clean)}


def test_stopncii_fetches_incrementally_withdraws_skips_and_resumes(
    db: Database, ncii: FakeStopNcii
) -> None:
    clock = Clock()
    adapters: dict[str, ExchangeAdapter] = {"stop_ncii": StopNcii(clock)}
    bank = make_bank(db, "ncii-list")
    add_ncii(db, ncii, "ncii", bank)
    images = [pdq(f"ncii-{n}") for n in range(1, 6)]
    for n, value in enumerate(images):
        ncii.put("ImagePDQ", value, NOW - 100 + n, "Received" if n % 2 else "Active")
    ncii.put("VideoMD5", md5("ncii-video"), NOW - 50)
    ncii.put("VideoTMK", "tmk", NOW - 40)
    ncii.put("ImagePDQ", "f" * 64, NOW - 30, "Withdrawn")  # served last of the PDQ hashes
    every = {("pdq", v, None, ()) for v in images} | {("video_md5", md5("ncii-video"), None, ())}

    ncii.fail = {3: 503}  # the third page fails: the first two stay applied
    result = fetch_exchange(db, "ncii", adapters=adapters)
    assert (result.pages, result.error) == (2, "StopNCII answered HTTP 503 to /v1/FetchHashes")
    assert held(db, bank) == {("pdq", v, None, ()) for v in sorted(images)[:4]}
    assert (service.get_exchange(db, "ncii").checkpoint or {})["next"]

    ncii.malformed = {4}
    result = fetch_exchange(db, "ncii", adapters=adapters)
    assert (result.pages, result.error) == (0, "StopNCII answered something other than JSON")
    assert len(held(db, bank)) == 4

    result = fetch_exchange(db, "ncii", adapters=adapters)  # resumes at the third page
    assert (result.pages, result.error, result.counts.skipped) == (2, None, 1)
    assert held(db, bank) == every
    assert service.get_exchange(db, "ncii").checkpoint == {"start": NOW - 29}

    # Only what changed since is read: a withdrawal and a new hash.
    ncii.served.clear()
    ncii.put("ImagePDQ", images[0], NOW + 10, "Deleted")
    ncii.put("ImagePDQ", pdq("ncii-new"), NOW + 20)
    result = fetch_exchange(db, "ncii", adapters=adapters)
    assert (result.counts.added, result.counts.removed) == (1, 1)
    assert sorted(ncii.served) == sorted([images[0], pdq("ncii-new")])
    now_held = every - {("pdq", images[0], None, ())} | {("pdq", pdq("ncii-new"), None, ())}
    assert held(db, bank) == now_held

    ncii.put("ImagePDQ", "0" * 64, NOW + 30)  # not a valid PDQ hash: its page is refused
    result = fetch_exchange(db, "ncii", adapters=adapters)
    assert "(pdq)" in (result.error or "")
    assert held(db, bank) == now_held
    clean = make_bank(db, "ncii-clean")
    add_ncii(db, ncii, "ncii-clean", clean)
    del ncii.records[("ImagePDQ", "0" * 64)]
    assert fetch_exchange(db, "ncii-clean", adapters=adapters).error is None
    assert held(db, clean) == now_held


def test_settings_are_checked_and_production_is_never_a_silent_default(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SAFEGUARD_THREATEXCHANGE_TOKEN", raising=False)  # never Meta itself
    assert {"fb_threatexchange", "stop_ncii"} <= set(registry.adapters())
    bank = make_bank(db, "te-ncii-checked")
    with pytest.raises(ConfigError, match="access_token_env"):
        service.add_exchange(
            db, "x", "fb_threatexchange", bank, {"privacy_group": 1, "access_token": "t"}
        )
    with pytest.raises(ConfigError, match="privacy_group"):
        service.add_exchange(db, "x", "fb_threatexchange", bank, {})
    with pytest.raises(ConfigError, match="needs base_url"):
        service.add_exchange(db, "x", "stop_ncii", bank, {})
    with pytest.raises(ConfigError, match="no setting 'fetch_key'"):
        service.add_exchange(db, "x", "stop_ncii", bank, {"base_url": "http://x", "fetch_key": "k"})
    te = service.add_exchange(db, "te-default", "fb_threatexchange", bank, {"privacy_group": "7"})
    assert te.config["base_url"] == DEFAULT_URL
    result = fetch_exchange(db, "te-default")  # no token in the environment: nothing is sent
    assert result.error == (
        "environment variable SAFEGUARD_THREATEXCHANGE_TOKEN (access_token_env) is not set"
    )
