"""vPDQ video hashing: frames hashed per second and real-time factor, against the peers.

    .venv/bin/python benchmarks/video_bench.py [--seconds 20] [--repeat 1] [--fast-repeat N]
        [--vpdq-python /tmp/vpdqvenv/bin/python] [--modes one-core default-threads]
        [--clips DIR]

Generates H.264 clips (libx264 from PyAV's wheels) of moving, textured synthetic content
at 480p (854x480) and 1080p (1920x1080), 30 fps, into a temporary directory, each twice:
with x264's default GOP (a keyframe at most every 250 frames, and at scene cuts) and
with a 1-second GOP (``g=30``: a keyframe every 30 frames, as phones' and streaming
encoders' settings commonly give; x264's scene-cut keyframes stay on). With ``--clips``
they are kept in (and taken again from) that directory. Then times, at one hashed frame
a second, on the same files in the same run:

- decode only: every frame decoded, nothing converted (the floor under any approach
  that decodes every frame);
- decode + sample: ``VideoContent.frames``, every frame decoded, the sampled ones
  converted to a float32 luma plane;
- PDQ only: ``plain_pdq`` on the sampled lumas, computed beforehand;
- whole vPDQ: ``VPDQ.hash_content(views=False)``, from the bytes, every frame decoded
  (the keyframe fast path off);
- keyframe fast path: the same with ``keyframe_max_gap`` on (1.05 s), as uploads are
  screened: the keyframe nearest each second alone decoded when no frame is over 1.05 s
  after a keyframe, else the full decode (so on the default-GOP clips it times the check
  and the full decode);
- fast path + image views: what screening an upload computes, each frame hashed with
  the views that undo edits (``VPDQ.hash_content(views=True)``);
- peer, PyAV + pdqhash: the same decode loop, sampled frames to RGB, ``pdqhash.compute``;
- peer, vpdq: Meta's reference package (``vpdq.computeHash``), when it can be imported
  here or run by the interpreter given as ``--vpdq-python`` (a scratch venv where it was
  built against Debian's FFmpeg headers; see docs/benchmarks.md).

Each is run twice (``--modes``): on one core (the process pinned to one CPU and every
decoder set to one thread) and with the decoders' default threads on every core. The
ratio columns are each row's time over Safeguard's whole vPDQ and over the fast path's
(above 1: Safeguard's is faster). Each row gives its wall time and its CPU time (the
process's, or the vpdq child's): on a machine other jobs keep busy, the pinned core is
shared and the wall time counts their turns too.

The fast path's hashes are compared, bit by bit, with the full decode's hash of the same
frame (every frame decoded), and the full decode's with the peers' at the same frame
numbers.
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
best, cpu, features = None, None, None
for _ in range(repeat):
    start, start_cpu = time.perf_counter(), time.process_time()
    features = vpdq.computeHash(path, seconds_per_hash=1, thread_count=threads)
    took = time.perf_counter() - start
    if best is None or took < best:
        best, cpu = took, time.process_time() - start_cpu
print(json.dumps({"seconds": best, "cpu": cpu, "frames": [
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


@dataclasses.dataclass(frozen=True)
class Took:
    """The best run's wall time and its CPU time, in seconds."""

    wall: float
    cpu: float


def best_of(repeat: int, function: Callable[[], object]) -> tuple[Took, object]:
    best, result = Took(float("inf"), float("inf")), None
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = function()
        took = Took(time.perf_counter() - start, time.process_time() - start_cpu)
        best = min(best, took, key=lambda t: t.wall)
    return best, result


def run_vpdq(python: str | None, path: Path, threads: int, repeat: int) -> dict | None:  # type: ignore[type-arg]
    try:
        import vpdq  # type: ignore[import-not-found]
    except ImportError:
        vpdq = None
    if vpdq is not None:
        took, features = best_of(
            repeat,
            lambda: vpdq.computeHash(str(path), seconds_per_hash=1, thread_count=threads),
        )
        frames = [[f.frame_number, f.quality, f.hex, f.timestamp] for f in features]  # type: ignore[attr-defined]
        return {"seconds": took.wall, "cpu": took.cpu, "frames": frames}
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
    parser.add_argument(
        "--fast-repeat",
        type=int,
        help="best of N runs for the fast path's two rows, which are quick (default: --repeat)",
    )
    parser.add_argument("--vpdq-python", default=os.environ.get("VPDQ_PYTHON"))
    parser.add_argument("--clips", type=Path, help="keep the clips here, and reuse them")
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
        folder = args.clips or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        clips = []
        for (size_label, width, height), (gop_label, gop) in itertools.product(SIZES, GOPS):
            label = f"{size_label}, {gop_label}"
            path = folder / f"{size_label}-{gop or 'default'}-{args.seconds}s.mp4"
            start = time.perf_counter()
            if not path.exists():
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
        for label, path in clips:
            agreement(label, path.read_bytes())
        for mode in args.modes:
            one = mode == "one-core"
            os.sched_setaffinity(0, {min(all_cpus)} if one else all_cpus)
            for label, path in clips:
                print(f"\nload average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
                bench(label, path, mode, one, args)
        os.sched_setaffinity(0, all_cpus)


def keyframes(path: Path) -> int:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return sum(1 for packet in container.demux(stream) if packet.is_keyframe)


def agreement(label: str, data: bytes) -> None:
    """Bits between each fast-path hash and the full decode's hash of the same frame."""
    every = {f.number: f for f in VIDEO.decode(data, LIMITS).frames(0)}
    fast = list(VIDEO.decode(data, FAST).frames())
    bits = [
        (int(plain_pdq(f.luma).hex, 16) ^ int(plain_pdq(every[f.number].luma).hex, 16)).bit_count()
        for f in fast
    ]
    same = sum(np.array_equal(f.luma, every[f.number].luma) for f in fast)
    how = "keyframes alone" if all(f.keyframe_pass for f in fast) else "full decode"
    print(
        f"{label}: fast path ({how})"
        f" at {', '.join(f'{f.timestamp:.2f}' for f in fast)} s; against the full decode's "
        f"same frames: {same} of {len(fast)} with identical luma, bits max "
        f"{max(bits, default=0)}"
    )


def bench(label: str, path: Path, mode: str, one: bool, args: argparse.Namespace) -> None:
    data = path.read_bytes()
    content = VIDEO.decode(data, LIMITS)
    video_seconds = content.info.duration or args.seconds
    repeat = args.repeat
    decode_t, decoded = best_of(repeat, lambda: decode_only(path, one))
    sample_t, frames = best_of(repeat, lambda: sampled(content, one))
    lumas = [f.luma for f in frames]  # type: ignore[attr-defined]
    pdq_t, _ = best_of(repeat, lambda: [plain_pdq(x) for x in lumas])
    whole_t, values = best_of(
        repeat, lambda: VPDQ.hash_content(VIDEO.decode(data, LIMITS), views=False)
    )
    ours = parse(values[0].value)  # type: ignore[index]
    quick = args.fast_repeat or repeat
    fast_t, (fast, used) = best_of(quick, lambda: fast_path(data))  # type: ignore[misc]
    screen_t, _ = best_of(quick, lambda: VPDQ.hash_content(VIDEO.decode(data, FAST)))
    pyav_t, pyav = best_of(repeat, lambda: peer_pyav_pdqhash(path, one))
    ref = run_vpdq(args.vpdq_python, path, 1 if one else 0, repeat)
    hashed = len(ours)
    print(f"\n{label}, {mode}: {decoded} frames decoded, {hashed} hashed ({video_seconds:.0f} s)")
    print(
        f"{'stage':<37}{'wall s':>8}{'CPU s':>7}{'hashed':>7}{'hashed/s':>9}{'x real time':>12}"
        f"{'(CPU)':>7}{'/ full':>7}{'/ fast':>7}"
    )
    rows = [
        ("decode only (every frame)", decode_t, hashed),
        ("decode + sample to luma", sample_t, hashed),
        ("PDQ of sampled frames only", pdq_t, hashed),
        ("Safeguard whole vPDQ, full decode", whole_t, hashed),
        ("Safeguard keyframe fast path", fast_t, len(fast)),
        ("fast path + image views (screening)", screen_t, len(fast)),
        ("peer: PyAV + pdqhash", pyav_t, len(pyav)),
    ]
    if ref is not None:
        took = Took(ref["seconds"], ref["cpu"])
        rows.append(("peer: vpdq 0.2.5 (reference)", took, len(ref["frames"])))
    for name, took, count in rows:
        alone = name == "PDQ of sampled frames only"
        rtf, rtf_cpu = (
            (float("nan"), float("nan"))
            if alone
            else (video_seconds / took.wall, video_seconds / took.cpu)
        )
        print(
            f"{name:<37}{took.wall:>8.3f}{took.cpu:>7.3f}{count:>7}{count / took.wall:>9.1f}"
            f"{rtf:>12.1f}{rtf_cpu:>7.1f}{took.wall / whole_t.wall:>7.2f}"
            f"{took.wall / fast_t.wall:>7.2f}"
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
