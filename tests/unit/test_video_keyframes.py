"""The keyframe fast path: an upload whose keyframes lie at most a second apart has only
the keyframe nearest each second decoded, hashed exactly as the full decode hashes those
frames, and its time estimate counts only those; anything
else (a long GOP hiding banked frames behind a benign keyframe, intra refresh) gets the
full decode; caps and broken files give the same errors either way."""

from __future__ import annotations

import dataclasses
import itertools
from functools import cache

import numpy as np
import pytest

from safeguard.config import Settings
from safeguard.errors import UndecodableMedia, VideoTooLarge
from safeguard.index.base import SequenceHit
from safeguard.media.content import decode_content
from safeguard.media.decode import DecodeLimits, VideoLimits
from safeguard.media.keyframes import KeyframePicker
from safeguard.media.video import (
    DEMUX_SECONDS_PER_PACKET,
    HASH_SECONDS_PER_FRAME,
    KEYFRAME_PIXELS_PER_SECOND,
    VideoContent,
    VideoFrame,
)
from safeguard.screening.policy import SequenceRule
from safeguard.signals.vpdq import VPDQ
from safeguard.signals.vpdq_index import VideoFrameIndex
from tests.videos import decoded, encode, scene

FULL = DecodeLimits(max_bytes=50 << 20, max_pixels=50_000_000)
FAST = dataclasses.replace(FULL, video=VideoLimits(keyframe_max_gap=1.05))
BANKING = dataclasses.replace(FULL, video=VideoLimits(seconds_per_hash=0))


@cache
def banked() -> bytes:
    return encode(scene(seed=1, seconds=20))  # x264's default GOP: hashed at every frame


def one_second_gop(data: bytes) -> bytes:
    """The video again with a keyframe every second (10 frames) and no other."""
    return encode(decoded(data), gop=10)


def _frames(data: bytes, limits: DecodeLimits) -> list[VideoFrame]:
    content = decode_content(data, limits)
    assert isinstance(content, VideoContent)
    return list(content.frames())


def _hits(data: bytes) -> dict[int, SequenceHit]:
    index = VideoFrameIndex()
    [value] = VPDQ.hash_content(decode_content(banked(), BANKING), views=False)
    index.add([1], [value.value])
    values = VPDQ.hash_content(decode_content(data, FAST))
    views = [(v.view, v.value, 31 if v.view == "original" else 44) for v in values]
    return {hit.entry_id: hit for hit in index.match_sequence(views)}


def test_the_settings_turn_it_on_for_uploads_only() -> None:
    settings = Settings.from_env({"SAFEGUARD_DATA_DIR": "/tmp/unused"})
    assert DecodeLimits.from_settings(settings).video.keyframe_max_gap == pytest.approx(1.05)
    assert DecodeLimits.from_settings(settings, banking=True).video.keyframe_max_gap == 0
    for env, gap in [
        ({"SAFEGUARD_VIDEO_KEYFRAME_FAST_PATH": "false"}, 0.0),
        ({"SAFEGUARD_VIDEO_KEYFRAME_MAX_GAP_SECONDS": "2.5"}, 2.5),
        ({"SAFEGUARD_VIDEO_SECONDS_PER_HASH": "0"}, 0.0),
    ]:
        configured = Settings.from_env({"SAFEGUARD_DATA_DIR": "/tmp/unused"} | env)
        assert DecodeLimits.from_settings(configured).video.keyframe_max_gap == gap


@pytest.mark.parametrize("container", ["mp4", "matroska", "mpegts"])
def test_keyframes_a_second_apart_are_hashed_alone_as_the_full_decode_hashes_them(
    container: str,
) -> None:
    data = encode(scene(seed=4, seconds=5), container=container, gop=10)
    fast = _frames(data, FAST)
    assert all(f.keyframe_pass for f in fast)
    assert [(f.number, f.timestamp) for f in fast] == [(n * 10, float(n)) for n in range(5)]
    every = {f.number: f for f in decode_content(data, FULL).frames(0)}  # type: ignore[attr-defined]
    for frame in fast:
        assert np.array_equal(frame.luma, every[frame.number].luma)
        assert frame.timestamp == every[frame.number].timestamp
    assert not any(f.keyframe_pass for f in _frames(data, FULL))  # the fast path off


@pytest.mark.parametrize(("keyint", "fast"), [(10, True), (100, False)])
def test_hevc_with_open_gops_takes_the_fast_path_only_with_keyframes_a_second_apart(
    keyint: int, fast: bool
) -> None:
    params = f"keyint={keyint}:min-keyint={keyint}:scenecut=0:open-gop=1:log-level=error"
    data = encode(scene(seed=4, seconds=4), codec="libx265", options={"x265-params": params})
    frames = _frames(data, FAST)
    assert [f.number for f in frames] == [0, 10, 20, 30]
    assert all(f.keyframe_pass for f in frames) is fast
    every = {f.number: f for f in decode_content(data, FULL).frames(0)}  # type: ignore[attr-defined]
    assert all(np.array_equal(f.luma, every[f.number].luma) for f in frames)


def test_keyframes_closer_than_a_second_are_thinned_to_about_one_a_second() -> None:
    data = encode(scene(seed=4, seconds=3), gop=1)  # every frame a keyframe
    frames = _frames(data, FAST)
    assert all(f.keyframe_pass for f in frames)
    assert [f.number for f in frames] == [0, 10, 20]  # no more hashing than the full decode


def test_a_copy_and_an_excerpt_with_one_second_keyframes_match_the_banked_video() -> None:
    rule = SequenceRule()
    copy = one_second_gop(banked())
    assert all(f.keyframe_pass for f in _frames(copy, FAST))
    whole = _hits(copy)[1]
    assert whole.query_percent == 100.0 and rule.accepts(whole)
    frames = list(itertools.islice(decoded(banked()), 50, 150))  # 5 s to 15 s
    clip = _hits(encode(frames, gop=10))[1]
    assert rule.accepts(clip) and clip.clip_seconds >= 9
    [(start, end)] = clip.ranges
    assert 4 <= start <= 6 and 13 <= end <= 15
    unrelated = encode(scene(seed=3, seconds=20), gop=10)
    assert _hits(unrelated) == {}


def test_a_long_gop_hiding_banked_frames_behind_a_benign_keyframe_gets_the_full_decode() -> None:
    benign = scene(seed=3, seconds=3)
    hidden = itertools.islice(decoded(banked()), 0, 100)  # 10 s of the banked video
    data = encode(itertools.chain(benign, hidden), gop=300)  # one keyframe, at 0 s
    frames = _frames(data, FAST)
    assert [f.timestamp for f in frames] == [float(n) for n in range(13)]
    assert not all(f.keyframe_pass for f in frames)
    hit = _hits(data)[1]
    assert SequenceRule().accepts(hit) and hit.clip_seconds >= 9


def test_intra_refresh_recovery_points_are_not_taken_for_keyframes() -> None:
    """x264's intra refresh marks a recovery point every GOP, which the container calls a
    keyframe; only the first is a picture of its own, so the full decode follows."""
    data = encode(scene(seed=4, seconds=4), gop=10, options={"x264-params": "intra-refresh=1"})
    frames = _frames(data, FAST)
    assert [f.number for f in frames] == [0, 10, 20, 30]
    assert [f.keyframe_pass for f in frames][1:] == [False, False, False]


def test_caps_and_broken_files_give_the_same_errors_as_the_full_decode() -> None:
    data = encode(scene(seed=5, seconds=3), gop=10)
    for caps, error in [
        (VideoLimits(max_seconds=2), VideoTooLarge),
        (VideoLimits(max_frames=20), VideoTooLarge),
        (VideoLimits(max_pixels=320 * 239), VideoTooLarge),
    ]:
        for gap in (0.0, 1.05):
            limits = dataclasses.replace(
                FULL, video=dataclasses.replace(caps, keyframe_max_gap=gap)
            )
            with pytest.raises(error):
                _frames(data, limits)
    mkv = encode(scene(seed=5, seconds=6), container="matroska", gop=10)
    damaged = bytearray(data)
    damaged[300:800] = np.random.default_rng(0).integers(0, 256, 500, np.uint8).tobytes()
    for broken in (mkv[: len(mkv) // 2], mkv[:2000], data[: len(data) - 3000], bytes(damaged)):
        errors = []
        for limits in (FULL, FAST):
            with pytest.raises(UndecodableMedia) as raised:
                _frames(broken, limits)
            errors.append(str(raised.value).split(" (")[0])
        assert errors[0] == errors[1]  # a damaged first keyframe: the full decode's error


def test_the_keyframe_nearest_each_second_is_picked_and_no_other_is_decoded() -> None:
    """Scene cuts put keyframes off the whole seconds: one is picked for each sample
    time, where keeping every gap within 1.05 s would hash all twelve."""
    times = [0.0, 1.0, 1.733, 2.733, 3.433, 4.433, 5.133, 5.7, 6.7, 7.7, 8.533, 9.533]
    picker: KeyframePicker[float] = KeyframePicker(gap=1.05, every=1.0)
    to_decode: list[float] = []
    for number in range(300):  # 10 s at 30 frames a second, in order
        time = number / 30
        keyframe = any(abs(time - t) < 1e-3 for t in times)
        assert picker.shown(time, keyframe)
        if keyframe:
            to_decode += picker.keyframe(time, time) or []
    to_decode += picker.end()
    assert [round(t, 3) for t in to_decode] == [
        0.0, 1.0, 1.733, 2.733, 4.433, 5.133, 5.7, 6.7, 7.7, 8.533
    ]  # fmt: skip
    assert not picker.complete()  # none decoded yet
    assert all(picker.decoded(t) for t in to_decode) and picker.complete()


def test_keyframes_out_of_order_or_not_the_ones_picked_end_the_fast_path() -> None:
    picker: KeyframePicker[str] = KeyframePicker(gap=1.05, every=1.0)
    assert picker.keyframe(0.0, "a") == [] and picker.keyframe(1.0, "b") == ["a"]
    assert picker.keyframe(0.5, "c") is None
    assert not picker.decoded(1.0)  # the first picked was at 0 s


def test_keyframes_off_the_seconds_are_decoded_one_a_second_as_the_full_decode_has_them() -> None:
    data = encode(scene(seed=4, seconds=5), gop=7)  # keyframes every 0.7 s
    fast = _frames(data, FAST)
    assert all(f.keyframe_pass for f in fast)
    assert [f.number for f in fast] == [0, 7, 21, 28, 42]  # 5 of the 7 keyframes
    every = {f.number: f for f in decode_content(data, FULL).frames(0)}  # type: ignore[attr-defined]
    assert all(np.array_equal(f.luma, every[f.number].luma) for f in fast)


def test_the_time_estimate_counts_the_keyframes_when_the_fast_path_would_take_them() -> None:
    short = decode_content(encode(scene(seed=4, seconds=6), gop=10), FAST)
    long = decode_content(encode(scene(seed=4, seconds=6), gop=60), FAST)
    assert isinstance(short, VideoContent) and isinstance(long, VideoContent)
    full = short.estimated_seconds()
    assert long.estimated_seconds(budget=10) == long.estimated_seconds() == full
    assert short.estimated_seconds(budget=10) == pytest.approx(
        6 * (320 * 240 / KEYFRAME_PIXELS_PER_SECOND + HASH_SECONDS_PER_FRAME)
        + 60 * DEMUX_SECONDS_PER_PACKET
    )
    assert short.estimated_seconds(budget=0) == full  # not even the fast path fits
    assert dataclasses.replace(short, limits=FULL.video).estimated_seconds(budget=10) == full
