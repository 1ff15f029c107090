"""The keyframe fast path's test of whether a video's keyframes can stand for its
one-a-second samples (``VideoContent.frames``; docs/video.md).

They can when every frame shown lies within ``gap`` seconds of a keyframe hashed, the
first frame shown is a keyframe, and every packet the container calls a keyframe decodes
as one: what the decoder gives is checked, not what the container claims, so a long GOP
behind a benign first keyframe, a damaged keyframe, or recovery points that are not whole
pictures (intra refresh) all go to the full decode. Keyframes closer together than
``gap`` are thinned: only those needed to keep every gap within it are hashed, so an
all-intra video costs no more hashing than the full decode's samples.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

KEYFRAME_CODECS = frozenset({"h264", "hevc"})
"""Codecs given the fast path: their decoders honour ``skip_frame = "NONKEY"`` and a
keyframe is a picture decoded on its own (an H.264 IDR, an HEVC IRAP)."""


@dataclass
class KeyframeCoverage:
    """Times, in seconds from the stream's start, of the frames shown and the keyframes
    decoded and hashed so far."""

    gap: float
    first_shown: float = math.inf
    last_shown: float = -math.inf
    key_packet: float = 0.0  # the latest keyframe packet, in decoding order
    announced: int = 0  # keyframe packets
    decoded_count: int = 0  # keyframes decoded
    last_decoded: float | None = None
    first_hashed: float | None = None
    last_hashed: float | None = None

    def shown(self, time: float, keyframe: bool) -> bool:
        """Note a packet shown at ``time``; False if it comes more than ``gap`` after the
        latest keyframe packet (a keyframe shown after it could not be decoded before)."""
        self.first_shown = min(self.first_shown, time)
        self.last_shown = max(self.last_shown, time)
        if keyframe:
            self.key_packet = max(self.key_packet, time)
            self.announced += 1
        return time - self.key_packet <= self.gap

    def decoded(self, time: float) -> bool:
        """Note a decoded keyframe; False if it is before the start or the last one, or
        more than ``gap`` after it (or after the start)."""
        before = 0.0 if self.last_decoded is None else self.last_decoded
        in_order = time >= 0.0 and (self.last_decoded is None or time > self.last_decoded)
        self.last_decoded = time
        self.decoded_count += 1
        return in_order and time - before <= self.gap

    def due(self, time: float) -> bool:
        """Whether a frame at ``time`` is more than ``gap`` after the last keyframe
        hashed (or none is yet): the keyframe before it must be hashed."""
        return self.last_hashed is None or time - self.last_hashed > self.gap

    def hashed(self, time: float) -> None:
        if self.first_hashed is None:
            self.first_hashed = time
        self.last_hashed = time

    def complete(self) -> bool:
        """Whether every announced keyframe decoded (a damaged or falsely announced one
        did not), the first frame shown was hashed, and the last is close enough to one."""
        if self.last_hashed is None or self.decoded_count != self.announced:
            return False
        return self.first_hashed == self.first_shown and not self.due(self.last_shown)
