"""The Matrix content scanner API (as matrix-content-scanner-python serves it): media
paths, the homeserver URLs media is fetched from, and the scanner's answers.

Errors are JSON ``{"reason": <code>, "info": <text>}`` with the scanner's codes, not
problem+json: Matrix clients read those."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from starlette.responses import JSONResponse

NOT_FOUND = "M_NOT_FOUND"
NOT_CLEAN = "MCS_MEDIA_NOT_CLEAN"
REQUEST_FAILED = "MCS_MEDIA_REQUEST_FAILED"
MALFORMED_JSON = "MCS_MALFORMED_JSON"
FAILED_TO_DECRYPT = "MCS_MEDIA_FAILED_TO_DECRYPT"
BAD_DECRYPTION = "MCS_BAD_DECRYPTION"
THUMBNAIL_PARAMETERS = ("width", "height", "method", "animated")

_SERVER_NAME = re.compile(r"([A-Za-z0-9.\-]{1,230}|\[[0-9A-Fa-f:.]{2,45}\])(:[0-9]{1,5})?")
_MEDIA_ID = re.compile(r"[A-Za-z0-9_\-]{1,255}")


class ScannerError(Exception):
    """An answer of the content scanner's error shape."""

    def __init__(self, status: int, reason: str, info: str) -> None:
        super().__init__(info)
        self.status = status
        self.reason = reason
        self.info = info

    def response(self) -> JSONResponse:
        return JSONResponse({"reason": self.reason, "info": self.info}, status_code=self.status)


@dataclass(frozen=True)
class MediaPath:
    """``mxc://<server_name>/<media_id>``, checked against the Matrix grammar."""

    server_name: str
    media_id: str

    @classmethod
    def parse(cls, server_name: str, media_id: str) -> MediaPath:
        if not (_SERVER_NAME.fullmatch(server_name) and _MEDIA_ID.fullmatch(media_id)):
            raise ScannerError(404, NOT_FOUND, "no such media")
        return cls(server_name, media_id)

    @classmethod
    def from_mxc(cls, url: str) -> MediaPath:
        if not url.startswith("mxc://"):
            raise ScannerError(400, MALFORMED_JSON, "the file's url must be an mxc:// URL")
        server_name, _, media_id = url.removeprefix("mxc://").partition("/")
        return cls.parse(server_name, media_id)

    @property
    def mxc(self) -> str:
        return f"mxc://{self.server_name}/{self.media_id}"

    def url(self, homeserver: str, *, thumbnail: bool, authenticated: bool) -> str:
        """Where the homeserver serves it: the authenticated media API (Matrix 1.11) when
        the client sent its access token, else the older unauthenticated one."""
        base = "_matrix/client/v1/media" if authenticated else "_matrix/media/v3"
        kind = "thumbnail" if thumbnail else "download"
        return f"{homeserver}/{base}/{kind}/{self.server_name}/{self.media_id}"


@dataclass(frozen=True)
class EncryptedFile:
    """An end-to-end encrypted attachment, as a Matrix event's ``EncryptedFile`` describes
    it: where its ciphertext is, and its AES-256-CTR key, IV and SHA-256."""

    media: MediaPath
    key: bytes
    iv: bytes
    sha256: bytes

    @classmethod
    def from_body(cls, body: bytes) -> EncryptedFile:
        """The ``file`` of a ``*_encrypted`` request's JSON body. An Olm-encrypted body
        (``encrypted_body``) is refused: Safeguard holds no Olm key to open it."""
        try:
            document = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise ScannerError(400, MALFORMED_JSON, "the body is not JSON") from None
        if isinstance(document, dict) and "encrypted_body" in document:
            raise ScannerError(403, BAD_DECRYPTION, "send 'file' in clear: no Olm key is held")
        file: Any = document.get("file") if isinstance(document, dict) else None
        try:
            key = file["key"]
            parsed = cls(
                MediaPath.from_mxc(str(file["url"])),
                _unpadded(key["k"], urlsafe=True),
                _unpadded(file["iv"]),
                _unpadded(file["hashes"]["sha256"]),
            )
            sizes = (len(parsed.key), len(parsed.iv), len(parsed.sha256))
            usable = file.get("v") == "v2" and key.get("alg") == "A256CTR" and sizes == (32, 16, 32)
        except (KeyError, TypeError, AttributeError, ValueError):
            usable = False
        if not usable:
            raise ScannerError(400, MALFORMED_JSON, "'file' is no v2 EncryptedFile")
        return parsed

    def decrypt(self, ciphertext: bytes) -> bytes:
        """The plaintext, once the ciphertext's SHA-256 is the one given."""
        if not hmac.compare_digest(hashlib.sha256(ciphertext).digest(), self.sha256):
            raise ScannerError(400, FAILED_TO_DECRYPT, "the file's SHA-256 does not match")
        decryptor = Cipher(algorithms.AES(self.key), modes.CTR(self.iv)).decryptor()
        return decryptor.update(ciphertext) + decryptor.finalize()


def _unpadded(value: object, *, urlsafe: bool = False) -> bytes:
    """Unpadded (Matrix) base64, standard or URL-safe."""
    if not isinstance(value, str):
        raise ValueError("not base64 text")
    text = value + "=" * (-len(value) % 4)
    decode = base64.urlsafe_b64decode if urlsafe else base64.b64decode
    return decode(text.encode())


@dataclass(frozen=True)
class Verdict:
    """The scanner's result: clean or not, and why."""

    clean: bool
    info: str

    def as_dict(self) -> dict[str, object]:
        return {"clean": self.clean, "info": self.info}


def verdict(decision: str, review_is_clean: bool) -> Verdict:
    """``allow`` is clean; ``block`` is not; ``review`` as configured."""
    if decision == "allow" or (decision == "review" and review_is_clean):
        return Verdict(True, "File is clean")
    return Verdict(False, f"File matches a hash list ({decision})")
