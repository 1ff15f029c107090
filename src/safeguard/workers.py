"""Background work of each API worker process: a pass at start and then one every
``interval``, on a daemon thread (erasing expired text, delivering webhooks, sending
reports to authorities).

A failing pass is logged in one line, with the error's type only (its message could
quote stored values), and the next pass tries again: the thread outlives any failure.
"""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from datetime import timedelta

from sqlalchemy.exc import SQLAlchemyError

STOP_WAIT_SECONDS = 30.0  # longest a shutdown waits for a pass under way


class PeriodicWorker(ABC):
    """Runs ``run_pass`` at start and then every ``interval`` until stopped."""

    def __init__(self, name: str, doing: str, interval: timedelta, log: logging.Logger) -> None:
        """``name``: the thread's; ``doing``: what a pass does, for the log (e.g.
        "erasing expired message text")."""
        self.name = name
        self.doing = doing
        self.interval = interval
        self._log = log
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    @abstractmethod
    def run_pass(self, stop: threading.Event) -> bool:
        """One pass, which should end soon once ``stop`` is set; True when more work is
        waiting, so that the next pass starts at once."""

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> bool:
        """Stop after the pass under way, if any: the thread ends within
        ``STOP_WAIT_SECONDS`` unless the database hangs (it is a daemon, so it never keeps
        the process alive). True once it has ended."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(STOP_WAIT_SECONDS)
        return not self._thread.is_alive()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                busy = self.run_pass(self._stop)
            except Exception as exc:  # the thread must outlive any one failure
                busy = False
                level = logging.WARNING if isinstance(exc, SQLAlchemyError) else logging.ERROR
                self._log.log(
                    level,
                    "%s failed (%s); retrying in %g s",
                    self.doing,
                    type(exc).__name__,
                    self.interval.total_seconds(),
                )
            if not busy:
                self._stop.wait(self.interval.total_seconds())
