"""PDQ hashing: Safeguard's kernel against the pdqhash binding, on the same pixels, one run.

    .venv/bin/python benchmarks/pdq_bench.py [--photos DIR] [--limit N]

First the hash alone: decoding is done once, outside the timings, and both hashers get
identical RGB arrays; the script checks that both give the same hash and quality for
every image. Then the whole path from JPEG bytes to hash, with the bit differences that
Safeguard's shortcuts (grey decode, reduced-scale decode of large JPEGs) cause.
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from pathlib import Path

import numpy as np
import pdqhash
from PIL import Image, ImageOps

from safeguard.media.decode import DecodeLimits, decode_image
from safeguard.media.image import REDUCED_DECODE_MIN_SIDE, ImageContent
from safeguard.signals.pdq import plain_pdq
from safeguard.signals.pdq_kernel import hash_pixels

DEFAULT_PHOTOS = Path(__file__).resolve().parents[2] / "shared" / "data" / "photos"
LIMITS = DecodeLimits(max_bytes=100_000_000, max_pixels=100_000_000)


def reference(rgb: np.ndarray) -> tuple[bytes, int]:
    bits, quality = pdqhash.compute(rgb)
    value = int("".join(str(int(b)) for b in bits), 2)
    return value.to_bytes(32, "big"), int(quality)


def timed(function, items: list) -> tuple[list[float], list]:  # type: ignore[no-untyped-def,type-arg]
    seconds, results = [], []
    for item in items:
        start = time.perf_counter()
        results.append(function(item))
        seconds.append(time.perf_counter() - start)
    return seconds, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--photos", type=Path, default=DEFAULT_PHOTOS)
    parser.add_argument("--limit", type=int, default=500)
    args = parser.parse_args()
    paths = sorted(args.photos.glob("*.JPEG"))[: args.limit]
    if not paths:
        raise SystemExit(f"no photos under {args.photos}")
    images = [np.ascontiguousarray(np.asarray(Image.open(p).convert("RGB"))) for p in paths]
    big = Image.open(paths[0]).convert("RGB").resize((4000, 3000))
    large = [np.ascontiguousarray(np.asarray(big))]
    hash_pixels(images[0])  # compile before timing
    print(f"{len(images)} photos from {args.photos}, plus one 12 MP image")
    print(f"{'set':<10}{'hasher':<12}{'p50 ms':>10}{'p99 ms':>10}{'total s':>10}{'ratio':>8}")
    for label, batch in (("photos", images), ("12 MP", large * 5)):
        ours_s, ours = timed(hash_pixels, batch)
        ref_s, refs = timed(reference, batch)
        assert ours == refs, "hashes differ from the reference"
        for name, secs in (("safeguard", ours_s), ("pdqhash", ref_s)):
            p50 = statistics.median(secs) * 1000
            p99 = float(np.percentile(secs, 99)) * 1000
            ratio = sum(secs) / sum(ours_s)
            print(f"{label:<10}{name:<12}{p50:>10.2f}{p99:>10.2f}{sum(secs):>10.2f}{ratio:>8.2f}")
    print("identical hashes and qualities on every image")
    pipeline(paths)


def mosaic_12mp(paths: list[Path], count: int) -> list[bytes]:
    """4000x3000 JPEGs (quality 90) tiled from 64 photos each: real detail at every scale."""
    tiles = [Image.open(p).convert("RGB").resize((500, 375)) for p in paths[:256]]
    blobs = []
    for k in range(count):
        canvas = Image.new("RGB", (4000, 3000))
        for slot in range(64):
            canvas.paste(tiles[(k * 64 + slot) % len(tiles)], ((slot % 8) * 500, (slot // 8) * 375))
        buffer = io.BytesIO()
        canvas.save(buffer, "JPEG", quality=90)
        blobs.append(buffer.getvalue())
    return blobs


def baseline(data: bytes) -> bytes:
    """Pillow full decode + the pdqhash binding: what a platform would otherwise run."""
    upright = ImageOps.exif_transpose(Image.open(io.BytesIO(data)))
    return reference(np.ascontiguousarray(np.asarray(upright.convert("RGB"))))[0]


def entropy_floor(data: bytes) -> None:
    """Only what any decoder must do: entropy-decode the file (grey, 1/8 scale, no IDCT)."""
    image = Image.open(io.BytesIO(data))
    image.draft("L", (image.width // 8, image.height // 8))
    image.load()


def safeguard(data: bytes) -> bytes:
    """Safeguard's upload path for the image's own hash: reduced grey decode + PDQ."""
    image = decode_image(data, LIMITS, reduce_to=REDUCED_DECODE_MIN_SIDE)
    return bytes.fromhex(plain_pdq(ImageContent(data, image).luma).hex)


def pipeline(paths: list[Path]) -> None:
    """Decode + hash from JPEG bytes: the baseline against Safeguard, same files, one run.

    "entropy decode only" is the floor under any JPEG pipeline: reading the file's Huffman
    coded coefficients, with nothing computed from them.
    """
    sets = (("photos", [p.read_bytes() for p in paths]), ("12 MP", mosaic_12mp(paths, 10)))
    safeguard(sets[0][1][0])  # compile before timing
    print(
        f"\n{'set':<10}{'decode + hash':<22}{'p50 ms':>9}{'p99 ms':>9}{'total s':>9}"
        f"{'ratio':>7}   bits from baseline p50/p99/max"
    )
    for label, blobs in sets:
        ours_s, ours = timed(safeguard, blobs)
        base_s, base = timed(baseline, blobs)
        bits = [_distance(a, b) for a, b in zip(ours, base, strict=True)]
        floor_s, _ = timed(entropy_floor, blobs)
        named = (
            ("Pillow + pdqhash", base_s),
            ("Safeguard", ours_s),
            ("entropy decode only", floor_s),
        )
        for name, secs in named:
            p50 = statistics.median(secs) * 1000
            p99 = float(np.percentile(secs, 99)) * 1000
            ratio = sum(base_s) / sum(secs)
            print(
                f"{label:<10}{name:<22}{p50:>9.2f}{p99:>9.2f}{sum(secs):>9.2f}{ratio:>7.1f}", end=""
            )
            if name == "Safeguard":
                print(
                    f"   {np.percentile(bits, 50):.0f}/{np.percentile(bits, 99):.0f}/{max(bits)}",
                    end="",
                )
            print()


def _distance(a: bytes, b: bytes) -> int:
    return int.from_bytes(bytes(x ^ y for x, y in zip(a, b, strict=True)), "big").bit_count()


if __name__ == "__main__":
    main()
