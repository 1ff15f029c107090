"""Mapping Safeguard's matches, errors and settings onto HMA's shapes (``api/hma_compat``)."""

from __future__ import annotations

import json

import pytest
from fastapi.exceptions import RequestValidationError

from safeguard.api.hma_compat import (
    MatchWithDistance,
    bank_names,
    by_bank,
    by_signal_type,
    check_full_ratio,
    compare_pair,
    error_answer,
    error_status,
)
from safeguard.errors import (
    BadRequest,
    Conflict,
    InvalidName,
    InvalidSignal,
    NotFound,
    SafeguardError,
    Unauthorized,
    UnsupportedMedia,
)
from safeguard.screening.policy import Match

PDQ = "d8f8f0cec4f4a84f0637022a078f67f0b36e2ee5b6621e1d33e6239c4e9c9b22"
PDQ_NEAR = "d8f8f0cec4f4a84f0637022a078f67f0b36e2ec5b6623e1d33e6239c4e9c9b22"


def match(bank: str, item: int, kind: str, distance: int, entry: int = 1) -> Match:
    return Match(bank, entry, item, kind, distance, "block")


def test_matches_are_grouped_by_bank_once_per_item_nearest_first() -> None:
    matches = [
        match("A", 7, "pdq", 9, entry=1),
        match("A", 7, "pdq", 3, entry=2),  # the same item, nearer
        match("A", 5, "pdq", 4),
        match("B", 8, "md5", 0),
    ]
    assert by_bank(matches, None) == {
        "A": [
            MatchWithDistance(bank_content_id=7, distance="3"),
            MatchWithDistance(bank_content_id=5, distance="4"),
        ],
        "B": [MatchWithDistance(bank_content_id=8, distance="-")],
    }
    assert list(by_bank(matches, {"B", "C"})) == ["B"]
    assert by_signal_type(matches, ["md5", "sha1"], None) == {
        "md5": {"B": [MatchWithDistance(bank_content_id=8, distance="-")]},
        "sha1": {},
    }


def test_banks_parameter_is_comma_separated() -> None:
    assert bank_names(None) is None and bank_names("") is None
    assert bank_names("A, B,,C") == {"A", "B", "C"}


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (InvalidSignal("x"), 400),
        (InvalidName("x"), 400),
        (Conflict("x"), 403),
        (NotFound("x"), 404),
        (Unauthorized("x"), 401),
        (UnsupportedMedia("x"), 415),
        (BadRequest("x"), 400),
    ],
)
def test_errors_take_the_status_hma_answers(error: SafeguardError, status: int) -> None:
    assert error_status(error) == status
    answer = error_answer(error)
    assert answer.status_code == status
    assert json.loads(answer.body) == {"message": "x"}


def test_an_invalid_request_is_a_422_message() -> None:
    invalid = RequestValidationError([{"loc": ("query", "signal"), "msg": "Field required"}])
    answer = error_answer(invalid)
    assert answer.status_code == 422
    assert json.loads(answer.body) == {"message": "query.signal: Field required"}
    assert error_answer(Unauthorized("no key")).headers["WWW-Authenticate"] == "Bearer"


def test_only_full_matching_is_accepted() -> None:
    for ratio, enabled in [(1.0, None), (None, None), (None, True), (1.0, False)]:
        check_full_ratio(ratio, enabled)
    for ratio, enabled in [(0.5, None), (0.0, True), (None, False)]:
        with pytest.raises(BadRequest, match="enabled_ratio must be 1"):
            check_full_ratio(ratio, enabled)


def test_compare_answers_match_and_distance() -> None:
    assert compare_pair("pdq", [PDQ, PDQ_NEAR]) == (True, {"distance": 2})
    assert compare_pair("md5", ["0" * 32, "1" * 32]) == (False, {})
    with pytest.raises(BadRequest, match="exactly 2"):
        compare_pair("pdq", [PDQ])
    with pytest.raises(InvalidSignal):
        compare_pair("pdq", [PDQ, "zz"])
