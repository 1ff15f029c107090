"""The authorities reports go to, from the configured jurisdictions.

``SAFEGUARD_REPORT_JURISDICTIONS`` names them: ``us`` reports to NCMEC's CyberTipline,
``uk`` to the National Crime Agency. None is configured by default: which laws bind a
platform depends on where it operates, and every report needs the provider's details
(``SAFEGUARD_PROVIDER_*``), which have no default. Each adapter starts in its test
environment unless configured ``production``.
"""

from __future__ import annotations

import importlib
from typing import Any

from safeguard.config import Settings
from safeguard.errors import ConfigError
from safeguard.reporting.adapter import Authority, Provider

ADAPTERS = {
    "us": ("ncmec", "safeguard.reporting.ncmec", "NcmecAuthority"),
    "uk": ("nca", "safeguard.reporting.nca", "NcaAuthority"),
}
"""Jurisdiction -> (authority name, module, class with ``from_settings(settings)``)."""


def provider_from_settings(settings: Settings) -> Provider:
    """The platform as reports name it; ConfigError naming the first missing setting."""
    required = {
        "SAFEGUARD_PROVIDER_NAME": settings.provider_name,
        "SAFEGUARD_PROVIDER_CONTACT_NAME": settings.provider_contact_name,
        "SAFEGUARD_PROVIDER_CONTACT_EMAIL": settings.provider_contact_email,
    }
    for variable, value in required.items():
        if not value:
            raise ConfigError(f"{variable} is required to report to authorities")
    return Provider(
        name=settings.provider_name or "",
        contact_name=settings.provider_contact_name or "",
        contact_email=settings.provider_contact_email or "",
        contact_phone=settings.provider_contact_phone,
        country=settings.provider_country,
    )


def configured_authorities(settings: Settings) -> dict[str, Authority]:
    """The authorities of the configured jurisdictions, by name (empty if none); each
    adapter module is imported only when its jurisdiction is configured."""
    found: dict[str, Authority] = {}
    for jurisdiction in settings.report_jurisdictions:
        name, module_name, class_name = ADAPTERS[jurisdiction]
        module = importlib.import_module(module_name)
        adapter: Any = getattr(module, class_name)
        authority: Authority = adapter.from_settings(settings)
        found[name] = authority
    return found
