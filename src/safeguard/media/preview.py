"""Previews for moderators: content re-encoded as a small JPEG.

The browser never receives the uploaded bytes themselves, only fresh pixels in one plain
format, scaled down: whatever else the upload carried (metadata, a second format hidden
in the same file) stays in the evidence vault. A video is shown as a contact sheet of
frames spread over its length, so that a moderator judges it without playing it.
"""

from __future__ import annotations

import io

from PIL import Image

from safeguard.media.decode import DecodeLimits, decode_image
from safeguard.media.video import VIDEO

PREVIEW_SIDE = 1024
PREVIEW_TYPE = "image/jpeg"
SHEET_COLUMNS, SHEET_ROWS = 3, 2  # a video's contact sheet: six frames


def image_preview(data: bytes, limits: DecodeLimits, side: int = PREVIEW_SIDE) -> bytes:
    """A JPEG of the image in ``data``, its longer side at most ``side`` pixels; a
    SafeguardError subclass if ``data`` is no image within ``limits``."""
    decoded = decode_image(data, limits)
    picture = Image.fromarray(decoded.pixels)
    picture.thumbnail((side, side))
    out = io.BytesIO()
    picture.convert("RGB").save(out, format="JPEG", quality=85)
    return out.getvalue()


def video_preview(data: bytes, limits: DecodeLimits, side: int = PREVIEW_SIDE) -> bytes:
    """A JPEG contact sheet of frames spread evenly over the video in ``data`` (grey, as
    hashed), at most ``side`` pixels wide; a SafeguardError subclass if it is no video
    within ``limits``."""
    video = VIDEO.decode(data, limits)
    count = SHEET_COLUMNS * SHEET_ROWS
    spacing = (video.info.duration or 0.0) / count
    tiles = [
        Image.fromarray(frame.luma.clip(0, 255).astype("uint8"))
        for frame, _ in zip(video.frames(spacing), range(count), strict=False)
    ]
    width = side // SHEET_COLUMNS
    height = max(1, round(width * video.info.height / max(1, video.info.width)))
    sheet = Image.new("L", (width * SHEET_COLUMNS, height * SHEET_ROWS))
    for position, tile in enumerate(tiles):
        row, column = divmod(position, SHEET_COLUMNS)
        sheet.paste(tile.resize((width, height)), (column * width, row * height))
    out = io.BytesIO()
    sheet.save(out, format="JPEG", quality=85)
    return out.getvalue()
