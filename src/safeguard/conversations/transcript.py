"""Transcripts: a whole conversation submitted at once (a user's report, an export).

A transcript is text with one message per line, ``Name: text`` (a leading ``[time]`` is
allowed and ignored); a line without a name continues the message before it, and blank
lines are skipped. Its messages are fed to the streaming scorer in order, so a
transcript scores exactly like the same messages sent one by one, first flag included.
Sent as one message, a whole chat would count as a single message of the ramp and be
scored on its first 1,000 characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from safeguard.errors import BadRequest

MAX_TRANSCRIPT_MESSAGES = 5_000
_LINE = re.compile(r"^\s*(?:\[[^\]\n]{0,40}\]\s*)?([^:\s][^:\n]{0,63}?)\s*:(?:\s+(.*)|\s*)$")


@dataclass(frozen=True)
class TranscriptMessage:
    """One message of a transcript: who wrote it (the name before the colon) and what."""

    speaker: str
    text: str


def parse_transcript(text: str) -> list[TranscriptMessage]:
    """The messages of a transcript, in order; BadRequest if it does not start with a
    ``Name: text`` line or holds more than ``MAX_TRANSCRIPT_MESSAGES`` messages."""
    speakers: list[str] = []
    lines: list[list[str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        named = _LINE.match(line)
        if named is not None:
            speakers.append(named.group(1))
            lines.append([named.group(2) or ""])
        elif lines:
            lines[-1].append(line)
        else:
            raise BadRequest(f"transcript line {number}: expected 'Name: text'")
        if len(lines) > MAX_TRANSCRIPT_MESSAGES:
            raise BadRequest(f"a transcript holds at most {MAX_TRANSCRIPT_MESSAGES} messages")
    if not lines:
        raise BadRequest("the transcript holds no message")
    return [
        TranscriptMessage(speaker, "\n".join(parts))
        for speaker, parts in zip(speakers, lines, strict=True)
    ]
