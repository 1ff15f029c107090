"""Loading the research corpora from where they lie (never copied into the repository).

A data folder may hold ``vtpan_segments_dev.csv`` (columns ``segment,label``) and a
``perverted-justice/`` folder with ``predators/*.txt`` and ``officers/*.txt`` (one
message per line). ``../shared/data/grooming`` has both.
"""

from __future__ import annotations

import csv
import sys
from dataclasses import dataclass, field
from pathlib import Path

from safeguard.errors import BadRequest

SEGMENTS_FILE = "vtpan_segments_dev.csv"
STREAMS_FOLDER = "perverted-justice"


@dataclass
class Corpus:
    """Labelled segments (text, 1 = predatory) and message streams by speaker role."""

    segments: list[tuple[str, int]] = field(default_factory=list)
    predators: list[list[str]] = field(default_factory=list)
    officers: list[list[str]] = field(default_factory=list)


def load_corpus(folders: list[Path]) -> Corpus:
    """Everything the folders hold; a folder with none of the known files is an error."""
    corpus = Corpus()
    csv.field_size_limit(sys.maxsize)
    for folder in folders:
        found = False
        segments = folder / SEGMENTS_FILE if folder.is_dir() else folder
        if segments.is_file() and segments.suffix == ".csv":
            found = True
            corpus.segments += _segments(segments)
        streams = folder / STREAMS_FOLDER
        for role, target in (("predators", corpus.predators), ("officers", corpus.officers)):
            for path in sorted((streams / role).glob("*.txt")):
                found = True
                lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
                target.append([line for line in lines if line.strip()])
        if not found:
            raise BadRequest(f"{folder}: no {SEGMENTS_FILE} or {STREAMS_FOLDER}/ found")
    return corpus


def _segments(path: Path) -> list[tuple[str, int]]:
    """The (text, label) rows of a segments CSV, or a one-line error naming the bad row."""
    rows: list[tuple[str, int]] = []
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            if not {"segment", "label"} <= set(reader.fieldnames or ()):
                raise BadRequest(f"{path}: expected the columns segment,label")
            for row in reader:
                label = row["label"]
                if label not in ("0", "1") or row["segment"] is None:
                    raise BadRequest(f"{path}, line {reader.line_num}: label must be 0 or 1")
                rows.append((row["segment"], int(label)))
    except UnicodeDecodeError:
        raise BadRequest(f"{path}: not UTF-8 text") from None
    except csv.Error as exc:
        raise BadRequest(f"{path}: not valid CSV ({exc})") from None
    return rows
