"""A local fake of the NCA's reporting endpoint: records every request, answers with a
report id (or with the failures a test queues), on a thread of the test process."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class FakeNca:
    """``url`` is its reports endpoint; ``failures`` are statuses answered first."""

    server: ThreadingHTTPServer
    received: list[Received] = field(default_factory=list)
    failures: list[int] = field(default_factory=list)
    token: str = "test-token"
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/v1/reports"

    def reports(self) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.path == "/v1/reports"]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def start_fake_nca(token: str = "test-token") -> FakeNca:
    fake: FakeNca

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with fake.lock:
                fake.received.append(Received(self.path, dict(self.headers), body))
                number = len(fake.received)
                failure = fake.failures.pop(0) if fake.failures else None
            if self.headers.get("Authorization") != f"Bearer {fake.token}":
                self._answer(401, {"error": "unauthorised"})
            elif failure is not None:
                self._answer(failure, {"error": "failing as asked"})
            elif self.path == "/v1/reports":
                self._answer(201, {"id": f"NCA-{number:04d}"})
            elif self.path.endswith("/withdrawal"):
                self._answer(200, {"withdrawn": True})
            else:
                self._answer(404, {"error": "no such path"})

        def _answer(self, status: int, document: dict[str, Any]) -> None:
            data = json.dumps(document).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake = FakeNca(server, token=token)
    threading.Thread(target=server.serve_forever, name="fake-nca", daemon=True).start()
    return fake
