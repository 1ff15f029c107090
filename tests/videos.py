"""Benign synthetic videos for the tests, made with PyAV: a panning, smoothly textured
scene with moving shapes, and the edits a re-upload makes (an excerpt, a re-encode at a
lower bitrate, a small crop rescaled)."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator

import av
import numpy as np
from PIL import Image


def scene(
    seed: int, seconds: float, fps: int = 10, size: tuple[int, int] = (320, 240)
) -> Iterator[np.ndarray]:
    """RGB frames of a scene that changes every second or so: a textured background
    panning across a larger canvas, and a few bright discs on a path."""
    rng = np.random.default_rng(seed)
    width, height = size
    small = rng.integers(0, 256, size=(24, 32, 3), dtype=np.uint8)
    canvas = np.asarray(
        Image.fromarray(small).resize((width * 3, height * 3), Image.Resampling.BICUBIC)
    )
    paths = rng.uniform(0.1, 0.9, size=(4, 4))
    yy, xx = np.mgrid[0:height, 0:width]
    for number in range(round(seconds * fps)):
        t = number / fps
        x = int((width * 2) * (0.5 + 0.5 * np.sin(0.4 * t + seed)))
        y = int((height * 2) * (0.5 + 0.5 * np.cos(0.3 * t + seed)))
        frame = canvas[y : y + height, x : x + width].copy()
        for a, b, c, d in paths:
            cx = width * (0.5 + 0.4 * np.sin(a * 3 * t + b * 6))
            cy = height * (0.5 + 0.4 * np.cos(c * 3 * t + d * 6))
            frame[(xx - cx) ** 2 + (yy - cy) ** 2 < (height / 8) ** 2] = (
                255 * np.array([a, c, d])
            ).astype(np.uint8)
        yield frame


def encode(
    frames: Iterable[np.ndarray],
    fps: int = 10,
    crf: int = 23,
    container: str = "mp4",
    gop: int | None = None,
    options: dict[str, str] | None = None,
    codec: str = "libx264",
) -> bytes:
    """H.264 (or ``codec``) in MP4 (or another container) of RGB frames; with ``gop``, a
    keyframe every ``gop`` frames and no other (x264's scene-cut keyframes off);
    ``options``, more of the encoder's."""
    out = io.BytesIO()
    with av.open(out, mode="w", format=container) as target:
        stream = target.add_stream(codec, rate=fps)
        stream.pix_fmt = "yuv420p"
        keyframes = {} if gop is None else {"g": str(gop), "sc_threshold": "0"}
        stream.options = {"crf": str(crf), "preset": "veryfast"} | keyframes | (options or {})
        for pixels in frames:
            if stream.width == 0 or stream.width != pixels.shape[1]:
                stream.width, stream.height = pixels.shape[1], pixels.shape[0]
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            for packet in stream.encode(frame):
                target.mux(packet)
        for packet in stream.encode():
            target.mux(packet)
    return out.getvalue()


def decoded(data: bytes) -> Iterator[np.ndarray]:
    """Every frame of a video as RGB."""
    with av.open(io.BytesIO(data)) as source:
        for frame in source.decode(source.streams.video[0]):
            yield frame.to_ndarray(format="rgb24")


def video(seed: int, seconds: float, fps: int = 10) -> bytes:
    return encode(scene(seed, seconds, fps), fps)


def excerpt(data: bytes, start: float, seconds: float, fps: int = 10) -> bytes:
    """``seconds`` of the video from ``start``, cut by decoding and encoding again."""
    first, count = round(start * fps), round(seconds * fps)
    frames = [f for n, f in enumerate(decoded(data)) if first <= n < first + count]
    return encode(frames, fps)


def reencoded(data: bytes, crf: int = 38, fps: int = 10) -> bytes:
    """The video at a much lower bitrate."""
    return encode(decoded(data), fps, crf=crf)


def cropped_rescaled(data: bytes, share: float = 0.04, scale: float = 0.75, fps: int = 10) -> bytes:
    """The video with ``share`` of each side cropped away, then scaled by ``scale``."""

    def edit(pixels: np.ndarray) -> np.ndarray:
        height, width = pixels.shape[:2]
        dy, dx = int(height * share), int(width * share)
        image = Image.fromarray(pixels[dy : height - dy, dx : width - dx])
        size = (int(image.width * scale) // 2 * 2, int(image.height * scale) // 2 * 2)
        return np.asarray(image.resize(size, Image.Resampling.BILINEAR))

    return encode((edit(f) for f in decoded(data)), fps)
