"""The video content type: MP4/MOV, Matroska/WebM, AVI, FLV and MPEG streams, decoded with
PyAV (whose wheels bundle FFmpeg) within the caps of ``VideoLimits``.

Frames are numbered in decoding order from 0 and timed as number / average frame rate,
as the vPDQ reference does (``vpdq/cpp/hashing/filehasher.cpp``), so that hashes line up
with the reference's. Every frame is decoded (later frames depend on earlier ones) with
the decoder's own threads, but only the frames to hash are converted to pixels.

The keyframe fast path (``VideoLimits.keyframe_max_gap``, for uploads): an H.264 or HEVC
video whose keyframes are no more than that far apart has only the keyframe nearest each
one-a-second sample time decoded (``skip_frame = "NONKEY"``), hashed in its place. Whether
they can stand for the samples is checked on what the decoder gives, not on what the
container claims: a gap found on the way hands the video to the full decode
(docs/video.md).

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
from safeguard.media.keyframes import KEYFRAME_CODECS, KeyframePicker
from safeguard.signals.pdq_kernel import luma_from_rgb

DEMUXERS = "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,avi,flv,mpegts,mpeg"
"""The FFmpeg container formats probed (the ``format_whitelist``)."""

MP4_DEMUXER = "mov,mp4,"
"""How FFmpeg's MP4/MOV demuxer's name begins."""

TRUNCATION_TOLERANCE_SECONDS = 1.0
"""Frames may end this much before the declared duration (plus 5%) without the video
being taken as truncated."""

DECODED_PIXELS_PER_SECOND = 60e6
"""H.264 decoding on one core of the reference machine: 1080p at 30 frames a second
decodes at about 2x real time (docs/benchmarks.md)."""

KEYFRAME_PIXELS_PER_SECOND = 70e6
"""H.264 keyframes decoded alone on one core: a detailed 1080p I-frame takes about 30 ms
on a busy core of the reference machine (docs/benchmarks.md)."""

DEMUX_SECONDS_PER_PACKET = 30e-6
"""Reading one packet from the container without decoding it."""

HASH_SECONDS_PER_FRAME = 0.08
"""PDQ of one sampled frame with its views (crops, borders, turns)."""

_INTRA = 1  # AV_PICTURE_TYPE_I
_FTYP_BRANDS = (b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip")


@dataclass(frozen=True)
class VideoInfo:
    """What the container declares: frame size, average frame rate, duration (None when
    not declared), codec, and the stream's start in seconds (None when not known)."""

    width: int
    height: int
    frame_rate: float
    duration: float | None
    codec: str
    start: Fraction | None = None


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

    def estimated_seconds(self, budget: float | None = None) -> float:
        """A rough time to decode and hash the video on one core of the reference machine
        (docs/benchmarks.md): every frame's pixels decoded, and the sampled frames hashed
        with their views. With ``budget``, a video the keyframe fast path could hash
        within it has its packets read (not decoded: a few percent of the fast path's
        own time) and, if its keyframes stand for its samples, is estimated at the fast
        path's cost: the keyframes it would pick decoded and hashed."""
        info = self.info
        duration = info.duration if info.duration is not None else self.limits.max_seconds
        frames = duration * info.frame_rate
        samples = duration / max(self.limits.seconds_per_hash, 1.0 / info.frame_rate)
        pixels = info.width * info.height
        full = frames * pixels / DECODED_PIXELS_PER_SECOND + samples * HASH_SECONDS_PER_FRAME
        if budget is None or not self._fast_path_on():
            return full
        per_keyframe = pixels / KEYFRAME_PIXELS_PER_SECOND + HASH_SECONDS_PER_FRAME
        demux = frames * DEMUX_SECONDS_PER_PACKET
        if min(samples * per_keyframe + demux, full) > budget:
            return full
        picked = self._keyframes_picked(max_packets=int(2 * frames) + 100)
        return full if picked is None else min(full, picked * per_keyframe + demux)

    def frames(self, seconds_per_hash: float | None = None) -> Iterator[VideoFrame]:
        """The frames to hash, one every ``seconds_per_hash`` (default: the limits'; 0:
        every frame), picked as the reference picks them (frame number modulo the rate).
        At the limits' own spacing, an H.264 or HEVC video whose keyframes lie at most
        ``limits.keyframe_max_gap`` apart gives the keyframe nearest each sample time
        instead; if a gap turns out larger, the full decode's frames follow those already
        given.

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
        limits = self.limits
        return (
            limits.keyframe_max_gap > 0
            and limits.seconds_per_hash > 0
            and self.info.codec in KEYFRAME_CODECS
        )

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
        """Demux every packet, decode only the keyframe packets nearest the sample times
        (``KeyframePicker``) and yield them (their numbers added to ``hashed``); return
        whether they stand for the samples. False as soon as they cannot."""
        with _open(self.data, probe=False) as container:
            stream = container.streams.video[0]
            seconds = self._clock(stream)
            if seconds is None:
                return False
            stream.thread_type = "AUTO"
            stream.codec_context.skip_frame = "NONKEY"
            picker: KeyframePicker[av.Packet[av.VideoStream]] = KeyframePicker(
                self.limits.keyframe_max_gap, self.limits.seconds_per_hash
            )
            packets = 0
            try:
                for packet in container.demux(stream):
                    if packet.size:
                        if packet.pts is None:
                            return False
                        time = seconds(packet.pts)
                        self._check_progress(packets, time, 0)
                        packets += 1
                        self._report(time)
                        if not packet.is_discard and not picker.shown(time, packet.is_keyframe):
                            return False
                        if not packet.is_keyframe:
                            continue
                        chosen = picker.keyframe(time, packet)
                        if chosen is None:
                            return False
                    else:  # the last, empty, packet flushes the decoder
                        chosen = [*picker.end(), packet]
                    for frame in (f for p in chosen for f in p.decode()):
                        if frame.pts is None or not frame.key_frame or frame.pict_type != _INTRA:
                            return False
                        time = seconds(frame.pts)
                        self._check_progress(packets - 1, time, frame.width * frame.height)
                        if not picker.decoded(time):
                            return False
                        number = round(time * self.info.frame_rate)
                        hashed.add(number)
                        yield VideoFrame(number, time, _luma(frame), keyframe_pass=True)
            except (av.error.FFmpegError, OSError, ValueError, EOFError) as exc:
                raise _undecodable(exc) from None
        self._check_complete(packets - 1)
        return picker.complete()

    def _keyframes_picked(self, max_packets: int) -> int | None:
        """How many keyframes the fast path would decode, from the packets alone; None if
        it would not take them (or the packets are more than ``max_packets``, or broken:
        the full decode then finds out)."""
        with _open(self.data, probe=False) as container:
            stream = container.streams.video[0]
            seconds = self._clock(stream)
            if seconds is None:
                return None
            picker: KeyframePicker[None] = KeyframePicker(
                self.limits.keyframe_max_gap, self.limits.seconds_per_hash
            )
            try:
                for count, packet in enumerate(container.demux(stream)):
                    if not packet.size:
                        picker.end()
                    elif count >= max_packets or packet.pts is None:
                        return None
                    else:
                        time = seconds(packet.pts)
                        keyframe = packet.is_keyframe
                        if not packet.is_discard and not picker.shown(time, keyframe):
                            return None
                        if keyframe and picker.keyframe(time, None) is None:
                            return None
            except (av.error.FFmpegError, OSError, ValueError, EOFError):
                return None
        return len(picker.picked) if picker.covers() else None

    def _clock(self, stream: av.VideoStream) -> Callable[[int], float] | None:
        """Seconds from the stream's start of a timestamp of ``stream``: as exact as
        ``float(Fraction)``, without its cost for every packet. None if not known."""
        start, base = self.info.start, stream.time_base
        if start is None or base is None or (start / base).denominator != 1:
            return None
        origin, numerator, denominator = int(start / base), base.numerator, base.denominator
        return lambda pts: (pts - origin) * numerator / denominator

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
        """Open the container and check its declared size, length and frame size. An
        MP4's facts are in its header, so FFmpeg need not decode a frame to find them
        (``_open``'s ``probe``; measured the same on every sample video); other
        containers' may need one."""
        caps = limits.video
        check_size(len(data), limits, cap=caps.max_bytes)
        with _open(data, probe=False) as container:
            info = _info(container) if container.format.name.startswith(MP4_DEMUXER) else None
        if info is None:
            with _open(data) as container:
                info = _info(container)
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
def _open(data: bytes, *, probe: bool = True) -> Iterator[av.container.InputContainer]:
    """``av.open`` on bytes, restricted to ``DEMUXERS`` and no protocol; FFmpeg's errors
    on opening become UndecodableMedia. Without ``probe``, FFmpeg's look at the streams
    decodes no frame (``skip_frame``: at 1080p that is a keyframe, 25-30 ms), for an
    opening that only reads keyframes, the video's facts having been taken before."""
    options = {"format_whitelist": DEMUXERS, "protocol_whitelist": "none"}
    try:
        container = av.open(
            io.BytesIO(data),
            mode="r",
            options=options if probe else options | {"skip_frame": "nonkey"},
        )
    except (av.error.FFmpegError, OSError, ValueError, EOFError) as exc:
        raise UndecodableMedia(f"the video could not be opened ({error_reason(exc)})") from None
    with container:
        yield container


def _info(container: av.container.InputContainer) -> VideoInfo:
    if not container.streams.video:
        raise UndecodableMedia("the file has no video stream")
    stream = container.streams.video[0]
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
    start = None
    if stream.start_time is not None and stream.time_base is not None:
        start = stream.start_time * stream.time_base
    return VideoInfo(
        width=int(context.width),
        height=int(context.height),
        frame_rate=float(Fraction(rate)),
        duration=duration,
        codec=str(context.name),
        start=start,
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
