"""The vPDQ signal type: Meta's video hash, a PDQ hash with its quality for sampled frames.

A value is a whole video's frame list in the reference's text form, one frame a line:
``frame number,quality,PDQ hex,timestamp`` (the files of
``vpdq/cpp/apps/vpdq-hash-video``). python-threatexchange's form, a JSON list of
``"PDQ hex,quality,timestamp"`` strings, is accepted too and numbered in order.

An upload's frames are hashed one a second (``SAFEGUARD_VIDEO_SECONDS_PER_HASH``; or the
keyframes nearest those times, when keyframes are about that close:
``media/keyframes.py``), each with the image views that undo edits (borders, crops:
``media/variants.py``), so that a letterboxed or slightly cropped copy still matches; a
banked video's frames are hashed more densely (``SAFEGUARD_VPDQ_BANK_SECONDS_PER_HASH``),
so that the upload's frames find one close in time wherever its sampling starts.
Matching is in ``vpdq_index.py``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from safeguard.errors import InvalidSignal, UnsupportedMedia
from safeguard.index.base import ValueIndex
from safeguard.media.animation import AnimationContent
from safeguard.media.content import Content
from safeguard.media.video import VideoContent
from safeguard.signals.base import ORIGINAL_VIEW, SignalValue
from safeguard.signals.pdq import (
    DEFAULT_THRESHOLD,
    HASH_BYTES,
    MAX_BITS_SET,
    MAX_THRESHOLD,
    MIN_BITS_SET,
    VIEWED_FRAMES,
    PdqHash,
    frame_views,
    plain_pdq,
)

QUALITY_THRESHOLD = 50
"""Frames of lower quality take no part in matching (the reference's
``VPDQ_QUALITY_THRESHOLD``)."""

MAX_FRAMES = 200_000
"""The most frames a value may list: over 55 hours at one frame a second."""

_HEX_DIGITS = frozenset("0123456789abcdef")
_LINE = re.compile(rb"\d+,\d+,[0-9a-fA-F]{64},\d+(\.\d{1,3})?")
_TIMESTAMP = re.compile(r"\d+(\.\d{1,3})?")


@dataclass(frozen=True)
class VpdqFeature:
    """One hashed frame: its number, quality (0..100), PDQ hash (hex) and time in seconds."""

    frame: int
    quality: int
    pdq: str
    timestamp: float

    def line(self) -> str:
        return f"{self.frame},{self.quality},{self.pdq},{self.timestamp:.3f}"

    def as_dict(self) -> dict[str, object]:
        """The JSON form of ``safeguard hash``."""
        return {
            "frame": self.frame,
            "quality": self.quality,
            "pdq": self.pdq,
            "timestamp": round(self.timestamp, 3),
        }


def parse(value: str) -> list[VpdqFeature]:
    """The frames of a vPDQ value in either form; InvalidSignal if it is not one."""
    if not isinstance(value, str):
        raise InvalidSignal("vpdq value must be a string")
    text = value.strip()
    if text.startswith("["):
        features = _from_json(text)
    else:
        features = [_from_line(n, line) for n, line in enumerate(text.splitlines(), 1) if line]
    if not features:
        raise InvalidSignal("a vpdq value lists at least one frame")
    if len(features) > MAX_FRAMES:
        raise InvalidSignal(f"a vpdq value lists at most {MAX_FRAMES} frames")
    return features


def is_vpdq_text(head: bytes) -> bool:
    """Whether a file starting with ``head`` is in the reference's per-frame text form."""
    first = head.split(b"\n", 1)[0].strip()
    return _LINE.fullmatch(first) is not None


def serialise(features: Sequence[VpdqFeature]) -> str:
    """The canonical value: the reference's lines, in frame order."""
    ordered = sorted(features, key=lambda f: (f.frame, f.timestamp))
    return "\n".join(feature.line() for feature in ordered)


def _from_line(number: int, line: str) -> VpdqFeature:
    parts = [p.strip() for p in line.split(",")]
    if len(parts) != 4:
        raise InvalidSignal(
            f"vpdq line {number}: expected frame,quality,pdq,timestamp, got {line[:80]!r}"
        )
    frame, quality, pdq, timestamp = parts
    if not _TIMESTAMP.fullmatch(timestamp):
        raise InvalidSignal(f"vpdq line {number}: the timestamp is seconds, to 3 decimals")
    return _feature(number, frame, quality, pdq, timestamp)


def _from_json(text: str) -> list[VpdqFeature]:
    try:
        items = json.loads(text)
    except ValueError:
        raise InvalidSignal("vpdq value is not a JSON list") from None
    if not isinstance(items, list):
        raise InvalidSignal("vpdq value is not a JSON list")
    features = []
    for number, item in enumerate(items):
        parts = item.split(",") if isinstance(item, str) else []
        if len(parts) != 3:
            raise InvalidSignal(f"vpdq item {number}: expected 'pdq,quality,timestamp'")
        pdq, quality, timestamp = (p.strip() for p in parts)
        features.append(_feature(number + 1, str(number), quality, pdq, timestamp))
    return features


def _feature(number: int, frame: str, quality: str, pdq: str, timestamp: str) -> VpdqFeature:
    where = f"vpdq frame {number}"
    pdq = pdq.lower()
    if len(pdq) != 2 * HASH_BYTES or not set(pdq) <= _HEX_DIGITS:
        raise InvalidSignal(f"{where}: the PDQ hash must be {2 * HASH_BYTES} hex characters")
    try:
        parsed = VpdqFeature(int(frame), int(quality), pdq, float(timestamp))
    except ValueError:
        raise InvalidSignal(
            f"{where}: frame and quality are integers, timestamp a number"
        ) from None
    if parsed.frame < 0 or not 0 <= parsed.quality <= 100:
        raise InvalidSignal(f"{where}: the frame number is negative or quality not 0..100")
    if not 0.0 <= parsed.timestamp < 1e7:
        raise InvalidSignal(f"{where}: the timestamp must be seconds from the start")
    return parsed


def features_of(frames: Sequence[tuple[int, float, PdqHash]]) -> list[VpdqFeature]:
    return [VpdqFeature(n, h.quality, h.hex, t) for n, t, h in frames]


class VpdqSignal:
    """vPDQ: a video's sampled frames, each a PDQ hash, matched frame by frame."""

    name = "vpdq"
    content_types = frozenset({"video", "animation"})
    default_threshold = DEFAULT_THRESHOLD  # bits between two frames' PDQ hashes
    max_threshold = MAX_THRESHOLD
    has_quality = False  # each frame has its own, inside the value
    examples: tuple[str, ...] = (
        "0,100,f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22,0.000\n"
        "30,90,d8f8f0cee0f4a84f06370a32038f63f0b36e2ed596621e1d33e6b39c4e9c9b22,1.000",
        "0,100,e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c,0.000",
    )

    def normalise(self, value: str) -> str:
        return serialise(parse(value))

    def check_bank_value(self, value: str) -> str:
        """``value`` if at least one frame is usable: quality ``QUALITY_THRESHOLD`` or
        more and a plausible PDQ bit count."""
        usable = [
            f
            for f in parse(value)
            if f.quality >= QUALITY_THRESHOLD
            and MIN_BITS_SET <= int(f.pdq, 16).bit_count() <= MAX_BITS_SET
        ]
        if not usable:
            raise InvalidSignal(
                f"no frame of this vpdq value has quality {QUALITY_THRESHOLD} or more and a "
                "plausible PDQ hash, so it could match nothing"
            )
        return value

    def distance(self, a: str, b: str) -> int:
        """The bits between the two videos' closest usable frames (256: none usable)."""
        left = [int(f.pdq, 16) for f in parse(a) if f.quality >= QUALITY_THRESHOLD]
        right = [int(f.pdq, 16) for f in parse(b) if f.quality >= QUALITY_THRESHOLD]
        return min(((x ^ y).bit_count() for x in left for y in right), default=256)

    def hash_content(self, content: Content, *, views: bool = True) -> Sequence[SignalValue]:
        """The video's frames as they are first; with ``views``, one value more for each
        image view, holding that view of every frame (of an animation's first
        ``VIEWED_FRAMES`` distinct frames: its frames are many and short)."""
        if not isinstance(content, VideoContent | AnimationContent):
            raise UnsupportedMedia(f"vpdq hashes videos and animations, not {content.content_type}")
        if not views:
            frames = [(f.number, f.timestamp, plain_pdq(f.luma)) for f in content.frames()]
            return [SignalValue(serialise(features_of(frames)))]
        by_view: dict[str, list[tuple[int, float, PdqHash]]] = {}
        for position, frame in enumerate(content.frames()):
            viewed = isinstance(content, VideoContent) or position < VIEWED_FRAMES
            for view, pdq in frame_views(frame.luma, all_views=viewed):
                by_view.setdefault(view, []).append((frame.number, frame.timestamp, pdq))
        ordered = sorted(by_view, key=lambda view: view != ORIGINAL_VIEW)
        return [SignalValue(serialise(features_of(by_view[v])), None, v) for v in ordered]

    def new_index(self) -> ValueIndex:
        from safeguard.signals.vpdq_index import VideoFrameIndex

        return VideoFrameIndex()

    def json_value(self, value: str) -> object:
        """The frames as a JSON list (``safeguard hash``'s form)."""
        return [feature.as_dict() for feature in parse(value)]


VPDQ = VpdqSignal()
