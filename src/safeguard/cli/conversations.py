"""``safeguard conversations ...``: train, evaluate and run the grooming-risk model; erase
expired message text."""

from __future__ import annotations

import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from safeguard.cli import context
from safeguard.cli.output import FormatOption, OutputFormat, emit
from safeguard.conversations.folds import FOLDS
from safeguard.errors import BadRequest

app = typer.Typer(help="Conversation safety: grooming-risk scoring.", no_args_is_help=True)

DataOption = Annotated[
    list[Path],
    typer.Option("--data", help="A corpus folder (e.g. ../shared/data/grooming); repeatable."),
]
ModelOption = Annotated[
    Path | None, typer.Option("--model", help="A model file; the shipped model by default.")
]
ThresholdOption = Annotated[
    float | None,
    typer.Option(
        "--threshold", min=0.0, max=1.0, help="Flag at this risk instead of the model's threshold."
    ),
]
FoldsOption = Annotated[int, typer.Option("--folds", help="Cross-validation folds.", min=2)]


@app.command("train")
def train(
    data: DataOption,
    output: Annotated[Path, typer.Option("--output", help="Where to write the model.")],
    folds: FoldsOption = FOLDS,
) -> None:
    """Cross-validate to choose the threshold, fit on all the data, write the model."""
    from safeguard.conversations import training
    from safeguard.conversations.corpus import load_corpus
    from safeguard.conversations.evaluation import choose_threshold, cross_validate, report

    corpus = load_corpus(data)
    featurised = training.featurise(corpus)
    cv = cross_validate(featurised, folds)
    threshold = choose_threshold(cv)
    figures = report(cv, threshold)
    fitted = training.fit(
        training.examples(
            featurised,
            segments=list(range(len(featurised.labels))),
            predators=list(range(len(featurised.predators))),
            decoys=list(range(len(featurised.officers))),
        )
    )
    about = {
        "trained": datetime.now(UTC).strftime("%Y-%m-%d"),
        "data": {
            "segments": len(corpus.segments),
            "predator_conversations": len(corpus.predators),
            "decoy_conversations": len(corpus.officers),
        },
        "settings": training.settings(),
        "cross_validated": figures,
    }
    replace(fitted.calibrated(*cv.calibration, threshold), about=about).save(output)
    emit({"model": str(output), **figures})


@app.command("evaluate")
def evaluate(
    data: DataOption,
    model: ModelOption = None,
    threshold: ThresholdOption = None,
    folds: FoldsOption = FOLDS,
) -> None:
    """Cross-validated figures of the training method, at the model's threshold."""
    from safeguard.conversations import training
    from safeguard.conversations.corpus import load_corpus
    from safeguard.conversations.evaluation import cross_validate, report
    from safeguard.conversations.model import RiskModel

    threshold = RiskModel.chosen(model, threshold).threshold
    emit(report(cross_validate(training.featurise(load_corpus(data)), folds), threshold))


@app.command("score")
def score(
    path: Annotated[
        Path, typer.Argument(help="JSON lines: conversation_id and messages ('-': stdin).")
    ],
    output_format: FormatOption = OutputFormat.JSONL,
    model: ModelOption = None,
    threshold: ThresholdOption = None,
    transcript: Annotated[
        bool,
        typer.Option(
            "--transcript", help="PATH is one conversation as text, a 'Name: text' line a message."
        ),
    ] = False,
    age_bands: Annotated[
        list[str] | None,
        typer.Option(
            "--age-band", help="A transcript speaker's age band, NAME=BAND (e.g. sam=13-15)."
        ),
    ] = None,
) -> None:
    """Feed each conversation message by message; print its risk, flag and cues."""
    from safeguard.conversations.model import RiskModel
    from safeguard.conversations.scoring import parse_age_bands, score_lines, score_transcript

    scorer = RiskModel.chosen(model, threshold)
    bands = parse_age_bands(age_bands or [])
    if bands and not transcript:
        raise BadRequest("--age-band is for a --transcript (JSON lines carry sender_age_band)")
    try:
        with sys.stdin if str(path) == "-" else path.open(encoding="utf-8") as handle:
            if transcript:
                name = "transcript" if str(path) == "-" else path.stem
                emit(score_transcript(scorer, name, handle.read(), bands))
            else:
                for result in score_lines(scorer, handle):
                    emit(result)
    except OSError as exc:
        raise BadRequest(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise BadRequest(f"{path}: not UTF-8 text") from None


@app.command("erase-expired")
def erase_expired() -> None:
    """Erase the text of messages older than SAFEGUARD_MESSAGE_RETENTION_HOURS (the API
    does so every minute; this is for running it from cron)."""
    from safeguard.conversations.retention import erase_expired_text

    services = context.services()
    erased = erase_expired_text(services.db, services.message_retention)
    print(f"erased the text of {erased} expired messages")
