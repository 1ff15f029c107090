"""Webhooks: signatures a receiver checks with the documented code, endpoints, and the
dispatcher and sender against a local receiver, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select, update

from safeguard import events
from safeguard.errors import BadRequest, Conflict, NotFound
from safeguard.events import AppealDecided, ReviewDecided
from safeguard.store.db import Database
from safeguard.store.models import WebhookDelivery, WebhookEndpoint, utcnow
from safeguard.webhooks import delivery, service, signing
from safeguard.webhooks.delivery import RetrySchedule
from tests.webhook_receiver import documented_verify, receiver

NOW = 1_764_100_000
SOON = RetrySchedule(first=timedelta(milliseconds=1))
documented = documented_verify()

secrets_ = st.text(min_size=1, max_size=64)
bodies = st.binary(max_size=512)


# --- signing ------------------------------------------------------------------------------


@given(secret=secrets_, body=bodies, skew=st.integers(-300, 300))
def test_a_signature_verifies_in_both_the_library_and_the_documented_code(
    secret: str, body: bytes, skew: int
) -> None:
    header = signing.sign(secret, body, NOW)
    assert header.startswith(f"t={NOW},v1=")
    assert signing.verify(secret, body, header, now=NOW + skew)
    assert documented(secret, body, header, now=NOW + skew)


@given(secret=secrets_, body=bodies, flip=st.integers(0, 511))
def test_a_tampered_body_or_signature_is_rejected(secret: str, body: bytes, flip: int) -> None:
    header = signing.sign(secret, body, NOW)
    tampered = bytearray(body or b"\x00")
    tampered[flip % len(tampered)] ^= 0x01
    if body:
        assert not signing.verify(secret, bytes(tampered), header, now=NOW)
        assert not documented(secret, bytes(tampered), header, now=NOW)
    assert not documented(secret, body + b" ", header, now=NOW)
    assert not documented(secret + "x", body, header, now=NOW)
    digest = header.split("v1=")[1]
    forged = f"t={NOW},v1={'0' if digest[0] != '0' else '1'}{digest[1:]}"
    assert not documented(secret, body, forged, now=NOW)
    assert not signing.verify(secret, body, forged, now=NOW)
    # Moving the timestamp breaks the signature even within the tolerance.
    assert not documented(secret, body, f"t={NOW + 1},v1={digest}", now=NOW)


@pytest.mark.parametrize("skew", [-301, 301, 10_000])
def test_a_stale_or_future_timestamp_is_rejected(skew: int) -> None:
    header = signing.sign("s", b"{}", NOW)
    assert not signing.verify("s", b"{}", header, now=NOW + skew)
    assert not documented("s", b"{}", header, now=NOW + skew)


@pytest.mark.parametrize("header", ["", "v1=abc", "t=x,v1=abc", "t=1764100000", "garbage"])
def test_a_malformed_header_is_rejected(header: str) -> None:
    assert not signing.verify("s", b"{}", header, now=NOW)
    assert not documented("s", b"{}", header, now=NOW)


def test_any_of_several_v1_values_may_match() -> None:
    good = signing.sign("s", b"{}", NOW).split("v1=")[1]
    header = f"t={NOW},v1={'0' * 64},v1={good}"
    assert signing.verify("s", b"{}", header, now=NOW)
    assert documented("s", b"{}", header, now=NOW)


# --- endpoints ----------------------------------------------------------------------------


def log(db: Database, *logged: events.Event) -> None:
    with db.session() as s:
        for event in logged:
            events.record(s, event)


def decided(item: str) -> ReviewDecided:
    return ReviewDecided("moderator-ann", item, "confirmed", 12, None)


@pytest.mark.parametrize(
    ("url", "kinds"),
    [
        ("ftp://example.com/hook", ["review.decided"]),
        ("https:///no-host", ["review.decided"]),
        ("https://user:pw@example.com/", ["review.decided"]),
        ("https://example.com:99999/", ["review.decided"]),
        ("https://example.com/a b", ["review.decided"]),
        ("https://example.com/" + "a" * service.MAX_URL, ["review.decided"]),
        ("https://example.com/", []),
        ("https://example.com/", ["review.decide"]),
        ("https://example.com/", ["*", "review.decided"]),
    ],
)
def test_bad_endpoints_are_refused(db: Database, url: str, kinds: list[str]) -> None:
    with pytest.raises(BadRequest):
        service.add_endpoint(db, url, kinds, "admin")
    assert service.list_endpoints(db) == []


def test_known_kinds_hold_those_of_the_log() -> None:
    kinds = service.known_kinds()
    for kind in ("review.decided", "review.reversed", "appeal.decided", "report.received"):
        assert kind in kinds
    assert {"evidence.held", "webhook.added", "webhook.disabled"} <= set(kinds)


def test_an_endpoint_starts_at_the_newest_event_and_its_secret_is_never_logged(
    db: Database,
) -> None:
    log(db, decided("old-item"))
    endpoint, secret = service.add_endpoint(
        db, "https://platform.example/hook", ["review.decided"], "admin"
    )
    assert len(secret) >= 40 and endpoint.events == ["review.decided"]
    assert service.list_endpoints(db) == [endpoint]
    assert delivery.dispatch(db) == 0  # no history
    with db.read_session() as s:
        logged = events.read_events(s)
    assert [e.kind for e in logged] == ["review.decided", "webhook.added"]
    assert logged[1].subject == endpoint.id and logged[1].client == "admin"
    assert secret not in json.dumps([e.details for e in logged])
    assert secret not in repr(endpoint)


def test_disabling_is_logged_final_and_fails_pending_deliveries(db: Database) -> None:
    endpoint, _ = service.add_endpoint(db, "https://platform.example/h", ["*"], "admin")
    log(db, decided("a"))
    assert delivery.dispatch(db) == 1
    disabled = service.disable_endpoint(db, endpoint.id, "admin")
    assert disabled.disabled_at is not None
    [row] = service.deliveries(db, endpoint.id)
    assert (row.state, row.last_error) == ("failed", service.DISABLED_ERROR)
    log(db, decided("b"))
    assert delivery.dispatch(db) == 0
    assert delivery.claim(db) is None
    with pytest.raises(Conflict):
        service.disable_endpoint(db, endpoint.id, "admin")
    with pytest.raises(NotFound):
        service.disable_endpoint(db, "no-such-endpoint", "admin")
    with pytest.raises(NotFound):
        service.deliveries(db, "x" * 100)
    with db.read_session() as s:
        assert events.read_events(s)[-2].kind == "webhook.disabled"


# --- dispatching and sending --------------------------------------------------------------


def test_events_become_one_delivery_each_and_are_sent_signed(db: Database) -> None:
    with receiver() as hook, httpx.Client() as client:
        endpoint, secret = service.add_endpoint(
            db, hook.url, ["review.decided", "appeal.decided"], "admin"
        )
        log(db, decided("item-1"), AppealDecided("ann", "appeal-1", "granted", 7))
        log(db, events.ReviewReleased("ann", "item-2"))  # not subscribed
        assert delivery.dispatch(db) == 2
        assert delivery.dispatch(db) == 0  # idempotent: the cursor moved with the rows
        assert delivery.send_due(db, client, SOON) == 2
        assert delivery.send_due(db, client, SOON) == 0  # never twice once acknowledged
        received = hook.acknowledged()
    bodies = [json.loads(r.body) for r in received]
    assert [b["kind"] for b in bodies] == ["review.decided", "appeal.decided"]
    first = bodies[0]
    assert set(first) == {"id", "kind", "at", "actor", "subject", "details"}
    assert (first["actor"], first["subject"]) == ("moderator-ann", "item-1")
    assert first["details"] == {"outcome": "confirmed", "reason_length": 12, "safelist_bank": None}
    assert first["at"].endswith("+00:00")
    for r in received:
        assert r.headers["content-type"] == "application/json"
        assert r.headers["safeguard-event-id"] == str(json.loads(r.body)["id"])
        assert documented(secret, r.body, r.headers["safeguard-signature"])
    history = service.deliveries(db, endpoint.id)
    assert [(d.kind, d.state, d.attempts, d.last_status) for d in history] == [
        ("appeal.decided", "delivered", 1, 200),
        ("review.decided", "delivered", 1, 200),
    ]
    assert all(d.delivered_at and d.next_attempt_at is None for d in history)


def test_a_failing_endpoint_is_retried_with_backoff_until_it_answers(db: Database) -> None:
    with receiver(status=503) as hook, httpx.Client() as client:
        endpoint, _ = service.add_endpoint(db, hook.url, ["*"], "admin")
        log(db, decided("item-1"))
        delivery.dispatch(db)
        assert delivery.send_due(db, client, RetrySchedule()) == 0
        [row] = service.deliveries(db, endpoint.id)
        assert (row.state, row.attempts, row.last_status, row.last_error) == (
            "pending",
            1,
            503,
            "HTTP 503",
        )
        assert row.next_attempt_at is not None
        wait = row.next_attempt_at - utcnow()
        assert timedelta(seconds=20) < wait <= timedelta(seconds=30)
        assert delivery.send_due(db, client, RetrySchedule()) == 0  # not due yet
        assert hook.attempts() == 1
        hook.status = 204
        _make_due(db)
        assert delivery.send_due(db, client, RetrySchedule()) == 1
    [row] = service.deliveries(db, endpoint.id)
    assert (row.state, row.attempts, row.last_status, row.last_error) == (
        "delivered",
        2,
        204,
        None,
    )


def test_a_refused_connection_is_retried_and_fails_after_the_window(db: Database) -> None:
    with receiver() as hook:
        url = hook.url  # the port is free again once the receiver stops
    endpoint, _ = service.add_endpoint(db, url, ["*"], "admin")
    log(db, decided("item-1"))
    delivery.dispatch(db)
    with httpx.Client() as client:
        delivery.send_due(db, client, SOON)
        [row] = service.deliveries(db, endpoint.id)
        assert (row.state, row.last_status, row.last_error) == ("pending", None, "ConnectError")
        _make_due(db)
        delivery.send_due(db, client, RetrySchedule(window=timedelta(0)))
    [row] = service.deliveries(db, endpoint.id)
    assert (row.state, row.attempts) == ("failed", 2)
    assert delivery.claim(db) is None


def test_the_schedule_doubles_with_jitter_up_to_an_hour_until_the_window_ends() -> None:
    schedule = RetrySchedule()
    for attempts, base in [(1, 30), (2, 60), (3, 120), (7, 1920), (8, 3600), (60, 3600)]:
        delay = schedule.delay(attempts).total_seconds()
        assert 0.8 * base <= delay <= base
    created = utcnow()
    near_end = created + timedelta(hours=47, minutes=59, seconds=50)
    assert schedule.next_attempt(created, 50, near_end) == created + schedule.window
    assert schedule.next_attempt(created, 50, created + schedule.window) is None


def test_two_workers_never_claim_the_same_delivery(db: Database) -> None:
    endpoint, _ = service.add_endpoint(db, "http://127.0.0.1:9/hook", ["*"], "admin")
    log(db, *(decided(f"item-{n}") for n in range(20)))
    assert delivery.dispatch(db) == 20
    claimed: list[int] = []
    lock = threading.Lock()

    def work() -> None:
        while (one := delivery.claim(db)) is not None:
            with lock:
                claimed.append(one.event.id)

    workers = [threading.Thread(target=work) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(claimed) == len(set(claimed)) == 20
    assert {d.attempts for d in service.deliveries(db, endpoint.id)} == {1}


def test_two_dispatchers_add_each_delivery_once(db: Database) -> None:
    service.add_endpoint(db, "http://127.0.0.1:9/hook", ["*"], "admin")
    log(db, *(decided(f"item-{n}") for n in range(30)))
    added: list[int] = []
    workers = [
        threading.Thread(target=lambda: added.append(delivery.dispatch(db))) for _ in range(3)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sum(added) == 30
    with db.read_session() as s:
        assert len(s.scalars(select(WebhookDelivery.event_id)).all()) == 30
        [cursor] = s.scalars(select(WebhookEndpoint.last_event_id)).all()
        assert cursor == events.read_events(s)[-1].id


def test_the_worker_thread_delivers_and_stops(db: Database) -> None:
    with receiver() as hook:
        service.add_endpoint(db, hook.url, ["review.decided"], "admin")
        worker = delivery.WebhookWorker(db, timedelta(milliseconds=50), SOON)
        worker.start()
        try:
            log(db, decided("item-1"))
            deadline = utcnow() + timedelta(seconds=10)
            while not hook.acknowledged() and utcnow() < deadline:
                threading.Event().wait(0.05)
        finally:
            worker.stop()
        assert len(hook.acknowledged()) == 1


def _make_due(db: Database) -> None:
    with db.session() as s:
        s.execute(update(WebhookDelivery).values(next_attempt_at=utcnow()))
