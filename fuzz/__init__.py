"""Coverage-guided fuzzing of Safeguard's parsers and decoders with atheris.

Each harness is a module of this package with ``fuzz_one(data: bytes) -> None``: it hands
the bytes to a decoder or parser under the project's caps and lets only Safeguard's typed
errors (``safeguard.errors.SafeguardError``) through as expected outcomes. Anything else,
an exception of another type, a hang past the time limit or memory past the cap, is a
crash. ``python -m fuzz NAME`` runs one harness under libFuzzer, ``python -m fuzz.run``
runs them all for a bounded time (``make fuzz``), ``python -m fuzz.seeds`` writes the
seed corpora of ``fuzz/corpus/``.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
CRASHES = HERE / "crashes"
REGRESSIONS = HERE / "regressions"

HARNESSES: dict[str, tuple[str, ...]] = {
    "decode_image": ("PIL",),
    "decode_video": (),
    "bank_lists": (),
    "vpdq_parse": (),
    "url_normalise": (),
    "ncmec_page": (),
}
"""Each harness by name, with the packages instrumented for coverage besides Safeguard."""
