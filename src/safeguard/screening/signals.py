"""The signal values of one piece of content, from every signal type that hashes its type."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from safeguard.media.content import Content, decode_content
from safeguard.media.decode import DecodeLimits
from safeguard.signals.base import SignalValue, StructuredValues
from safeguard.signals.registry import for_content, signal_types


@dataclass(frozen=True)
class ContentSignals:
    """Values by signal type, each type's own value (of the content as it is) first, then
    the values of views to look up."""

    values: Mapping[str, tuple[SignalValue, ...]]

    def own(self, name: str) -> SignalValue | None:
        """The content's own value of signal type ``name`` (None if it has none)."""
        found = self.values.get(name)
        return found[0] if found else None

    def as_dict(self) -> dict[str, object]:
        """The JSON form: each type's own value, and ``<type>_quality`` for types with a
        quality, e.g. ``{"md5", "sha256", "pdq", "pdq_quality"}``."""
        return signals_dict({name: self.own(name) for name in self.values})


def signals_dict(values: Mapping[str, SignalValue | None]) -> dict[str, object]:
    """``{type: value}`` and ``{type_quality: quality}`` for types that have a quality
    (None where a type has no value)."""
    shown: dict[str, object] = {}
    for name, value in values.items():
        kind = signal_types().get(name)  # None: a plug-in since removed
        if value is not None and isinstance(kind, StructuredValues):
            shown[name] = kind.json_value(value.value)
        else:
            shown[name] = _text(value)
        if kind is not None and kind.has_quality:
            shown[f"{name}_quality"] = value.quality if value else None
    return shown


def _text(value: SignalValue | None) -> str | None:
    return value.value if value else None


def hash_content(content: Content, *, views: bool = True) -> ContentSignals:
    """The values of decoded content: with ``views``, of every query view too (as screening
    needs), else of the content as it is."""
    return ContentSignals(
        {
            t.name: tuple(t.hash_content(content, views=views))
            for t in for_content(content.content_type)
        }
    )


def content_signals(data: bytes, limits: DecodeLimits, *, views: bool = True) -> ContentSignals:
    """Decode ``data`` and hash it; a SafeguardError subclass if it cannot be decoded."""
    return hash_content(decode_content(data, limits), views=views)
