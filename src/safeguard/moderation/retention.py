"""What a decision means for the evidence of an item's uploads.

A confirmed violation puts the evidence under legal hold (by default a year, never less:
``SAFEGUARD_EVIDENCE_HOLD_DAYS``), in the transaction of the decision; a false positive
makes it purgeable now (a hold placed earlier still wins). Holds are never shortened, so
a later reversal leaves a hold in place: the content stays until the hold ends.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from safeguard.config import MIN_EVIDENCE_HOLD_DAYS
from safeguard.evidence import vault
from safeguard.moderation.intake import item_screening_ids
from safeguard.store.models import utcnow

DEFAULT_HOLD = timedelta(days=MIN_EVIDENCE_HOLD_DAYS)


def after_decision(
    session: Session, item_id: str, outcome: str, actor: str, hold: timedelta = DEFAULT_HOLD
) -> None:
    """Hold the item's evidence after a ``confirmed`` decision, release it for purging
    after a ``false_positive``; other outcomes change nothing."""
    if outcome not in ("confirmed", "false_positive"):
        return
    now = utcnow()
    for evidence_id in vault.find(session, item_screening_ids(session, item_id)):
        if outcome == "confirmed":
            reason = f"confirmed violation, review item {item_id}"
            vault.hold(session, evidence_id, until=now + hold, reason=reason, actor=actor)
        else:
            vault.set_retention(session, evidence_id, now, actor)
