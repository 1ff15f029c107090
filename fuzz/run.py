"""Run harnesses under libFuzzer for a bounded time each; exit 1 if any crashed.

``python -m fuzz.run [--seconds N] [NAME ...]`` (``make fuzz``, ``FUZZ_SECONDS``). Each
harness starts from its seed corpus (``fuzz/corpus/NAME``, never written to: new inputs
go to a temporary directory) and writes what crashed it, timed out or went over the
memory cap to ``fuzz/crashes/NAME/`` (libFuzzer's ``crash-``, ``timeout-`` and ``oom-``
files), whose paths are printed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from fuzz import CORPUS, CRASHES, HARNESSES, HERE

RSS_LIMIT_MB = 2048
"""Memory a harness process may use (libFuzzer's ``-rss_limit_mb``)."""
INPUT_SECONDS = {"decode_video": 60}
"""How long one input may take (libFuzzer's ``-timeout``) where not ``INPUT_SECONDS_DEFAULT``."""
INPUT_SECONDS_DEFAULT = 20
ARTIFACTS = ("crash-", "timeout-", "oom-", "leak-")


@dataclass(frozen=True)
class Outcome:
    """How a run ended: libFuzzer's exit status, the inputs it kept, its last output."""

    name: str
    returncode: int
    artifacts: tuple[Path, ...]
    output_tail: str

    @property
    def crashed(self) -> bool:
        return self.returncode != 0 or bool(self.artifacts)

    def report(self) -> str:
        if not self.crashed:
            return f"{self.name}: no crash"
        found = "\n".join(f"  {path}" for path in self.artifacts) or "  (no input written)"
        return (
            f"{self.name}: crashed (exit {self.returncode}); inputs:\n{found}\n{self.output_tail}"
        )


def run(name: str, seconds: int) -> Outcome:
    """Fuzz harness ``name`` for ``seconds`` from its seed corpus."""
    folder = CRASHES / name
    folder.mkdir(parents=True, exist_ok=True)
    started = time.time()
    timeout = INPUT_SECONDS.get(name, INPUT_SECONDS_DEFAULT)
    with tempfile.TemporaryDirectory(prefix=f"fuzz-{name}-") as work:
        command = [
            sys.executable,
            "-m",
            "fuzz",
            name,
            f"-max_total_time={seconds}",
            f"-timeout={timeout}",
            f"-rss_limit_mb={RSS_LIMIT_MB}",
            f"-artifact_prefix={folder}/",
            "-print_final_stats=1",
            work,
            str(CORPUS / name),
        ]
        done = subprocess.run(
            command,
            cwd=HERE.parent,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            timeout=seconds + 2 * timeout + 120,
        )
    artifacts = sorted(
        path
        for path in folder.iterdir()
        if path.name.startswith(ARTIFACTS) and path.stat().st_mtime >= started
    )
    tail = "\n".join(done.stdout.splitlines()[-40:])
    return Outcome(name, done.returncode, tuple(artifacts), tail)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=300, help="each harness's run time")
    parser.add_argument(
        "names", nargs="*", help=f"harnesses (default: all of {', '.join(HARNESSES)})"
    )
    args = parser.parse_args()
    unknown = set(args.names) - set(HARNESSES)
    if unknown:
        parser.error(f"unknown harnesses: {', '.join(sorted(unknown))}")
    crashed = False
    for name in args.names or HARNESSES:
        outcome = run(name, args.seconds)
        print(outcome.report(), flush=True)
        crashed = crashed or outcome.crashed
    sys.exit(1 if crashed else 0)


if __name__ == "__main__":
    main()
