"""Full in-process screening of 1 MP JPEGs on one core, and what each part costs.

    .venv/bin/python benchmarks/screening_latency.py [--photos DIR] [--entries N]

The uploads are 1 MP JPEG mosaics (2x2 photos, 1156x866, quality 90), so that they hold
real photographic detail. The bank is a SQLite database made by the real services with
N PDQ entries (random codes plus the hashes of some uploads, so that some match). Parts,
timed separately on every upload, then the whole as ``POST /v1/screen`` runs it:

- decode: byte and pixel caps, JPEG decoded as grey at reduced scale where large enough;
- digests: MD5 and SHA-256 of the bytes;
- views: every query view of the upload built and PDQ-hashed;
- lookup + decision: index search of every view, confirmation in the database, policy,
  and the audit record written (``Screener.screen``).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

from safeguard.banks import service as banks
from safeguard.banks.models import BankSpec, NewEntry
from safeguard.media.decode import DecodeLimits, decode_image
from safeguard.media.image import REDUCED_DECODE_MIN_SIDE, ImageContent
from safeguard.screening.service import Requester, Screener
from safeguard.screening.signals import content_signals
from safeguard.signals.pdq import pdq_views
from safeguard.store.db import Database
from safeguard.store.migrate import upgrade

DEFAULT_PHOTOS = Path(__file__).resolve().parents[2] / "shared" / "data" / "photos"
LIMITS = DecodeLimits(max_bytes=50 * 2**20, max_pixels=50_000_000)
TILE = (578, 433)


def mosaics(paths: list[Path], count: int) -> list[bytes]:
    tiles = [Image.open(p).convert("RGB").resize(TILE, Image.Resampling.LANCZOS) for p in paths]
    uploads = []
    for k in range(count):
        canvas = Image.new("RGB", (TILE[0] * 2, TILE[1] * 2))
        for slot in range(4):
            tile = tiles[(4 * k + slot) % len(tiles)]
            canvas.paste(tile, ((slot % 2) * TILE[0], (slot // 2) * TILE[1]))
        buffer = io.BytesIO()
        canvas.save(buffer, "JPEG", quality=90)
        uploads.append(buffer.getvalue())
    return uploads


def timed(label: str, uploads: list[bytes], work: Callable[[bytes], object]) -> float:
    seconds = []
    for data in uploads:
        start = time.perf_counter()
        work(data)
        seconds.append(time.perf_counter() - start)
    p50, p99 = statistics.median(seconds) * 1000, float(np.percentile(seconds, 99)) * 1000
    print(f"{label:<28}{p50:>10.2f}{p99:>10.2f}")
    return p50


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--photos", type=Path, default=DEFAULT_PHOTOS)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--uploads", type=int, default=100)
    args = parser.parse_args()
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    paths = sorted(args.photos.glob("*.JPEG"))
    if not paths:
        raise SystemExit(f"no photos under {args.photos}")
    uploads = mosaics(paths, args.uploads)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.db"
        upgrade(url)
        db = Database(url)
        fill_bank(db, uploads[::10], args.entries)
        screener = Screener(db, min_quality=50)
        requester = Requester("bench", "latency")
        screener.screen(content_signals(uploads[0], LIMITS), requester)  # compile, load index
        signals = {id(d): content_signals(d, LIMITS) for d in uploads}
        planes = {
            id(d): ImageContent(d, decode_image(d, LIMITS, reduce_to=REDUCED_DECODE_MIN_SIDE)).luma
            for d in uploads
        }
        print(f"{len(uploads)} uploads of 1156x866, bank of {args.entries:,} PDQ entries, one core")
        print(f"{'part':<28}{'p50 ms':>10}{'p99 ms':>10}")
        timed(
            "decode", uploads, lambda d: decode_image(d, LIMITS, reduce_to=REDUCED_DECODE_MIN_SIDE)
        )
        timed("digests", uploads, digests)
        timed("views (build + hash)", uploads, lambda d: pdq_views(planes[id(d)]))
        timed("lookup + decision", uploads, lambda d: screener.screen(signals[id(d)], requester))
        timed(
            "whole screening",
            uploads,
            lambda d: screener.screen(content_signals(d, LIMITS), requester),
        )
        views = len(signals[id(uploads[0])].values["pdq"])
        print(f"{views} PDQ views per upload")
        db.dispose()


def digests(data: bytes) -> tuple[str, str]:
    """MD5 and SHA-256 of the bytes, as the md5 and sha256 signal types compute them."""
    md5 = hashlib.md5(data, usedforsecurity=False).hexdigest()
    return md5, hashlib.sha256(data).hexdigest()


def fill_bank(db: Database, known: list[bytes], count: int) -> None:
    rng = np.random.default_rng(1)
    values = [content_signals(d, LIMITS).own("pdq") for d in known]
    entries = [NewEntry("pdq", v.value) for v in values if v is not None]
    codes = rng.integers(0, 256, size=(count - len(entries), 32), dtype=np.uint8)
    entries += [NewEntry("pdq", bytes(code).hex()) for code in codes]
    with db.session() as session:
        bank = banks.create_bank(session, BankSpec("known"))
        banks.add_entries(session, bank, entries)


if __name__ == "__main__":
    main()
