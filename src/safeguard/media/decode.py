"""Decode untrusted image bytes into pixels, within byte and pixel caps.

Only a fixed list of raster formats is opened (never EPS, PDF or other formats that
call out to external programs). Dimensions are checked from the header before any pixel
is decoded, so a decompression bomb is refused, not decoded. The EXIF orientation is
applied, animated images give their first frame, and every PIL mode becomes 8-bit grey
or RGB.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from safeguard.errors import (
    ContentTooLarge,
    EmptyContent,
    ImageTooLarge,
    UndecodableMedia,
    UnsupportedMedia,
)

ACCEPTED_FORMATS = ("JPEG", "PNG", "GIF", "WEBP", "BMP", "TIFF")
_SIXTEEN_BIT_MODES = ("I;16", "I;16B", "I;16L", "I;16N")


@dataclass(frozen=True)
class DecodeLimits:
    """Caps applied before decoding: total bytes, and width x height."""

    max_bytes: int
    max_pixels: int


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


def check_size(size: int, limits: DecodeLimits) -> None:
    """Refuse empty content and content over the byte cap."""
    if size == 0:
        raise EmptyContent("the content is empty")
    if size > limits.max_bytes:
        raise ContentTooLarge(f"the content is over the limit of {limits.max_bytes} bytes")


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
            raise UndecodableMedia(f"the image header could not be read ({_reason(exc)})") from None
        with image:
            width, height = image.size
            if width * height > limits.max_pixels:
                raise ImageTooLarge(_too_many_pixels(limits))
            if width == 0 or height == 0:
                raise UndecodableMedia("the image has no pixels")
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
                raise UndecodableMedia(f"the image could not be decoded ({_reason(exc)})") from None
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


def _reason(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]
