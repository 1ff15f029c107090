"""Engine and session factory for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

from sqlalchemy import CursorResult, Engine, Executable, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

# Any constant works: all writers of the change log take the same advisory lock.
_CHANGE_LOG_LOCK_KEY = 0x5AFE6A4D
# Connections a worker may hold at once on PostgreSQL: enough for the request threads
# (AnyIO's pool has 40), so a burst waits for the database, not for a pooled connection.
_POOL_SIZE = 10
_POOL_OVERFLOW = 30
_READ_ONLY = "safeguard_read_only"


class Database:
    """One engine and its session factory."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.dialect = make_url(url).get_backend_name()
        ensure_sqlite_directory(url)
        # Statement parameters hold what users wrote (message text, ids): never put them
        # in exception messages, which reach logs.
        kwargs: dict[str, Any] = {"future": True, "hide_parameters": True}
        if self.dialect == "sqlite":
            kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
        else:
            kwargs.update(pool_pre_ping=True, pool_size=_POOL_SIZE, max_overflow=_POOL_OVERFLOW)
        self.engine: Engine = create_engine(url, **kwargs)
        if self.dialect == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
            event.listen(self.engine, "begin", _sqlite_begin)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        reader = self.engine.execution_options(**{_READ_ONLY: True})
        self._read_sessions = sessionmaker(reader, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A writing session: commits on success and rolls back on any error.

        On SQLite it holds the database's single write lock from its first statement
        to its end, so keep it short and never wait on anything else inside it.
        """
        with self._sessions() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        """A session for reading only: it never takes SQLite's write lock, so a long read
        (an export, a health probe, an index catch-up) neither waits for writers nor
        blocks them. Whatever it changes is rolled back."""
        with self._read_sessions() as session:
            try:
                yield session
            finally:
                session.rollback()

    def dispose(self) -> None:
        self.engine.dispose()


def ensure_sqlite_directory(url: str) -> None:
    """Create the folder of a SQLite database file, so a fresh data dir just works.
    In-memory databases and ``file:`` URIs (e.g. ``?mode=ro&uri=true``) are left alone."""
    parsed = make_url(url)
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or database.startswith("file:"):
        return
    if database not in ("", ":memory:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def changed_rows(session: Session, statement: Executable) -> int:
    """Run an UPDATE or DELETE: how many rows it changed (objects already loaded in the
    session are not synchronised)."""
    result = session.execute(statement, execution_options={"synchronize_session": False})
    return cast(CursorResult[Any], result).rowcount


def lock_change_log(session: Session) -> None:
    """Serialise writers of the change log until the transaction ends.

    Sequence numbers are handed out at insert time but become visible at commit; with
    concurrent writers a reader could see seq 11 before seq 10 commits and skip 10 for
    ever. Holding one lock per writing transaction keeps commit order equal to seq order.
    SQLite already allows a single writer at a time.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHANGE_LOG_LOCK_KEY})


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # SQLAlchemy, not the driver, begins transactions (see _sqlite_begin_immediate).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    """Begin a writing transaction IMMEDIATE, a read-only one deferred.

    A transaction that reads, then writes after another writer has committed, fails at
    once with "database is locked" (its snapshot is stale, so waiting cannot help).
    Beginning writing transactions IMMEDIATE makes concurrent writers wait their turn for
    up to the connection timeout instead; SQLite allows one writer at a time in any case.
    Read-only transactions (``Database.read_session``) read a WAL snapshot and take no lock.
    """
    if connection.get_execution_options().get(_READ_ONLY):
        connection.exec_driver_sql("BEGIN")
    else:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
