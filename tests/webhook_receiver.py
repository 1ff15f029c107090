"""A webhook receiver for tests: a tiny HTTP server on a thread that records every POST
and answers the status it is told to, and the verification code of docs/webhooks.md."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

DOCS = Path(__file__).resolve().parents[1] / "docs" / "webhooks.md"
PYTHON_BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)


def documented_verify() -> Callable[..., bool]:
    """``verify_signature`` as docs/webhooks.md shows it, run as a receiver would paste it."""
    [code] = PYTHON_BLOCK.findall(DOCS.read_text())
    namespace: dict[str, Any] = {}
    exec(compile(code, str(DOCS), "exec"), namespace)
    verify: Callable[..., bool] = namespace["verify_signature"]
    return verify


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes
    answered: int


@dataclass
class Receiver:
    """Records every POST; answers ``status`` (change it to bring the endpoint up)."""

    status: int = 200
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def answer(self, headers: dict[str, str], body: bytes) -> int:
        with self.lock:
            status = self.status
            self.received.append(Received(headers, body, status))
        return status

    def acknowledged(self) -> list[Received]:
        with self.lock:
            return [r for r in self.received if 200 <= r.answered < 300]

    def attempts(self) -> int:
        with self.lock:
            return len(self.received)


@contextmanager
def receiver(status: int = 200) -> Iterator[Receiver]:
    """A running receiver on a free local port, stopped afterwards."""
    state = Receiver(status)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            self.send_response(state.answer(headers, body))
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
