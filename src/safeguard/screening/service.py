"""The screening service: match signals against the banks, decide, and write the audit record."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from safeguard import events
from safeguard.banks.models import BankAction, BankKind
from safeguard.config import DEFAULT_PDQ_VIEW_ALLOWANCE
from safeguard.errors import InvalidSignal
from safeguard.events import ScreeningDecided
from safeguard.evidence import vault
from safeguard.evidence.keys import Keyring
from safeguard.moderation.intake import content_key, queue_screening
from safeguard.screening.matcher import Candidate, Matcher
from safeguard.screening.policy import BankRule, Decision, Match, SequenceRule, decide
from safeguard.screening.signals import ContentSignals, signals_dict
from safeguard.screening.text import text_values
from safeguard.signals.base import LookupForms, SignalValue
from safeguard.signals.registry import signal_type, signal_types
from safeguard.store.db import Database
from safeguard.store.models import (
    Bank,
    BankThreshold,
    Screening,
    ScreeningSignal,
    new_uuid,
    utcnow,
)


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


@dataclass(frozen=True)
class Upload:
    """Uploaded content and what the platform told of it (address, file name, ...), for
    the evidence vault: kept, encrypted, only if the screening blocks or asks for review."""

    data: bytes
    content_type: str
    details: Mapping[str, object]


@dataclass(frozen=True)
class EvidenceKeeping:
    """Where flagged uploads are kept (the vault's keys) and for how long at least."""

    keyring: Keyring
    retention: timedelta


class Screener:
    """Decides on content signals against the banks; one instance per process."""

    def __init__(
        self,
        db: Database,
        min_quality: int,
        matcher: Matcher | None = None,
        pdq_view_allowance: int = DEFAULT_PDQ_VIEW_ALLOWANCE,
        evidence: EvidenceKeeping | None = None,
        sequence_rule: SequenceRule | None = None,
    ) -> None:
        """``min_quality``: values with a quality below it take no part in matching;
        ``evidence``: where to keep flagged uploads (None: nothing is kept);
        ``sequence_rule``: when a video match counts (default: the vPDQ reference's)."""
        self.db = db
        self.min_quality = min_quality
        self.pdq_view_allowance = pdq_view_allowance
        self.matcher = matcher or Matcher()
        self.evidence = evidence
        self.sequence_rule = sequence_rule or SequenceRule()

    def screen(
        self,
        signals: ContentSignals,
        requester: Requester,
        banks: Collection[str] | None = None,
        upload: Upload | None = None,
        text: str | None = None,
        url: str | None = None,
    ) -> ScreeningResult:
        """Decide on computed content signals; ``banks`` restricts matching to those names.
        ``upload``, the content itself, is kept as evidence if the decision flags it;
        ``text`` and ``url`` sent with it are matched against URL and keyword lists,
        never recorded."""
        own = {name: signals.own(name) for name in signals.values}
        values = _with_text(signals.values, text, url)
        return self._decide(values, own, requester, banks, upload)

    def screen_text(self, text: str, requester: Requester) -> ScreeningResult | None:
        """Decide on a text's URLs and keywords (a message); None, and no record, when no
        listed value is in it. The text itself is never recorded."""
        values = text_values(text)
        exact = {name: [v.value for v in found] for name, found in values.items()}
        with self.db.read_session() as session:
            if not self.matcher.exact_candidates(session, exact):
                return None
        return self._decide(values, {}, requester, None, None)

    def lookup(
        self,
        hashes: Mapping[str, str],
        requester: Requester,
        qualities: Mapping[str, int] | None = None,
        text: str | None = None,
    ) -> ScreeningResult:
        """Decide on values a client computed itself (validated here); ``qualities`` gives
        the quality of values of signal types that have one, where the client knows it.
        URLs, phrases and ``text`` (its URLs and keywords) are matched, never recorded."""
        if not hashes and text is None:
            raise InvalidSignal("give at least one signal or a text to look up")
        qualities = {signal_type(k).name: q for k, q in (qualities or {}).items()}
        for name, quality in qualities.items():
            if not signal_type(name).has_quality:
                raise InvalidSignal(f"{name} values have no quality")
            if not 0 <= quality <= 100:
                raise InvalidSignal(f"{name}_quality must be between 0 and 100, got {quality}")
        given: dict[str, tuple[SignalValue, ...]] = {}
        for name, value in hashes.items():
            kind = signal_type(name)
            if isinstance(kind, LookupForms):
                given[kind.name] = tuple(kind.lookup_forms(value))
            else:
                given[kind.name] = (SignalValue(kind.normalise(value), qualities.get(kind.name)),)
        shown = {
            name: given[name][0] if name in given else None
            for name, kind in signal_types().items()
            if not isinstance(kind, LookupForms)
        }
        return self._decide(_with_text(given, text), shown, requester, None, None)

    def _decide(
        self,
        values: Mapping[str, tuple[SignalValue, ...]],
        shown: Mapping[str, SignalValue | None],
        requester: Requester,
        bank_names: Collection[str] | None,
        upload: Upload | None,
    ) -> ScreeningResult:
        # Catch up and search the index before the request's transaction begins: no lock
        # is ever waited for while a database transaction is open (matcher.py).
        self.matcher.sync(self.db)
        with self.db.read_session() as session:
            rules = _rules(session, bank_names, self.pdq_view_allowance, self.sequence_rule)

        def radius_of(kind: str, bank_id: str, view: str) -> int:
            rule = rules.get(bank_id)
            return rule.threshold_for(kind, view) if rule is not None else -1

        exact: dict[str, list[str]] = {}
        near: list[Candidate] = []
        for name, found in values.items():
            usable = [v for v in found if v.quality is None or v.quality >= self.min_quality]
            if signal_type(name).max_threshold == 0:
                exact[name] = [v.value for v in usable]
            else:
                queries = [(v.view, v.value) for v in usable]
                near += self.matcher.near_candidates(name, queries, radius_of)
        with self.db.session() as session:
            candidates = self.matcher.exact_candidates(session, exact)
            candidates += self.matcher.confirmed(session, near)
            decision, matches = decide(candidates, rules)
            api_matches = [_api_match(m) for m in matches]
            screening_id = new_uuid()
            session.add(
                Screening(
                    id=screening_id,
                    client=requester.client,
                    source=requester.source,
                    content_id=requester.content_id,
                    uploader_id=requester.uploader_id,
                    decision=decision.value,
                    matches=api_matches,
                )
            )
            session.flush()  # the screening first: the rows below refer to it
            session.add_all(
                ScreeningSignal(
                    screening_id=screening_id, signal_type=name, value=v.value, quality=v.quality
                )
                for name, v in shown.items()
                if v is not None
            )
            decided = ScreeningDecided(
                requester.client, screening_id, requester.source, decision.value, api_matches
            )
            events.record(session, decided)
            if decision in (Decision.BLOCK, Decision.REVIEW):
                bank_ids = {r.name: r.bank_id for r in rules.values()}
                queue_screening(
                    session,
                    client=requester.client,
                    screening_id=screening_id,
                    decision=decision,
                    matches=api_matches,
                    bank_ids=[bank_ids[m.bank] for m in matches if m.bank in bank_ids],
                    key=content_key(shown),
                )
                if upload is not None:
                    self._keep(session, upload, requester, screening_id, shown)
            return ScreeningResult(screening_id, decision, matches, signals_dict(shown))

    def _keep(
        self,
        session: Session,
        upload: Upload,
        requester: Requester,
        screening_id: str,
        shown: Mapping[str, SignalValue | None],
    ) -> None:
        """Keep a flagged upload in the evidence vault, if one is configured."""
        if self.evidence is None:
            return
        details = dict(upload.details) | {
            "client": requester.client,
            "uploader_id": requester.uploader_id,
            "content_id": requester.content_id,
            "received_at": utcnow().isoformat(),
            "hashes": {name: v.value for name, v in shown.items() if v is not None},
        }
        vault.store(
            session,
            self.evidence.keyring,
            content=upload.data,
            media_type=upload.content_type,
            details=details,
            screening_id=screening_id,
            retain_until=utcnow() + self.evidence.retention,
            actor=requester.client,
        )


def _rules(
    session: Session, names: Collection[str] | None, allowance: int, sequence: SequenceRule
) -> dict[str, BankRule]:
    """The banks taking part, with their thresholds, read in one query."""
    query = (
        select(
            Bank.id,
            Bank.name,
            Bank.action,
            Bank.kind,
            BankThreshold.signal_type,
            BankThreshold.threshold,
        )
        .outerjoin(BankThreshold, BankThreshold.bank_id == Bank.id)
        .where(Bank.deleted_at.is_(None))
    )
    if names is not None:
        query = query.where(Bank.name.in_(list(names)))
    banks: dict[str, tuple[str, str, str]] = {}
    thresholds: dict[str, dict[str, int]] = {}
    for bank_id, name, action, kind, signal, threshold in session.execute(query):
        banks[bank_id] = (name, action, kind)
        own = thresholds.setdefault(bank_id, {})
        if signal is not None:
            own[signal] = threshold
    return {
        bank_id: BankRule(
            bank_id,
            name,
            BankAction(action),
            BankKind(kind),
            thresholds[bank_id],
            allowance,
            sequence,
        )
        for bank_id, (name, action, kind) in banks.items()
    }


def _with_text(
    values: Mapping[str, tuple[SignalValue, ...]], text: str | None, url: str | None = None
) -> dict[str, tuple[SignalValue, ...]]:
    """``values`` and the URL and keyword values of ``text`` and ``url`` (if any), by
    signal type."""
    merged = dict(values)
    if text or url is not None:
        for name, found in text_values(text or "", url).items():
            merged[name] = merged.get(name, ()) + found
    return merged


def _api_match(match: Match) -> dict[str, object]:
    return match.as_dict() | {"effect": match.effect, "view": match.view}
