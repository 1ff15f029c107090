"""A local fake of a Matrix homeserver's media repository, from the Matrix spec: media at
``/_matrix/media/v3/{download,thumbnail}/<server>/<media>`` and, behind an access token,
``/_matrix/client/v1/media/...`` (authenticated media); ``M_NOT_FOUND`` for unknown
media. It runs on a thread of the test process and records every request."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from PIL import Image

PLAIN = "/_matrix/media/v3/"
AUTHENTICATED = "/_matrix/client/v1/media/"


@dataclass
class Seen:
    path: str
    query: dict[str, list[str]]
    authorization: str | None


@dataclass
class FakeHomeserver:
    """``media``: (server name, media id) -> (content type, bytes); ``failing``: media ids
    answered 500; ``token``: the access token authenticated media needs."""

    server: ThreadingHTTPServer
    media: dict[tuple[str, str], tuple[str, bytes]] = field(default_factory=dict)
    failing: set[str] = field(default_factory=set)
    token: str = "syt_test_token"
    seen: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _thumbnail(data: bytes, query: dict[str, list[str]]) -> bytes:
    """The image scaled to fit the asked width and height, as PNG."""
    image = Image.open(io.BytesIO(data))
    image.thumbnail((int(query["width"][0]), int(query["height"][0])))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def encrypt_attachment(data: bytes, mxc: str) -> tuple[bytes, dict[str, Any]]:
    """What a Matrix client uploads for an encrypted attachment, and the event's
    ``EncryptedFile`` (spec: AES-256-CTR, unpadded base64, a v2 JWK)."""
    key, iv = os.urandom(32), os.urandom(8) + bytes(8)
    encryptor = Cipher(algorithms.AES(key), modes.CTR(iv)).encryptor()
    ciphertext = encryptor.update(data) + encryptor.finalize()

    def unpadded(raw: bytes, encode: Any = base64.b64encode) -> str:
        return str(encode(raw).decode().rstrip("="))

    file = {
        "v": "v2",
        "url": mxc,
        "key": {
            "kty": "oct",
            "alg": "A256CTR",
            "ext": True,
            "key_ops": ["encrypt", "decrypt"],
            "k": unpadded(key, base64.urlsafe_b64encode),
        },
        "iv": unpadded(iv),
        "hashes": {"sha256": unpadded(hashlib.sha256(ciphertext).digest())},
    }
    return ciphertext, file


def start_fake_homeserver() -> FakeHomeserver:
    fake: FakeHomeserver

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = parse_qs(parts.query)
            authorization = self.headers.get("Authorization")
            with fake.lock:
                fake.seen.append(Seen(parts.path, query, authorization))
            if parts.path.startswith(AUTHENTICATED):
                if authorization != f"Bearer {fake.token}":
                    self._error(401, "M_UNKNOWN_TOKEN")
                    return
                rest = parts.path.removeprefix(AUTHENTICATED)
            elif parts.path.startswith(PLAIN):
                rest = parts.path.removeprefix(PLAIN)
            else:
                self._error(404, "M_UNRECOGNIZED")
                return
            kind, server_name, media_id = [*rest.split("/"), "", ""][:3]
            if media_id in fake.failing:
                self._error(500, "M_UNKNOWN")
                return
            found = fake.media.get((server_name, media_id))
            if found is None or kind not in ("download", "thumbnail"):
                self._error(404, "M_NOT_FOUND")
                return
            content_type, data = found
            if kind == "thumbnail":
                content_type, data = "image/png", _thumbnail(data, query)
            disposition = f'inline; filename="{media_id}"'
            self._send(
                200, data, {"Content-Type": content_type, "Content-Disposition": disposition}
            )

        def _error(self, status: int, code: str) -> None:
            body = json.dumps({"errcode": code, "error": code}).encode()
            self._send(status, body, {"Content-Type": "application/json"})

        def _send(self, status: int, data: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for name, value in {**headers, "Content-Length": str(len(data))}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake = FakeHomeserver(server)
    threading.Thread(target=server.serve_forever, name="fake-homeserver", daemon=True).start()
    return fake
