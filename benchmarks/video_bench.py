"""vPDQ video hashing: frames hashed per second and real-time factor, against the peers.

    .venv/bin/python benchmarks/video_bench.py [--seconds 20] [--repeat 1]
        [--vpdq-python /tmp/vpdqvenv/bin/python] [--modes one-core default-threads]

Generates H.264 clips (libx264 from PyAV's wheels) of moving, textured synthetic content
at 480p (854x480) and 1080p (1920x1080), 30 fps, into a temporary directory, each twice:
with x264's default GOP (a keyframe at most every 250 frames, and at scene cuts) and
with a 1-second GOP (``g=30``: a keyframe every 30 frames, as phones' and streaming
encoders' settings commonly give). Then times, at one hashed frame a second, on the same
files in the same run:

- decode only: every frame decoded, nothing converted (the floor under any approach
  that decodes every frame);
- decode + sample: ``VideoContent.frames``, every frame decoded, the sampled ones
  converted to a float32 luma plane;
- PDQ only: ``plain_pdq`` on the sampled lumas, computed beforehand;
- whole vPDQ: ``VPDQ.hash_content(views=False)``, from the bytes, every frame decoded
  (the keyframe fast path off);
- keyframe fast path: the same with ``keyframe_max_gap`` on (1.05 s), as uploads are
  screened: keyframes alone decoded when none is over 1.05 s from the next, else the
  full decode (so on the default-GOP clips it times the check and the full decode);
- fast path + image views: what screening an upload computes, each frame hashed with
  the views that undo edits (``VPDQ.hash_content(views=True)``);
- peer, PyAV + pdqhash: the same decode loop, sampled frames to RGB, ``pdqhash.compute``;
- peer, vpdq: Meta's reference package (``vpdq.computeHash``), when it can be imported
  here or run by the interpreter given as ``--vpdq-python`` (a scratch venv where it was
  built against Debian's FFmpeg headers; see docs/benchmarks.md).

Each is run twice (``--modes``): on one core (the process pinned to one CPU and every
decoder set to one thread) and with the decoders' default threads on every core. The
ratio columns are each row's time over Safeguard's whole vPDQ and over the fast path's
(above 1: Safeguard's is faster).
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import os
import subprocess
import tempfile
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pdqhash

from safeguard.media.decode import KEYFRAME_GAP_TOLERANCE, DecodeLimits, VideoLimits
from safeguard.media.video import VIDEO, VideoContent
from safeguard.signals.pdq import plain_pdq
from safeguard.signals.vpdq import VPDQ, parse

FPS = 30
SECONDS_PER_HASH = 1.0
SIZES = (("480p", 854, 480), ("1080p", 1920, 1080))
GOPS = (("default GOP", None), ("1-s GOP", FPS))
LIMITS = DecodeLimits(
    max_bytes=1_000_000_000,
    max_pixels=100_000_000,
    video=VideoLimits(max_bytes=1_000_000_000, seconds_per_hash=SECONDS_PER_HASH),
)
FAST = dataclasses.replace(
    LIMITS,
    video=dataclasses.replace(
        LIMITS.video, keyframe_max_gap=KEYFRAME_GAP_TOLERANCE * SECONDS_PER_HASH
    ),
)

# Run by the --vpdq-python interpreter: times vpdq.computeHash alone, prints JSON.
_VPDQ_CHILD = """
import json, os, sys, time
import vpdq
path, threads, repeat = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
best, features = None, None
for _ in range(repeat):
    start = time.perf_counter()
    features = vpdq.computeHash(path, seconds_per_hash=1, thread_count=threads)
    took = time.perf_counter() - start
    best = took if best is None else min(best, took)
print(json.dumps({"seconds": best, "frames": [
    [f.frame_number, f.quality, f.hex, f.timestamp] for f in features]}))
"""


def make_clip(path: Path, width: int, height: int, seconds: int, gop: int | None) -> None:
    """Scrolling smoothed-noise texture under drifting gratings and a moving bright box:
    detail at every scale, motion everywhere, so the encoder cannot skip blocks; a
    keyframe every ``gop`` frames (None: x264's default)."""
    rng = np.random.default_rng(width)
    block = height // 60  # the same scene at either size: 8 pixels at 480p, 18 at 1080p
    noise = rng.random((height // block + 64, width // block + 64)).astype(np.float32)
    texture = np.kron(noise, np.ones((block, block), np.float32))  # blocky, then blurred
    for axis in (0, 1):
        texture = (texture + np.roll(texture, 3, axis) + np.roll(texture, -3, axis)) / 3
    fine = rng.random((height + 256, width + 256)).astype(np.float32)
    xs = np.arange(width, dtype=np.float32)
    ys = np.arange(height, dtype=np.float32)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"crf": "23", "preset": "fast"} | ({"g": str(gop)} if gop else {})
        stream.time_base = Fraction(1, FPS)
        for n in range(seconds * FPS):
            dx, dy = (n * 5) % 256, (n * 3) % 256
            base = texture[dy : dy + height, dx : dx + width]
            grain = fine[dy : dy + height, dx : dx + width]
            waves = np.outer(np.cos(ys * 0.02 - n * 0.1), np.sin(xs * 0.03 + n * 0.2))
            grey = 150 * base + 3 * grain + 50 * waves
            box_x = int((width - width // 5) * (0.5 + 0.5 * np.sin(n / 40)))
            grey[height // 3 : height // 3 + height // 5, box_x : box_x + width // 5] += 60
            rgb = np.empty((height, width, 3), np.uint8)
            rgb[..., 0] = np.clip(grey, 0, 255)
            rgb[..., 1] = np.clip(grey * 0.8 + 30 * waves, 0, 255)
            rgb[..., 2] = np.clip(255 - grey, 0, 255)
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


def _frames(path: Path, one_thread: bool):  # type: ignore[no-untyped-def]
    container = av.open(str(path))
    stream = container.streams.video[0]
    stream.thread_type = "AUTO"
    if one_thread:
        stream.thread_count = 1
    return container, stream


def decode_only(path: Path, one_thread: bool) -> int:
    container, stream = _frames(path, one_thread)
    with container:
        return sum(1 for _ in container.decode(stream))


def peer_pyav_pdqhash(path: Path, one_thread: bool) -> list[tuple[int, int]]:
    """What a platform would write with PyAV and the pdqhash binding: decode every frame,
    hash one a second (frame number modulo the rate, as vPDQ picks them)."""
    container, stream = _frames(path, one_thread)
    step = max(1, int(SECONDS_PER_HASH * float(stream.average_rate)))
    hashes = []
    with container:
        for number, frame in enumerate(container.decode(stream)):
            if number % step == 0:
                bits, quality = pdqhash.compute(frame.to_ndarray(format="rgb24"))
                hashes.append((int("".join(str(int(b)) for b in bits), 2), int(quality)))
    return hashes


def sampled(content: VideoContent, one_thread: bool) -> list:  # type: ignore[type-arg]
    """``VideoContent.frames`` (its decoder on AUTO threads: on one pinned core FFmpeg
    counts one CPU and starts one thread)."""
    del one_thread  # the pinning decides
    return list(content.frames(SECONDS_PER_HASH))


def fast_path(data: bytes) -> tuple[list[tuple[int, str]], bool]:
    """Screening's vPDQ: (frame number, PDQ hex) of each hashed frame, and whether the
    keyframes alone were decoded."""
    content = VIDEO.decode(data, FAST)
    frames = list(content.frames())
    hashed = [(f.number, plain_pdq(f.luma).hex) for f in frames]
    return hashed, all(f.keyframe_pass for f in frames)


def best_of(repeat: int, function: Callable[[], object]) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


def run_vpdq(python: str | None, path: Path, threads: int, repeat: int) -> dict | None:  # type: ignore[type-arg]
    try:
        import vpdq  # type: ignore[import-not-found]
    except ImportError:
        vpdq = None
    if vpdq is not None:
        seconds, features = best_of(
            repeat,
            lambda: vpdq.computeHash(str(path), seconds_per_hash=1, thread_count=threads),
        )
        frames = [[f.frame_number, f.quality, f.hex, f.timestamp] for f in features]  # type: ignore[attr-defined]
        return {"seconds": seconds, "frames": frames}
    if python is None:
        return None
    done = subprocess.run(
        [python, "-c", _VPDQ_CHILD, str(path), str(threads), str(repeat)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=1, help="best of N runs")
    parser.add_argument("--vpdq-python", default=os.environ.get("VPDQ_PYTHON"))
    parser.add_argument(
        "--modes",
        nargs="+",
        choices=("one-core", "default-threads"),
        default=["one-core", "default-threads"],
    )
    args = parser.parse_args()
    all_cpus = os.sched_getaffinity(0)
    print(
        f"{len(all_cpus)} CPUs; PyAV {av.__version__}, FFmpeg {av.library_versions['libavcodec']}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        clips = []
        for (size_label, width, height), (gop_label, gop) in itertools.product(SIZES, GOPS):
            label = f"{size_label}, {gop_label}"
            path = Path(tmp) / f"{size_label}-{gop or 'default'}.mp4"
            start = time.perf_counter()
            make_clip(path, width, height, args.seconds, gop)
            took = time.perf_counter() - start
            size = path.stat().st_size
            print(
                f"{label}: {width}x{height}, {args.seconds} s at {FPS} fps, H.264 CRF 23, "
                f"{size / 1e6:.1f} MB ({size * 8 / args.seconds / 1e6:.1f} Mbit/s), "
                f"{keyframes(path)} keyframes, made in {took:.0f} s"
            )
            clips.append((label, path))
        warm = VIDEO.decode(clips[0][1].read_bytes(), LIMITS)
        plain_pdq(next(iter(warm.frames(SECONDS_PER_HASH))).luma)  # compile before timing
        for mode in args.modes:
            one = mode == "one-core"
            os.sched_setaffinity(0, {min(all_cpus)} if one else all_cpus)
            for label, path in clips:
                bench(label, path, mode, one, args)
        os.sched_setaffinity(0, all_cpus)


def keyframes(path: Path) -> int:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return sum(1 for packet in container.demux(stream) if packet.is_keyframe)


def bench(label: str, path: Path, mode: str, one: bool, args: argparse.Namespace) -> None:
    data = path.read_bytes()
    content = VIDEO.decode(data, LIMITS)
    video_seconds = content.info.duration or args.seconds
    repeat = args.repeat
    decode_s, decoded = best_of(repeat, lambda: decode_only(path, one))
    sample_s, frames = best_of(repeat, lambda: sampled(content, one))
    lumas = [f.luma for f in frames]  # type: ignore[attr-defined]
    pdq_s, _ = best_of(repeat, lambda: [plain_pdq(x) for x in lumas])
    whole_s, values = best_of(
        repeat, lambda: VPDQ.hash_content(VIDEO.decode(data, LIMITS), views=False)
    )
    ours = parse(values[0].value)  # type: ignore[index]
    fast_s, (fast, used) = best_of(repeat, lambda: fast_path(data))  # type: ignore[misc]
    screen_s, _ = best_of(repeat, lambda: VPDQ.hash_content(VIDEO.decode(data, FAST)))
    pyav_s, pyav = best_of(repeat, lambda: peer_pyav_pdqhash(path, one))
    ref = run_vpdq(args.vpdq_python, path, 1 if one else 0, repeat)
    hashed = len(ours)
    print(f"\n{label}, {mode}: {decoded} frames decoded, {hashed} hashed ({video_seconds:.0f} s)")
    print(
        f"{'stage':<34}{'wall s':>8}{'hashed':>8}{'hashed/s':>10}{'x real time':>13}"
        f"{'/ full':>8}{'/ fast':>8}"
    )
    rows = [
        ("decode only (every frame)", decode_s, hashed),
        ("decode + sample to luma", sample_s, hashed),
        ("PDQ of sampled frames only", pdq_s, hashed),
        ("Safeguard whole vPDQ, full decode", whole_s, hashed),
        ("Safeguard keyframe fast path", fast_s, len(fast)),
        ("fast path + image views (screening)", screen_s, len(fast)),
        ("peer: PyAV + pdqhash", pyav_s, len(pyav)),
    ]
    if ref is not None:
        rows.append(("peer: vpdq 0.2.5 (reference)", ref["seconds"], len(ref["frames"])))
    for name, secs, count in rows:
        rtf = video_seconds / secs if name != "PDQ of sampled frames only" else float("nan")
        print(
            f"{name:<34}{secs:>8.2f}{count:>8}{count / secs:>10.1f}{rtf:>13.1f}"
            f"{secs / whole_s:>8.2f}{secs / fast_s:>8.2f}"
        )
    by_number = {f.frame: f.pdq for f in ours}
    common = [(n, h) for n, h in fast if n in by_number]
    print(
        f"fast path: {'keyframes alone' if used else 'full decode'}, {len(fast)} frames; "
        f"{sum(by_number[n] == h for n, h in common)} of the {len(common)} at the full "
        "decode's frame numbers hash identically"
    )
    ours_hashes = [(int(f.pdq, 16), f.quality) for f in ours]
    print(f"PyAV + pdqhash hashes identical to ours: {ours_hashes == pyav}")
    if ref is not None:
        theirs = {n: int(h, 16) for n, _, h, _ in ref["frames"]}
        common = [f for f in ours if f.frame in theirs]
        bits = [(int(f.pdq, 16) ^ theirs[f.frame]).bit_count() for f in common]
        print(
            f"vpdq: {len(ref['frames'])} frames, {len(common)} at the same frame numbers; "
            f"bits from ours max {max(bits, default=0)}, mean {np.mean(bits or [0]):.2f}"
        )


if __name__ == "__main__":
    main()
