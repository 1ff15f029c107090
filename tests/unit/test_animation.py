"""Animated GIF, PNG and WebP are hashed frame by frame, on SQLite and PostgreSQL: a
banked image behind a benign first frame is blocked, an animation banked by its vPDQ is
found in another format; stills are images as before; AVIF is read, HEIC refused."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from safeguard.banks import service
from safeguard.banks.models import BankSpec, NewEntry
from safeguard.errors import UnsupportedMedia, VideoTooLarge
from safeguard.media import animation
from safeguard.media.animation import AnimationContent
from safeguard.media.content import decode_content
from safeguard.media.decode import DecodeLimits
from safeguard.media.image import ImageContent
from safeguard.screening.service import Requester, Screener
from safeguard.screening.signals import hash_content
from safeguard.signals.pdq import PDQ
from safeguard.store.db import Database
from tests.conftest import png_bytes, synthetic_photo

LIMITS = DecodeLimits(max_bytes=50 << 20, max_pixels=50_000_000)
WHO = Requester("platform", "upload")
KNOWN = synthetic_photo(71)
FRAMES = [synthetic_photo(72), KNOWN, KNOWN, KNOWN, KNOWN, KNOWN, synthetic_photo(73)]


def animated(frames: list[Image.Image], fmt: str, duration: int = 200) -> bytes:
    out = io.BytesIO()
    frames[0].save(
        out, format=fmt, save_all=True, append_images=frames[1:], duration=duration, loop=0
    )
    return out.getvalue()


def _bank(db: Database, entry: NewEntry) -> None:
    with db.session() as session:
        service.add_entries(session, service.create_bank(session, BankSpec("known")), [entry])


@pytest.mark.parametrize("fmt", ["GIF", "PNG", "WEBP"])
def test_a_banked_image_behind_a_benign_first_frame_is_blocked(db: Database, fmt: str) -> None:
    [known] = PDQ.hash_content(decode_content(png_bytes(KNOWN), LIMITS), views=False)
    _bank(db, NewEntry("pdq", known.value))
    content = decode_content(animated(FRAMES, fmt), LIMITS)
    assert isinstance(content, AnimationContent)
    assert content.distinct[0].number == 0 and len(content.distinct) == 3
    result = Screener(db, 50).screen(hash_content(content), WHO)
    assert result.decision.value == "block"
    [match] = result.matches
    assert match.signal_type == "pdq" and match.view is not None and "@" in match.view
    assert result.signals["pdq"] != known.value  # the first frame is the benign one


def test_an_animation_banked_by_its_vpdq_is_found_in_another_format(db: Database) -> None:
    frames = [synthetic_photo(seed) for seed in range(80, 88)]
    own = hash_content(decode_content(animated(frames, "GIF"), LIMITS), views=False)
    assert own.own("vpdq") is not None
    _bank(db, NewEntry("vpdq", own.own("vpdq").value))  # type: ignore[union-attr]
    copy = decode_content(animated(frames, "WEBP", duration=250), LIMITS)
    result = Screener(db, 50).screen(hash_content(copy), WHO)
    assert result.decision.value == "block"
    assert {m.signal_type for m in result.matches} == {"vpdq"}


def test_stills_stay_images_and_avif_is_read() -> None:
    for fmt in ("GIF", "PNG", "WEBP", "AVIF"):
        out = io.BytesIO()
        KNOWN.save(out, format=fmt)
        content = decode_content(out.getvalue(), LIMITS)
        assert isinstance(content, ImageContent), fmt
        assert "vpdq" not in hash_content(content).values
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 200
    with pytest.raises(UnsupportedMedia):
        decode_content(heic, LIMITS)


def test_animations_past_the_caps_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(animation, "MAX_FRAMES", 2)  # the GIF keeps 3 distinct frames
    with pytest.raises(VideoTooLarge):
        decode_content(animated(FRAMES, "GIF"), LIMITS)
    monkeypatch.setattr(animation, "MAX_FRAMES", 1000)
    monkeypatch.setattr(animation, "MAX_DECODED_PIXELS", 2 * 320 * 240)
    with pytest.raises(VideoTooLarge):
        decode_content(animated(FRAMES, "PNG"), LIMITS)
