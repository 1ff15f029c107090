"""The video content type: MP4/MOV, Matroska/WebM, AVI, FLV and MPEG streams, decoded with
PyAV (whose wheels bundle FFmpeg) within the caps of ``VideoLimits``.

Frames are numbered in decoding order from 0 and timed as number / average frame rate,
as the vPDQ reference does (``vpdq/cpp/hashing/filehasher.cpp``), so that hashes line up
with the reference's. Every frame is decoded (later frames depend on earlier ones) with
the decoder's own threads, but only the frames to hash are converted to pixels.

The keyframe fast path (``VideoLimits.keyframe_max_gap``, for uploads): an H.264 or HEVC
video whose keyframes are no more than that far apart has only its keyframes decoded
(``skip_frame = "NONKEY"``), each hashed in place of the one-a-second samples. Whether they
are is checked on what the decoder gives, not on what the container claims: a gap found
on the way hands the video to the full decode (docs/video.md).

Only the container formats below are probed, and nothing is opened but the bytes given:
FFmpeg demuxers that follow references to other files or URLs (playlists, concat lists)
are never used, so an upload cannot make the service read a file or fetch a URL.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction

import av
import av.error
import numpy as np

from safeguard.errors import UndecodableMedia, VideoTooLarge
from safeguard.media.decode import DecodeLimits, VideoLimits, check_size, error_reason
from safeguard.media.image import STILL_BRANDS
from safeguard.media.keyframes import KEYFRAME_CODECS, KeyframeCoverage
from safeguard.signals.pdq_kernel import luma_from_rgb

DEMUXERS = "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,avi,flv,mpegts,mpeg"
"""The FFmpeg container formats probed (the ``format_whitelist``)."""

TRUNCATION_TOLERANCE_SECONDS = 1.0
"""Frames may end this much before the declared duration (plus 5%) without the video
being taken as truncated."""

DECODED_PIXELS_PER_SECOND = 60e6
"""H.264 decoding on one core of the reference machine: 1080p at 30 frames a second
decodes at about 2x real time (docs/benchmarks.md)."""

HASH_SECONDS_PER_FRAME = 0.08
"""PDQ of one sampled frame with its views (crops, borders, turns)."""

_INTRA = 1  # AV_PICTURE_TYPE_I
_FTYP_BRANDS = (b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip")


@dataclass(frozen=True)
class VideoInfo:
    """What the container declares: frame size, average frame rate, duration (None when
    not declared) and codec."""

    width: int
    height: int
    frame_rate: float
    duration: float | None
    codec: str


@dataclass(frozen=True)
class VideoFrame:
    """One decoded frame to hash: its number, time in seconds and float32 luma plane."""

    number: int
    timestamp: float
    luma: np.ndarray
    keyframe_pass: bool = False
    """Decoded by the keyframe fast path rather than the full decode."""


Progress = Callable[[float], None]
"""Told the share (0..1) of the video decoded so far."""


@dataclass(frozen=True)
class VideoContent:
    """A video that opened within the caps; its frames are decoded on demand."""

    data: bytes
    info: VideoInfo
    limits: VideoLimits
    content_type: str = "video"
    on_progress: Progress | None = None
    """Told how far decoding has come (a progress bar, a job's state)."""

    def estimated_seconds(self) -> float:
        """A rough time to decode and hash the video on one core of the reference machine
        (docs/benchmarks.md): every frame's pixels decoded, and the sampled frames hashed
        with their views."""
        info = self.info
        duration = info.duration if info.duration is not None else self.limits.max_seconds
        frames = duration * info.frame_rate
        every = max(self.limits.seconds_per_hash, 1.0 / info.frame_rate)
        decode = frames * info.width * info.height / DECODED_PIXELS_PER_SECOND
        return decode + (duration / every) * HASH_SECONDS_PER_FRAME

    def frames(self, seconds_per_hash: float | None = None) -> Iterator[VideoFrame]:
        """The frames to hash, one every ``seconds_per_hash`` (default: the limits'; 0:
        every frame), picked as the reference picks them (frame number modulo the rate).
        At the limits' own spacing, an H.264 or HEVC video whose keyframes lie at most
        ``limits.keyframe_max_gap`` apart gives its keyframes instead; if a gap turns out
        larger, the full decode's frames follow those already given.

        Raises UndecodableMedia for a stream that breaks or ends well before its declared
        duration, VideoTooLarge once a cap is passed; nothing is yielded after an error.
        """
        every = self.limits.seconds_per_hash if seconds_per_hash is None else seconds_per_hash
        if seconds_per_hash is not None or not self._fast_path_on():
            yield from self._sampled(every)
            return
        hashed: set[int] = set()
        if (yield from self._keyframes(hashed)):
            return
        yield from (f for f in self._sampled(every) if f.number not in hashed)

    def _fast_path_on(self) -> bool:
        """Whether the keyframe fast path is on and the codec is one it trusts."""
        return self.limits.keyframe_max_gap > 0 and self.info.codec in KEYFRAME_CODECS

    def _sampled(self, every: float) -> Iterator[VideoFrame]:
        """Every frame decoded, one every ``every`` seconds yielded."""
        step = max(1, int(every * self.info.frame_rate))
        with _open(self.data) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            number = -1
            try:
                for frame in container.decode(stream):
                    number += 1
                    timestamp = number / self.info.frame_rate
                    self._check_progress(number, timestamp, frame.width * frame.height)
                    self._report(timestamp)
                    if number % step == 0:
                        yield VideoFrame(number, timestamp, _luma(frame))
            except (av.error.FFmpegError, OSError, ValueError, EOFError) as exc:
                raise _undecodable(exc) from None
        self._check_complete(number)

    def _keyframes(self, hashed: set[int]) -> Generator[VideoFrame, None, bool]:
        """Demux every packet, decode the keyframes alone and yield as few as keep every
        shown frame within ``keyframe_max_gap`` of a yielded one (their numbers added to
        ``hashed``); return whether they do, and every keyframe packet gave its frame.
        False as soon as they cannot (``KeyframeCoverage``)."""
        with _open(self.data) as container:
            stream = container.streams.video[0]
            origin, base = stream.start_time, stream.time_base
            if origin is None or base is None:
                return False
            stream.thread_type = "AUTO"
            stream.codec_context.skip_frame = "NONKEY"
            coverage = KeyframeCoverage(self.limits.keyframe_max_gap)
            pending: tuple[av.VideoFrame, float] | None = None  # the latest keyframe not hashed
            packets = 0
            try:
                for packet in container.demux(stream):
                    if packet.size:  # the last, empty, packet flushes the decoder
                        if packet.pts is None:
                            return False
                        time = float((packet.pts - origin) * base)
                        self._check_progress(packets, time, 0)
                        packets += 1
                        self._report(time)
                        if not packet.is_discard and not coverage.shown(time, packet.is_keyframe):
                            return False
                        if not packet.is_keyframe:
                            continue
                    for frame in packet.decode():
                        if frame.pts is None or not frame.key_frame or frame.pict_type != _INTRA:
                            return False
                        time = float((frame.pts - origin) * base)
                        self._check_progress(packets - 1, time, frame.width * frame.height)
                        if not coverage.decoded(time):
                            return False
                        if pending is not None and coverage.due(time):
                            yield self._keyframe(*pending, hashed, coverage)
                        pending = (frame, time)
                        if coverage.due(time):  # none hashed yet: this is the first
                            yield self._keyframe(frame, time, hashed, coverage)
                            pending = None
                if pending is not None and coverage.due(coverage.last_shown):
                    yield self._keyframe(*pending, hashed, coverage)
            except (av.error.FFmpegError, OSError, ValueError, EOFError) as exc:
                raise _undecodable(exc) from None
        self._check_complete(packets - 1)
        return coverage.complete()

    def _keyframe(
        self, frame: av.VideoFrame, time: float, hashed: set[int], coverage: KeyframeCoverage
    ) -> VideoFrame:
        number = round(time * self.info.frame_rate)
        hashed.add(number)
        coverage.hashed(time)
        return VideoFrame(number, time, _luma(frame), keyframe_pass=True)

    def _report(self, timestamp: float) -> None:
        if self.on_progress is not None and self.info.duration:
            self.on_progress(min(1.0, timestamp / self.info.duration))

    def _check_progress(self, number: int, timestamp: float, pixels: int) -> None:
        limits = self.limits
        if number >= limits.max_frames:
            raise VideoTooLarge(f"the video has more than {limits.max_frames} frames")
        if timestamp > limits.max_seconds:
            raise VideoTooLarge(f"the video is longer than {limits.max_seconds} seconds")
        if pixels > limits.max_pixels:
            raise VideoTooLarge(f"a frame is over the limit of {limits.max_pixels} pixels")

    def _check_complete(self, last: int) -> None:
        if last < 0:
            raise UndecodableMedia("the video has no frame that could be decoded")
        declared = self.info.duration
        if declared is None:
            return
        reached = (last + 1) / self.info.frame_rate
        if reached < declared * 0.95 - TRUNCATION_TOLERANCE_SECONDS:
            raise UndecodableMedia(
                f"the video's frames end at {reached:.1f} s of its declared {declared:.1f} s: "
                "the file is truncated or damaged"
            )


class VideoType:
    """Videos in the containers of ``DEMUXERS``."""

    name = "video"

    def accepts(self, head: bytes) -> bool:
        return (
            (head[4:8] in _FTYP_BRANDS and head[8:12] not in STILL_BRANDS)  # MP4, MOV, 3GP
            or head.startswith(b"\x1a\x45\xdf\xa3")  # Matroska, WebM
            or (head[:4] == b"RIFF" and head[8:12] == b"AVI ")
            or head.startswith(b"FLV\x01")
            or head.startswith(b"\x00\x00\x01\xba")  # MPEG program stream
            or (len(head) > 0 and head[0] == 0x47 and _looks_like_transport_stream(head))
        )

    def decode(self, data: bytes, limits: DecodeLimits) -> VideoContent:
        """Open the container and check its declared size, length and frame size."""
        caps = limits.video
        check_size(len(data), limits, cap=caps.max_bytes)
        with _open(data) as container:
            if not container.streams.video:
                raise UndecodableMedia("the file has no video stream")
            info = _info(container, container.streams.video[0])
        _check_declared(info, caps)
        return VideoContent(data, info, caps)


VIDEO = VideoType()


def _luma(frame: av.VideoFrame) -> np.ndarray:
    return luma_from_rgb(np.ascontiguousarray(frame.to_ndarray(format="rgb24")))


def _undecodable(exc: Exception) -> UndecodableMedia:
    return UndecodableMedia(f"the video could not be decoded ({error_reason(exc)})")


def _looks_like_transport_stream(head: bytes) -> bool:
    """An MPEG transport stream repeats its sync byte every 188 bytes; only the first is in
    ``head``, so a 0x47 start counts only with a plausible packet header."""
    return len(head) >= 4 and head[1] & 0x80 == 0


@contextmanager
def _open(data: bytes) -> Iterator[av.container.InputContainer]:
    """``av.open`` on bytes, restricted to ``DEMUXERS`` and no protocol; FFmpeg's errors
    on opening become UndecodableMedia."""
    try:
        container = av.open(
            io.BytesIO(data),
            mode="r",
            options={"format_whitelist": DEMUXERS, "protocol_whitelist": "none"},
        )
    except (av.error.FFmpegError, OSError, ValueError, EOFError) as exc:
        raise UndecodableMedia(f"the video could not be opened ({error_reason(exc)})") from None
    with container:
        yield container


def _info(container: av.container.InputContainer, stream: av.VideoStream) -> VideoInfo:
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    if not rate or rate <= 0:
        raise UndecodableMedia("the video declares no frame rate")
    duration: float | None = None
    if stream.duration is not None and stream.time_base is not None:
        duration = float(stream.duration * stream.time_base)
    elif container.duration is not None:
        duration = container.duration / av.time_base
    context = stream.codec_context
    if context is None:  # a codec FFmpeg has no decoder for
        raise UndecodableMedia("the video's codec is not supported")
    return VideoInfo(
        width=int(context.width),
        height=int(context.height),
        frame_rate=float(Fraction(rate)),
        duration=duration,
        codec=str(context.name),
    )


def _check_declared(info: VideoInfo, caps: VideoLimits) -> None:
    if info.width <= 0 or info.height <= 0:
        raise UndecodableMedia("the video declares no frame size")
    if info.width * info.height > caps.max_pixels:
        raise VideoTooLarge(
            f"the video is {info.width} x {info.height}, over the limit of "
            f"{caps.max_pixels} pixels a frame"
        )
    if info.duration is not None and info.duration > caps.max_seconds:
        raise VideoTooLarge(
            f"the video lasts {info.duration:.0f} s, over the limit of {caps.max_seconds} s"
        )
    if info.duration is not None and info.duration * info.frame_rate > caps.max_frames:
        raise VideoTooLarge(f"the video has more than {caps.max_frames} frames")
