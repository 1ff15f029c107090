"""Animated images (GIF, WebP, APNG): every frame, as a viewer shows it, within caps.

Hashing only the first frame would let a known image through behind a benign first frame.
So an animation is decoded frame by frame (Pillow composites each frame over the ones
before it, as browsers do) and its distinct frames are hashed: with PDQ and its views,
like stills, and with vPDQ, like a video. A still GIF, PNG or WebP is an image as before.
"""

from __future__ import annotations

import io
import struct
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from PIL import Image, ImageSequence

from safeguard.errors import ImageTooLarge, UndecodableMedia, VideoTooLarge
from safeguard.media.decode import (
    DecodeLimits,
    check_size,
    decode_image,
    error_reason,
    to_8bit_pixels,
)
from safeguard.media.image import ImageContent
from safeguard.media.video import VideoFrame
from safeguard.signals.pdq_kernel import luma_from_rgb

FORMATS = ("GIF", "PNG", "WEBP")
MAX_FRAMES = 1000
"""The most frames an animation may have (each is decoded, to composite the next)."""
MAX_DECODED_PIXELS = 500_000_000
"""The most pixels decoded over all frames: a 1000-frame animation of 500,000 pixels."""
DEFAULT_FRAME_SECONDS = 0.1  # a frame that states no duration shows for this long


@dataclass(frozen=True)
class AnimationContent:
    """An animated image: its distinct frames (the first included), with their times."""

    data: bytes
    distinct: tuple[VideoFrame, ...]
    content_type: str = "animation"

    @cached_property
    def luma(self) -> np.ndarray:
        """The first frame's luma plane."""
        return self.distinct[0].luma

    def frames(self) -> Iterator[VideoFrame]:
        """The distinct frames, in order."""
        return iter(self.distinct)


class AnimationType:
    """GIF, PNG and WebP files: animations when they have several frames, else stills."""

    name = "animation"

    def accepts(self, head: bytes) -> bool:
        return head.startswith((b"GIF87a", b"GIF89a", b"\x89PNG\r\n\x1a\n")) or (
            head[:4] == b"RIFF" and head[8:12] == b"WEBP"
        )

    def decode(self, data: bytes, limits: DecodeLimits) -> ImageContent | AnimationContent:
        """A still image, or the animation's distinct frames; refused past the caps."""
        check_size(len(data), limits)
        first = decode_image(data, limits)  # the header checks: type, size, pixel caps
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            try:
                with Image.open(io.BytesIO(data), formats=FORMATS) as image:
                    if not getattr(image, "is_animated", False):
                        return ImageContent(data, first)
                    return AnimationContent(data, _distinct_frames(image, first.pixels))
            except (Image.DecompressionBombError, Image.DecompressionBombWarning):
                raise ImageTooLarge("an animation frame is over the pixel limit") from None
            except (OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error) as exc:
                # IndexError, struct.error: Pillow reading past the end of a truncated frame
                reason = error_reason(exc)
                raise UndecodableMedia(f"the animation could not be decoded ({reason})") from None


ANIMATION = AnimationType()


def _distinct_frames(image: Image.Image, first: np.ndarray) -> tuple[VideoFrame, ...]:
    count = int(getattr(image, "n_frames", 1))
    if count > MAX_FRAMES:
        raise VideoTooLarge(f"the animation has {count} frames, over the limit of {MAX_FRAMES}")
    if count * image.width * image.height > MAX_DECODED_PIXELS:
        raise VideoTooLarge(f"the animation is over {MAX_DECODED_PIXELS} pixels in all")
    frames: list[VideoFrame] = []
    previous: np.ndarray | None = None
    timestamp = 0.0
    for number, frame in enumerate(ImageSequence.Iterator(image)):
        pixels = first if number == 0 else to_8bit_pixels(frame.convert("RGB"))
        if previous is None or not np.array_equal(pixels, previous):
            frames.append(VideoFrame(number, round(timestamp, 3), _luma(pixels)))
        previous = pixels
        timestamp += (frame.info.get("duration") or DEFAULT_FRAME_SECONDS * 1000) / 1000
    return tuple(frames)


def _luma(pixels: np.ndarray) -> np.ndarray:
    if pixels.ndim == 2:
        return pixels.astype(np.float32)
    return luma_from_rgb(np.ascontiguousarray(pixels))
