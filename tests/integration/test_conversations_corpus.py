"""Training, evaluation and transcript scoring on the research corpora (skipped without
../shared).

The corpora are read from ../shared at run time; no text of them is printed or kept.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from safeguard.conversations.corpus import load_corpus
from safeguard.conversations.evaluation import choose_threshold, cross_validate, report
from safeguard.conversations.model import RiskModel
from safeguard.conversations.scoring import score_conversation, score_transcript
from safeguard.conversations.training import chunks, featurise
from tests.integration.server import Cli, environment

pytestmark = pytest.mark.shared


def test_corpus_loads_every_part(shared_data: Path) -> None:
    corpus = load_corpus([shared_data / "grooming"])
    assert len(corpus.segments) == 1383
    assert sum(label for _, label in corpus.segments) == 167
    assert len(corpus.predators) == 471 and len(corpus.officers) == 486


def test_cross_validation_on_a_sample_separates_predators(shared_data: Path) -> None:
    corpus = load_corpus([shared_data / "grooming"])
    corpus.segments = corpus.segments[::3]
    corpus.predators, corpus.officers = corpus.predators[::6], corpus.officers[::6]
    cv = cross_validate(featurise(corpus), folds=3)
    figures = report(cv, choose_threshold(cv))
    assert figures["segment_auroc"] > 0.95  # type: ignore[operator]
    assert figures["predators_flagged"] > 0.8  # type: ignore[operator]
    assert figures["negative_streams_flagged"] <= 0.02  # type: ignore[operator]


def test_train_writes_a_model_that_evaluate_uses(shared_data: Path, tmp_path: Path) -> None:
    sample = tmp_path / "sample"
    (sample / "perverted-justice" / "predators").mkdir(parents=True)
    (sample / "perverted-justice" / "officers").mkdir(parents=True)
    source = shared_data / "grooming"
    lines = (source / "vtpan_segments_dev.csv").read_text(encoding="utf-8").splitlines(True)
    (sample / "vtpan_segments_dev.csv").write_text("".join(lines[:1] + lines[1::16]))
    for role in ("predators", "officers"):
        for path in sorted((source / "perverted-justice" / role).glob("*.txt"))[::60]:
            (sample / "perverted-justice" / role / path.name).write_bytes(path.read_bytes())
    cli = Cli(environment(tmp_path / "data", f"sqlite:///{tmp_path / 'sg.db'}"))
    model = tmp_path / "model.npz"
    result = json.loads(
        cli.ok(
            "conversations", "train", "--data", str(sample), "--output", str(model), "--folds", "2"
        )
    )
    assert result["model"] == str(model)
    assert RiskModel.load(model).threshold == result["threshold"]
    assert RiskModel.load(model).about["data"]["segments"] == len(lines[1::16])
    evaluated = json.loads(
        cli.ok(
            "conversations",
            "evaluate",
            "--data",
            str(sample),
            "--model",
            str(model),
            "--folds",
            "2",
        )
    )
    assert evaluated["threshold"] == result["threshold"]
    assert set(evaluated) == set(result) - {"model"}


def test_a_transcript_in_one_piece_is_flagged_like_its_messages_streamed(
    shared_data: Path, tmp_path: Path
) -> None:
    """Offenders' conversations (the message streams the evaluation feeds) and negative
    segments (cut into the evaluation's pseudo-messages), as 'Name: text' transcripts."""
    corpus = load_corpus([shared_data / "grooming"])
    model = RiskModel.default()
    conversations = [stream[:100] for stream in corpus.predators[::30]]
    negatives = [chunks(text) for text, label in corpus.segments[::40] if not label]
    flagged = alone = 0
    for messages in conversations + negatives:
        streamed = score_conversation(model, "c", [{"text": m} for m in messages])
        transcript = "\n".join(f"speaker: {m}" for m in messages)
        assert score_transcript(model, "c", transcript, {}) == streamed
        flagged += bool(streamed["flagged"])
        alone += bool(score_conversation(model, "c", [{"text": transcript}])["flagged"])
    assert flagged >= 0.9 * len(conversations)  # the offenders, almost all
    assert alone < flagged / 4  # the same text sent as one message is mostly missed
    path = tmp_path / "reported.txt"
    path.write_text("\n".join(f"speaker: {m}" for m in conversations[0]), encoding="utf-8")
    cli = Cli(environment(tmp_path / "data", f"sqlite:///{tmp_path / 'sg.db'}"))
    printed = json.loads(
        cli.ok("conversations", "score", "--transcript", str(path), "--age-band", "speaker=18+")
    )
    expected = score_transcript(model, "reported", path.read_text(encoding="utf-8"), {})
    assert printed == expected and printed["flagged"]
