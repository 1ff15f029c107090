"""Recall and false positives on edited copies: plain PDQ against Safeguard's query views.

    .venv/bin/python benchmarks/robustness.py [--photos DIR] [--distractors N]

The photos are split four ways by their sorted position: positions 0 and 1 (mod 4) are
the "known" images, whose reference PDQ hashes (the ``pdqhash`` binding, full decode)
form the bank; position 2 gives unknown images, whose copies must match nothing;
position 3 gives the distractors: random crops, flips, turns, rescalings and colour
changes of those photos, hashed and added to the bank so it is large.

Every known and unknown photo is edited each way in ``robustness_edits.EDITS`` (single
edits) and ``COMBINED_EDITS`` (several at once) and saved as JPEG. Plain PDQ hashes each
copy with ``pdqhash`` and looks it up at distance 31;
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

from robustness_edits import COMBINED_EDITS, EDITS

from safeguard.config import DEFAULT_PDQ_VIEW_ALLOWANCE
from safeguard.index.hamming import HammingIndex
from safeguard.media.decode import DecodeLimits
from safeguard.media.variants import ORIGINAL
from safeguard.screening.signals import content_signals
from safeguard.screening.views import edit_view_threshold, is_edit_view
from safeguard.signals.pdq import DEFAULT_THRESHOLD, MAX_THRESHOLD
from safeguard.signals.pdq_kernel import hash_pixels

DEFAULT_PHOTOS = Path(__file__).resolve().parents[2] / "shared" / "data" / "photos"
MIN_QUALITY = 50
LIMITS = DecodeLimits(max_bytes=100_000_000, max_pixels=100_000_000)
SEARCH_RADIUS = 80  # nearest impostors are reported up to this distance
ALL_EDITS = {**EDITS, **COMBINED_EDITS}
PLAIN = "plain-pdq"  # the dump's row for plain PDQ's own hash
DUMP_HEADER = "group,photo,edit,view,genuine,impostor\n"


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
    parser.add_argument("--rescore", type=Path, help="score a --dump CSV again, hashing nothing")
    args = parser.parse_args()
    if args.rescore:
        lines = args.rescore.read_text().splitlines()[1:]
        score(lines, len({line.split(",")[1] for line in lines if line.startswith("known,")}))
        return
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
    rows: list[str] = []
    for group, photos in (("known", known), ("unknown", unknown)):
        for number, path in enumerate(photos):
            photo = Image.open(path).convert("RGB")
            for edit_name, edit in ALL_EDITS.items():
                data = jpeg(edit(photo, rng), getattr(edit, "jpeg_quality", 90))
                expected = number if group == "known" else -1
                distances = _plain_distances(index, data, expected)
                distances += _view_distances(index, data, expected)
                rows.extend(f"{group},{number},{edit_name},{d}" for d in distances)
    if args.dump:
        args.dump.write_text(DUMP_HEADER + "\n".join(rows) + "\n")
    score(rows, len(known))
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
    """The view's threshold in a bank with the default settings (plain PDQ: 31)."""
    if view != PLAIN and is_edit_view(view):
        allowance = DEFAULT_PDQ_VIEW_ALLOWANCE
        return edit_view_threshold(DEFAULT_THRESHOLD, allowance, MAX_THRESHOLD, view)
    return DEFAULT_THRESHOLD


def _rgb(path: Path) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(Image.open(path).convert("RGB")))


def _plain_distances(index: HammingIndex, data: bytes, expected: int) -> list[str]:
    """Plain PDQ's "view,genuine,impostor" nearest distances (none if quality is low)."""
    code, quality = reference_code(_rgb_of(data))
    if quality < MIN_QUALITY:
        return []
    hits = index.search(np.frombuffer(code, np.uint8).reshape(1, 32), SEARCH_RADIUS)[0]
    return [_nearest(PLAIN, hits, expected)]


def _rgb_of(data: bytes) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(Image.open(io.BytesIO(data)).convert("RGB")))


def _view_distances(index: HammingIndex, data: bytes, expected: int) -> list[str]:
    """Safeguard's "view,genuine,impostor" nearest distances, per view of the upload."""
    views = [
        v
        for v in content_signals(data, LIMITS).values["pdq"]
        if v.quality is not None and v.quality >= MIN_QUALITY
    ]
    if not views:
        return []
    queries = np.frombuffer(b"".join(bytes.fromhex(v.value) for v in views), np.uint8)
    found = index.search(queries.reshape(-1, 32), SEARCH_RADIUS)
    return [
        _nearest(v.view or ORIGINAL, hits, expected) for v, hits in zip(views, found, strict=True)
    ]


def _nearest(view: str, hits: list[tuple[int, int]], expected: int) -> str:
    genuine = min((d for e, d in hits if e == expected), default=256)
    impostor = min((d for e, d in hits if e != expected), default=256)
    return f"{view},{genuine},{impostor}"


def score(rows: list[str], known: int) -> None:
    """Recall per edit and false positives, from the dump's rows at today's thresholds: a
    copy is found when a view's own photo is within the view's threshold, and has a false
    positive when any other entry is."""
    found: dict[tuple[str, str], int] = defaultdict(int)
    false_positives: dict[str, int] = defaultdict(int)
    view_hits: dict[str, int] = defaultdict(int)
    nearest_impostor: dict[str, int] = defaultdict(lambda: 256)
    queries: dict[str, set[tuple[str, str, str]]] = defaultdict(set)
    hit: dict[tuple[str, str, str, str], tuple[bool, bool]] = {}
    for row in rows:
        group, photo, edit_name, view, genuine, impostor = row.split(",")
        system = "pdq" if view == PLAIN else "safeguard"
        limit = threshold(view)
        key = (system, group, photo, edit_name)
        queries[group].add((group, photo, edit_name))
        was_found, was_wrong = hit.get(key, (False, False))
        hit[key] = (was_found or int(genuine) <= limit, was_wrong or int(impostor) <= limit)
        if system == "safeguard":
            nearest_impostor[view] = min(nearest_impostor[view], int(impostor))
            view_hits[view] += int(genuine) <= limit
    for (system, _, _, edit_name), (was_found, was_wrong) in hit.items():
        found[(system, edit_name)] += was_found
        false_positives[system] += was_wrong
    counts = {group: len(keys) for group, keys in queries.items()}
    report(found, false_positives, view_hits, nearest_impostor, counts, known)
    recall_by_edit_threshold(rows, known)


def recall_by_edit_threshold(rows: list[str], known: int) -> None:
    """Recall of single and combined edits had every edit view's threshold been capped
    lower or higher (from the same distances; each view keeps its own threshold below the
    cap, and the upload's own views stay at the bank threshold)."""
    print(f"\n{'edit-view cap':<16}{'single edits':>14}{'combined edits':>16}")
    for cap in (31, 36, 40, 44):
        found: set[tuple[str, str]] = set()
        for row in rows:
            group, photo, edit_name, view, genuine, _ = row.split(",")
            if view == PLAIN:
                continue
            if group == "known" and int(genuine) <= min(cap, threshold(view)):
                found.add((photo, edit_name))
        single = sum(1 for _, e in found if e in EDITS) / (known * len(EDITS))
        combined = sum(1 for _, e in found if e in COMBINED_EDITS) / (known * len(COMBINED_EDITS))
        print(f"{cap:<16}{single:>14.1%}{combined:>16.1%}")


def report(
    found: dict[tuple[str, str], int],
    false_positives: dict[str, int],
    view_hits: dict[str, int],
    nearest_impostor: dict[str, int],
    queries: dict[str, int],
    known: int,
) -> None:
    for title, edits in (("single edits", EDITS), ("combined edits", COMBINED_EDITS)):
        print(f"\n{'edit':<32}{'plain PDQ':>10}{'Safeguard':>10}")
        for edit_name in edits:
            plain = found[("pdq", edit_name)] / known
            ours = found[("safeguard", edit_name)] / known
            print(f"{edit_name:<32}{plain:>10.1%}{ours:>10.1%}")
        total = known * len(edits)
        plain_all = sum(v for (s, e), v in found.items() if s == "pdq" and e in edits) / total
        ours_all = sum(v for (s, e), v in found.items() if s == "safeguard" and e in edits)
        print(f"{title:<32}{plain_all:>10.1%}{ours_all / total:>10.1%}")
    print(
        f"\nqueries: {queries['known']:,} copies of known photos, "
        f"{queries['unknown']:,} copies of unknown photos"
    )
    print(
        f"queries with a false positive: plain PDQ {false_positives['pdq']}, "
        f"Safeguard {false_positives['safeguard']}"
    )
    print(f"\n{'view':<32}{'threshold':>10}{'found':>8}{'nearest impostor':>18}")
    for name in sorted(set(view_hits) | set(nearest_impostor)):
        limit = threshold(name)
        print(f"{name:<32}{limit:>10}{view_hits[name]:>8}{nearest_impostor[name]:>18}")


if __name__ == "__main__":
    main()
