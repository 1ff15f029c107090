"""Communication safety on benign photos: how many are blurred, and how fast.

    .venv/bin/python benchmarks/communication_safety.py [--photos DIR] [--cores N]

Every photo of ../shared/data/photos (500 ordinary photos: animals, objects, food,
landscapes) is checked as ``POST /v1/messages/images`` checks an upload: decoded within
the default caps, scaled to a long side of at most 640, scored by the configured
classifier (NudeNet by default: ``pip install 'safeguard[nudity]'``). Every blur is a
false positive. Prints the model's load time, the time per image (p50, mean, p99), the
share blurred at the classifier's threshold, and the share that other thresholds would
blur, from which the threshold was chosen. Runs on ``--cores`` cores (default 1). Times
are elapsed and CPU: on a machine shared with other work, the CPU time is the figure
that does not depend on it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TypeVar

import numpy as np

from safeguard.communication_safety.decision import Action, decide
from safeguard.communication_safety.service import CommunicationSafety, classifier_pixels
from safeguard.config import Settings
from safeguard.media.decode import decode_image

DEFAULT_PHOTOS = Path(__file__).resolve().parents[2] / "shared" / "data" / "photos"
THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
LABELS = tuple(
    f"{part} ({clock})"
    for part in ("decode + scale + score", "score only")
    for clock in ("elapsed", "CPU")
)
T = TypeVar("T")


def timed(run: Callable[[], T], times: dict[str, list[float]], part: str) -> T:
    """``run()``, its elapsed and CPU milliseconds added to ``times`` under ``part``."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = run()
    times[f"{part} (elapsed)"].append((time.perf_counter() - wall) * 1000)
    times[f"{part} (CPU)"].append((time.process_time() - cpu) * 1000)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--photos", type=Path, default=DEFAULT_PHOTOS)
    parser.add_argument("--cores", type=int, default=1)
    args = parser.parse_args()
    os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[: args.cores])
    service = CommunicationSafety.from_settings(Settings.from_env())
    classifier = service.classifier
    started = time.perf_counter()
    classifier.load()
    load_seconds = time.perf_counter() - started

    photos = sorted(p for p in args.photos.iterdir() if p.is_file())
    uploads = [p.read_bytes() for p in photos]
    started = time.perf_counter()
    service.classify(uploads[0])
    first_ms = (time.perf_counter() - started) * 1000

    times: dict[str, list[float]] = {label: [] for label in LABELS}
    scores: list[dict[str, float]] = []
    blurred = 0
    for data in uploads:
        verdict = timed(partial(service.classify, data), times, "decode + scale + score")
        blurred += verdict.action is Action.BLUR
        pixels = classifier_pixels(decode_image(data, service.limits))
        scores.append(timed(partial(classifier.scores, pixels), times, "score only"))

    count = len(uploads)
    print(f"{count} photos from {args.photos}, classifier {classifier.name}, {args.cores} core(s)")
    print(f"model load: {load_seconds * 1000:.0f} ms; first image: {first_ms:.1f} ms")
    print(f"{'per image':<40}{'p50 ms':>10}{'mean ms':>10}{'p99 ms':>10}")
    for label, values in times.items():
        p50, mean, p99 = (
            statistics.median(values),
            statistics.mean(values),
            np.percentile(values, 99),
        )
        print(f"{label:<40}{p50:>10.2f}{mean:>10.2f}{p99:>10.2f}")
    print(
        f"blurred at threshold {service.threshold:g}: {blurred} of {count} "
        f"({100 * blurred / count:.1f}%)"
    )
    print("threshold  blurred")
    for threshold in THRESHOLDS:
        labels = classifier.nudity_labels
        share = sum(decide(s, labels, threshold) is Action.BLUR for s in scores)
        print(f"{threshold:>9g}  {share:>3} ({100 * share / count:.1f}%)")


if __name__ == "__main__":
    main()
