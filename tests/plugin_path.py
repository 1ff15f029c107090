"""Putting the toy plug-in package (``tests/plugins``) where Python finds distributions."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from safeguard.media.content import content_types
from safeguard.signals.registry import signal_types

PLUGINS = Path(__file__).parent / "plugins"


@contextmanager
def toy_plugin_installed() -> Iterator[None]:
    """The toy plug-in on ``sys.path`` for the duration, registries reloaded around it."""
    sys.path.insert(0, str(PLUGINS))
    signal_types.cache_clear()
    content_types.cache_clear()
    try:
        yield
    finally:
        sys.path.remove(str(PLUGINS))
        sys.modules.pop("safeguard_toy_signal", None)
        signal_types.cache_clear()
        content_types.cache_clear()
