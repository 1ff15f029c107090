"""Child-safety defaults as answers to a platform's questions about two users.

Ofcom's codes for services likely to be accessed by children ask that a child is not
suggested to others nor shown in other users' connection lists, cannot be messaged by
users they are not connected with, and has their location hidden; the ICO's Age
Appropriate Design Code asks for high-privacy defaults. Each default is a setting that
is off for a child. Some may be turned on, by the child or by a linked parent, only in
the bands ``MAY_TURN_ON`` allows (a platform may choose its own table,
``SAFEGUARD_CHILD_MAY_TURN_ON``); the answer then names the setting so the platform
shows its supportive prompt. Adults are not restricted here. A user of unknown age is
a child when the platform says so (the default), with the strictest rules: nothing
may be turned on until an age is assured.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from safeguard.accounts.bands import CHILD_BANDS, AgeBand
from safeguard.errors import ConfigError


class Setting(StrEnum):
    """A child-safety default; off for children. Its name is its prompt's topic."""

    MESSAGES_FROM_NON_CONNECTIONS = "messages_from_non_connections"
    CONNECTION_SUGGESTIONS = "connection_suggestions"
    LOCATION_SHARING = "location_sharing"
    PUBLIC_PROFILE = "public_profile"


class Question(StrEnum):
    MESSAGE = "message"  # may A message B?
    SUGGEST = "suggest"  # may A see B in suggestions or connection lists?
    LOCATION = "location"  # may B's location be shown to A?
    PROFILE = "profile"  # may A view B's profile?


MAY_TURN_ON: dict[Setting, frozenset[AgeBand]] = {
    Setting.MESSAGES_FROM_NON_CONNECTIONS: frozenset({AgeBand.AGE_16_17}),
    Setting.CONNECTION_SUGGESTIONS: frozenset({AgeBand.AGE_13_15, AgeBand.AGE_16_17}),
    Setting.LOCATION_SHARING: frozenset({AgeBand.AGE_13_15, AgeBand.AGE_16_17}),
    Setting.PUBLIC_PROFILE: frozenset({AgeBand.AGE_13_15, AgeBand.AGE_16_17}),
}

_QUESTION_SETTING = {
    Question.MESSAGE: Setting.MESSAGES_FROM_NON_CONNECTIONS,
    Question.SUGGEST: Setting.CONNECTION_SUGGESTIONS,
    Question.LOCATION: Setting.LOCATION_SHARING,
    Question.PROFILE: Setting.PUBLIC_PROFILE,
}

_DENIED = {
    Question.MESSAGE: "a child cannot be messaged by users they are not connected with",
    Question.SUGGEST: (
        "a child is not suggested to others nor shown in the connection lists of users "
        "they are not connected with"
    ),
    Question.LOCATION: "a child's location is hidden",
    Question.PROFILE: "a child's profile is visible to their connections only",
}


@dataclass(frozen=True)
class Subject:
    """What the policy knows of the user a question is about."""

    band: AgeBand
    unknown_as_child: bool = True
    turned_on: frozenset[Setting] = field(default_factory=frozenset)

    @property
    def treated_as_child(self) -> bool:
        if self.band is AgeBand.UNKNOWN:
            return self.unknown_as_child
        return self.band.is_child


@dataclass(frozen=True)
class Relation:
    """How the asking user stands to the subject."""

    same_user: bool = False
    connected: bool = False
    parent: bool = False  # the asker is the subject's linked parent


@dataclass(frozen=True)
class Answer:
    allowed: bool
    reason: str
    setting: Setting | None = None  # the default the subject turned off, if that decided


MayTurnOn = dict[Setting, frozenset[AgeBand]]
"""Which child bands may turn each default off (the setting on)."""


def may_turn_on(band: AgeBand, setting: Setting, table: MayTurnOn | None = None) -> bool:
    """Whether a user of ``band`` (treated as a child) may turn ``setting`` on, by
    ``table`` (``MAY_TURN_ON`` by default)."""
    return band in (MAY_TURN_ON if table is None else table)[setting]


def parse_may_turn_on(raw: str) -> MayTurnOn:
    """A table from ``setting=band|band;setting=...`` (``SAFEGUARD_CHILD_MAY_TURN_ON``):
    settings it names take the bands given (none: locked for every child), the others
    keep ``MAY_TURN_ON``'s. Only child bands may be named: ``unknown`` never may."""
    table = dict(MAY_TURN_ON)
    for part in filter(None, (p.strip() for p in raw.split(";"))):
        name, _, bands = part.partition("=")
        try:
            setting = Setting(name.strip())
            chosen = frozenset(AgeBand(b.strip()) for b in bands.split("|") if b.strip())
        except ValueError as exc:
            raise ConfigError(f"SAFEGUARD_CHILD_MAY_TURN_ON: {exc}") from None
        if not chosen <= set(CHILD_BANDS):
            raise ConfigError(
                "SAFEGUARD_CHILD_MAY_TURN_ON: only child bands may turn a default off"
            )
        table[setting] = chosen
    return table


def answer(question: Question, subject: Subject, relation: Relation) -> Answer:
    """The answer to ``question`` about ``subject`` for a user standing in ``relation``."""
    if relation.same_user:
        return Answer(True, "a user's own account")
    if not subject.treated_as_child:
        who = "an adult" if subject.band is AgeBand.ADULT else "of unknown age, treated as adult"
        return Answer(True, f"the user is {who}")
    setting = _QUESTION_SETTING[question]
    turned_on = setting in subject.turned_on
    if question is Question.LOCATION:
        if not turned_on:
            return Answer(False, _DENIED[question])
        if relation.connected or relation.parent:
            return Answer(True, "the child shares their location with connections", setting)
        return Answer(False, "a child's location is shown to their connections only")
    if relation.parent:
        return Answer(True, "the asker is the child's linked parent")
    if relation.connected:
        return Answer(True, "the users are connected")
    if turned_on:
        return Answer(True, f"the child turned on {setting.value}", setting)
    return Answer(False, _DENIED[question])
