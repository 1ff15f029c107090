"""Recall and false positives on edited copies: plain PDQ against Safeguard's query views.

    .venv/bin/python benchmarks/robustness.py [--photos DIR] [--distractors N]

The photos are split four ways by their sorted position: positions 0 and 1 (mod 4) are
the "known" images, whose reference PDQ hashes (the ``pdqhash`` binding, full decode)
form the bank; position 2 gives unknown images, whose copies must match nothing;
position 3 gives the distractors: random crops, flips, turns, rescalings and colour
changes of those photos, hashed and added to the bank so it is large.

Every known and unknown photo is edited each way in ``robustness_edits.EDITS`` and saved
as JPEG. Plain PDQ hashes each copy with ``pdqhash`` and looks it up at distance 31;
Safeguard runs its upload pipeline (``content_signals``) and looks up every view at that
view's threshold. A copy of a known photo counts as found when it matches that photo;
any match to another entry (another photo or a distractor) is a false positive.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import pdqhash
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))

from robustness_edits import EDITS

from safeguard.config import DEFAULT_PDQ_VIEW_ALLOWANCE
from safeguard.index.hamming import HammingIndex
from safeguard.media.decode import DecodeLimits
from safeguard.screening.signals import content_signals
from safeguard.screening.views import edit_view_threshold, is_edit_view
from safeguard.signals.pdq import DEFAULT_THRESHOLD, MAX_THRESHOLD
from safeguard.signals.pdq_kernel import hash_pixels

DEFAULT_PHOTOS = Path(__file__).resolve().parents[2] / "shared" / "data" / "photos"
MIN_QUALITY = 50
LIMITS = DecodeLimits(max_bytes=100_000_000, max_pixels=100_000_000)
SEARCH_RADIUS = 80  # nearest impostors are reported up to this distance


def reference_code(rgb: np.ndarray) -> tuple[bytes, int]:
    bits, quality = pdqhash.compute(rgb)
    return np.packbits(np.asarray(bits, dtype=np.uint8)).tobytes(), int(quality)


def jpeg(image: Image.Image, quality: int = 90) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def distractor_codes(paths: list[Path], count: int, seed: int) -> np.ndarray:
    """``count`` PDQ codes of random edits of ``paths``, by the bit-exact kernel."""
    rng = np.random.default_rng(seed)
    codes = np.empty((count, 32), dtype=np.uint8)
    per_photo = -(-count // len(paths))
    made = 0
    for path in paths:
        photo = Image.open(path).convert("RGB")
        for _ in range(min(per_photo, count - made)):
            codes[made] = np.frombuffer(hash_pixels(_random_edit(photo, rng))[0], np.uint8)
            made += 1
    return codes


def _random_edit(photo: Image.Image, rng: np.random.Generator) -> np.ndarray:
    w, h = photo.size
    cw, ch = int(w * rng.uniform(0.4, 1.0)), int(h * rng.uniform(0.4, 1.0))
    x, y = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
    image = photo.crop((x, y, x + cw, y + ch))
    if rng.random() < 0.5:
        image = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    if rng.random() < 0.3:
        image = image.rotate(float(rng.uniform(-15, 15)), resample=Image.Resampling.BILINEAR)
    scale = rng.uniform(0.3, 1.0)
    image = image.resize((max(8, int(cw * scale)), max(8, int(ch * scale))))
    pixels = np.asarray(image, dtype=np.float32) * rng.uniform(0.7, 1.3) + rng.uniform(-30, 30)
    return np.ascontiguousarray(np.clip(pixels, 0, 255).astype(np.uint8))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--photos", type=Path, default=DEFAULT_PHOTOS)
    parser.add_argument("--distractors", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--cache", type=Path, help="keep the distractor hashes in this folder")
    parser.add_argument("--dump", type=Path, help="write every view's distances to this CSV")
    args = parser.parse_args()
    paths = sorted(args.photos.glob("*.JPEG"))
    if len(paths) < 8:
        raise SystemExit(f"not enough photos under {args.photos}")
    known = [p for i, p in enumerate(paths) if i % 4 in (0, 1)]
    unknown = [p for i, p in enumerate(paths) if i % 4 == 2]
    sources = [p for i, p in enumerate(paths) if i % 4 == 3]

    started = time.perf_counter()
    bank = np.stack([np.frombuffer(reference_code(_rgb(p))[0], np.uint8) for p in known])
    distractors = _cached_distractors(sources, args)
    codes = np.concatenate([bank, distractors])
    ids = np.arange(len(codes), dtype=np.int64)  # < len(known): that known photo
    index = HammingIndex(codes, ids)
    print(
        f"bank: {len(known)} known photos + {len(distractors):,} distractors from "
        f"{len(sources)} other photos ({time.perf_counter() - started:.0f} s)"
    )

    rng = np.random.default_rng(args.seed)
    found: dict[tuple[str, str], int] = defaultdict(int)
    false_positives: dict[str, int] = defaultdict(int)
    view_hits: dict[str, int] = defaultdict(int)
    nearest_impostor: dict[str, int] = defaultdict(lambda: 256)
    queries = {"known": 0, "unknown": 0}
    rows: list[str] = []
    for group, photos in (("known", known), ("unknown", unknown)):
        for number, path in enumerate(photos):
            photo = Image.open(path).convert("RGB")
            for edit_name, edit in EDITS.items():
                data = jpeg(edit(photo, rng), getattr(edit, "jpeg_quality", 90))
                queries[group] += 1
                expected = number if group == "known" else -1
                plain = _plain_matches(index, data)
                ours, distances = _safeguard_matches(
                    index, data, expected, view_hits, nearest_impostor
                )
                rows.extend(f"{group},{number},{edit_name},{d}" for d in distances)
                for system, matched in (("pdq", plain), ("safeguard", ours)):
                    if expected in matched:
                        found[(system, edit_name)] += 1
                    if matched - {expected}:
                        false_positives[system] += 1
    if args.dump:
        args.dump.write_text("group,photo,edit,view,genuine,impostor\n" + "\n".join(rows) + "\n")
    report(found, false_positives, view_hits, nearest_impostor, queries, len(known))
    recall_by_edit_threshold(rows, queries["known"])
    print(f"\ntotal time {time.perf_counter() - started:.0f} s")


def _cached_distractors(sources: list[Path], args: argparse.Namespace) -> np.ndarray:
    if args.cache is None:
        return distractor_codes(sources, args.distractors, args.seed)
    path = args.cache / f"distractors-{args.distractors}-{args.seed}.npy"
    if not path.exists():
        args.cache.mkdir(parents=True, exist_ok=True)
        np.save(path, distractor_codes(sources, args.distractors, args.seed))
    codes: np.ndarray = np.load(path)
    return codes


def threshold(view: str) -> int:
    """The view's threshold in a bank with the default settings."""
    if is_edit_view(view):
        return edit_view_threshold(DEFAULT_THRESHOLD, DEFAULT_PDQ_VIEW_ALLOWANCE, MAX_THRESHOLD)
    return DEFAULT_THRESHOLD


def _rgb(path: Path) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(Image.open(path).convert("RGB")))


def _plain_matches(index: HammingIndex, data: bytes) -> set[int]:
    code, quality = reference_code(_rgb_of(data))
    if quality < MIN_QUALITY:
        return set()
    hits = index.search(np.frombuffer(code, np.uint8).reshape(1, 32), DEFAULT_THRESHOLD)[0]
    return {int(entry) for entry, _ in hits}


def _rgb_of(data: bytes) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(Image.open(io.BytesIO(data)).convert("RGB")))


def _safeguard_matches(
    index: HammingIndex,
    data: bytes,
    expected: int,
    view_hits: dict[str, int],
    nearest_impostor: dict[str, int],
) -> tuple[set[int], list[str]]:
    """Entries matched by any view, and "view,genuine,impostor" nearest distances per view."""
    views = [
        v
        for v in content_signals(data, LIMITS).values["pdq"]
        if v.quality is not None and v.quality >= MIN_QUALITY
    ]
    if not views:
        return set(), []
    queries = np.frombuffer(b"".join(bytes.fromhex(v.value) for v in views), np.uint8)
    queries = queries.reshape(-1, 32)
    matched: set[int] = set()
    distances: list[str] = []
    for view, hits in zip(views, index.search(queries, SEARCH_RADIUS), strict=True):
        name = view.view
        limit = threshold(name)
        genuine = min((d for e, d in hits if e == expected), default=256)
        impostor = min((d for e, d in hits if e != expected), default=256)
        distances.append(f"{name},{genuine},{impostor}")
        nearest_impostor[name] = min(nearest_impostor[name], impostor)
        for entry, distance in hits:
            if distance <= limit:
                matched.add(int(entry))
                if entry == expected:
                    view_hits[name] += 1
    return matched, distances


def recall_by_edit_threshold(rows: list[str], known_queries: int) -> None:
    """Overall recall had the edit views' threshold been lower or higher (from the same
    distances; the upload's own views stay at the bank threshold)."""
    print(f"\n{'edit-view threshold':<22}{'overall recall':>16}")
    for limit in (31, 36, 40, 44, 48):
        found = set()
        for row in rows:
            group, photo, edit_name, view, genuine, _ = row.split(",")
            allowed = limit if is_edit_view(view) else DEFAULT_THRESHOLD
            if group == "known" and int(genuine) <= allowed:
                found.add((photo, edit_name))
        print(f"{limit:<22}{len(found) / known_queries:>16.1%}")


def report(
    found: dict[tuple[str, str], int],
    false_positives: dict[str, int],
    view_hits: dict[str, int],
    nearest_impostor: dict[str, int],
    queries: dict[str, int],
    known: int,
) -> None:
    print(f"\n{'edit':<24}{'plain PDQ':>10}{'Safeguard':>10}")
    for edit_name in EDITS:
        plain, ours = found[("pdq", edit_name)] / known, found[("safeguard", edit_name)] / known
        print(f"{edit_name:<24}{plain:>10.1%}{ours:>10.1%}")
    total = queries["known"]
    plain_all = sum(v for (s, _), v in found.items() if s == "pdq") / total
    ours_all = sum(v for (s, _), v in found.items() if s == "safeguard") / total
    print(f"{'all edits':<24}{plain_all:>10.1%}{ours_all:>10.1%}")
    print(
        f"\nqueries: {queries['known']:,} copies of known photos, "
        f"{queries['unknown']:,} copies of unknown photos"
    )
    print(
        f"queries with a false positive: plain PDQ {false_positives['pdq']}, "
        f"Safeguard {false_positives['safeguard']}"
    )
    print(f"\n{'view':<20}{'threshold':>10}{'found':>8}{'nearest impostor':>18}")
    for name in sorted(set(view_hits) | set(nearest_impostor)):
        limit = threshold(name)
        print(f"{name:<20}{limit:>10}{view_hits[name]:>8}{nearest_impostor[name]:>18}")


if __name__ == "__main__":
    main()
