"""The exchanges' background work: the scheduled fetch of every configured exchange, and
feedback to their sources, each at start and then every interval."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from safeguard.exchanges import feedback, feedback_send
from safeguard.exchanges.service import fetch_all
from safeguard.store.db import Database
from safeguard.workers import PeriodicWorker

log = logging.getLogger("safeguard.exchanges")


class ExchangeFetcher(PeriodicWorker):
    """Fetches every exchange on a daemon thread of each API worker process; leases let
    several processes run it side by side."""

    def __init__(self, db: Database, interval: timedelta) -> None:
        super().__init__("exchange-fetcher", "fetching exchanges", interval, log)
        self.db = db

    def run_pass(self, stop: threading.Event) -> bool:
        fetch_all(self.db, stop)
        return False


class FeedbackSender(PeriodicWorker):
    """Queues moderators' opinions of exchanged records and sends what is due
    (``feedback.py``, ``feedback_send.py``); cursors and leases let several processes
    run it side by side."""

    def __init__(self, db: Database, interval: timedelta) -> None:
        super().__init__("exchange-feedback", "sending exchange feedback", interval, log)
        self.db = db

    def run_pass(self, stop: threading.Event) -> bool:
        feedback.collect(self.db)
        return feedback_send.send_due(self.db, stop=stop) >= feedback_send.SEND_BATCH
