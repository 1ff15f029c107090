"""``safeguard communication-safety``, in process: one JSON line per image, one stderr
line per bad file, and one clear line (exit 2) when the classifier is not installed. The
real command runs in tests/integration/test_communication_safety.py."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import typer

from safeguard.cli import context
from safeguard.cli.communication_safety import communication_safety
from safeguard.communication_safety import classifier as registry
from safeguard.communication_safety.classifier import NudityClassifier
from safeguard.communication_safety.nudenet_adapter import NudeNetClassifier
from safeguard.config import Settings
from tests.conftest import png_bytes, synthetic_photo
from tests.unit.test_communication_safety import FakeClassifier


@pytest.fixture
def images(tmp_path: Path) -> Path:
    folder = tmp_path / "images"
    folder.mkdir()
    (folder / "a.png").write_bytes(png_bytes(synthetic_photo(1)))
    (folder / "b.txt").write_text("not an image")
    return folder


def use(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, classifier: NudityClassifier) -> None:
    """Default settings, with ``classifier`` as NudeNet."""
    settings = Settings.from_env({"SAFEGUARD_DATA_DIR": str(tmp_path)})
    monkeypatch.setattr(context, "settings", lambda: settings)
    monkeypatch.setattr(registry, "classifiers", lambda: {"nudenet": classifier})


def test_one_line_per_image_and_one_error_per_bad_file(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    images: Path,
) -> None:
    use(monkeypatch, tmp_path, FakeClassifier({"NUDE": 0.9, "FACE": 0.3}))
    with pytest.raises(typer.Exit) as exited:
        communication_safety([images])
    assert exited.value.exit_code == 2
    out, err = capsys.readouterr()
    assert [json.loads(line) for line in out.splitlines()] == [
        {
            "path": str(images / "a.png"),
            "action": "blur",
            "scores": {"NUDE": 0.9, "FACE": 0.3},
            "classifier": "fake",
        }
    ]
    assert err == (
        f"safeguard: {images / 'b.txt'}: the content is not an image in a supported format "
        "(JPEG, PNG, GIF, WEBP, BMP, TIFF, AVIF)\n"
    )


def test_a_missing_classifier_is_one_clear_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    images: Path,
) -> None:
    monkeypatch.setitem(sys.modules, "nudenet", None)  # as if it were not installed
    use(monkeypatch, tmp_path, NudeNetClassifier())
    with pytest.raises(typer.Exit) as exited:
        communication_safety([images / "a.png"])
    assert exited.value.exit_code == 2
    assert capsys.readouterr() == (
        "",
        "safeguard: error: the nudity classifier is not installed: "
        "pip install 'safeguard-child-safety[nudity]' (NudeNet, AGPL-3.0)\n",
    )
