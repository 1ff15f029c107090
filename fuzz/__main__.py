"""``python -m fuzz NAME [libFuzzer flags] [corpus dirs]``: one harness under libFuzzer,
with Safeguard (and the harness's extra packages) instrumented for coverage."""

from __future__ import annotations

import hashlib
import importlib
import sys
from collections.abc import Callable
from pathlib import Path

import atheris  # type: ignore[import-untyped]

from fuzz import HARNESSES

NOT_INSTRUMENTED = [
    "safeguard.index.mih_kernels",
    "safeguard.media.variants",
    "safeguard.signals.pdq_kernel",
    "safeguard.signals.pdq_views",
]
"""Modules of numba kernels: numba compiles their bytecode, which must stay as written."""

Target = Callable[[bytes], None]


def keeping_crashes(target: Target, prefix: str | None) -> Target:
    """``target``, writing an input it raises on where libFuzzer would (``crash-<sha1>``
    under ``prefix``): libFuzzer's own writing is lost when the process dies of a signal
    while reporting the exception."""
    if prefix is None:
        return target

    def run(data: bytes) -> None:
        try:
            target(data)
        except BaseException:
            Path(f"{prefix}crash-{hashlib.sha1(data).hexdigest()}").write_bytes(data)
            raise

    return run


def main(argv: list[str]) -> None:
    if len(argv) < 2 or argv[1] not in HARNESSES:
        sys.exit(f"usage: python -m fuzz {{{','.join(HARNESSES)}}} [libFuzzer flags]")
    name, flags = argv[1], argv[2:]
    packages = ["safeguard", *HARNESSES[name]]
    with atheris.instrument_imports(include=packages, exclude=NOT_INSTRUMENTED):
        harness = importlib.import_module(f"fuzz.{name}")
    prefix = next((f.partition("=")[2] for f in flags if f.startswith("-artifact_prefix=")), None)
    atheris.Setup([argv[0], *flags], keeping_crashes(harness.fuzz_one, prefix))
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
