"""The decision policy."""

from __future__ import annotations

from safeguard.banks.models import BankAction, BankKind
from safeguard.screening.matcher import Candidate
from safeguard.screening.policy import BankRule, Decision, decide
from safeguard.screening.views import edit_view_threshold
from safeguard.signals.pdq import MAX_THRESHOLD

RULES = {
    "b": BankRule("b", "blocklist", BankAction.BLOCK, BankKind.LIST, {"pdq": 31}),
    "r": BankRule("r", "reviewlist", BankAction.REVIEW, BankKind.LIST, {"pdq": 40}),
    "s": BankRule("s", "safelist", BankAction.BLOCK, BankKind.SAFELIST, {"pdq": 10}),
}


def test_no_candidates_allows() -> None:
    assert decide([], RULES) == (Decision.ALLOW, [])


def test_block_beats_review() -> None:
    decision, matches = decide(
        [Candidate(1, 1, "r", "pdq", 5), Candidate(2, 2, "b", "md5", 0)], RULES
    )
    assert decision is Decision.BLOCK
    assert [(m.bank, m.entry_id, m.distance) for m in matches] == [
        ("blocklist", 2, 0),
        ("reviewlist", 1, 5),
    ]


def test_review_when_only_review_banks_match() -> None:
    assert decide([Candidate(1, 1, "r", "pdq", 35)], RULES)[0] is Decision.REVIEW


def test_per_bank_pdq_threshold() -> None:
    decision, matches = decide(
        [Candidate(1, 1, "b", "pdq", 32), Candidate(2, 2, "r", "pdq", 32)], RULES
    )
    assert decision is Decision.REVIEW and [m.entry_id for m in matches] == [2]


def test_safelist_cancels_other_matches_but_they_are_reported() -> None:
    decision, matches = decide(
        [Candidate(1, 1, "b", "pdq", 3), Candidate(9, 9, "s", "pdq", 4)], RULES
    )
    assert decision is Decision.ALLOW
    assert {m.effect for m in matches} == {"block", "safelist"}


def test_safelist_match_beyond_its_threshold_does_not_cancel() -> None:
    decision, _ = decide([Candidate(1, 1, "b", "pdq", 3), Candidate(9, 9, "s", "pdq", 11)], RULES)
    assert decision is Decision.BLOCK


def test_candidates_of_banks_outside_the_rules_are_ignored() -> None:
    assert decide([Candidate(1, 1, "gone", "md5", 0)], RULES) == (Decision.ALLOW, [])


EDITED = BankRule(
    "e", "edited", BankAction.BLOCK, BankKind.LIST, {"pdq": 31}, 13
)  # edit views: up to 44


def test_views_that_undo_an_edit_have_their_own_threshold() -> None:
    rules = {"e": EDITED}
    assert decide([Candidate(1, 1, "e", "pdq", 40, "picture")], rules)[0] is Decision.BLOCK
    # a view whose right answers land close has a smaller allowance of its own
    assert decide([Candidate(1, 1, "e", "pdq", 40, "mirrored")], rules)[0] is Decision.ALLOW
    assert decide([Candidate(1, 1, "e", "pdq", 31, "mirrored")], rules)[0] is Decision.BLOCK
    assert decide([Candidate(1, 1, "e", "pdq", 40, "original")], rules)[0] is Decision.ALLOW
    assert decide([Candidate(1, 1, "e", "pdq", 40, "upscaled-2x")], rules)[0] is Decision.ALLOW
    assert decide([Candidate(1, 1, "e", "pdq", 40, None)], rules)[0] is Decision.ALLOW
    assert decide([Candidate(1, 1, "e", "pdq", 45, "picture")], rules)[0] is Decision.ALLOW


def test_an_entry_found_through_several_views_is_reported_once_by_its_nearest() -> None:
    candidates = [
        Candidate(1, 1, "e", "pdq", 38, "picture"),
        Candidate(1, 1, "e", "pdq", 33, "original"),  # over the plain threshold: does not count
        Candidate(1, 1, "e", "pdq", 36, "trimmed+mirrored"),
        Candidate(2, 2, "e", "md5", 0),
    ]
    decision, matches = decide(candidates, {"e": EDITED})
    assert decision is Decision.BLOCK
    assert [(m.entry_id, m.distance, m.view) for m in matches] == [
        (2, 0, None),
        (1, 36, "trimmed+mirrored"),
    ]


def test_edit_view_threshold_is_capped_and_never_below_the_bank_threshold() -> None:
    assert edit_view_threshold(31, 13, MAX_THRESHOLD) == 44
    assert edit_view_threshold(20, 13, MAX_THRESHOLD) == 33
    assert edit_view_threshold(40, 13, MAX_THRESHOLD) == 44
    assert edit_view_threshold(50, 13, MAX_THRESHOLD) == 50
    assert edit_view_threshold(31, 0, MAX_THRESHOLD) == 31
    assert edit_view_threshold(31, 13, MAX_THRESHOLD, "mirrored") == 31  # its own allowance
    assert edit_view_threshold(31, 13, MAX_THRESHOLD, "uncrop-centre-5@3") == 38
