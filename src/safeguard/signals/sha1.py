"""SHA-1 of the content's bytes, which NCMEC's hash lists carry beside MD5.

A plug-in, not a built-in: Safeguard registers it under the ``safeguard.signal_types``
entry point in its own ``pyproject.toml``, the way a third-party package adds a type.
"""

from __future__ import annotations

import hashlib

from safeguard.signals.exact import DigestSignal


def _sha1(data: bytes) -> str:
    return hashlib.sha1(data, usedforsecurity=False).hexdigest()


SHA1 = DigestSignal(
    "sha1",
    _sha1,
    ("da39a3ee5e6b4b0d3255bfef95601890afd80709", "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12"),
)
