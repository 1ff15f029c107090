"""Communication safety: the blur-or-show decision, the images a classifier is handed, the
prompts of a blur, choosing a classifier, and a clear error when NudeNet is missing."""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass, field, replace
from importlib.metadata import EntryPoint
from pathlib import Path

import httpx
import numpy as np
import pytest
from PIL import Image
from starlette.datastructures import UploadFile
from starlette.requests import Request

from safeguard import plugins
from safeguard.api.routers import messages
from safeguard.communication_safety import classifier as registry
from safeguard.communication_safety.classifier import ClassifierNotInstalled, get_classifier
from safeguard.communication_safety.decision import Action, Verdict, decide
from safeguard.communication_safety.nudenet_adapter import (
    DEFAULT_THRESHOLD,
    NUDITY_LABELS,
    NudeNetClassifier,
)
from safeguard.communication_safety.service import MAX_SIDE, CommunicationSafety
from safeguard.config import Settings
from safeguard.errors import ConfigError, UnsupportedMedia
from tests.conftest import jpeg_bytes, png_bytes, synthetic_photo

EXPOSED = "FEMALE_BREAST_EXPOSED"


@dataclass
class FakeClassifier:
    """Answers fixed scores and keeps the pixels it was handed."""

    answer: dict[str, float]
    name: str = "fake"
    nudity_labels: frozenset[str] = frozenset({"NUDE"})
    threshold: float = 0.5
    seen: list[np.ndarray] = field(default_factory=list)

    def load(self) -> None:
        return None

    def scores(self, pixels: np.ndarray) -> dict[str, float]:
        self.seen.append(pixels)
        return self.answer


FAKE = FakeClassifier({})
"""The classifier of the plug-in entry point below."""


def settings(tmp_path: Path, **extra: str) -> Settings:
    return Settings.from_env({"SAFEGUARD_DATA_DIR": str(tmp_path), **extra})


def safety(tmp_path: Path, answer: dict[str, float]) -> CommunicationSafety:
    fake = FakeClassifier(answer)
    return replace(CommunicationSafety.from_settings(settings(tmp_path)), classifier=fake)


@pytest.mark.parametrize(
    ("scores", "action"),
    [
        ({}, Action.SHOW),
        ({EXPOSED: 0.49}, Action.SHOW),
        ({EXPOSED: 0.5}, Action.BLUR),
        ({"BUTTOCKS_EXPOSED": 0.2, "MALE_GENITALIA_EXPOSED": 0.9}, Action.BLUR),
        # Faces, covered parts and bare chests, bellies or feet are not nudity.
        ({"FACE_FEMALE": 0.99, "FEMALE_BREAST_COVERED": 0.99}, Action.SHOW),
        ({"MALE_BREAST_EXPOSED": 0.99, "BELLY_EXPOSED": 0.99, "FEET_EXPOSED": 0.9}, Action.SHOW),
    ],
)
def test_only_a_nudity_label_at_the_threshold_blurs(
    scores: dict[str, float], action: Action
) -> None:
    assert decide(scores, NUDITY_LABELS, 0.5) is action


def test_nudenet_nudity_labels_are_the_exposed_intimate_parts() -> None:
    assert {
        "FEMALE_GENITALIA_EXPOSED",
        "MALE_GENITALIA_EXPOSED",
        "FEMALE_BREAST_EXPOSED",
        "BUTTOCKS_EXPOSED",
        "ANUS_EXPOSED",
    } == NUDITY_LABELS
    assert NudeNetClassifier.threshold == DEFAULT_THRESHOLD


def test_a_verdict_lists_scores_highest_first_rounded() -> None:
    verdict = Verdict(Action.SHOW, {"A": 0.123456, "B": 0.9, "C": 0.123456}, "fake")
    assert verdict.as_dict() == {
        "action": "show",
        "scores": {"B": 0.9, "A": 0.1235, "C": 0.1235},
        "classifier": "fake",
    }


def test_the_classifier_gets_decoded_rgb_pixels_no_larger_than_the_cap(tmp_path: Path) -> None:
    checker = safety(tmp_path, {"NUDE": 0.2})
    large = synthetic_photo(1, (2000, 500))
    grey = synthetic_photo(2).convert("L")
    verdicts = [checker.classify(jpeg_bytes(large)), checker.classify(png_bytes(grey))]
    assert [v.action for v in verdicts] == [Action.SHOW, Action.SHOW]
    fake = checker.classifier
    assert isinstance(fake, FakeClassifier)
    assert [p.shape for p in fake.seen] == [(MAX_SIDE // 4, MAX_SIDE, 3), (240, 320, 3)]
    assert all(p.dtype == np.uint8 for p in fake.seen)


def test_a_blur_comes_with_the_prompt_for_its_direction_and_locale(tmp_path: Path) -> None:
    checker = safety(tmp_path, {"NUDE": 0.7, "FACE": 0.9})
    verdict = checker.classify(png_bytes(synthetic_photo(3)))
    assert verdict.as_dict() == {
        "action": "blur",
        "scores": {"FACE": 0.9, "NUDE": 0.7},
        "classifier": "fake",
    }
    received = checker.prompt("received", "en-US")
    sent = checker.prompt("sent")
    assert (received.topic, received.locale) == ("nudity_received", "en-US")
    assert (sent.topic, sent.locale) == ("nudity_sending", "en-GB")
    assert received.help and sent.help


def test_content_that_is_not_an_image_is_refused_before_scoring(tmp_path: Path) -> None:
    checker = safety(tmp_path, {})
    with pytest.raises(UnsupportedMedia):
        checker.classify(b"%PDF-1.7 not an image")
    assert checker.classifier.seen == []  # type: ignore[attr-defined]


def test_the_threshold_setting_overrides_the_classifier_s_own(tmp_path: Path) -> None:
    configured = CommunicationSafety.from_settings(
        settings(tmp_path, SAFEGUARD_NUDITY_THRESHOLD="0.8")
    )
    assert (configured.classifier.name, configured.threshold) == ("nudenet", 0.8)
    default = CommunicationSafety.from_settings(settings(tmp_path))
    assert default.threshold == DEFAULT_THRESHOLD
    with pytest.raises(ConfigError, match="SAFEGUARD_NUDITY_THRESHOLD"):
        settings(tmp_path, SAFEGUARD_NUDITY_THRESHOLD="1.5")


def test_another_classifier_plugs_in_by_entry_point(monkeypatch: pytest.MonkeyPatch) -> None:
    point = EntryPoint("fake", f"{__name__}:FAKE", registry.ENTRY_POINT_GROUP)

    def found(group: str) -> list[EntryPoint]:
        return [point] if group == registry.ENTRY_POINT_GROUP else []

    monkeypatch.setattr(plugins, "entry_points", found)
    registry.classifiers.cache_clear()
    try:
        assert get_classifier("fake") is FAKE
        assert get_classifier("nudenet").name == "nudenet"
        with pytest.raises(ConfigError, match="no classifier 'other'; there are nudenet, fake"):
            get_classifier("other")
    finally:
        registry.classifiers.cache_clear()


def test_a_missing_nudenet_is_a_clear_error_naming_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "nudenet", None)  # as if it were not installed
    classifier = NudeNetClassifier()
    for attempt in (classifier.load, lambda: classifier.scores(np.zeros((8, 8, 3), np.uint8))):
        with pytest.raises(ClassifierNotInstalled) as caught:
            attempt()
        assert "pip install 'safeguard-child-safety[nudity]'" in caught.value.detail
        assert (caught.value.status, caught.value.slug) == (501, "classifier-not-installed")


def test_nudenet_scores_decoded_pixels_by_label() -> None:
    pytest.importorskip("nudenet")
    classifier = get_classifier("nudenet")
    plain = np.asarray(Image.new("RGB", (320, 240), (40, 120, 200)))
    scores = classifier.scores(plain)
    assert all(0.0 <= value <= 1.0 for value in scores.values())
    assert decide(scores, NUDITY_LABELS, DEFAULT_THRESHOLD) is Action.SHOW


def test_a_multipart_upload_is_held_in_memory_never_spooled_to_disk() -> None:
    data = bytes(3 * 1024 * 1024)  # over the 1 MiB at which Starlette spools to a file
    built = httpx.Request("POST", "http://test/", files={"file": ("a.png", data)})
    body = built.read()

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": body, "more_body": False}

    headers = [(b"content-type", built.headers["content-type"].encode())]
    request = Request({"type": "http", "method": "POST", "headers": headers}, receive)

    async def parse() -> tuple[bytes, bool]:
        form = await messages._form(request)
        upload = form["file"]
        assert isinstance(upload, UploadFile)
        try:
            return await upload.read(), bool(upload.file._rolled)  # type: ignore[attr-defined]
        finally:
            await form.close()

    assert asyncio.run(parse()) == (data, False)
