"""MD5 of the content's bytes: the digest most industry hash lists carry.

A video's MD5 is also given as ``video_md5``, the name python-threatexchange and the
exchanges built on it give it, so that lists of either kind match.
"""

from __future__ import annotations

import hashlib

from safeguard.signals.exact import DigestSignal


def _md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


MD5 = DigestSignal(
    "md5", _md5, ("d41d8cd98f00b204e9800998ecf8427e", "9e107d9d372bb6826bd81d3542a419d6")
)

VIDEO_MD5 = DigestSignal(
    "video_md5",
    _md5,
    ("d41d8cd98f00b204e9800998ecf8427e", "9e107d9d372bb6826bd81d3542a419d6"),
    only=frozenset({"video"}),
)
