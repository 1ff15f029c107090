"""The kinds of event a report reads, by what tells whose record they are about."""

from __future__ import annotations

from safeguard import events as ev

CLIENT_KINDS = frozenset(
    e.kind
    for e in (
        ev.ScreeningDecided,
        ev.ConversationFlagged,
        ev.ConversationAgeCue,
        ev.ReportReceived,
        ev.AppealReceived,
        ev.AgeAssured,
        ev.AccountUnderMinimumAge,
        ev.AccountSettingChanged,
    )
)
"""Events whose ``client`` is the client the record belongs to."""
ITEM_KINDS = frozenset(e.kind for e in (ev.ReviewDecided, ev.ReviewReversed))
"""Events about a review item (``subject``), whose ``client`` is the moderator."""
AUTHORITY_KINDS = frozenset(
    e.kind
    for e in (
        ev.AuthorityReportDrafted,
        ev.AuthorityReportConfirmed,
        ev.AuthorityReportSubmitted,
        ev.AuthorityReportFinished,
        ev.AuthorityReportRetracted,
    )
)
"""Events of a report to an authority, naming its ``review_item_id``."""
BANK_KINDS = frozenset(
    e.kind
    for e in (
        ev.BankEntriesAdded,
        ev.BankEntryEnabled,
        ev.BankEntryDisabled,
        ev.BankEntryDeleted,
        ev.ContentItemEnabled,
        ev.ContentItemDisabled,
    )
)
"""The deployment's bank changes (banks belong to no client)."""
REPORT_KINDS = CLIENT_KINDS | ITEM_KINDS | AUTHORITY_KINDS | BANK_KINDS | {ev.AppealDecided.kind}
"""Every kind of event a report reads."""
