"""SHA-1 (a plug-in signal type of Safeguard's own) and the PhotoDNA adapter: values,
hashing, and matching after a CSV import."""

from __future__ import annotations

import base64
import hashlib
import io

import pytest

from safeguard.banks import catalog, service
from safeguard.banks.models import BankSpec
from safeguard.errors import ConfigError, InvalidSignal, UnsupportedMedia
from safeguard.media.content import decode_content
from safeguard.media.decode import DecodeLimits
from safeguard.screening.service import Requester, Screener
from safeguard.signals import photodna
from safeguard.signals.photodna import PHOTODNA, VECTOR_BYTES, PhotoDNASignal
from safeguard.signals.registry import for_content, signal_type
from safeguard.store.db import Database
from tests.conftest import png_bytes, synthetic_photo

LIMITS = DecodeLimits(max_bytes=8 * 1024 * 1024, max_pixels=4_000_000)
VECTOR = bytes(range(VECTOR_BYTES))


class FakeHasher:
    """Stands in for a licensee's PhotoDNA implementation."""

    name = "fake-photodna"

    def __init__(self, size: int = VECTOR_BYTES) -> None:
        self.size = size

    def hash_bytes(self, data: bytes) -> bytes:
        return hashlib.shake_256(data).digest(self.size)


def test_sha1_is_registered_through_the_entry_point_and_hashes_like_hashlib() -> None:
    kind = signal_type("SHA1")
    assert type(kind).__module__ == "safeguard.signals.exact" and kind.max_threshold == 0
    data = png_bytes(synthetic_photo(5))
    [value] = kind.hash_content(decode_content(data, LIMITS))
    assert value.value == hashlib.sha1(data).hexdigest()
    assert kind in for_content("image") and kind in for_content("video")


def test_imported_sha1_and_photodna_rows_match_lookups(db: Database) -> None:
    sha1 = hashlib.sha1(b"known").hexdigest()
    catalog.create_bank(db, BankSpec("ncmec"), "tests")
    rows = f"sha1,{sha1.upper()},n-1\nphotodna,{base64.b64encode(VECTOR).decode()},n-2\n"
    result = service.import_list(db, "ncmec", io.BytesIO(rows.encode()))
    assert (result.added, result.already_present) == (2, 0)
    screener = Screener(db, min_quality=50)
    who = Requester("tests", "lookup")
    hit = screener.lookup({"sha1": sha1}, who)
    assert hit.decision.value == "block"
    assert [(m.signal_type, m.distance) for m in hit.matches] == [("sha1", 0)]
    found = screener.lookup({"photodna": VECTOR.hex().upper()}, who)
    assert [m.signal_type for m in found.matches] == ["photodna"]
    assert screener.lookup({"sha1": hashlib.sha1(b"other").hexdigest()}, who).matches == []


def test_photodna_values_are_read_in_every_common_form() -> None:
    forms = [VECTOR.hex(), base64.b64encode(VECTOR).decode(), ",".join(map(str, VECTOR))]
    assert {PHOTODNA.normalise(f" {form} ") for form in forms} == {VECTOR.hex()}
    short = base64.b64encode(VECTOR[:-1]).decode()  # 192 characters, padded
    bad = ["ab" * 143, short, "1,2,3"]
    for value in [*bad, ",".join(["256"] * VECTOR_BYTES), "!" * 192]:
        with pytest.raises(InvalidSignal):
            PHOTODNA.normalise(value)


def test_photodna_distance_is_euclidean() -> None:
    other = bytes([3] + [0] * (VECTOR_BYTES - 2) + [4])
    assert PHOTODNA.distance(bytes(VECTOR_BYTES).hex(), other.hex()) == 5
    assert PHOTODNA.distance(VECTOR.hex(), VECTOR.hex()) == 0


def test_photodna_hashes_nothing_without_a_licensed_hasher() -> None:
    kind = PhotoDNASignal(lambda: None)
    assert kind.content_types == frozenset()
    with pytest.raises(UnsupportedMedia, match="licensed PhotoDNA plug-in"):
        kind.hash_content(decode_content(png_bytes(synthetic_photo(1)), LIMITS))


def test_photodna_hashes_images_with_a_licensees_hasher() -> None:
    data = png_bytes(synthetic_photo(2))
    kind = PhotoDNASignal(FakeHasher)
    assert kind.content_types == frozenset({"image"})
    [value] = kind.hash_content(decode_content(data, LIMITS))
    assert value.value == FakeHasher().hash_bytes(data).hex() == kind.normalise(value.value)
    with pytest.raises(ConfigError, match="gave 10 bytes"):
        PhotoDNASignal(lambda: FakeHasher(10)).hash_content(decode_content(data, LIMITS))


def test_one_photodna_hasher_at_most(monkeypatch: pytest.MonkeyPatch) -> None:
    found = {"a": FakeHasher(), "b": FakeHasher()}
    monkeypatch.setattr(photodna, "load_plugins", lambda *args: found)
    with pytest.raises(ConfigError, match="several"):
        photodna.installed_hasher()
    monkeypatch.setattr(photodna, "load_plugins", lambda *args: {})
    assert photodna.installed_hasher() is None
