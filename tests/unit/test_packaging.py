"""The distribution: ranges for library users, exact pins for the service (requirements.lock)."""

from __future__ import annotations

import tomllib
from importlib.metadata import version
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def requirements() -> list[Requirement]:
    """Every dependency the project declares, runtime and extras, except itself."""
    declared = list(PROJECT["dependencies"])
    for extra in PROJECT["optional-dependencies"].values():
        declared.extend(extra)
    found = [Requirement(text) for text in declared]
    return [r for r in found if canonicalize_name(r.name) != canonicalize_name(PROJECT["name"])]


def locked() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, pinned = line.partition("==")
            pins[canonicalize_name(name)] = pinned.strip()
    return pins


def test_the_distribution_name_is_not_the_one_taken_on_pypi() -> None:
    assert PROJECT["name"] == "safeguard-child-safety"


def test_dependencies_are_ranges_and_the_lock_pins_each_inside_its_range() -> None:
    pins = locked()
    for requirement in requirements():
        assert not any(s.operator in ("==", "===") for s in requirement.specifier), requirement
        assert requirement.specifier, f"{requirement.name} has no lower bound"
        pinned = pins.get(canonicalize_name(requirement.name))
        assert pinned is not None, f"{requirement.name} is not in requirements.lock"
        assert requirement.specifier.contains(pinned), f"{requirement.name}=={pinned}"


def test_the_environment_runs_the_locked_versions() -> None:
    """make install installs with the lock as constraints: what runs is what is locked."""
    for name, pinned in locked().items():
        assert version(name) == pinned, name
