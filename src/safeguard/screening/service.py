"""The screening service: match signals against the banks, decide, and write the audit record."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from safeguard import events
from safeguard.banks.models import BankAction, BankKind
from safeguard.config import DEFAULT_PDQ_VIEW_ALLOWANCE
from safeguard.errors import InvalidSignal
from safeguard.events import ScreeningDecided
from safeguard.media.variants import ORIGINAL
from safeguard.screening.matcher import Matcher
from safeguard.screening.policy import BankRule, Decision, Match, decide
from safeguard.screening.signals import ContentSignals
from safeguard.screening.views import edit_view_threshold
from safeguard.signals import MD5, PDQ, SHA256, signal_type
from safeguard.store.db import Database
from safeguard.store.models import Bank, ReviewItem, Screening


@dataclass(frozen=True)
class ScreeningResult:
    screening_id: str
    decision: Decision
    matches: list[Match]
    signals: dict[str, object]

    def as_dict(self) -> dict[str, object]:
        return {
            "screening_id": self.screening_id,
            "decision": self.decision.value,
            "matches": [_api_match(m) for m in self.matches],
            "signals": self.signals,
        }


@dataclass(frozen=True)
class Requester:
    """Who asked, for the audit record."""

    client: str
    source: str
    content_id: str | None = None
    uploader_id: str | None = None


class Screener:
    """Decides on content signals against the banks; one instance per process."""

    def __init__(
        self,
        db: Database,
        pdq_min_quality: int,
        matcher: Matcher | None = None,
        pdq_view_allowance: int = DEFAULT_PDQ_VIEW_ALLOWANCE,
    ) -> None:
        self.db = db
        self.pdq_min_quality = pdq_min_quality
        self.pdq_view_allowance = pdq_view_allowance
        self.matcher = matcher or Matcher()

    def screen(
        self,
        signals: ContentSignals,
        requester: Requester,
        banks: Collection[str] | None = None,
    ) -> ScreeningResult:
        """Decide on computed content signals; ``banks`` restricts matching to those names."""
        exact = {MD5.name: signals.md5, SHA256.name: signals.sha256}
        views = [
            (name, view.hex)
            for name, view in signals.pdq_views
            if view.quality >= self.pdq_min_quality
        ]
        return self._decide(exact, views, signals.as_dict(), requester, banks)

    def lookup(
        self,
        hashes: Mapping[str, str],
        requester: Requester,
        pdq_quality: int | None = None,
    ) -> ScreeningResult:
        """Decide on hashes a client computed itself (validated here)."""
        if not hashes:
            raise InvalidSignal("give at least one signal to look up")
        values = {signal_type(k).name: signal_type(k).normalise(v) for k, v in hashes.items()}
        if pdq_quality is not None and not 0 <= pdq_quality <= 100:
            raise InvalidSignal(f"pdq_quality must be between 0 and 100, got {pdq_quality}")
        shown: dict[str, object] = {n: values.get(n) for n in (MD5.name, SHA256.name, PDQ.name)}
        shown["pdq_quality"] = pdq_quality
        pdq = values.pop(PDQ.name, None)
        usable = pdq is not None and (pdq_quality is None or pdq_quality >= self.pdq_min_quality)
        views = [(ORIGINAL, pdq)] if pdq is not None and usable else []
        return self._decide(values, views, shown, requester, None)

    def _decide(
        self,
        exact: dict[str, str],
        pdq_views: list[tuple[str, str]],
        shown: dict[str, object],
        requester: Requester,
        bank_names: Collection[str] | None,
    ) -> ScreeningResult:
        # Catch up and search the index before the request's transaction begins: no lock
        # is ever waited for while a database transaction is open (matcher.py).
        self.matcher.sync(self.db)
        with self.db.read_session() as session:
            rules = _rules(session, bank_names, self.pdq_view_allowance)

        def radius_of(bank_id: str, view: str) -> int:
            rule = rules.get(bank_id)
            return rule.threshold_for(view) if rule is not None else -1

        near = self.matcher.pdq_candidates(pdq_views, radius_of)
        with self.db.session() as session:
            candidates = self.matcher.exact_candidates(session, exact)
            candidates += self.matcher.confirmed(session, near)
            decision, matches = decide(candidates, rules)
            api_matches = [_api_match(m) for m in matches]
            screening = Screening(
                client=requester.client,
                source=requester.source,
                content_id=requester.content_id,
                uploader_id=requester.uploader_id,
                md5=_str_or_none(shown.get(MD5.name)),
                sha256=_str_or_none(shown.get(SHA256.name)),
                pdq=_str_or_none(shown.get(PDQ.name)),
                pdq_quality=_int_or_none(shown.get("pdq_quality")),
                decision=decision.value,
                matches=api_matches,
            )
            session.add(screening)
            session.flush()
            decided = ScreeningDecided(
                requester.client, screening.id, requester.source, decision.value, api_matches
            )
            events.record(session, decided)
            if decision is Decision.REVIEW:
                session.add(
                    ReviewItem(
                        kind="screening",
                        client=requester.client,
                        screening_id=screening.id,
                        reason={"matches": api_matches},
                    )
                )
            return ScreeningResult(screening.id, decision, matches, shown)


def _rules(session: Session, names: Collection[str] | None, allowance: int) -> dict[str, BankRule]:
    query = select(Bank).where(Bank.deleted_at.is_(None))
    if names is not None:
        query = query.where(Bank.name.in_(list(names)))
    return {
        b.id: BankRule(
            b.id,
            b.name,
            BankAction(b.action),
            BankKind(b.kind),
            b.pdq_threshold,
            edit_view_threshold(b.pdq_threshold, allowance),
        )
        for b in session.scalars(query)
    }


def _api_match(match: Match) -> dict[str, object]:
    return match.as_dict() | {"effect": match.effect, "view": match.view}


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) else None
