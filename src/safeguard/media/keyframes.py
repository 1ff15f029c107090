"""The keyframe fast path's choice of keyframes to stand for a video's one-a-second
samples (``VideoContent.frames``; docs/video.md).

Packets are demuxed in order, and for each sample time (0, ``every``, 2 x ``every`` ...
seconds from the stream's start) the keyframe packet nearest it is picked; only picked
packets are decoded. Keyframes can stand for the samples when every frame shown lies
within ``gap`` seconds after a keyframe packet (so the one picked for a sample is within
``gap`` / 2 of it, ``gap`` at the end), the first frame shown is a picked keyframe, and
every picked packet decodes to a keyframe at its own time: what the decoder gives is
checked, not what the container claims, so a long GOP behind a benign first keyframe, a
damaged keyframe, or recovery points that are not whole pictures (intra refresh) all go
to the full decode. A keyframe packet no sample needs is never decoded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Generic, TypeVar

KEYFRAME_CODECS = frozenset({"h264", "hevc"})
"""Codecs given the fast path: their decoders honour ``skip_frame = "NONKEY"`` and a
keyframe is a picture decoded on its own (an H.264 IDR, an HEVC IRAP)."""

Packet = TypeVar("Packet")


@dataclass
class KeyframePicker(Generic[Packet]):
    """Picks keyframe packets, one for each sample time, as they are demuxed (times in
    seconds from the stream's start), and checks the frames decoded from them."""

    gap: float
    every: float
    first_shown: float = math.inf
    last_shown: float = -math.inf
    key_packet: float = 0.0  # the latest keyframe packet, in decoding order
    sample: int = 0  # the next sample time to pick for is sample x every
    previous: tuple[float, Packet] | None = None  # the latest keyframe packet
    picked: list[float] = field(default_factory=list)  # times picked, in order
    decoded_count: int = 0  # frames decoded from the picked packets

    def shown(self, time: float, keyframe: bool) -> bool:
        """Note a packet shown at ``time``; False if it comes more than ``gap`` after the
        latest keyframe packet (a keyframe shown after it could not be decoded before)."""
        self.first_shown = min(self.first_shown, time)
        self.last_shown = max(self.last_shown, time)
        if keyframe:
            self.key_packet = max(self.key_packet, time)
        return time - self.key_packet <= self.gap

    def keyframe(self, time: float, packet: Packet) -> list[Packet] | None:
        """Note a keyframe packet at ``time``; the packets to decode now: those nearest the
        sample times before ``time`` (this one, or the keyframe before it). None if the
        keyframes are not in order."""
        previous = self.previous
        if previous is not None and time <= previous[0]:
            return None
        chosen: list[Packet] = []
        while self.sample * self.every < time:
            moment = self.sample * self.every
            if previous is not None and moment - previous[0] <= time - moment:
                self._pick(previous, chosen)
            else:
                self._pick((time, packet), chosen)
            self.sample += 1
        self.previous = (time, packet)
        return chosen

    def end(self) -> list[Packet]:
        """The packets to decode once every packet is demuxed: the last keyframe, if a
        sample time up to the last frame shown still needs it."""
        chosen: list[Packet] = []
        if self.previous is not None and self.sample * self.every <= self.last_shown:
            self._pick(self.previous, chosen)
        return chosen

    def _pick(self, keyframe: tuple[float, Packet], chosen: list[Packet]) -> None:
        time, packet = keyframe
        if not self.picked or self.picked[-1] < time:
            self.picked.append(time)
            chosen.append(packet)

    def decoded(self, time: float) -> bool:
        """Note a keyframe decoded at ``time``; False unless it is the next one picked."""
        expected = self.decoded_count
        self.decoded_count += 1
        return expected < len(self.picked) and self.picked[expected] == time

    def covers(self) -> bool:
        """Whether the packets picked, if they decode to keyframes, stand for the samples:
        the first frame shown is one, and the last frame shown is within ``every`` +
        ``gap`` / 2 of the last (as after a sample time's keyframe, within ``gap`` / 2 of
        it)."""
        if not self.picked:
            return False
        end = self.last_shown - self.picked[-1]
        return self.picked[0] == self.first_shown and end <= self.every + self.gap / 2

    def complete(self) -> bool:
        """Whether the packets picked cover the video and every one decoded to its
        keyframe."""
        return self.covers() and self.decoded_count == len(self.picked)
