"""What a platform shows a child: supportive prompts and help resources, per locale.

A prompt explains a risk in plain words when a child (or a linked parent) turns a
safety default off, or when a nudity classifier blurs an image. Each names the help
resources for the child's locale. The built-in texts are in British and American
English; a platform adds or replaces locales with a JSON file (``SAFEGUARD_GUIDANCE_FILE``,
shape in docs/accounts.md). A locale falls back to its language, then to the default.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from safeguard.errors import ConfigError

DEFAULT_LOCALE = "en-GB"

TOPICS = (
    "messages_from_non_connections",
    "connection_suggestions",
    "location_sharing",
    "public_profile",
    "nudity_received",
    "nudity_sending",
)


@dataclass(frozen=True)
class HelpResource:
    name: str
    url: str
    description: str

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "url": self.url, "description": self.description}


@dataclass(frozen=True)
class Prompt:
    """One supportive prompt: a title, the risk in plain words, and where to get help."""

    topic: str
    locale: str
    title: str
    text: str
    help: tuple[HelpResource, ...]

    def as_dict(self) -> dict[str, object]:
        return {
            "topic": self.topic,
            "locale": self.locale,
            "title": self.title,
            "text": self.text,
            "help": [resource.as_dict() for resource in self.help],
        }


_ENGLISH_TEXTS: dict[str, dict[str, str]] = {
    "messages_from_non_connections": {
        "title": "Messages from people you don't know",
        "text": (
            "If you turn this on, people you haven't connected with can message you. "
            "Some people online pretend to be someone they're not. You never have to "
            "reply, and you can block and report anyone who makes you feel uncomfortable."
        ),
    },
    "connection_suggestions": {
        "title": "Being suggested to other people",
        "text": (
            "If you turn this on, people you don't know may be shown your account as "
            "someone to connect with. Only accept people you know in real life."
        ),
    },
    "location_sharing": {
        "title": "Sharing where you are",
        "text": (
            "If you turn this on, other people can see where you are. Someone you don't "
            "know could use it to find you. Share your location only with people you trust."
        ),
    },
    "public_profile": {
        "title": "Who can see your profile",
        "text": (
            "If you turn this on, anyone can see your profile, including people you "
            "don't know. Think about what it shows: your name, your school, your photos."
        ),
    },
    "nudity_received": {
        "title": "This image may be sensitive",
        "text": (
            "We've blurred this image because it may show nudity. You don't have to look "
            "at it. If someone is pressuring you or it makes you uncomfortable, tell an "
            "adult you trust, and block or report the sender. It's not your fault."
        ),
    },
    "nudity_sending": {
        "title": "Think before you send",
        "text": (
            "This image may show nudity. Once you send a picture you can't control who "
            "sees it or where it ends up. If someone is asking you for pictures like this, "
            "you don't have to send them, and you can get help."
        ),
    },
}

_HELP: dict[str, tuple[HelpResource, ...]] = {
    "en-GB": (
        HelpResource(
            "Childline",
            "https://www.childline.org.uk/",
            "Free, private and confidential help for under-19s: call 0800 1111.",
        ),
        HelpResource(
            "Report Remove",
            "https://www.childline.org.uk/info-advice/bullying-abuse-safety/"
            "online-mobile-safety/remove-nude-image-shared-online/",
            "Childline and the IWF help under-18s remove nude images of themselves online.",
        ),
        HelpResource(
            "CEOP Safety Centre",
            "https://www.ceop.police.uk/Safety-Centre/",
            "Report to the police if someone online is making you feel unsafe.",
        ),
    ),
    "en-US": (
        HelpResource(
            "Take It Down",
            "https://takeitdown.ncmec.org/",
            "NCMEC's free service that helps remove nude images of you taken under 18.",
        ),
        HelpResource(
            "CyberTipline",
            "https://report.cybertip.org/",
            "Report online exploitation of a child to NCMEC.",
        ),
    ),
}


class Guidance:
    """Prompts by topic and locale, the built-in ones overlaid by a platform's file."""

    def __init__(self, locales: dict[str, dict[str, Prompt]], default_locale: str) -> None:
        if default_locale not in locales:
            raise ConfigError(f"guidance: no texts for the default locale {default_locale}")
        self.locales = locales
        self.default_locale = default_locale

    @classmethod
    def load(cls, path: Path | None = None, default_locale: str = DEFAULT_LOCALE) -> Guidance:
        """The built-in texts, with the locales of ``path`` (JSON) added or replaced."""
        locales = {
            locale: {
                topic: Prompt(topic, locale, texts["title"], texts["text"], help_resources)
                for topic, texts in _ENGLISH_TEXTS.items()
            }
            for locale, help_resources in _HELP.items()
        }
        if path is not None:
            locales.update(_read_file(path))
        return cls(locales, default_locale)

    def prompt(self, topic: str, locale: str | None = None) -> Prompt:
        """The prompt for ``topic`` in ``locale``, else in another locale of its language
        (``pt-BR`` -> ``pt`` -> ``pt-PT``), else in the default locale."""
        for candidate in self._fallbacks(locale):
            prompts = self.locales.get(candidate)
            if prompts is not None and topic in prompts:
                return prompts[topic]
        raise KeyError(topic)

    def _fallbacks(self, locale: str | None) -> list[str]:
        if not locale:
            return [self.default_locale]
        language = locale.split("-")[0].lower()
        same_language = sorted(
            known for known in self.locales if known.lower().startswith(f"{language}-")
        )
        return [locale, language, *same_language, self.default_locale]


def _read_file(path: Path) -> dict[str, dict[str, Prompt]]:
    """``{"locales": {"de-DE": {"help": [...], "prompts": {topic: {title, text}}}}}``."""
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
        locales: dict[str, dict[str, Prompt]] = {}
        for locale, entry in data["locales"].items():
            help_resources = tuple(
                HelpResource(str(h["name"]), str(h["url"]), str(h.get("description", "")))
                for h in entry.get("help", [])
            )
            prompts = entry["prompts"]
            missing = [topic for topic in TOPICS if topic not in prompts]
            if missing:
                raise ConfigError(f"guidance {path}: {locale} lacks {', '.join(missing)}")
            locales[locale] = {
                topic: Prompt(
                    topic,
                    locale,
                    str(prompts[topic]["title"]),
                    str(prompts[topic]["text"]),
                    help_resources,
                )
                for topic in TOPICS
            }
        return locales
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ConfigError(f"guidance {path}: {exc}") from None
