"""Every registered signal type (Safeguard's own and the toy plug-in) keeps the contract
that screening relies on."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from safeguard.errors import InvalidSignal, SafeguardError
from safeguard.media.content import content_types, decode_content
from safeguard.media.decode import DecodeLimits
from safeguard.signals.base import ORIGINAL_VIEW, SignalType
from safeguard.signals.registry import indexed, signal_type, signal_types
from tests.conftest import png_bytes, synthetic_photo
from tests.plugin_path import toy_plugin_installed

LIMITS = DecodeLimits(max_bytes=8 * 1024 * 1024, max_pixels=4_000_000)
NAMES = ["md5", "video_md5", "sha256", "pdq", "vpdq", "url", "keyword", "ahash", "photodna", "sha1"]
"""Built-ins, then entry-point plug-ins by name (Safeguard's own sha1 and photodna too)."""

BAD_VALUES = {
    "url": ["", "not a value", "\x00" * 8, "ftp://example.com/", "http://a..b/"],
    "keyword": ["", "\x00" * 8, "!!!", "one two three four five six"],
}
"""Refused values of the types whose values are text (the default list holds valid ones)."""


@pytest.fixture(params=NAMES)
def kind(request: pytest.FixtureRequest) -> Iterator[SignalType]:
    with toy_plugin_installed():
        yield signal_type(request.param)


def test_the_plugin_is_found_through_its_entry_point() -> None:
    assert "ahash" not in signal_types()
    with toy_plugin_installed():
        assert list(signal_types()) == NAMES
        assert [t.name for t in indexed()] == ["pdq", "vpdq", "ahash"]
    assert "ahash" not in signal_types()


def test_it_describes_itself(kind: SignalType) -> None:
    assert isinstance(kind, SignalType)
    assert kind.name == kind.name.strip().lower()
    assert kind.content_types <= set(content_types())
    assert 0 <= kind.default_threshold <= kind.max_threshold
    assert (kind.max_threshold == 0) == (kind.new_index() is None)
    assert len(kind.examples) >= 2 and len(set(kind.examples)) == len(kind.examples)


def test_values_normalise_once_and_bad_ones_are_refused(kind: SignalType) -> None:
    for example in kind.examples:
        assert kind.normalise(example) == example
        assert kind.normalise(f" {example.upper()} ") == example
        assert kind.check_bank_value(example) == example
    for bad in BAD_VALUES.get(kind.name, ["", "not a value", "\x00" * 8, kind.examples[0] + "00"]):
        with pytest.raises(InvalidSignal):
            kind.normalise(bad)


def test_distance_is_a_metric_on_the_examples(kind: SignalType) -> None:
    for a, b in itertools.product(kind.examples, repeat=2):
        assert kind.distance(a, b) == kind.distance(b, a)
        assert (kind.distance(a, b) == 0) == (a == b)


def test_its_index_finds_what_brute_force_finds(kind: SignalType) -> None:
    index = kind.new_index()
    if index is None:  # exact: looked up by equality in the database, never by distance
        assert kind.max_threshold == 0 and kind.default_threshold == 0
        return
    values = list(kind.examples)
    index.add(list(range(1, len(values) + 1)), values)
    assert len(index) == len(values)
    for radius in (0, kind.default_threshold, kind.max_threshold):
        expected = [
            sorted(
                (
                    (i, kind.distance(q, v))
                    for i, v in enumerate(values, 1)
                    if kind.distance(q, v) <= radius
                ),
                key=lambda hit: (hit[1], hit[0]),
            )
            for q in values
        ]
        assert index.search(values, radius) == expected
    index.remove([1])
    assert len(index) == len(values) - 1
    assert all(hit[0] != 1 for hits in index.search(values, kind.max_threshold) for hit in hits)


def test_it_hashes_the_content_it_applies_to(kind: SignalType) -> None:
    content = decode_content(png_bytes(synthetic_photo(3)), LIMITS)
    if content.content_type not in kind.content_types:
        with pytest.raises(SafeguardError):
            kind.hash_content(content)
        return
    values = list(kind.hash_content(content))
    assert values and values[0].view == ORIGINAL_VIEW
    assert [v.value for v in kind.hash_content(content, views=False)] == [values[0].value]
    for value in values:
        assert kind.normalise(value.value) == value.value
        assert (value.quality is not None) == kind.has_quality
    assert kind.hash_content(content) == values  # deterministic
