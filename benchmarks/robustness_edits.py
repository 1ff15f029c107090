"""The edits that benchmarks/robustness.py applies to photos: what re-uploads look like.

Each edit takes an RGB image and a random generator and returns the edited image; the
caller saves it as JPEG (quality 90) unless the edit is itself a JPEG re-encode.
``EDITS`` holds single edits, ``COMBINED_EDITS`` several at once, applied in order.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageOps

Edit = Callable[[Image.Image, np.random.Generator], Image.Image]

_WORDS = [
    "look",
    "at",
    "this",
    "view",
    "from",
    "the",
    "trip",
    "today",
    "so",
    "nice",
    "weekend",
    "market",
    "lunch",
    "with",
    "friends",
    "the",
    "garden",
    "again",
    "new",
    "photo",
    "best",
    "day",
    "ever",
    "found",
    "this",
    "old",
    "picture",
    "what",
    "do",
    "you",
    "think",
]


def _text_lines(
    draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], ink: int, rng: np.random.Generator
) -> None:
    left, top, _right, bottom = box
    size = max(10, (bottom - top) // 3)
    y = top + size // 3
    while y + size <= bottom:
        words = " ".join(rng.choice(_WORDS, size=int(rng.integers(3, 8))))
        draw.text((left + size // 2, y), words, fill=(ink, ink, ink), font_size=size)
        y += int(size * 1.5)


def _crop(fraction: float, side: str) -> Edit:
    def edit(image: Image.Image, rng: np.random.Generator) -> Image.Image:
        w, h = image.size
        dx, dy = round(w * fraction), round(h * fraction)
        boxes = {
            "centre": (dx // 2, dy // 2, w - (dx - dx // 2), h - (dy - dy // 2)),
            "left": (dx, 0, w, h),
            "right": (0, 0, w - dx, h),
            "top": (0, dy, w, h),
            "bottom": (0, 0, w, h - dy),
        }
        return image.crop(boxes[side])

    return edit


def _crop_sides(top: float, bottom: float, left: float, right: float) -> Edit:
    """Each side cropped by its own share of the original's side."""

    def edit(image: Image.Image, rng: np.random.Generator) -> Image.Image:
        w, h = image.size
        return image.crop(
            (round(w * left), round(h * top), w - round(w * right), h - round(h * bottom))
        )

    return edit


def _aspect_crop(aspect: float, offset: float) -> Edit:
    """The largest crop of ``aspect`` (width / height, or its inverse for a portrait photo),
    placed at ``offset`` (0: top or left, 1: bottom or right) along the cropped side."""

    def edit(image: Image.Image, rng: np.random.Generator) -> Image.Image:
        w, h = image.size
        wanted = aspect if w >= h else 1.0 / aspect
        cw, ch = (round(h * wanted), h) if w / h > wanted else (w, round(w / wanted))
        x, y = round((w - cw) * offset), round((h - ch) * offset)
        return image.crop((x, y, x + cw, y + ch))

    return edit


def _square(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    w, h = image.size
    side = min(w, h)
    return image.crop(((w - side) // 2, (h - side) // 2, (w + side) // 2, (h + side) // 2))


def _pad(fraction: float, colour: int) -> Edit:
    def edit(image: Image.Image, rng: np.random.Generator) -> Image.Image:
        w, h = image.size
        border = round(max(w, h) * fraction)
        return ImageOps.expand(image, border=border, fill=(colour,) * 3)

    return edit


def _letterbox(aspect: float, colour: int) -> Edit:
    def edit(image: Image.Image, rng: np.random.Generator) -> Image.Image:
        w, h = image.size
        size = (round(h * aspect), h) if w / h < aspect else (w, round(w / aspect))
        canvas = Image.new("RGB", size, (colour,) * 3)
        canvas.paste(image, ((size[0] - w) // 2, (size[1] - h) // 2))
        return canvas

    return edit


def _rotate(degrees: float) -> Edit:
    def edit(image: Image.Image, rng: np.random.Generator) -> Image.Image:
        return image.rotate(degrees, resample=Image.Resampling.BICUBIC)

    return edit


def _resize(factor: float) -> Edit:
    def edit(image: Image.Image, rng: np.random.Generator) -> Image.Image:
        w, h = image.size
        return image.resize((round(w * factor), round(h * factor)), Image.Resampling.LANCZOS)

    return edit


def _thumbnail(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    copy = image.copy()
    copy.thumbnail((160, 160))
    return copy


def _gamma(gamma: float) -> Edit:
    table = [round(255 * (i / 255) ** gamma) for i in range(256)] * 3

    def edit(image: Image.Image, rng: np.random.Generator) -> Image.Image:
        return image.point(table)

    return edit


def _caption_bar(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    w, h = image.size
    bar = round(h * rng.uniform(0.12, 0.2))
    canvas = Image.new("RGB", (w, h + bar), (255, 255, 255))
    canvas.paste(image, (0, bar))
    _text_lines(ImageDraw.Draw(canvas), (0, 0, w, bar), 20, rng)
    return canvas


def _watermark_bar(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    w, h = image.size
    bar = round(h * rng.uniform(0.08, 0.12))
    overlay = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    draw.rectangle((0, h - bar, w, h), fill=(0, 0, 0, 140))
    draw.text(
        (w // 20, h - bar + bar // 4),
        "example.com",
        fill=(255, 255, 255, 200),
        font_size=max(10, bar // 2),
    )
    return Image.alpha_composite(image.convert("RGBA"), overlay).convert("RGB")


def _screenshot(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """The photo shown in a post: header bar, name, caption above, icons below."""
    background, ink = [(255, 255), (240, 30), (21, 230), (0, 220)][int(rng.integers(4))]
    scale = rng.uniform(0.6, 1.0)
    photo = image.resize(
        (round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS
    )
    margin = round(photo.width * rng.uniform(0.04, 0.15))
    width = photo.width + 2 * margin
    header = round(width * rng.uniform(0.06, 0.1))
    caption = round(width * rng.uniform(0.08, 0.2))
    footer = round(width * rng.uniform(0.08, 0.15))
    height = header + caption + photo.height + footer
    canvas = Image.new("RGB", (width, height), (background,) * 3)
    draw = ImageDraw.Draw(canvas)
    accent = tuple(int(v) for v in rng.integers(0, 256, size=3))
    draw.rectangle((0, 0, width, header), fill=accent)
    _text_lines(draw, (margin, header, width - margin, header + caption), ink, rng)
    canvas.paste(photo, (margin, header + caption))
    top = header + caption + photo.height + footer // 4
    for k in range(4):
        x = margin + k * width // 5
        draw.ellipse((x, top, x + footer // 2, top + footer // 2), outline=(ink,) * 3, width=2)
    return canvas


def _jpeg(quality: int) -> Edit:
    def edit(image: Image.Image, rng: np.random.Generator) -> Image.Image:
        return image  # the caller re-encodes at this quality

    edit.jpeg_quality = quality  # type: ignore[attr-defined]
    return edit


def _chain(*edits: Edit) -> Edit:
    """The edits applied in order (a JPEG re-encode among them sets the final quality)."""

    def edit(image: Image.Image, rng: np.random.Generator) -> Image.Image:
        for step in edits:
            image = step(image, rng)
        return image

    qualities = [getattr(step, "jpeg_quality", None) for step in edits]
    if any(qualities):
        edit.jpeg_quality = min(q for q in qualities if q)  # type: ignore[attr-defined]
    return edit


def _mirror(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    return image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)


def _turn_90(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    return image.transpose(Image.Transpose.ROTATE_90)


EDITS: dict[str, Edit] = {
    "unchanged": lambda image, rng: image,
    "jpeg-q30": _jpeg(30),
    "jpeg-q60": _jpeg(60),
    "resize-50": _resize(0.5),
    "resize-150": _resize(1.5),
    "thumbnail-160": _thumbnail,
    "grayscale": lambda image, rng: image.convert("L").convert("RGB"),
    "gamma-0.6": _gamma(0.6),
    "gamma-1.6": _gamma(1.6),
    "blur-2": lambda image, rng: image.filter(ImageFilter.GaussianBlur(2)),
    "contrast-0.6": lambda image, rng: ImageEnhance.Contrast(image).enhance(0.6),
    "contrast-1.5": lambda image, rng: ImageEnhance.Contrast(image).enhance(1.5),
    "crop-5-centre": _crop(0.05, "centre"),
    "crop-10-centre": _crop(0.10, "centre"),
    "crop-5-left": _crop(0.05, "left"),
    "crop-5-top": _crop(0.05, "top"),
    "crop-10-right": _crop(0.10, "right"),
    "crop-10-bottom": _crop(0.10, "bottom"),
    "crop-square": _square,
    "pad-black-10": _pad(0.10, 0),
    "pad-white-5": _pad(0.05, 255),
    "letterbox-black-16:9": _letterbox(16 / 9, 0),
    "letterbox-white-1:1": _letterbox(1.0, 255),
    "rotate-3": _rotate(3),
    "rotate-minus-5": _rotate(-5),
    "rotate-90": _turn_90,
    "mirror": _mirror,
    "caption-bar": _caption_bar,
    "watermark-bar": _watermark_bar,
    "screenshot": _screenshot,
}

COMBINED_EDITS: dict[str, Edit] = {
    "crop-5-top-left": _crop_sides(0.05, 0.0, 0.05, 0.0),
    "crop-5-bottom-right": _crop_sides(0.0, 0.05, 0.0, 0.05),
    "crop-3-top-8-right": _crop_sides(0.03, 0.0, 0.0, 0.08),
    "mirror+crop-5-centre": _chain(_mirror, _crop(0.05, "centre")),
    "mirror+crop-5-top-left": _chain(_mirror, _crop_sides(0.05, 0.0, 0.05, 0.0)),
    "crop-5-left+rotate-90": _chain(_crop(0.05, "left"), _turn_90),
    "rotate-3+crop-5": _chain(_rotate(3), _crop(0.05, "centre")),
    "rotate-minus-3+crop-5": _chain(_rotate(-3), _crop(0.05, "centre")),
    "mirror+rotate-3": _chain(_mirror, _rotate(3)),
    "square-start": _aspect_crop(1.0, 0.0),
    "square-end": _aspect_crop(1.0, 1.0),
    "crop-to-16:9": _aspect_crop(16 / 9, 0.5),
    "crop-to-16:9-top": _aspect_crop(16 / 9, 0.0),
    "crop-5+caption-bar": _chain(_crop(0.05, "centre"), _caption_bar),
    "mirror+screenshot": _chain(_mirror, _screenshot),
    "crop-5+screenshot": _chain(_crop(0.05, "centre"), _screenshot),
    "mirror+pad-white-5": _chain(_mirror, _pad(0.05, 255)),
    "resize-50+crop-5+jpeg-q40": _chain(_resize(0.5), _crop(0.05, "centre"), _jpeg(40)),
    "resize-50+crop-5-left+jpeg-q40": _chain(_resize(0.5), _crop(0.05, "left"), _jpeg(40)),
    "crop-5-top+mirror+jpeg-q40": _chain(_crop(0.05, "top"), _mirror, _jpeg(40)),
}
