"""AES-256-GCM keys for the evidence vault, one line each: ``KEY_ID:BASE64_OF_32_BYTES``.

Keys come from the file SAFEGUARD_EVIDENCE_KEY_FILE or from the environment variable that
SAFEGUARD_EVIDENCE_KEY_ENV names (default SAFEGUARD_EVIDENCE_KEYS, where a comma may also
separate keys). ``#`` starts a comment line; blank lines are skipped. The last key encrypts
new objects; every object names its key, so older keys keep decrypting what they
encrypted (rotation: append a key, never remove one still in use). Messages name lines
and key ids, never key material.
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from safeguard.config import Settings
from safeguard.errors import ConfigError, EvidenceKeyError

KEY_BYTES = 32
NONCE_BYTES = 12
_TAG_BYTES = 16
DEMO_KEY_FILE = "evidence.keys"
"""In the data dir: the key file used when none is configured (``safeguard demo`` makes
it for a local tour; a deployment keeps its keys away from its data)."""
_KEY_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def validate_key_id(key_id: str) -> str:
    """``key_id`` if it is 1-64 of ``A-Z a-z 0-9 . _ -`` (starting with a letter or digit)."""
    if not _KEY_ID.fullmatch(key_id):
        raise ConfigError(
            "a key id must be 1-64 letters, digits, '.', '_' or '-', starting with a letter "
            "or digit"
        )
    return key_id


class Keyring:
    """Named AES-256-GCM keys, oldest first; the last one encrypts."""

    def __init__(self, keys: Sequence[tuple[str, bytes]]) -> None:
        if not keys:
            raise ConfigError("an evidence keyring needs at least one key")
        self._keys: dict[str, AESGCM] = {}
        for key_id, key in keys:
            _check(key_id, key, self._keys)
            self._keys[key_id] = AESGCM(key)
        self.current_id = keys[-1][0]

    def encrypt(self, plaintext: bytes, *, evidence_id: str, part: str) -> tuple[str, bytes]:
        """(the current key's id, nonce || ciphertext) of ``plaintext``, bound to the
        evidence id, the key id and the part (content, details) of the object."""
        nonce = os.urandom(NONCE_BYTES)
        aad = _associated_data(evidence_id, self.current_id, part)
        return self.current_id, nonce + self._keys[self.current_id].encrypt(nonce, plaintext, aad)

    def decrypt(self, blob: bytes, *, evidence_id: str, key_id: str, part: str) -> bytes:
        """The plaintext of ``blob``; EvidenceKeyError if the key is not in the keyring,
        or if the key, the bytes or what they are bound to are not those encrypted."""
        cipher = self._keys.get(key_id)
        if cipher is None:
            raise EvidenceKeyError(
                f"evidence {evidence_id} is encrypted with key {key_id!r}, "
                "which is not in the configured keyring"
            )
        if len(blob) < NONCE_BYTES + _TAG_BYTES:
            raise EvidenceKeyError(f"the {part} of evidence {evidence_id} is truncated")
        nonce, ciphertext = blob[:NONCE_BYTES], blob[NONCE_BYTES:]
        try:
            return cipher.decrypt(nonce, ciphertext, _associated_data(evidence_id, key_id, part))
        except InvalidTag:
            raise EvidenceKeyError(
                f"the {part} of evidence {evidence_id} does not decrypt with key {key_id!r}: "
                "a wrong key, or altered or moved data"
            ) from None


def _associated_data(evidence_id: str, key_id: str, part: str) -> bytes:
    return "\x00".join(("safeguard-evidence-v1", evidence_id, key_id, part)).encode()


def _check(key_id: str, key: bytes, seen: Mapping[str, object]) -> None:
    validate_key_id(key_id)
    if key_id in seen:
        raise ConfigError(f"key id {key_id!r} appears twice")
    if len(key) != KEY_BYTES:
        raise ConfigError(f"key {key_id!r} is {len(key)} bytes, not {KEY_BYTES}")


def parse_keys(text: str, source: str) -> Keyring:
    """The keyring written in ``text``; ConfigError naming ``source`` and the line."""
    keys: dict[str, bytes] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key_id, colon, encoded = (part.strip() for part in line.partition(":"))
        try:
            if not colon:
                raise ConfigError("expected KEY_ID:BASE64_KEY")
            try:
                key = base64.b64decode(encoded, validate=True)
            except ValueError:  # binascii.Error, or a character that is not ASCII
                raise ConfigError("the key is not valid base64") from None
            _check(key_id, key, keys)
        except ConfigError as exc:
            raise ConfigError(f"{source}, line {number}: {exc.detail}") from None
        keys[key_id] = key
    if not keys:
        raise ConfigError(f"{source} holds no evidence key")
    return Keyring(list(keys.items()))


def load_keyring(settings: Settings, env: Mapping[str, str] | None = None) -> Keyring | None:
    """The configured keyring, or None when no key is configured (the vault is then off
    and no content is kept). Without a configured key, a key file ``evidence.keys`` in
    the data dir is used if there is one. A key file and the key variable both set is a ConfigError,
    as is a file that cannot be read or any bad line."""
    env = os.environ if env is None else env
    variable = settings.evidence_key_env
    from_env = env.get(variable, "").strip()
    path = settings.evidence_key_file
    if path is None and not from_env and (settings.data_dir / DEMO_KEY_FILE).is_file():
        path = settings.data_dir / DEMO_KEY_FILE  # made by ``safeguard demo``
    if path is None:
        return parse_keys(from_env.replace(",", "\n"), variable) if from_env else None
    if from_env:
        raise ConfigError(f"set SAFEGUARD_EVIDENCE_KEY_FILE or {variable}, not both")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = (exc.strerror or type(exc).__name__) if isinstance(exc, OSError) else "not UTF-8"
        raise ConfigError(f"cannot read SAFEGUARD_EVIDENCE_KEY_FILE {path}: {reason}") from None
    return parse_keys(text, str(path))


def new_key_line(key_id: str | None = None) -> str:
    """A fresh random key as a key-file line; the id defaults to the UTC time."""
    key_id = validate_key_id(
        key_id if key_id is not None else f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
    )
    return f"{key_id}:{base64.b64encode(AESGCM.generate_key(bit_length=256)).decode()}"
