"""Decode untrusted image bytes into pixels, within byte and pixel caps.

Only a fixed list of raster formats is opened (never EPS, PDF or other formats that
call out to external programs). Dimensions are checked from the header before any pixel
is decoded, so a decompression bomb is refused, not decoded. Each side and the aspect ratio
are capped as well as the pixel count: PDQ's box filter grows with the long side, so a
sliver of few pixels (1 x 1,000,000) would cost as much as a huge photo. The EXIF
orientation is applied, animated images give their first frame (``animation.py`` reads the
others), and every PIL mode becomes 8-bit grey or RGB.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from safeguard.config import (
    DEFAULT_MAX_IMAGE_ASPECT_RATIO,
    DEFAULT_MAX_IMAGE_SIDE,
    DEFAULT_MAX_VIDEO_BYTES,
    DEFAULT_MAX_VIDEO_FRAMES,
    DEFAULT_MAX_VIDEO_PIXELS,
    DEFAULT_MAX_VIDEO_SECONDS,
    Settings,
)
from safeguard.errors import (
    ContentTooLarge,
    EmptyContent,
    ImageTooLarge,
    UndecodableMedia,
    UnsupportedMedia,
)

ACCEPTED_FORMATS = ("JPEG", "PNG", "GIF", "WEBP", "BMP", "TIFF", "AVIF")
_SIXTEEN_BIT_MODES = ("I;16", "I;16B", "I;16L", "I;16N")


KEYFRAME_GAP_TOLERANCE = 1.05
"""The keyframe fast path's default largest gap, over the sampling interval: room for
frame rates such as 29.97 (a 30-frame GOP is 1.001 s) and timestamp rounding."""


@dataclass(frozen=True)
class VideoLimits:
    """Caps on a video (bytes, seconds, pixels a frame, frames decoded), how far apart
    its hashed frames are (0: every frame), and how far apart its keyframes may be to be
    hashed in their place (``media/video.py``; 0: never)."""

    max_bytes: int = DEFAULT_MAX_VIDEO_BYTES
    max_seconds: int = DEFAULT_MAX_VIDEO_SECONDS
    max_pixels: int = DEFAULT_MAX_VIDEO_PIXELS
    max_frames: int = DEFAULT_MAX_VIDEO_FRAMES
    seconds_per_hash: float = 1.0
    keyframe_max_gap: float = 0.0


@dataclass(frozen=True)
class DecodeLimits:
    """Caps applied before decoding: total bytes, width x height, the longest side, and how
    many times longer than the short side the long side may be; ``video`` for videos."""

    max_bytes: int
    max_pixels: int
    max_side: int = DEFAULT_MAX_IMAGE_SIDE
    max_aspect_ratio: int = DEFAULT_MAX_IMAGE_ASPECT_RATIO
    video: VideoLimits = VideoLimits()

    @classmethod
    def from_settings(cls, settings: Settings, *, banking: bool = False) -> DecodeLimits:
        """The caps configured by ``SAFEGUARD_MAX_UPLOAD_BYTES``, ``SAFEGUARD_MAX_IMAGE_*``
        and ``SAFEGUARD_MAX_VIDEO_*``, frames hashed ``SAFEGUARD_VIDEO_SECONDS_PER_HASH``
        apart, or keyframes when ``SAFEGUARD_VIDEO_KEYFRAME_MAX_GAP_SECONDS`` apart or less
        (with ``banking``, every ``SAFEGUARD_VPDQ_BANK_SECONDS_PER_HASH``, never keyframes)."""
        every = settings.vpdq_bank_seconds_per_hash if banking else settings.video_seconds_per_hash
        gap = settings.video_keyframe_max_gap_seconds
        if gap is None:
            gap = KEYFRAME_GAP_TOLERANCE * every
        keyframes = settings.video_keyframe_fast_path and not banking and every > 0
        return cls(
            max_bytes=settings.max_upload_bytes,
            max_pixels=settings.max_image_pixels,
            max_side=settings.max_image_side,
            max_aspect_ratio=settings.max_image_aspect_ratio,
            video=VideoLimits(
                max_bytes=settings.max_video_bytes,
                max_seconds=settings.max_video_seconds,
                max_pixels=settings.max_video_pixels,
                max_frames=settings.max_video_frames,
                seconds_per_hash=every,
                keyframe_max_gap=gap if keyframes else 0.0,
            ),
        )

    @property
    def largest_bytes(self) -> int:
        """The largest content any type may have (the request body cap)."""
        return max(self.max_bytes, self.video.max_bytes)


@dataclass(frozen=True)
class DecodedImage:
    """Oriented 8-bit pixels, (h, w) grey or (h, w, 3) RGB, and the container format."""

    pixels: np.ndarray
    format: str

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])


def check_size(size: int, limits: DecodeLimits, *, cap: int | None = None) -> None:
    """Refuse empty content and content over the byte cap (``cap``, else the image cap)."""
    if size == 0:
        raise EmptyContent("the content is empty")
    most = limits.max_bytes if cap is None else cap
    if size > most:
        raise ContentTooLarge(f"the content is over the limit of {most} bytes")


def _check_dimensions(width: int, height: int, limits: DecodeLimits) -> None:
    """Refuse, from the header, an image with no pixels or over a pixel, side or shape cap."""
    if width == 0 or height == 0:
        raise UndecodableMedia("the image has no pixels")
    if width * height > limits.max_pixels:
        raise ImageTooLarge(_too_many_pixels(limits))
    shape = f"the image is {width} x {height} pixels"
    long_side, short_side = max(width, height), min(width, height)
    if long_side > limits.max_side:
        raise ImageTooLarge(f"{shape}, over the limit of {limits.max_side} pixels a side")
    if long_side > limits.max_aspect_ratio * short_side:
        ratio = limits.max_aspect_ratio
        raise UndecodableMedia(f"{shape}, over the aspect ratio limit of {ratio}:1")


def decode_image(
    data: bytes, limits: DecodeLimits, *, reduce_to: int | None = None
) -> DecodedImage:
    """Decode ``data``; raise a typed SafeguardError for anything that is not a usable image.

    With ``reduce_to``, a JPEG is decoded at the smallest of the scales 1/1, 1/2, 1/4 and 1/8
    (the decoder's own DCT scaling) at which both sides stay at least ``reduce_to`` pixels,
    as grey (the JPEG's own luma) when it is a colour image. Other formats decode in full.
    """
    check_size(len(data), limits)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
        except UnidentifiedImageError:
            raise UnsupportedMedia(
                f"the content is not an image in a supported format ({', '.join(ACCEPTED_FORMATS)})"
            ) from None
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ImageTooLarge(_too_many_pixels(limits)) from None
        except (OSError, SyntaxError, ValueError) as exc:
            raise UndecodableMedia(
                f"the image header could not be read ({error_reason(exc)})"
            ) from None
        with image:
            _check_dimensions(*image.size, limits)
            try:
                image.seek(0)
                if reduce_to is not None and image.format == "JPEG":
                    _draft(image, reduce_to)
                image.load()
                oriented = ImageOps.exif_transpose(image)
                pixels = to_8bit_pixels(oriented)
            except (Image.DecompressionBombError, Image.DecompressionBombWarning):
                raise ImageTooLarge(_too_many_pixels(limits)) from None
            except (OSError, SyntaxError, ValueError, EOFError) as exc:
                raise UndecodableMedia(
                    f"the image could not be decoded ({error_reason(exc)})"
                ) from None
            return DecodedImage(pixels=pixels, format=str(image.format))


def _draft(image: Image.Image, reduce_to: int) -> None:
    """Ask the JPEG decoder for grey pixels at the largest reduction that keeps ``reduce_to``."""
    width, height = image.size
    scale = 1
    while scale < 8 and min(width, height) // (scale * 2) >= reduce_to:
        scale *= 2
    mode = "L" if image.mode in ("RGB", "YCbCr", "L") else image.mode
    image.draft(mode, (-(-width // scale), -(-height // scale)))


def to_8bit_pixels(image: Image.Image) -> np.ndarray:
    """(h, w) grey or (h, w, 3) RGB uint8 pixels of an image in any PIL mode."""
    mode = image.mode
    if mode in ("L", "RGB"):
        return np.asarray(image)
    if mode in _SIXTEEN_BIT_MODES or mode in ("I", "F"):
        values = np.asarray(image).astype(np.float64)
        if mode in _SIXTEEN_BIT_MODES or values.max(initial=0.0) > 255.0:
            values = values / 257.0
        return np.clip(np.rint(values), 0, 255).astype(np.uint8)
    if mode == "La":
        image = image.convert("LA")
    return np.asarray(image.convert("RGB"))


def _too_many_pixels(limits: DecodeLimits) -> str:
    return f"the image is over the limit of {limits.max_pixels} pixels"


def error_reason(exc: BaseException) -> str:
    """The first line of a decoder's error (its type if it has no message), at most 200
    characters: for the one-line problems of refused media."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]
