"""The decision policy."""

from __future__ import annotations

from safeguard.banks.models import BankAction, BankKind
from safeguard.screening.matcher import Candidate
from safeguard.screening.policy import BankRule, Decision, decide

RULES = {
    "b": BankRule("b", "blocklist", BankAction.BLOCK, BankKind.LIST, 31),
    "r": BankRule("r", "reviewlist", BankAction.REVIEW, BankKind.LIST, 40),
    "s": BankRule("s", "safelist", BankAction.BLOCK, BankKind.SAFELIST, 10),
}


def test_no_candidates_allows() -> None:
    assert decide([], RULES) == (Decision.ALLOW, [])


def test_block_beats_review() -> None:
    decision, matches = decide([Candidate(1, "r", "pdq", 5), Candidate(2, "b", "md5", 0)], RULES)
    assert decision is Decision.BLOCK
    assert [(m.bank, m.entry_id, m.distance) for m in matches] == [
        ("blocklist", 2, 0),
        ("reviewlist", 1, 5),
    ]


def test_review_when_only_review_banks_match() -> None:
    assert decide([Candidate(1, "r", "pdq", 35)], RULES)[0] is Decision.REVIEW


def test_per_bank_pdq_threshold() -> None:
    decision, matches = decide([Candidate(1, "b", "pdq", 32), Candidate(2, "r", "pdq", 32)], RULES)
    assert decision is Decision.REVIEW and [m.entry_id for m in matches] == [2]


def test_safelist_cancels_other_matches_but_they_are_reported() -> None:
    decision, matches = decide([Candidate(1, "b", "pdq", 3), Candidate(9, "s", "pdq", 4)], RULES)
    assert decision is Decision.ALLOW
    assert {m.effect for m in matches} == {"block", "safelist"}


def test_safelist_match_beyond_its_threshold_does_not_cancel() -> None:
    decision, _ = decide([Candidate(1, "b", "pdq", 3), Candidate(9, "s", "pdq", 11)], RULES)
    assert decision is Decision.BLOCK


def test_candidates_of_banks_outside_the_rules_are_ignored() -> None:
    assert decide([Candidate(1, "gone", "md5", 0)], RULES) == (Decision.ALLOW, [])
