"""Age bands, the age-assurance methods Ofcom names, and a band derived from evidence.

Ofcom's guidance on highly effective age assurance lists the methods that can be
(photo-ID matching, facial age estimation, open banking, mobile-network operator
checks, credit card checks, digital identity services, email-based age estimation)
and says self-declaration never is. So:

- the band of a user is the band of their highly effective outcomes; when those
  disagree, the youngest counts (a child can retry an estimate until it passes);
- without one, a declared child age is taken at its word (nobody claims to be younger
  to get fewer features), and a declared adult age is not: the band is ``unknown``;
- outcomes with a confidence under the configured minimum are listed but not counted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum


class AgeBand(StrEnum):
    UNDER_13 = "under-13"
    AGE_13_15 = "13-15"
    AGE_16_17 = "16-17"
    ADULT = "18+"
    UNKNOWN = "unknown"

    @property
    def is_child(self) -> bool:
        return self in CHILD_BANDS

    @property
    def youngest_age(self) -> int | None:
        return _YOUNGEST.get(self)

    @property
    def oldest_age(self) -> int | None:
        """The oldest age in a child's band: one under the next band's youngest."""
        if not self.is_child:
            return None
        return _YOUNGEST[KNOWN_BANDS[KNOWN_BANDS.index(self) + 1]] - 1


CHILD_BANDS = (AgeBand.UNDER_13, AgeBand.AGE_13_15, AgeBand.AGE_16_17)
KNOWN_BANDS = (*CHILD_BANDS, AgeBand.ADULT)  # youngest first
_YOUNGEST = {AgeBand.UNDER_13: 0, AgeBand.AGE_13_15: 13, AgeBand.AGE_16_17: 16, AgeBand.ADULT: 18}


class AssuranceMethod(StrEnum):
    """How an age was checked: Ofcom's highly effective methods, and self-declaration."""

    PHOTO_ID_MATCHING = "photo_id_matching"
    FACIAL_AGE_ESTIMATION = "facial_age_estimation"
    OPEN_BANKING = "open_banking"
    MOBILE_NETWORK_OPERATOR = "mobile_network_operator"
    CREDIT_CARD = "credit_card"
    DIGITAL_IDENTITY = "digital_identity"
    EMAIL_AGE_ESTIMATION = "email_age_estimation"
    SELF_DECLARATION = "self_declaration"

    @property
    def highly_effective(self) -> bool:
        return self is not AssuranceMethod.SELF_DECLARATION


def band_for_age(age: int) -> AgeBand:
    """The band of someone ``age`` years old."""
    for band in reversed(KNOWN_BANDS):
        youngest = band.youngest_age
        if youngest is not None and age >= youngest:
            return band
    return AgeBand.UNDER_13


def age_on(birth_date: date, today: date) -> int:
    """Whole years from ``birth_date`` to ``today``."""
    had_birthday = (today.month, today.day) >= (birth_date.month, birth_date.day)
    return today.year - birth_date.year - (0 if had_birthday else 1)


@dataclass(frozen=True)
class Outcome:
    """One age-assurance result as recorded."""

    provider: str
    method: AssuranceMethod
    band: AgeBand
    confidence: float
    assured_at: datetime


@dataclass(frozen=True)
class Evidence:
    """One piece of evidence about an age, and whether it counted."""

    source: str  # assurance or declaration
    band: AgeBand
    counted: bool
    why: str
    method: str | None = None
    provider: str | None = None
    confidence: float | None = None
    at: datetime | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "source": self.source,
            "band": self.band.value,
            "counted": self.counted,
            "why": self.why,
            "method": self.method,
            "provider": self.provider,
            "confidence": self.confidence,
            "at": self.at.isoformat() if self.at else None,
        }


@dataclass(frozen=True)
class Derivation:
    """A user's band, whether a highly effective method established it, and why."""

    band: AgeBand
    assured: bool
    evidence: tuple[Evidence, ...]


def derive_band(
    declared_age: int | None,
    outcomes: list[Outcome],
    min_confidence: float,
) -> Derivation:
    """The band the evidence supports (module docstring for the rules)."""
    ordered = sorted(outcomes, key=lambda o: o.assured_at)
    assured = [o for o in ordered if _counts_as_assurance(o, min_confidence)]
    declared = [] if declared_age is None else [band_for_age(declared_age)]
    declared += [o.band for o in ordered if o.method is AssuranceMethod.SELF_DECLARATION]
    declared_children = [band for band in declared if band.is_child]
    if assured:
        band, is_assured = _youngest(o.band for o in assured), True
    elif declared_children:
        band, is_assured = _youngest(declared_children), False
    else:
        band, is_assured = AgeBand.UNKNOWN, False
    evidence = [_outcome_evidence(o, o in assured, bool(assured), min_confidence) for o in ordered]
    if declared_age is not None:
        stated = band_for_age(declared_age)
        if assured:
            evidence.append(Evidence("declaration", stated, False, "assurance outranks it"))
        elif stated.is_child:
            evidence.append(Evidence("declaration", stated, True, "a declared child is a child"))
        else:
            why = "a declared adult age is not assurance"
            evidence.append(Evidence("declaration", stated, False, why))
    return Derivation(band, is_assured, tuple(evidence))


def _youngest(bands: Iterable[AgeBand]) -> AgeBand:
    return min(bands, key=KNOWN_BANDS.index)


def _counts_as_assurance(outcome: Outcome, min_confidence: float) -> bool:
    return (
        outcome.method.highly_effective
        and outcome.confidence >= min_confidence
        and outcome.band is not AgeBand.UNKNOWN
    )


def _outcome_evidence(
    outcome: Outcome, counted: bool, any_assured: bool, min_confidence: float
) -> Evidence:
    """How one outcome weighed: counted as assurance, as a declaration, or not at all."""
    if counted:
        why = "highly effective"
    elif outcome.method is AssuranceMethod.SELF_DECLARATION:
        counted = outcome.band.is_child and not any_assured
        why = (
            "a declared child is a child" if counted else "self-declaration is not highly effective"
        )
    elif outcome.confidence < min_confidence:
        why = f"confidence under {min_confidence:g}"
    else:
        why = "no band given"
    return Evidence(
        "assurance",
        outcome.band,
        counted,
        why,
        outcome.method.value,
        outcome.provider,
        outcome.confidence,
        outcome.assured_at,
    )
