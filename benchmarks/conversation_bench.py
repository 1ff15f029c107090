"""Streaming conversation scoring throughput, in process, on one core.

    .venv/bin/python benchmarks/conversation_bench.py [--data DIR]

Feeds the Perverted-Justice conversations (both sides, each its own conversation)
message by message through the shipped model, as ``POST /v1/conversations/.../messages``
does before storage, and prints messages per second. The text is read from ../shared at
run time and never printed.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from safeguard.conversations.corpus import load_corpus
from safeguard.conversations.model import RiskModel
from safeguard.conversations.stream import ConversationState

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "grooming"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--messages", type=int, default=200_000)
    args = parser.parse_args()
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    corpus = load_corpus([args.data])
    model = RiskModel.default()
    conversations = corpus.predators + corpus.officers
    total = sum(len(c) for c in conversations)
    fed = 0
    start = time.perf_counter()
    for conversation in conversations:
        state = ConversationState(model)
        for message in conversation:
            state.add(message)
            fed += 1
        if fed >= args.messages:
            break
    seconds = time.perf_counter() - start
    print(
        f"{fed:,} messages of {total:,} in {seconds:.1f} s: {fed / seconds:,.0f} messages/s "
        "on one core"
    )


if __name__ == "__main__":
    main()
