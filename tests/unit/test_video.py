"""Video decoding within caps, the vPDQ value forms, and matching with vPDQ semantics:
whole copies, excerpts, re-encodes and crops of a banked video, and no other video."""

from __future__ import annotations

import dataclasses
import io
from functools import cache

import pytest
from PIL import Image

from safeguard.errors import (
    ContentTooLarge,
    EmptyContent,
    InvalidSignal,
    UndecodableMedia,
    VideoTooLarge,
)
from safeguard.index.base import SequenceHit
from safeguard.media.content import decode_content
from safeguard.media.decode import DecodeLimits, VideoLimits
from safeguard.media.preview import video_preview
from safeguard.media.video import VideoContent
from safeguard.screening.policy import SequenceRule
from safeguard.signals.vpdq import VPDQ, VpdqFeature, is_vpdq_text, parse, serialise
from safeguard.signals.vpdq_index import VideoFrameIndex
from tests.videos import cropped_rescaled, excerpt, reencoded, video

LIMITS = DecodeLimits(max_bytes=50 << 20, max_pixels=50_000_000)
BANKING = dataclasses.replace(LIMITS, video=VideoLimits(seconds_per_hash=0))


@cache
def banked() -> bytes:
    return video(seed=1, seconds=30)


def test_frames_are_numbered_and_timed_as_the_reference_does() -> None:
    content = decode_content(video(seed=5, seconds=3), LIMITS)
    assert isinstance(content, VideoContent)
    assert (content.info.width, content.info.height, content.info.frame_rate) == (320, 240, 10.0)
    frames = list(content.frames())
    assert [(f.number, f.timestamp) for f in frames] == [(0, 0.0), (10, 1.0), (20, 2.0)]
    assert frames[0].luma.shape == (240, 320)
    assert len(list(content.frames(0))) == 30


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"", EmptyContent),
        (b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 4000, UndecodableMedia),  # the magic only
        (b"\x1a\x45\xdf\xa3 this is text, not a Matroska file", UndecodableMedia),
    ],
)
def test_broken_input_is_refused_with_a_clear_error(data: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        content = decode_content(data, LIMITS)
        list(content.frames())  # type: ignore[attr-defined]


def test_a_truncated_video_is_refused_not_half_hashed() -> None:
    data = banked()
    for cut in (len(data) // 2, len(data) - 5000, 300):
        with pytest.raises(UndecodableMedia):
            content = decode_content(data[:cut], LIMITS)
            VPDQ.hash_content(content)


def test_caps_on_length_frames_and_frame_size() -> None:
    data = video(seed=5, seconds=3)
    for caps, message in [
        (VideoLimits(max_seconds=2), "longer|lasts"),
        (VideoLimits(max_frames=20), "frames"),
        (VideoLimits(max_pixels=320 * 239), "pixels"),
        (VideoLimits(max_bytes=len(data) - 1), "over the limit"),
    ]:
        with pytest.raises((VideoTooLarge, ContentTooLarge), match=message):
            content = decode_content(data, dataclasses.replace(LIMITS, video=caps))
            list(content.frames())  # type: ignore[attr-defined]


def test_the_reference_text_and_the_threatexchange_json_forms_parse_alike() -> None:
    pdq = "e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c"
    text = f"0,100,{pdq},0.000\n30,90,{pdq.upper()},1.000\n"
    assert is_vpdq_text(text.encode())
    assert not is_vpdq_text(b"signal_type,signal_value\n")
    features = parse(text)
    assert features == [VpdqFeature(0, 100, pdq, 0.0), VpdqFeature(30, 90, pdq, 1.0)]
    assert serialise(features) == text.strip().replace(pdq.upper(), pdq)
    as_json = f'["{pdq},100,0.000", "{pdq},90,1.000"]'
    assert [(f.quality, f.pdq, f.timestamp) for f in parse(as_json)] == [
        (100, pdq, 0.0),
        (90, pdq, 1.0),
    ]
    for bad in [f"0,101,{pdq},0.000", f"0,100,{pdq[:-1]},0.000", f"-1,100,{pdq},0", "[1, 2]"]:
        with pytest.raises(InvalidSignal):
            parse(bad)
    with pytest.raises(InvalidSignal):
        VPDQ.check_bank_value(f"0,10,{pdq},0.000")  # no frame of usable quality


def test_hashing_gives_the_frames_then_one_value_per_view() -> None:
    content = decode_content(video(seed=5, seconds=3), LIMITS)
    values = VPDQ.hash_content(content)
    assert values[0].view == "original" and len(values) > 10
    own = VPDQ.hash_content(content, views=False)
    assert [v.value for v in own] == [values[0].value]
    frames = VPDQ.json_value(own[0].value)
    assert isinstance(frames, list)
    assert [f["frame"] for f in frames] == [0, 10, 20]
    assert set(frames[0]) == {"frame", "quality", "pdq", "timestamp"}


def _index() -> VideoFrameIndex:
    index = VideoFrameIndex()
    for entry_id, data in [(1, banked()), (2, video(seed=2, seconds=20))]:
        [value] = VPDQ.hash_content(decode_content(data, BANKING), views=False)
        index.add([entry_id], [value.value])
    return index


def _hits(index: VideoFrameIndex, data: bytes) -> dict[int, SequenceHit]:
    values = VPDQ.hash_content(decode_content(data, LIMITS))
    views = [(v.view, v.value, 31 if v.view == "original" else 44) for v in values]
    return {hit.entry_id: hit for hit in index.match_sequence(views)}


def test_copies_excerpts_reencodes_and_crops_match_the_banked_video() -> None:
    index = _index()
    rule = SequenceRule()
    whole = _hits(index, banked())[1]
    assert whole.query_percent == 100.0 and rule.accepts(whole)
    clip = _hits(index, excerpt(banked(), start=10, seconds=10))
    assert set(clip) == {1} and rule.accepts(clip[1])
    assert clip[1].compared_percent < 50  # a third of the banked video: found as a clip
    assert clip[1].clip_seconds >= 9
    [(start, end)] = clip[1].ranges
    assert 9 <= start <= 11 and 18 <= end <= 20  # where in the banked video
    for edited in (reencoded(banked()), cropped_rescaled(banked())):
        hits = _hits(index, edited)
        assert set(hits) == {1} and rule.accepts(hits[1]) and hits[1].query_percent >= 80


def test_an_unrelated_video_matches_nothing() -> None:
    assert _hits(_index(), video(seed=3, seconds=20)) == {}


def test_entries_are_replaced_and_removed() -> None:
    index = _index()
    assert len(index) == 2
    index.remove([1])
    assert len(index) == 1 and 1 not in _hits(index, banked())
    assert index.search([VPDQ.examples[0]], 31) == [[]]


def test_moderators_see_a_contact_sheet_never_the_video() -> None:
    sheet = Image.open(io.BytesIO(video_preview(video(seed=6, seconds=6), LIMITS)))
    assert sheet.format == "JPEG" and sheet.mode == "L"
    assert sheet.width <= 1024 and sheet.height == 2 * round((1024 // 3) * 240 / 320)
    with pytest.raises(UndecodableMedia):
        video_preview(b"\x1a\x45\xdf\xa3 not a video", LIMITS)
