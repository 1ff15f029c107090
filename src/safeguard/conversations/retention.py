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
from sqlalchemy.exc import SQLAlchemyError

from safeguard.store.db import Database
from safeguard.store.models import ConversationMessage, utcnow

log = logging.getLogger("safeguard.conversations")

ERASE_EVERY = timedelta(minutes=1)  # how often each API worker erases expired text
ERASE_BATCH = 500  # messages erased per transaction
STOP_WAIT_SECONDS = 30.0  # longest a shutdown waits for a pass under way


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


class ExpiredTextEraser:
    """Erases expired text at start and then every ``interval``, on a daemon thread."""

    def __init__(
        self, db: Database, retention: timedelta, interval: timedelta = ERASE_EVERY
    ) -> None:
        self.db = db
        self.retention = retention
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="text-eraser", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop after the batch under way, if any: the thread ends within
        ``STOP_WAIT_SECONDS`` unless the database hangs (it is a daemon, so it never keeps
        the process alive)."""
        self._stop.set()
        self._thread.join(STOP_WAIT_SECONDS)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._erase_once()
            self._stop.wait(self.interval.total_seconds())

    def _erase_once(self) -> None:
        """One pass; a database error is logged in one line (its type only: the message
        could quote stored values) and the next pass tries again."""
        try:
            erase_expired_text(self.db, self.retention, stop=self._stop)
        except SQLAlchemyError as exc:
            log.warning(
                "erasing expired message text failed (%s); retrying in %g s",
                type(exc).__name__,
                self.interval.total_seconds(),
            )
