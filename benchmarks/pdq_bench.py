"""PDQ hashing: Safeguard's kernel against the pdqhash binding, on the same pixels, one run.

    .venv/bin/python benchmarks/pdq_bench.py [--photos DIR] [--limit N]

Decoding is done once, outside the timings; both hashers get identical RGB arrays. The
script also checks that both give the same hash and quality for every image.
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from pathlib import Path

import numpy as np
import pdqhash
from PIL import Image

from safeguard.media.decode import DecodeLimits
from safeguard.screening.signals import image_signals
from safeguard.signals.pdq_kernel import hash_pixels

DEFAULT_PHOTOS = Path(__file__).resolve().parents[2] / "shared" / "data" / "photos"


def reference(rgb: np.ndarray) -> tuple[bytes, int]:
    bits, quality = pdqhash.compute(rgb)
    value = int("".join(str(int(b)) for b in bits), 2)
    return value.to_bytes(32, "big"), int(quality)


def timed(function, images: list[np.ndarray]) -> tuple[list[float], list[tuple[bytes, int]]]:  # type: ignore[no-untyped-def]
    seconds, results = [], []
    for rgb in images:
        start = time.perf_counter()
        results.append(function(rgb))
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


def pipeline(paths: list[Path]) -> None:
    """Decode + every PDQ view + digests, as ``POST /v1/screen`` does before the lookup."""
    limits = DecodeLimits(max_bytes=100_000_000, max_pixels=100_000_000)
    buffer = io.BytesIO()
    Image.open(paths[0]).convert("RGB").resize((4000, 3000)).save(buffer, "JPEG", quality=90)
    sets = (("photos", [p.read_bytes() for p in paths]), ("12 MP", [buffer.getvalue()] * 5))
    print(f"\n{'pipeline':<22}{'p50 ms':>10}{'p99 ms':>10}")
    for label, blobs in sets:
        seconds = []
        for data in blobs:
            start = time.perf_counter()
            image_signals(data, limits)
            seconds.append(time.perf_counter() - start)
        p50 = statistics.median(seconds) * 1000
        p99 = float(np.percentile(seconds, 99)) * 1000
        print(f"{label:<22}{p50:>10.2f}{p99:>10.2f}")


if __name__ == "__main__":
    main()
