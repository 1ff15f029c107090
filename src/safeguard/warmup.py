"""Compile the numba kernels ahead of their first use: ``python -m safeguard.warmup``.

numba compiles a kernel the first time it is called with new argument types and, with
``cache=True``, keeps the machine code in ``__pycache__`` beside the source. This calls
every kernel on tiny inputs of the types that hashing, screening and the index pass (the
Makefile's install step runs it), so that no command or request pays for compiling.
"""

from __future__ import annotations

import io
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from safeguard.index.hamming import BUFFER_SIZE, HammingIndex
from safeguard.media.decode import DecodeLimits
from safeguard.screening.signals import content_signals
from safeguard.signals.pdq import pdq_of_pixels

_LIMITS = DecodeLimits(max_bytes=1 << 20, max_pixels=1 << 20)


def warm_up() -> None:
    """Run every numba kernel once, so that numba writes its cache."""
    rng = np.random.default_rng(0)
    _hash_images(rng)
    _search_index(rng)


def _hash_images(rng: np.random.Generator) -> None:
    """Hash a small image as an upload (every view) and as a bank entry, and pixels as
    they come from video frames (writable, where decoded images are read-only)."""
    pixels = rng.integers(0, 256, (48, 40, 3), dtype=np.uint8)
    png = io.BytesIO()
    Image.fromarray(pixels).save(png, format="PNG")
    for views in (True, False):
        content_signals(png.getvalue(), _LIMITS, views=views)
    pdq_of_pixels(pixels)
    pdq_of_pixels(pixels[:, :, 0].copy())


def _search_index(rng: np.random.Generator) -> None:
    """Build an index with one table segment and a buffer, and search it by tables and
    by scan, with writable and read-only queries, in memory and memory-mapped."""
    codes = rng.integers(0, 256, (BUFFER_SIZE + 1, 32), dtype=np.uint8)
    index = HammingIndex(codes[:BUFFER_SIZE], np.arange(BUFFER_SIZE))
    index.add(np.array([BUFFER_SIZE]), codes[BUFFER_SIZE:])
    queries = codes[:2].copy()
    read_only = np.frombuffer(queries.tobytes(), dtype=np.uint8).reshape(queries.shape)
    with tempfile.TemporaryDirectory() as folder:
        saved = Path(folder) / "index"
        index.save(saved)
        for searched in (index, HammingIndex.load(saved)):
            for query in (queries, read_only):
                for radius in (31, 128):  # by tables, then by a scan
                    searched.search(query, radius)


if __name__ == "__main__":
    started = time.perf_counter()
    warm_up()
    print(f"the numba kernels are compiled and cached ({time.perf_counter() - started:.1f} s)")
