"""Full in-process screening of 1 MP JPEGs on one core, and what each part costs.

    .venv/bin/python benchmarks/screening_latency.py [--photos DIR] [--entries N] \
        [--uploads N] [--db PATH] [--view-allowances 13,5,0]

The uploads are 1 MP JPEG mosaics (2x2 photos, 1156x866, quality 90), so that they hold
real photographic detail. The bank, "known", is a SQLite database made by the real
services with N PDQ entries (the hashes of some uploads, so that some match, then random
codes), filled by a bank import (``banks/imports.py``: staged, then published at once).
It is made in a temporary directory, or with ``--db`` in that file, kept for later runs:
a file whose bank already holds N entries is used as it is (10,000,000 take long to fill).
The first screening, which loads the index, is timed on its own (the cold start). Parts,
timed separately on every upload, then the whole as ``POST /v1/screen`` runs it:

- decode: byte and pixel caps, JPEG decoded as grey at reduced scale where large enough;
- digests: MD5 and SHA-256 of the bytes;
- views: every query view of the upload built and PDQ-hashed;
- lookup + decision: index search of every view, confirmation in the database, policy,
  and the audit record written (``Screener.screen``), once for each edit-view allowance
  cap (``SAFEGUARD_PDQ_VIEW_ALLOWANCE``; 0 looks every view up at the bank's threshold).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import numpy as np
from PIL import Image

from safeguard.banks import service as banks
from safeguard.banks.models import BankSpec, NewEntry
from safeguard.config import DEFAULT_PDQ_VIEW_ALLOWANCE
from safeguard.errors import NotFound
from safeguard.events import SYSTEM_ACTOR
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
BANK = "known"
CHUNK = 100_000  # random codes drawn at a time
PROGRESS = 1_000_000  # entries between progress lines while filling


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
    parser.add_argument("--db", type=Path, help="a SQLite file: reused if it holds the bank")
    parser.add_argument(
        "--view-allowances",
        type=allowances,
        default=[DEFAULT_PDQ_VIEW_ALLOWANCE],
        help="comma-separated SAFEGUARD_PDQ_VIEW_ALLOWANCE values to time the lookup at",
    )
    args = parser.parse_args()
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    paths = sorted(args.photos.glob("*.JPEG"))
    if not paths:
        raise SystemExit(f"no photos under {args.photos}")
    uploads = mosaics(paths, args.uploads)
    with ExitStack() as stack:
        path = args.db or Path(stack.enter_context(tempfile.TemporaryDirectory())) / "bench.db"
        url = f"sqlite:///{path.resolve()}"
        upgrade(url)
        db = Database(url)
        ensure_bank(db, uploads[::10], args.entries)
        screener = Screener(db, min_quality=50)
        requester = Requester("bench", "latency")
        start = time.perf_counter()
        screener.screen(content_signals(uploads[0], LIMITS), requester)  # compile, load index
        cold = time.perf_counter() - start
        print(f"first screening (cold start: index load) {cold:.2f} s", flush=True)
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
        for allowance in args.view_allowances:
            screener.pdq_view_allowance = allowance
            print(f"with the edit views' allowance capped at {allowance}:")
            timed(
                "lookup + decision", uploads, lambda d: screener.screen(signals[id(d)], requester)
            )
            timed(
                "whole screening",
                uploads,
                lambda d: screener.screen(content_signals(d, LIMITS), requester),
            )
        views = len(signals[id(uploads[0])].values["pdq"])
        print(f"{views} PDQ views per upload")
        db.dispose()


def allowances(text: str) -> list[int]:
    """``--view-allowances``: comma-separated whole numbers of bits, 0 or more."""
    try:
        values = [int(value) for value in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not comma-separated whole numbers: {text!r}") from None
    if any(value < 0 for value in values):
        raise argparse.ArgumentTypeError(f"allowances are 0 or more: {text!r}")
    return values


def digests(data: bytes) -> tuple[str, str]:
    """MD5 and SHA-256 of the bytes, as the md5 and sha256 signal types compute them."""
    md5 = hashlib.md5(data, usedforsecurity=False).hexdigest()
    return md5, hashlib.sha256(data).hexdigest()


def ensure_bank(db: Database, known: list[bytes], count: int) -> None:
    """Make the bank hold ``count`` PDQ entries: kept if it holds that many already,
    filled by an import if it is new or empty; any other count is refused."""
    with db.session() as session:
        try:
            held = banks.summarise(session, banks.get_bank(session, BANK)).entries
        except NotFound:
            banks.create_bank(session, BankSpec(BANK))
            held = 0
    if held == count:
        print(f"reusing bank {BANK!r} of {count:,} entries")
        return
    if held:
        raise SystemExit(f"bank {BANK!r} holds {held:,} entries, not {count:,}: use another --db")
    start = time.perf_counter()
    entries = pdq_entries(known, count, start)
    summary = banks.import_entries(db, BANK, entries, actor=SYSTEM_ACTOR, source="bench")
    seconds = time.perf_counter() - start
    print(f"filled bank {BANK!r}: {summary.added:,} entries in {seconds:.0f} s", flush=True)


def pdq_entries(known: list[bytes], count: int, start: float) -> Iterator[NewEntry]:
    """The distinct PDQ hashes of ``known``, then random codes up to ``count`` entries,
    drawn ``CHUNK`` at a time; a progress line every ``PROGRESS`` entries."""
    hashes = [content_signals(d, LIMITS).own("pdq") for d in known]
    values = list(dict.fromkeys(h.value for h in hashes if h is not None))
    rng = np.random.default_rng(1)
    for done in range(0, count, CHUNK):
        if done and done % PROGRESS == 0:
            print(f"staged {done:,} entries in {time.perf_counter() - start:.0f} s", flush=True)
        size = min(CHUNK, count - done)
        codes = rng.integers(0, 256, size=(size, 32), dtype=np.uint8).tobytes().hex()
        chunk = values[done : done + size]
        chunk += [codes[64 * k : 64 * k + 64] for k in range(len(chunk), size)]
        yield from (NewEntry("pdq", value) for value in chunk)


if __name__ == "__main__":
    main()
