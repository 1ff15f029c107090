"""Erasing message text once the retention period is over, on a schedule.

Text is erased off the request path: by a background thread of each API worker
(``ExpiredTextEraser``, started with the app) and by ``safeguard conversations
erase-expired`` for platforms that run it from cron. Each batch is its own short write
transaction, so the eraser never holds SQLite's single write lock for long, and the
partial index on messages still holding text keeps every batch proportional to them.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from sqlalchemy import and_, select, update

from safeguard.store.db import Database
from safeguard.store.models import ConversationMessage, utcnow
from safeguard.workers import PeriodicWorker

log = logging.getLogger("safeguard.conversations")

ERASE_EVERY = timedelta(minutes=1)  # how often each API worker erases expired text
ERASE_BATCH = 500  # messages erased per transaction


def erase_expired_text(
    db: Database,
    retention: timedelta,
    batch: int = ERASE_BATCH,
    stop: threading.Event | None = None,
) -> int:
    """Erase the text of messages received more than ``retention`` ago, ``batch`` at a
    time, each batch in its own transaction; how many were erased. Returns early once
    ``stop`` is set."""
    message = ConversationMessage
    expired = and_(message.received_at < utcnow() - retention, message.text.is_not(None))
    held = select(message.id).where(expired).limit(batch).scalar_subquery()
    erase = update(message).where(message.id.in_(held), expired).values(text=None)
    erased = 0
    while stop is None or not stop.is_set():
        with db.session() as session:
            done = session.connection().execute(erase).rowcount
        erased += done
        if done < batch:
            break
    return erased


class ExpiredTextEraser(PeriodicWorker):
    """Erases expired text at start and then every ``interval``, on a daemon thread."""

    def __init__(
        self, db: Database, retention: timedelta, interval: timedelta = ERASE_EVERY
    ) -> None:
        super().__init__("text-eraser", "erasing expired message text", interval, log)
        self.db = db
        self.retention = retention

    def run_pass(self, stop: threading.Event) -> bool:
        erase_expired_text(self.db, self.retention, stop=stop)
        return False
