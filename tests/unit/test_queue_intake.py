"""How screenings enter the review queue, on SQLite and PostgreSQL: a block opens an item
too, repeat uploads of the same content join the undecided item (even at once from
several threads), a decided item gathers no more, and the queue is ordered and filtered."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from safeguard import events
from safeguard.banks import catalog
from safeguard.banks.models import BankAction, BankSpec, NewEntry
from safeguard.moderation import decisions, people
from safeguard.moderation.decisions import Outcome
from safeguard.moderation.intake import content_key
from safeguard.moderation.people import Role
from safeguard.moderation.priority import Priority
from safeguard.moderation.queue import QueueFilter, item_banks, item_uploads, list_queue
from safeguard.screening.policy import Decision
from safeguard.screening.service import Requester, Screener
from safeguard.signals.base import SignalValue
from safeguard.store.db import Database

BLOCKED = "5dc1441dd7a12fa79f2a43b1ebc93eab"
HELD = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    catalog.create_bank(database, BankSpec("known", BankAction.BLOCK), "platform-a")
    catalog.add_entry(database, "known", NewEntry("md5", BLOCKED), "platform-a")
    catalog.create_bank(database, BankSpec("check-these", BankAction.REVIEW), "platform-a")
    catalog.add_entry(database, "check-these", NewEntry("md5", HELD), "platform-a")
    yield database
    database.dispose()


def screen(
    db: Database, md5: str, uploader: str = "user-1", client: str = "platform-a"
) -> Decision:
    requester = Requester(client, "lookup", uploader_id=uploader)
    return Screener(db, 50).lookup({"md5": md5}, requester).decision


def test_a_block_opens_an_item_first_in_the_queue(db: Database) -> None:
    assert screen(db, HELD) is Decision.REVIEW
    assert screen(db, BLOCKED) is Decision.BLOCK
    held, blocked = sorted(list_queue(db), key=lambda i: i.priority)
    assert blocked.priority == Priority.BLOCKED_UPLOAD > held.priority == Priority.UPLOAD_FOR_REVIEW
    assert [i.id for i in list_queue(db)] == [blocked.id, held.id]  # urgent first
    assert blocked.reason["decision"] == "block"
    assert [i.id for i in list_queue(db, QueueFilter(bank="known"))] == [blocked.id]
    assert [i.id for i in list_queue(db, QueueFilter(bank="check-these"))] == [held.id]
    assert list_queue(db, QueueFilter(kind="conversation")) == []
    assert len(list_queue(db, QueueFilter(kind="screening"))) == 2
    assert item_banks(db) == ["check-these", "known"]


def test_repeat_uploads_join_one_item_until_it_is_decided(db: Database) -> None:
    for uploader in ("user-1", "user-2", "user-3"):
        assert screen(db, BLOCKED, uploader) is Decision.BLOCK
    screen(db, BLOCKED, "user-9", client="platform-b")  # another client's: its own item
    mine = [i for i in list_queue(db) if i.client == "platform-a"]
    assert len(mine) == 1 and mine[0].occurrences == 3
    assert {u.uploader_id for u in item_uploads(db, mine[0].id)} == {"user-1", "user-2", "user-3"}
    with db.read_session() as session:
        joined = events.read_events(session, kinds=["review.joined"])
    assert [e.details["occurrences"] for e in joined] == [2, 3]

    mo = people.create_user(db, "mo", "correct horse battery staple", Role.MODERATOR, "cli")
    decisions.decide(db, mine[0].id, mo, Outcome.CONFIRMED, "known material")
    screen(db, BLOCKED, "user-4")  # after the decision: a new item
    [fresh] = [i for i in list_queue(db) if i.client == "platform-a"]
    assert fresh.id != mine[0].id and fresh.occurrences == 1


def test_uploads_at_once_open_a_single_item(db: Database) -> None:
    errors: list[BaseException] = []

    def upload(n: int) -> None:
        try:
            screen(db, BLOCKED, f"user-{n}")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=upload, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    [item] = list_queue(db)
    assert item.occurrences == 6 and len(item_uploads(db, item.id)) == 6


def test_the_content_key_prefers_sha256_and_bounds_its_length() -> None:
    md5, sha = SignalValue(BLOCKED), SignalValue("ab" * 32)
    assert content_key({"md5": md5, "sha256": sha, "pdq": None}) == f"sha256:{'ab' * 32}"
    assert content_key({"md5": md5}) == f"md5:{BLOCKED}"
    long = content_key({"toy": SignalValue("f" * 500)})
    assert long is not None and long.startswith("toy:sha256:") and len(long) <= 128
    assert content_key({"pdq": None}) is None
