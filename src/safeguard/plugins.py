"""Loading the plug-ins that installed packages register under an entry point group."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from importlib.metadata import entry_points
from typing import Any, TypeVar

from safeguard.errors import ConfigError

T = TypeVar("T")
log = logging.getLogger(__name__)


def load_plugins(group: str, builtins: Iterable[T], protocol: type[Any]) -> dict[str, T]:
    """``builtins`` and the objects that entry points of ``group`` name, by their ``name``.

    A plug-in that does not satisfy ``protocol``, or whose name is taken, is a ConfigError:
    a deployment must not start with a list it did not ask for.
    """
    found: dict[str, T] = {}
    for plugin in builtins:
        found[_name_of(plugin)] = plugin
    for point in sorted(entry_points(group=group), key=lambda p: p.name):
        plugin = point.load()
        if not isinstance(plugin, protocol):
            raise ConfigError(f"plug-in {point.value!r} ({group}) is not a {protocol.__name__}")
        name = _name_of(plugin)
        if name in found:
            raise ConfigError(f"plug-in {point.value!r} ({group}) reuses the name {name!r}")
        found[name] = plugin
        log.info("loaded plug-in %s from %s", name, point.value)
    return found


def _name_of(plugin: object) -> str:
    name = getattr(plugin, "name", None)
    if not isinstance(name, str) or not name or name != name.strip().lower():
        raise ConfigError(f"plug-in {plugin!r} needs a lowercase name")
    return name
